"""Thin Web views (Japanese first): login, logout, password change, portal, facility lookup, search,
reading calendar.

The pages call the same service functions as the API, which check the permission and write the
audit record; masking happens only in the visibility policy. Sessions are server-side (the
cookie holds a random token), CSRF tokens guard every POST, and every login attempt is audited
in the same transaction as its counters.
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from switchhub.httpkit import request_id
from switchhub.hub.accounts import repository
from switchhub.hub.accounts.service import (
    WebUser,
    change_password,
    check_login,
    reauthenticate,
    start_session,
)
from switchhub.hub.audit.context import unauthenticated
from switchhub.hub.audit.repository import AuditEntry, write
from switchhub.hub.deps import remote_addr, tx
from switchhub.hub.notices import service as notice_service
from switchhub.hub.points import service as facility
from switchhub.hub.relays import worklist as relay_worklist
from switchhub.hub.web import labels
from switchhub.hub.web.notice_views import jst as notice_jst
from switchhub.hub.web.render import HERE, error_texts, lang_of, msg, render, set_cookie
from switchhub.hub.web.session import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    CsrfFailed,
    read_form,
    safe_next,
    web_actor,
    web_user,
)
from switchhub.kernel import calendar as cal
from switchhub.kernel.clock import get_clock
from switchhub.kernel.codes import Area
from switchhub.kernel.errors import AreaTimeout, AreaUnavailable, SwitchhubError
from switchhub.kernel.geo import PREFECTURE_AREAS
from switchhub.kernel.spid import parse_spid

router = APIRouter(include_in_schema=False)
STATIC = {"app.css": "text/css", "htmx.min.js": "text/javascript", "favicon.svg": "image/svg+xml"}
PUBLIC_PATHS = ("/login", "/static/{name}")  # the only pages without a session (and so without a permission)


@router.get("/static/{name}")
async def static(name: str) -> Response:
    if name not in STATIC:
        return Response(status_code=404)
    return FileResponse(HERE / "static" / name, media_type=STATIC[name],
                        headers={"cache-control": "public, max-age=3600"})


@router.get("/login")
async def login_form(request: Request) -> Response:
    token = secrets.token_urlsafe(24)
    resp = render(request, "login.html", {"csrf_token": token, "error": None, "login_id": ""})
    set_cookie(resp, LOGIN_CSRF_COOKIE, token)
    return resp


def _login_audit(request: Request, result, login_id: str) -> list[AuditEntry]:
    """One record per operator concerned: from another operator's terminal, both see the attempt."""
    cert = request.state.cert
    operators = [cert.operator_code] + ([result.user_operator] if result.user_operator else [])
    detail = {"terminal_operator": cert.operator_code, "user_operator": result.user_operator or cert.operator_code}
    return [unauthenticated("web.login", operator_code=op, user_login=login_id, cert_fingerprint=cert.fingerprint,
                            outcome="ok" if result.ok else result.code, remote_addr=remote_addr(request),
                            request_id=request_id(request), detail=detail) for op in operators]


@router.post("/login")
async def login(request: Request) -> Response:
    form = await request.form()
    login_id = str(form.get("login_id", "")).replace("\x00", "").strip()[:64]
    password = str(form.get("password", ""))[:256]
    otp = str(form.get("otp", "")).replace("\x00", "")[:12]
    sent, cookie = str(form.get("csrf_token", "")), request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not hmac.compare_digest(sent, cookie):
        raise CsrfFailed()
    cert = request.state.cert
    async with tx(request) as conn:
        result = await check_login(conn, cert, login_id, password, otp)
        await write(conn, *_login_audit(request, result, login_id))
        token = await start_session(conn, result.user["id"], cert.fingerprint, get_clock().now()) if result.ok else None
    if not result.ok or token is None:
        new_csrf = secrets.token_urlsafe(24)
        message = result.message_en if lang_of(request) == "en" else result.message_ja
        resp = render(request, "login.html", {"csrf_token": new_csrf, "error": message, "login_id": login_id})
        set_cookie(resp, LOGIN_CSRF_COOKIE, new_csrf)
        return resp
    resp = RedirectResponse("/", status_code=303)
    set_cookie(resp, SESSION_COOKIE, token[0])
    resp.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return resp


@router.post("/logout")
async def logout(request: Request, user: WebUser = Depends(web_user("hub:web:use", allow_expired_password=True))
                 ) -> Response:
    await read_form(request, user)
    async with tx(request) as conn:
        await repository.end_session(conn, user.token_hash, get_clock().now())
        await write(conn, web_actor(request, user).entry("session.logout", resource_type="session"))
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(SESSION_COOKIE, path="/")
    return resp


@router.get("/password")
async def password_form(request: Request,
                        user: WebUser = Depends(web_user("hub:me:password", allow_expired_password=True))) -> Response:
    return render(request, "password.html", {"user": user, "errors": {}, "error": None, "done": False})


@router.post("/password")
async def password_change(request: Request,
                          user: WebUser = Depends(web_user("hub:me:password", allow_expired_password=True))
                          ) -> Response:
    form = await read_form(request, user)
    lang = lang_of(request)
    errors: dict[str, str] = {}
    if form.get("new_password") != form.get("new_password_again"):
        errors["new_password_again"] = msg("password_mismatch", lang)
    else:
        try:
            async with tx(request) as conn:
                await change_password(conn, web_actor(request, user), form.get("current_password"),
                                      form.get("new_password"), get_clock().now())
        except SwitchhubError as exc:
            errors = error_texts(exc, lang)[0] or {"current_password": error_texts(exc, lang)[1] or ""}
    if errors:
        return render(request, "password.html", {"user": user, "errors": errors, "error": None, "done": False})
    return render(request, "password.html", {"user": user, "errors": {}, "error": None, "done": True})


@router.get("/reauth")
async def reauth_form(request: Request, next: str = "/", user: WebUser = Depends(web_user("hub:web:use"))) -> Response:
    return render(request, "reauth.html", {"user": user, "errors": {}, "next": safe_next(next)})


@router.post("/reauth")
async def reauth(request: Request, user: WebUser = Depends(web_user("hub:web:use"))) -> Response:
    """Re-authentication before admin pages and actions (security.md); back to the page asked for."""
    form = await read_form(request, user)
    target = safe_next(form.get("next", "/"))
    async with tx(request) as conn:
        issues = await reauthenticate(conn, web_actor(request, user, "administration"), user.token_hash,
                                      form.get("password"), form.get("otp"), get_clock().now())
    if issues:
        lang = lang_of(request)
        errors = {i.field: i.message_ja if lang == "ja" else i.message_en for i in issues}
        return render(request, "reauth.html", {"user": user, "errors": errors, "next": target}, status=422)
    return RedirectResponse(target, status_code=303)


@router.get("/")
async def portal(request: Request, user: WebUser = Depends(web_user("hub:web:use"))) -> Response:
    async with tx(request) as conn:
        awaiting = await relay_worklist.awaiting_my_decision(conn, web_actor(request, user))
        notices = await notice_service.list_mine(conn, user.caller, 1, get_clock().now(), per_page=5)
    return render(request, "portal.html", {"user": user, "awaiting": awaiting, "notices": notices,
                                           "jst": notice_jst})


async def _facility(request: Request, user: WebUser, spid: str) -> Response:
    lang = lang_of(request)
    spid = spid.replace("\x00", "")[:40]
    point, errors, error, status = None, {}, None, 200
    if spid:
        try:
            point = await facility.lookup(request.app.state.engine, request.app.state.areas,
                                          web_actor(request, user), parse_spid(spid))
        except SwitchhubError as exc:
            errors, error = error_texts(exc, lang)
            status = exc.status if isinstance(exc, (AreaUnavailable, AreaTimeout)) else 200
    return render(request, "facility.html", {"user": user, "spid": spid, "point": point, "errors": errors,
                                             "error": error,
                                             "groups": labels.grouped(point, lang) if point else []}, status=status)


@router.get("/facility")
async def facility_page(request: Request, spid: str = "",
                        user: WebUser = Depends(web_user("hub:supply-points:read"))) -> Response:
    """The lookup form; submitting it (GET ?spid=) shows the result or the field message in place."""
    return await _facility(request, user, spid)


@router.get("/facility/{spid}")
async def facility_result(request: Request, spid: str,
                          user: WebUser = Depends(web_user("hub:supply-points:read"))) -> Response:
    """One supply point's facility information (the search results link here)."""
    return await _facility(request, user, spid)


SEARCH_FIELDS = ("area", "prefecture", "city", "town", "block", "building", "room", "pole_no", "meter_no")


@router.get("/search")
async def search_page(request: Request, user: WebUser = Depends(web_user("hub:supply-points:search"))) -> Response:
    lang = lang_of(request)
    q = {k: str(request.query_params.get(k, ""))[:80] for k in SEARCH_FIELDS}
    try:
        page = max(1, min(5, int(request.query_params.get("page", "1"))))
    except ValueError:
        page = 1
    result, errors, error, status = None, {}, None, 200
    if any(q.values()):
        if q["area"] and q["area"] not in {a.value for a in Area}:
            errors["area"] = msg("area_required", lang)
        elif not (q["pole_no"] or q["meter_no"]) and (not q["prefecture"] or not q["city"]):
            if not q["prefecture"]:
                errors["prefecture"] = msg("prefecture_required", lang)
            if not q["city"]:
                errors["city"] = msg("city_required", lang)
        else:
            try:
                result = await facility.search(request.app.state.engine, request.app.state.areas,
                                               web_actor(request, user), q, page, 20)
            except SwitchhubError as exc:
                errors, error = error_texts(exc, lang)
                status = exc.status if isinstance(exc, (AreaUnavailable, AreaTimeout)) else 200
    pages = range(1, (result["total"] + 19) // 20 + 1) if result else range(0)
    return render(request, "search.html", {"user": user, "q": q, "result": result, "errors": errors, "error": error,
                                           "page": page, "pages": pages, "areas": list(Area),
                                           "prefectures": list(PREFECTURE_AREAS),
                                           "area_names": {a.value: a.label(lang) for a in Area}}, status=status)


@router.get("/calendar")
async def calendar_page(request: Request, area: str = "03", year: str = "",
                        user: WebUser = Depends(web_user("hub:calendar:read"))) -> Response:
    area = area if area in {a.value for a in Area} else "03"
    try:
        y = int(year) if year else get_clock().today().year
        y = y if 2016 <= y <= 2100 else get_clock().today().year
    except ValueError:
        y = get_clock().today().year
    return render(request, "calendar.html", {"user": user, "area": area, "year": y, "areas": list(Area),
                                             "codes": cal.valid_reading_codes(area),
                                             "months": cal.reading_calendar(area, y)})
