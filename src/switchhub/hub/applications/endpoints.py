"""Thin routes for applications: validated at the hub, executed by the point's area."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from switchhub.contract.applications import REQUESTS, ApplicationAnswer, CorrectionRequest, WithdrawRequest
from switchhub.httpkit import json_body
from switchhub.hub.applications import service
from switchhub.hub.applications.schemas import FeedAnswer
from switchhub.hub.deps import actor_of, require, tx
from switchhub.hub.idempotency import IDEMPOTENCY_KEY, idempotent
from switchhub.kernel.caller import Caller
from switchhub.kernel.spid import parse_spid

router = APIRouter(prefix="/api/v1", tags=["applications"])


async def _file(request: Request, caller: Caller, kind: str, body: BaseModel) -> object:
    parse_spid(getattr(body, "spid"))

    async def produce() -> dict:
        async with tx(request) as conn:
            return await service.file(conn, request.app.state.areas, actor_of(request, caller), kind, body)

    return await idempotent(request, caller, produce, 201)


#: kind → (summary, original interface IDs)  (api.md's operation catalogue)
FILINGS: dict[str, tuple[str, list[str]]] = {
    "reconnection": ("再点申込 (reconnection)", ["IF_10410", "IF_F10410"]),
    "termination": ("廃止・撤去申込 (termination)", ["IF_10510", "IF_K10510", "IF_F10510"]),
    "switch-start": ("スイッチング開始申請 (switch-start)", ["IF_10610", "IF_K10610", "IF_F10610"]),
    "switch-end": ("スイッチング廃止申請 (switch-end)", ["IF_10710", "IF_K10710", "IF_F10710"]),
    "customer-change": ("需要者（受電者）情報変更申込 (customer change)", ["IF_10810", "IF_K10810", "IF_F10810"]),
    "ampere-change": ("アンペア変更申込 (ampere change)", ["IF_10910"]),
}
STATUS_IDS = ["IF_10420", "IF_F10420", "IF_10520", "IF_K10520", "IF_F10520", "IF_10620", "IF_K10620", "IF_F10620",
              "IF_10720", "IF_K10720", "IF_F10720", "IF_10820", "IF_K10820", "IF_F10820", "IF_10920"]


def _filing_route(kind: str):  # noqa: ANN202 - FastAPI reads the signature
    model = REQUESTS[kind]

    async def route(request: Request, caller: Caller = Depends(require("hub:applications:write")),
                    body: BaseModel = json_body(model)):
        return await _file(request, caller, kind, body)

    route.__name__ = kind.replace("-", "_")
    route.__doc__ = model.__doc__
    return route


for _kind, (_summary, _ids) in FILINGS.items():
    router.add_api_route(f"/applications/{_kind}", _filing_route(_kind), methods=["POST"], status_code=201,
                         summary=_summary, response_model=ApplicationAnswer, response_model_exclude_unset=True,
                         responses={201: {"model": ApplicationAnswer}}, dependencies=[IDEMPOTENCY_KEY],
                         openapi_extra={"x-interface-ids": _ids})


@router.patch("/applications/{application_no}", summary="申込の訂正 (correction, update flag 2)",
              response_model=ApplicationAnswer, response_model_exclude_unset=True, dependencies=[IDEMPOTENCY_KEY],
              openapi_extra={"x-interface-ids": [_id for _, ids in FILINGS.values() for _id in ids]})
async def correct(application_no: str, request: Request, caller: Caller = Depends(require("hub:applications:write")),
                  body: CorrectionRequest = json_body(CorrectionRequest)):
    """Before the dates are fixed (stage 05) the applicant corrects fields of its application's own type;
    the corrected application is checked again as a new filing."""

    async def produce() -> dict:
        async with tx(request) as conn:
            return await service.correct(conn, request.app.state.areas, actor_of(request, caller), application_no,
                                         body)

    return await idempotent(request, caller, produce)


@router.get("/applications/{application_no}", summary="業務処理状況確認 (status of one application)",
            response_model=ApplicationAnswer, response_model_exclude_unset=True,
            openapi_extra={"x-interface-ids": STATUS_IDS})
async def get_application(application_no: str, request: Request,
                          caller: Caller = Depends(require("hub:applications:read"))) -> dict:
    async with tx(request) as conn:
        return await service.status(conn, request.app.state.areas, actor_of(request, caller), application_no)


@router.post("/applications/{application_no}:withdraw", summary="申込の取消 (withdrawal, update flag 3)",
             response_model=ApplicationAnswer, response_model_exclude_unset=True, dependencies=[IDEMPOTENCY_KEY],
             openapi_extra={"x-interface-ids": [_id for _, ids in FILINGS.values() for _id in ids]})
async def withdraw(application_no: str, request: Request,
                   caller: Caller = Depends(require("hub:applications:write")),
                   body: WithdrawRequest = json_body(WithdrawRequest)):

    async def produce() -> dict:
        async with tx(request) as conn:
            return await service.withdraw(conn, request.app.state.areas, actor_of(request, caller), application_no,
                                          body.reason)

    return await idempotent(request, caller, produce)


@router.get("/applications", summary="異動申込一括取得 (applications feed from a cursor)",
            response_model=FeedAnswer, openapi_extra={"x-interface-ids": ["IF_11110", "IF_K11110", "IF_F11110"]})
async def feed(request: Request, cursor: Annotated[str, Query(max_length=400)] = "",
               limit: Annotated[int, Query(ge=1, le=1000)] = 100,
               caller: Caller = Depends(require("hub:applications:read"))) -> dict:
    """Every stage change of the caller's applications, in order per area; the next cursor continues."""
    return await service.feed(request.app.state.areas, caller, cursor, limit)
