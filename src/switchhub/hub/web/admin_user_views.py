"""Web pages of the operators' own user administration (issue 9 D), Japanese first.

Every admin page and POST declares `web_admin(...)` (re-authentication within 10 minutes), and calls
the same service functions as /api/v1/users; secrets (one-time passwords, TOTP secrets, API tokens)
are rendered once in the answer to the POST that made them and never stored in clear or shown again.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from switchhub.hub.accounts.service import WebUser
from switchhub.hub.deps import tx
from switchhub.hub.users import bulk, credentials, service, totp
from switchhub.hub.web.render import error_texts, lang_of, msg, render
from switchhub.hub.web.session import read_form, web_actor, web_admin, web_user
from switchhub.kernel.clock import get_clock
from switchhub.kernel.errors import Forbidden, NotFound, SwitchhubError

router = APIRouter(include_in_schema=False)
MANAGE = "hub:users:manage"
PART_LIMIT = bulk.MAX_BYTES * 4 // 3 + 8
DONE = {"changed": "done_changed", "suspend": "user_done_suspend", "restore": "user_done_restore", "delete": "done_deleted",
        "revoked": "user_done_revoked"}  # message keys (render.UI)


def _actor(request: Request, user: WebUser):  # noqa: ANN202 - an Actor
    return web_actor(request, user, "administration")


def _page_no(request: Request) -> int:
    try:
        return max(1, min(10000, int(request.query_params.get("page", "1"))))
    except ValueError:
        return 1


def _secret_page(request: Request, name: str, ctx: dict[str, Any]) -> Response:
    """A page showing a one-time password, TOTP secret or token: never cached (the back button or
    a shared browser cache must not show it again)."""
    resp = render(request, name, ctx)
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _text(exc: SwitchhubError, lang: str) -> str:
    return exc.detail_en if lang == "en" else exc.detail_ja


@router.get("/admin/users")
async def users_page(request: Request, user: WebUser = Depends(web_admin(MANAGE))) -> Response:
    status = request.query_params.get("status", "")
    role = request.query_params.get("role", "")
    status = status if status in service.STATUSES else ""
    role = role if role in ("admin", "general", "helpdesk", "api") else ""
    async with tx(request) as conn:
        result = await service.list_users(conn, _actor(request, user), status=status, role=role, page=_page_no(request))
    pages = range(1, (result["total"] + service.PAGE_SIZE - 1) // service.PAGE_SIZE + 1)
    return render(request, "admin_users.html", {"user": user, "result": result, "status": status, "role": role,
                                                "pages": pages, "statuses": service.STATUSES})


async def _roles(request: Request, user: WebUser) -> tuple[str, ...]:
    return service.ROLES[user.caller.kind]


@router.get("/admin/users/new")
async def new_user_form(request: Request, user: WebUser = Depends(web_admin(MANAGE))) -> Response:
    return render(request, "admin_user_new.html", {"user": user, "values": {}, "errors": {},
                                                   "roles": await _roles(request, user)})


@router.post("/admin/users/new")
async def create_user(request: Request, user: WebUser = Depends(web_admin(MANAGE))) -> Response:
    form = await read_form(request, user)
    values = {k: form.get(k) for k in ("login_id", "display_name", "email", "role")}
    try:
        async with tx(request) as conn:
            issued = await service.create_user(conn, _actor(request, user), now=get_clock().now(), **values)
    except SwitchhubError as exc:
        if isinstance(exc, Forbidden):
            raise
        errors, error = error_texts(exc, lang_of(request))
        return render(request, "admin_user_new.html", {"user": user, "values": values, "errors": errors,
                                                       "error": error, "roles": await _roles(request, user)}, status=422)
    return _secret_page(request, "admin_user_issued.html", {"user": user, "issued": issued, "what": "created"})


async def _detail(request: Request, user: WebUser, login_id: str, **ctx: Any) -> Response:
    async with tx(request) as conn:
        target = await service.get_user(conn, _actor(request, user), login_id)
    done = DONE.get(request.query_params.get("done", ""))
    done = msg(done, lang_of(request)) if done else None
    base = {"user": user, "target": target, "values": target, "errors": {}, "error": None, "done": done,
            "roles": await _roles(request, user), "can_issue": user.caller.kind in ("retailer", "tso")}
    return render(request, "admin_user.html", {**base, **ctx}, status=422 if ctx.get("errors") or ctx.get("error")
                  else 200)


@router.get("/admin/users/csv")
async def csv_form(request: Request, user: WebUser = Depends(web_admin(MANAGE))) -> Response:
    return render(request, "admin_users_csv.html", _csv_ctx(user))


def _csv_ctx(user: WebUser, **ctx: Any) -> dict[str, Any]:
    return {"user": user, "report": None, "result": None, "raw": "", "error": None, "columns": bulk.USERS.columns,
            "max_rows": bulk.MAX_ROWS, "max_bytes": bulk.MAX_BYTES, **ctx}


@router.post("/admin/users/csv")
async def csv_run(request: Request, user: WebUser = Depends(web_admin(MANAGE))) -> Response:
    """`mode=validate` with the uploaded file, or `mode=apply` with the validated file sent back (base64)."""
    form = await request.form(max_files=1, max_fields=10, max_part_size=PART_LIMIT)
    try:
        values = (await read_form(request, user)).values  # CSRF first
        mode = values.get("mode", "validate")
        if mode == "apply":
            try:
                raw = base64.b64decode(str(form.get("content") or ""), validate=True)
            except (binascii.Error, ValueError):
                raw = b""
        else:
            item = form.get("file")
            raw = await item.read() if item is not None and not isinstance(item, str) else b""
    finally:
        await form.close()
    if not raw:
        return render(request, "admin_users_csv.html", _csv_ctx(user, error=msg("csv_choose_file", lang_of(request))), status=422)
    try:
        async with tx(request) as conn:
            actor = _actor(request, user)
            if mode == "apply":
                result = await bulk.apply(conn, actor, raw, get_clock().now())
            else:
                result = await bulk.validate(conn, actor, raw)
    except SwitchhubError as exc:
        if isinstance(exc, Forbidden):
            raise
        report = exc.extra.get("report")
        ctx = {"report": {"ok": False, "issues": report, "rows": 0}} if report else {"error": _text(exc, lang_of(request))}
        return render(request, "admin_users_csv.html", _csv_ctx(user, **ctx), status=422)
    if mode == "apply":
        links = {enc: "data:text/csv;base64," + base64.b64encode(bulk.secrets_csv(result, enc)).decode()
                 for enc in ("utf-8", "cp932")}
        return _secret_page(request, "admin_users_csv.html", _csv_ctx(user, result=result, links=links))
    return render(request, "admin_users_csv.html",
                  _csv_ctx(user, report=result, raw=base64.b64encode(raw).decode() if result["ok"] else ""))


@router.get("/admin/users/{login_id}")
async def user_page(request: Request, login_id: str, user: WebUser = Depends(web_admin(MANAGE))) -> Response:
    return await _detail(request, user, login_id[:64])


@router.post("/admin/users/{login_id}")
async def change_user(request: Request, login_id: str, user: WebUser = Depends(web_admin(MANAGE))) -> Response:
    form = await read_form(request, user)
    values = {k: form.get(k) for k in ("display_name", "email", "role")}
    try:
        async with tx(request) as conn:
            issued = await service.change_user(conn, _actor(request, user), login_id[:64], now=get_clock().now(),
                                               **values)
    except SwitchhubError as exc:
        if isinstance(exc, (Forbidden, NotFound)):
            raise
        errors, error = error_texts(exc, lang_of(request))
        return await _detail(request, user, login_id[:64], values=values, errors=errors, error=error)
    if issued["totp_secret"]:
        return _secret_page(request, "admin_user_issued.html", {"user": user, "issued": issued, "what": "changed"})
    return RedirectResponse(f"/admin/users/{login_id}?done=changed", status_code=303)


ACTIONS = {"suspend": service.suspend_user, "restore": service.restore_user, "delete": service.delete_user}


@router.post("/admin/users/{login_id}/status")
async def user_status(request: Request, login_id: str, user: WebUser = Depends(web_admin(MANAGE))) -> Response:
    form = await read_form(request, user)
    action = form.get("action")
    if action not in ACTIONS:
        return await _detail(request, user, login_id[:64], error=msg("choose_action", lang_of(request)))
    try:
        async with tx(request) as conn:
            await ACTIONS[action](conn, _actor(request, user), login_id[:64], get_clock().now())
    except SwitchhubError as exc:
        if isinstance(exc, (Forbidden, NotFound)):
            raise
        return await _detail(request, user, login_id[:64], error=_text(exc, lang_of(request)))
    return RedirectResponse(f"/admin/users/{login_id}?done={action}", status_code=303)


@router.post("/admin/users/{login_id}/reset")
async def user_reset(request: Request, login_id: str, user: WebUser = Depends(web_admin(MANAGE))) -> Response:
    await read_form(request, user)
    try:
        async with tx(request) as conn:
            reset = await service.reset_user(conn, _actor(request, user), login_id[:64], get_clock().now())
    except SwitchhubError as exc:
        if isinstance(exc, (Forbidden, NotFound)):
            raise
        return await _detail(request, user, login_id[:64], error=_text(exc, lang_of(request)))
    return _secret_page(request, "admin_user_issued.html", {"user": user, "what": "reset", "issued": {
        "user": {"login_id": reset["login_id"]}, "initial_password": reset["initial_password"], "totp_secret": None}})


@router.post("/admin/users/{login_id}/credentials")
async def credential_issue(request: Request, login_id: str,
                           user: WebUser = Depends(web_admin("hub:credentials:issue"))) -> Response:
    form = await read_form(request, user)
    try:
        async with tx(request) as conn:
            issued = await credentials.issue(conn, _actor(request, user), login_id[:64], form.get("label"))
    except SwitchhubError as exc:
        if isinstance(exc, (Forbidden, NotFound)):
            raise
        return await _detail(request, user, login_id[:64], error=_text(exc, lang_of(request)))
    return _secret_page(request, "admin_user_issued.html", {"user": user, "what": "credential", "credential": issued,
                                                      "issued": {"user": {"login_id": login_id}}})


@router.post("/admin/users/{login_id}/credentials/{key_id}/revoke")
async def credential_revoke(request: Request, login_id: str, key_id: str,
                            user: WebUser = Depends(web_admin("hub:credentials:issue"))) -> Response:
    await read_form(request, user)
    async with tx(request) as conn:
        await credentials.revoke(conn, _actor(request, user), login_id[:64], key_id[:64], get_clock().now())
    return RedirectResponse(f"/admin/users/{login_id}?done=revoked", status_code=303)


@router.get("/helpdesk/users/reset")
async def helpdesk_form(request: Request, user: WebUser = Depends(web_admin("hub:users:helpdesk-reset"))) -> Response:
    return render(request, "helpdesk_reset.html", {"user": user, "errors": {}, "error": None, "login_id": ""})


@router.post("/helpdesk/users/reset")
async def helpdesk_reset(request: Request, user: WebUser = Depends(web_admin("hub:users:helpdesk-reset"))) -> Response:
    form = await read_form(request, user)
    login_id = form.get("login_id")[:64]
    try:
        async with tx(request) as conn:
            reset = await service.helpdesk_reset(conn, _actor(request, user), login_id, get_clock().now())
    except SwitchhubError as exc:
        if isinstance(exc, Forbidden):
            raise
        return render(request, "helpdesk_reset.html", {"user": user, "errors": {"login_id": _text(exc, lang_of(request))},
                                                       "error": None, "login_id": login_id}, status=422)
    return _secret_page(request, "admin_user_issued.html", {"user": user, "what": "reset", "issued": {
        "user": {"login_id": reset["login_id"]}, "initial_password": reset["initial_password"], "totp_secret": None}})


# -- my own TOTP (any user with a password; not an admin page) ---------------------------------

async def _totp_page(request: Request, user: WebUser, status: int = 200, **ctx: Any) -> Response:
    async with tx(request) as conn:
        state = await totp.status(conn, web_actor(request, user))
    return render(request, "totp.html", {"user": user, "state": state, "enrolment": None, "errors": {}, "done": None,
                                         **ctx}, status=status)


@router.get("/me/totp")
async def totp_page(request: Request, user: WebUser = Depends(web_user("hub:me:totp"))) -> Response:
    return await _totp_page(request, user)


@router.post("/me/totp/start")
async def totp_start(request: Request, user: WebUser = Depends(web_user("hub:me:totp"))) -> Response:
    await read_form(request, user)
    async with tx(request) as conn:
        enrolment = await totp.start(conn, web_actor(request, user))
    resp = await _totp_page(request, user, enrolment=enrolment)
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _issue_texts(issues: list, lang: str) -> dict[str, str]:
    return {i.field: i.message_en if lang == "en" else i.message_ja for i in issues}


@router.post("/me/totp/enable")
async def totp_enable(request: Request, user: WebUser = Depends(web_user("hub:me:totp"))) -> Response:
    form = await read_form(request, user)
    try:
        async with tx(request) as conn:
            result = await totp.enable(conn, web_actor(request, user), form.get("code"), get_clock().now())
    except SwitchhubError as exc:
        if isinstance(exc, Forbidden):
            raise
        return await _totp_page(request, user, 409, errors={"code": _text(exc, lang_of(request))})
    if result["issues"]:
        return await _totp_page(request, user, 422, errors=_issue_texts(result["issues"], lang_of(request)))
    return await _totp_page(request, user, done=msg("totp_done_enabled", lang_of(request)))


@router.post("/me/totp/disable")
async def totp_disable(request: Request, user: WebUser = Depends(web_user("hub:me:totp"))) -> Response:
    form = await read_form(request, user)
    try:
        async with tx(request) as conn:
            result = await totp.disable(conn, web_actor(request, user), form.get("password"), form.get("code"),
                                        get_clock().now())
    except SwitchhubError as exc:
        if isinstance(exc, Forbidden):
            raise
        return await _totp_page(request, user, 409, errors={"disable": _text(exc, lang_of(request))})
    if result["issues"]:
        return await _totp_page(request, user, 422, errors=_issue_texts(result["issues"], lang_of(request)))
    return await _totp_page(request, user, done=msg("totp_done_disabled", lang_of(request)))
