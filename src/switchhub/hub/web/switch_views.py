"""Web pages for the cancellation relay and for filing switch-start / switch-end (P3, P4).

Same services as the API; CSRF token on every form; field errors shown next to the fields.
"""

from __future__ import annotations

import hmac
import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from switchhub.area.applications.schemas import SwitchEndRequest, SwitchStartRequest, WithdrawRequest
from switchhub.httpkit import request_id
from switchhub.hub.audit.repository import AuditEntry, write
from switchhub.hub.deps import tx
from switchhub.hub.gateway.applications import file_application
from switchhub.hub.relays import service as relays
from switchhub.hub.relays.endpoints import register_relay
from switchhub.hub.relays.schemas import RelayDecisionInput, RelayRegistration
from switchhub.hub.web.views import UI, _page_user, lang_of, render
from switchhub.kernel.caller import Caller
from switchhub.kernel.clock import get_clock
from switchhub.kernel.codes import Area, NgReason, RelayStatus
from switchhub.kernel.errors import InputError, SwitchhubError
from switchhub.kernel.spid import parse_spid

router = APIRouter(include_in_schema=False)
RELAY_FIELDS = ("spid", "current_retailer_code", "contract_no", "customer_name_kana", "customer_name_kanji",
                "address", "building", "requested_switch_date", "contact_name", "contact_phone")


def _errors(exc: SwitchhubError, lang: str) -> tuple[dict[str, str], str | None]:
    errs = {e.field.split(".")[0]: (e.message_en if lang == "en" else e.message_ja) for e in exc.errors}
    return errs, None if errs else (exc.detail_en if lang == "en" else exc.detail_ja)


def _parse(model: type, data: dict[str, Any]) -> Any:
    """The form as the API model; the spid's own check is reported together with the others."""
    from pydantic import ValidationError

    from switchhub.httpkit import validation_issues

    issues = []
    if "spid" in data:
        try:
            parse_spid(data["spid"])
        except InputError as exc:
            issues += exc.errors
    try:
        parsed = model.model_validate_json(json.dumps(data))
    except ValidationError as exc:
        issues += [i for i in validation_issues(list(exc.errors())) if i.field != "spid" or not issues]
        parsed = None
    if issues:
        raise InputError(issues[0].message_ja, issues[0].message_en, errors=issues)
    return parsed


async def _form(request: Request, user: Any) -> dict[str, str] | None:
    form = await request.form()
    if not hmac.compare_digest(str(form.get("csrf_token", "")), user.csrf_token):
        return None
    return {k: str(v).replace("\x00", "").strip()[:400] for k, v in form.items() if k != "csrf_token"}


def _clean(value: object) -> str:
    return str(value).replace("\x00", "").strip()


def _audit(request: Request, caller: Caller, action: str, ids: list[str]) -> AuditEntry:
    return AuditEntry(action=action, operator_code=caller.operator_code, user_login=caller.user_login,
                      cert_fingerprint=caller.cert_fingerprint or None, resource_ids=ids, purpose="switching",
                      remote_addr=request.client.host if request.client else "", request_id=request_id(request))


@router.get("/relays")
async def relay_list(request: Request) -> Response:
    user = await _page_user(request)
    if isinstance(user, Response):
        return user
    q = {k: str(request.query_params.get(k, "")).strip()[:60] for k in
         ("role", "relay_no", "spid", "counterpart_code", "counterpart_name", "customer_name", "status", "area")}
    q["role"] = q["role"] if q["role"] in ("new", "current") else "new"
    try:
        page = max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        page = 1
    filters = {**q, "spid": q["spid"] if len(q["spid"]) == 22 and q["spid"].isdigit() else "",
               "status": q["status"] if q["status"] in {s.value for s in RelayStatus} else "",
               "area": q["area"] if q["area"] in {a.value for a in Area} else "",
               "registered_from": None, "registered_to": None}
    async with tx(request) as conn:
        result = await relays.listing(conn, user.caller, q["role"], filters, page, 20)
    pages = range(1, (result["total"] + 19) // 20 + 1)
    return render(request, "relays.html", {"user": user, "q": q, "result": result, "page": page, "pages": pages,
                                           "statuses": list(RelayStatus), "areas": list(Area)})


@router.get("/relays/new")
async def relay_form(request: Request) -> Response:
    user = await _page_user(request)
    if isinstance(user, Response):
        return user
    return render(request, "relay_new.html", {"user": user, "v": {}, "errors": {}, "error": None})


@router.post("/relays/new")
async def relay_register(request: Request) -> Response:
    user = await _page_user(request)
    if isinstance(user, Response):
        return user
    v = await _form(request, user)
    if v is None:
        return render(request, "error.html", {"user": user, "message": UI["csrf"][0]}, status=403)
    try:
        body = _parse(RelayRegistration, {k: v.get(k, "") for k in RELAY_FIELDS})
        relay = await register_relay(request, user.caller, body, source="web")
    except SwitchhubError as exc:
        errors, error = _errors(exc, lang_of(request))
        return render(request, "relay_new.html", {"user": user, "v": v, "errors": errors, "error": error})
    return RedirectResponse(f"/relays/{relay['relay_no']}", status_code=303)


@router.get("/relays/{relay_no}")
async def relay_detail(relay_no: str, request: Request) -> Response:
    user = await _page_user(request)
    if isinstance(user, Response):
        return user
    try:
        async with tx(request) as conn:
            relay = await relays.detail(conn, user.caller, relay_no)
    except SwitchhubError as exc:
        return render(request, "error.html", {"user": user, "message": exc.detail_ja}, status=exc.status)
    return render(request, "relay_detail.html", {"user": user, "r": relay, "reasons": list(NgReason),
                                                 "errors": {}, "error": None})


@router.post("/relays/{relay_no}/{action}")
async def relay_action(relay_no: str, action: str, request: Request) -> Response:
    user = await _page_user(request)
    if isinstance(user, Response):
        return user
    form = await request.form()
    if not hmac.compare_digest(str(form.get("csrf_token", "")), user.csrf_token):
        return render(request, "error.html", {"user": user, "message": UI["csrf"][0]}, status=403)
    try:
        async with tx(request) as conn:
            if action == "decision":
                body = _parse(RelayDecisionInput, {"decision": _clean(form.get("decision", "")),
                                                   "staff_name": _clean(form.get("staff_name", "")),
                                                   "ng_reasons": [_clean(x) for x in form.getlist("ng_reasons")],
                                                   "memo": _clean(form.get("memo", ""))})
                await relays.decide(conn, user.caller, relay_no, body, get_clock().now())
            elif action == "withdraw":
                await relays.withdraw(conn, user.caller, relay_no, _clean(form.get("reason", ""))[:400],
                                      get_clock().now())
            else:
                return Response(status_code=404)
            await write(conn, _audit(request, user.caller, f"web.relay.{action}", [relay_no]))
    except SwitchhubError as exc:
        errors, error = _errors(exc, lang_of(request))
        async with tx(request) as conn:
            relay = await relays.detail(conn, user.caller, relay_no)
        return render(request, "relay_detail.html", {"user": user, "r": relay, "reasons": list(NgReason),
                                                     "errors": errors, "error": error})
    return RedirectResponse(f"/relays/{relay_no}", status_code=303)


@router.get("/applications/new")
async def application_form(request: Request, kind: str = "switch-start", spid: str = "", relay_no: str = "",
                           switch_date: str = "") -> Response:
    user = await _page_user(request)
    if isinstance(user, Response):
        return user
    kind = kind if kind in ("switch-start", "switch-end") else "switch-start"
    return render(request, "application_new.html", {"user": user, "kind": kind, "errors": {}, "error": None,
                                                    "v": {"spid": spid, "relay_no": relay_no,
                                                          "switch_date": switch_date}})


def _application_body(kind: str, v: dict[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {"spid": v.get("spid", ""), "customer_request": v.get("customer_request") == "on"}
    if v.get("switch_date"):
        data["switch_date"] = v["switch_date"]
    if v.get("relay_no"):
        data["relay_no"] = v["relay_no"]
    if kind == "switch-start":
        data.update({k: v.get(k, "") for k in ("service_menu", "capacity_method", "customer_name_kana",
                                               "customer_name_kanji", "customer_phone")})
        data["consent"] = v.get("consent") == "on"
        for k, cast in (("contract_current", int), ("contract_capacity", float), ("contract_power", float)):
            if v.get(k):
                try:
                    data[k] = cast(v[k])
                except ValueError:
                    data[k] = v[k]
    return data


@router.post("/applications/new")
async def application_file(request: Request) -> Response:
    user = await _page_user(request)
    if isinstance(user, Response):
        return user
    v = await _form(request, user)
    if v is None:
        return render(request, "error.html", {"user": user, "message": UI["csrf"][0]}, status=403)
    kind = v.get("kind") if v.get("kind") in ("switch-start", "switch-end") else "switch-start"
    try:
        body = _parse(SwitchStartRequest if kind == "switch-start" else SwitchEndRequest, _application_body(kind, v))
        answer = await file_application(request, user.caller, kind, body, source="web")
    except SwitchhubError as exc:
        errors, error = _errors(exc, lang_of(request))
        return render(request, "application_new.html", {"user": user, "kind": kind, "v": v, "errors": errors,
                                                        "error": error})
    return RedirectResponse(f"/applications/{answer['application_no']}", status_code=303)


@router.get("/applications/{application_no}")
async def application_status(application_no: str, request: Request) -> Response:
    user = await _page_user(request)
    if isinstance(user, Response):
        return user
    try:
        app = await request.app.state.areas.call(application_no[:2], "GET", f"/area/v1/applications/{application_no}",
                                                 user.caller)
    except SwitchhubError as exc:
        return render(request, "error.html", {"user": user, "message": exc.detail_ja}, status=exc.status)
    return render(request, "application.html", {"user": user, "a": app, "error": None})


@router.post("/applications/{application_no}/withdraw")
async def application_withdraw(application_no: str, request: Request) -> Response:
    user = await _page_user(request)
    if isinstance(user, Response):
        return user
    v = await _form(request, user)
    if v is None:
        return render(request, "error.html", {"user": user, "message": UI["csrf"][0]}, status=403)
    try:
        body = _parse(WithdrawRequest, {"reason": v.get("reason", "")})
        await request.app.state.areas.call(application_no[:2], "POST",
                                           f"/area/v1/applications/{application_no}:withdraw", user.caller,
                                           json=body.model_dump(mode="json"))
        async with tx(request) as conn:
            await write(conn, _audit(request, user.caller, "web.application.withdraw", [application_no]))
    except SwitchhubError as exc:
        app = await request.app.state.areas.call(application_no[:2], "GET",
                                                 f"/area/v1/applications/{application_no}", user.caller)
        return render(request, "application.html", {"user": user, "a": app,
                                                    "error": _errors(exc, lang_of(request))[1] or exc.detail_ja})
    return RedirectResponse(f"/applications/{application_no}", status_code=303)
