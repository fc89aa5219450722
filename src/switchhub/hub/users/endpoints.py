"""Thin routes of the user administration: the admin's own operator's users and their credentials,
the helpdesk's reset, and my own TOTP. Each calls the service function the Web pages call."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request

from switchhub.httpkit import json_body
from switchhub.hub.bulk.endpoints import OPENAPI_BODY, RESPONSES, read_upload
from switchhub.hub.deps import actor_of, require, tx
from switchhub.hub.users import bulk, credentials, service, totp
from switchhub.hub.users.schemas import (
    CredentialInput,
    CredentialIssued,
    CredentialList,
    CredentialRevoked,
    PasswordReset,
    Role,
    TotpChanged,
    TotpCode,
    TotpDisable,
    TotpEnrolment,
    TotpStart,
    TotpStatus,
    UserAction,
    UserBulkReport,
    UserChange,
    UserDetail,
    UserInput,
    UserIssued,
    UserPage,
    UserStatus,
)
from switchhub.kernel.caller import Caller
from switchhub.kernel.clock import get_clock
from switchhub.kernel.errors import InputError

router = APIRouter(prefix="/api/v1", tags=["users"])
MANAGE, IDS = "hub:users:manage", {"x-interface-ids": ["SH_USERS"]}
LoginPath = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9._-]*$")]


def _admin(request: Request, caller: Caller):  # noqa: ANN202 - an Actor
    return actor_of(request, caller, purpose="administration")


@router.get("/users", summary="自社ユーザ一覧 (users of my operator)", response_model=UserPage, openapi_extra=IDS)
async def list_users(request: Request, status: UserStatus | None = None, role: Role | None = None,
                     page: Annotated[int, Query(ge=1, le=10000)] = 1,
                     caller: Caller = Depends(require(MANAGE))) -> dict:
    async with tx(request) as conn:
        return await service.list_users(conn, _admin(request, caller), status=status, role=role, page=page)


@router.post("/users", status_code=201, summary="ユーザの登録（初期パスワード・TOTPはこの応答でのみ表示）",
             response_model=UserIssued, openapi_extra=IDS)
async def create_user(request: Request, caller: Caller = Depends(require(MANAGE)),
                      body: UserInput = json_body(UserInput)) -> dict:
    async with tx(request) as conn:
        return await service.create_user(conn, _admin(request, caller), login_id=body.login_id,
                                         display_name=body.display_name, email=body.email, role=body.role,
                                         now=get_clock().now())


@router.post("/users:bulk", summary="ユーザの一括登録・変更（CSV・validate は検証のみ、apply は全件か0件）",
             response_model=UserBulkReport, responses=RESPONSES, openapi_extra={**IDS, **OPENAPI_BODY})
async def bulk_users(request: Request, mode: Literal["validate", "apply"] = "validate",
                     caller: Caller = Depends(require(MANAGE))) -> dict:
    raw = await read_upload(request)
    async with tx(request) as conn:
        actor = _admin(request, caller)
        if mode == "validate":
            return await bulk.validate(conn, actor, raw)
        return await bulk.apply(conn, actor, raw, get_clock().now())


@router.get("/users/{login_id}", summary="ユーザの参照", response_model=UserDetail, openapi_extra=IDS)
async def get_user(login_id: LoginPath, request: Request, caller: Caller = Depends(require(MANAGE))) -> dict:
    async with tx(request) as conn:
        return await service.get_user(conn, _admin(request, caller), login_id)


@router.patch("/users/{login_id}", summary="ユーザの変更（氏名・メール・権限）", response_model=UserIssued,
              openapi_extra=IDS)
async def change_user(login_id: LoginPath, request: Request, caller: Caller = Depends(require(MANAGE)),
                      body: UserChange = json_body(UserChange)) -> dict:
    async with tx(request) as conn:
        return await service.change_user(conn, _admin(request, caller), login_id, display_name=body.display_name,
                                         email=body.email, role=body.role, now=get_clock().now())


def _status_route(name: str, summary: str, func):  # noqa: ANN001, ANN202
    async def route(login_id: LoginPath, request: Request, caller: Caller = Depends(require(MANAGE)),
                    body: UserAction = json_body(UserAction)) -> dict:
        async with tx(request) as conn:
            return await func(conn, _admin(request, caller), login_id, get_clock().now(), note=body.note)

    route.__name__ = f"{name}_user"
    router.add_api_route(f"/users/{{login_id}}:{name}", route, methods=["POST"], summary=summary,
                         response_model=UserDetail, openapi_extra=IDS)


_status_route("suspend", "ユーザの利用停止（セッションは直ちに終了）", service.suspend_user)
_status_route("restore", "ユーザの利用再開", service.restore_user)
_status_route("delete", "ユーザの削除（IDは再利用されない・セッションとクレデンシャルは直ちに終了）", service.delete_user)


@router.post("/users/{login_id}:reset", summary="パスワードの再設定（凍結解除・ワンタイムパスワードはこの応答でのみ表示）",
             response_model=PasswordReset, openapi_extra=IDS)
async def reset_user(login_id: LoginPath, request: Request, caller: Caller = Depends(require(MANAGE)),
                     body: UserAction = json_body(UserAction)) -> dict:
    async with tx(request) as conn:
        return await service.reset_user(conn, _admin(request, caller), login_id, get_clock().now(), note=body.note)


@router.post("/helpdesk/users/{login_id}:reset",
             summary="ヘルプデスクによるパスワード再設定（管理者のいない事業者のみ）", response_model=PasswordReset,
             openapi_extra=IDS)
async def helpdesk_reset(login_id: LoginPath, request: Request,
                         caller: Caller = Depends(require("hub:users:helpdesk-reset")),
                         body: UserAction = json_body(UserAction)) -> dict:
    async with tx(request) as conn:
        return await service.helpdesk_reset(conn, _admin(request, caller), login_id, get_clock().now(),
                                            note=body.note)


@router.get("/users/{login_id}/credentials", summary="APIユーザのクレデンシャル一覧", response_model=CredentialList,
            openapi_extra=IDS)
async def list_credentials(login_id: LoginPath, request: Request,
                           caller: Caller = Depends(require("hub:credentials:issue"))) -> dict:
    async with tx(request) as conn:
        return await credentials.list_credentials(conn, _admin(request, caller), login_id)


@router.post("/users/{login_id}/credentials", status_code=201,
             summary="APIクレデンシャルの発行（この応答でのみ表示）", response_model=CredentialIssued, openapi_extra=IDS)
async def issue_credential(login_id: LoginPath, request: Request,
                           caller: Caller = Depends(require("hub:credentials:issue")),
                           body: CredentialInput = json_body(CredentialInput)) -> dict:
    async with tx(request) as conn:
        return await credentials.issue(conn, _admin(request, caller), login_id, body.label)


@router.post("/users/{login_id}/credentials/{key_id}:revoke", summary="APIユーザのクレデンシャルの失効",
             response_model=CredentialRevoked, openapi_extra=IDS)
async def revoke_credential(login_id: LoginPath, key_id: Annotated[str, Path(max_length=64)], request: Request,
                            caller: Caller = Depends(require("hub:credentials:issue"))) -> dict:
    async with tx(request) as conn:
        return await credentials.revoke(conn, _admin(request, caller), login_id, key_id, get_clock().now())


TOTP_IDS = {"x-interface-ids": ["SH_ME_TOTP"]}


@router.get("/me/totp", summary="ワンタイムパスワード（TOTP）の設定状況", response_model=TotpStatus,
            openapi_extra=TOTP_IDS)
async def totp_status(request: Request, caller: Caller = Depends(require("hub:me:totp"))) -> dict:
    async with tx(request) as conn:
        return await totp.status(conn, actor_of(request, caller))


@router.post("/me/totp", summary="TOTPの設定開始（シークレットはこの応答でのみ表示）", response_model=TotpEnrolment,
             openapi_extra=TOTP_IDS)
async def totp_start(request: Request, caller: Caller = Depends(require("hub:me:totp")),
                     body: TotpStart = json_body(TotpStart)) -> dict:
    async with tx(request) as conn:
        return await totp.start(conn, actor_of(request, caller))


def _raise(result: dict) -> dict:
    if result["issues"]:
        first = result["issues"][0]
        raise InputError(first.message_ja, first.message_en, errors=result["issues"])
    return {"enabled": result["enabled"]}


@router.post("/me/totp:enable", summary="TOTPの有効化（現在の確認コードが必要）", response_model=TotpChanged,
             openapi_extra=TOTP_IDS)
async def totp_enable(request: Request, caller: Caller = Depends(require("hub:me:totp")),
                      body: TotpCode = json_body(TotpCode)) -> dict:
    async with tx(request) as conn:  # a wrong code's audit record commits before the 422
        result = await totp.enable(conn, actor_of(request, caller), body.code, get_clock().now())
    return _raise(result)


@router.post("/me/totp:disable", summary="TOTPの解除（パスワードと確認コードが必要）", response_model=TotpChanged,
             openapi_extra=TOTP_IDS)
async def totp_disable(request: Request, caller: Caller = Depends(require("hub:me:totp")),
                       body: TotpDisable = json_body(TotpDisable)) -> dict:
    async with tx(request) as conn:
        result = await totp.disable(conn, actor_of(request, caller), body.password, body.code, get_clock().now())
    return _raise(result)
