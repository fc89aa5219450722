"""Thin Web views (Japanese first): login, portal, facility lookup, search, reading calendar.

The pages call the same services as the API; masking happens only in the visibility
policy. Sessions are server-side (cookie holds a random token), CSRF tokens guard every
POST, and every login attempt is audited in the same transaction as its counters.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from switchhub.httpkit import request_id
from switchhub.hub.accounts import permissions
from switchhub.hub.accounts.service import WebUser, check_login, resolve_session, start_session
from switchhub.hub.audit.repository import AuditEntry, write
from switchhub.hub.deps import tx
from switchhub.hub.gateway import service as facility
from switchhub.hub.web import labels
from switchhub.kernel import calendar as cal
from switchhub.kernel.clock import get_clock
from switchhub.kernel.codes import Area
from switchhub.kernel.errors import AreaTimeout, AreaUnavailable, SwitchhubError
from switchhub.kernel.geo import PREFECTURE_AREAS
from switchhub.kernel.spid import parse_spid

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
router = APIRouter(include_in_schema=False)
SESSION_COOKIE, LOGIN_CSRF_COOKIE = "switchhub_session", "switchhub_csrf"
STATIC = {"app.css": "text/css", "htmx.min.js": "text/javascript", "favicon.svg": "image/svg+xml"}

UI = {
    "title": ("スイッチング支援システム", "Switching Support System"),
    "login": ("ログイン", "Log in"), "logout": ("ログアウト", "Log out"),
    "user_id": ("ユーザID", "User ID"), "password": ("パスワード", "Password"),
    "portal": ("ポータル", "Portal"), "facility": ("設備情報照会", "Facility lookup"),
    "search": ("供給地点特定番号検索", "Supply point search"), "calendar": ("定例検針日カレンダー", "Reading calendar"),
    "api_docs": ("API仕様", "API documentation"), "submit_lookup": ("照会", "Look up"), "submit_search": ("検索", "Search"),
    "narrow": ("検索結果が100件を超えました。条件を追加して絞り込んでください", "More than 100 matches: narrow your search"),
    "no_results": ("該当する供給地点はありません", "No supply points match"),
    "csrf": ("画面の有効期限が切れました。もう一度操作してください", "The form expired; please try again"),
    "area_required": ("エリアを選択してください", "Choose an area"),
    "prefecture_required": ("都道府県を入力してください（または引込柱番号・計器番号で検索）",
                            "Enter a prefecture (or search by pole or meter number)"),
    "meter_no": ("計器番号", "Meter no."), "area_auto": ("（都道府県から判定）", "(from the prefecture)"),
    "address": ("住所", "Address"), "count": ("{total} 件 — {page} ページ目", "{total} matches — page {page}"),
    "top100": ("（上位100件）", "(first 100)"), "show": ("表示", "Show"), "year": ("年", "Year"),
    "reading_code": ("基本検針日", "Reading-day code"), "month": ("{m}月", "{m}"), "back": ("ポータルへ戻る", "Back to the portal"),
    "hello": ("{name} さん", "{name}"),
    "facility_desc": ("供給地点特定番号で設備情報を照会します", "Look up a supply point by its ID"),
    "search_desc": ("住所・引込柱番号・計器番号で供給地点を探します", "Find supply points by address, pole or meter number"),
    "calendar_desc": ("エリアごとの定例検針日", "Each area's reading days"),
    "api_desc": ("OpenAPI 3.1 とインタフェースID", "OpenAPI 3.1 and interface IDs"),
    "otp": ("ワンタイムパスワード（管理者・ヘルプデスク）", "One-time password (administrators, helpdesk)"),
    "no_sharing": ("ユーザIDは一人ひとりに発行されます。共有しないでください。",
                   "Each user ID belongs to one person. Do not share it."),
    "city_required": ("市区町村を入力してください", "Enter a city"),
    "area_down": ("エリア「{area}」の一般送配電事業者システムに接続できないため、そのエリアの結果は含まれていません",
                  "The system of area {area} is unavailable; its results are not included"),
}


def msg(key: str, lang: str) -> str:
    return UI[key][1 if lang == "en" else 0]


LANG_COOKIE = "switchhub_lang"


def lang_of(request: Request) -> str:
    """?lang= (remembered in a cookie), then the cookie, then Accept-Language; Japanese by default."""
    for chosen in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if chosen in ("ja", "en"):
            return chosen
    return "en" if request.headers.get("accept-language", "").lower().startswith("en") else "ja"


def render(request: Request, name: str, ctx: dict[str, Any], status: int = 200) -> HTMLResponse:
    lang = lang_of(request)
    base = {"request": request, "lang": lang, "t": lambda k: msg(k, lang), "labels": labels}
    resp = templates.TemplateResponse(request, name, {**base, **ctx}, status_code=status)
    if request.query_params.get("lang") in ("ja", "en"):
        _set_cookie(resp, LANG_COOKIE, lang)
    return resp


async def current_user(request: Request) -> WebUser | None:
    settings = request.app.state.settings
    async with tx(request) as conn:
        return await resolve_session(conn, request.cookies.get(SESSION_COOKIE), request.state.cert,
                                     get_clock().now(), timedelta(minutes=settings.session_idle_minutes),
                                     timedelta(hours=settings.session_absolute_hours))


def _set_cookie(resp: Response, name: str, value: str) -> None:
    resp.set_cookie(name, value, secure=True, httponly=True, samesite="strict", path="/")


async def _page_user(request: Request) -> WebUser | Response:
    user = await current_user(request)
    if user is None:
        return RedirectResponse("/login", status_code=303)
    permissions.check(user.caller, "hub:web:use")
    return user


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
    _set_cookie(resp, LOGIN_CSRF_COOKIE, token)
    return resp


@router.post("/login")
async def login(request: Request) -> Response:
    form = await request.form()
    login_id = str(form.get("login_id", "")).replace("\x00", "")[:64]
    password = str(form.get("password", ""))[:256]
    otp = str(form.get("otp", "")).replace("\x00", "")[:12]
    sent, cookie = str(form.get("csrf_token", "")), request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not hmac.compare_digest(sent, cookie):
        return render(request, "error.html", {"message": UI["csrf"][0]}, status=403)
    cert = request.state.cert
    async with tx(request) as conn:
        result = await check_login(conn, cert, login_id, password, otp)
        user = result.user or {}
        await write(conn, AuditEntry(action="web.login", operator_code=cert.operator_code, user_login=login_id.strip(),
                                     cert_fingerprint=cert.fingerprint, outcome="ok" if result.ok else result.code,
                                     remote_addr=request.client.host if request.client else "",
                                     request_id=request_id(request)))
        token = await start_session(conn, user["id"], cert.fingerprint) if result.ok else None
    if not result.ok or token is None:
        new_csrf = secrets.token_urlsafe(24)
        message = result.message_en if lang_of(request) == "en" else result.message_ja
        resp = render(request, "login.html", {"csrf_token": new_csrf, "error": message, "login_id": login_id})
        _set_cookie(resp, LOGIN_CSRF_COOKIE, new_csrf)
        return resp
    resp = RedirectResponse("/", status_code=303)
    _set_cookie(resp, SESSION_COOKIE, token[0])
    resp.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return resp


@router.post("/logout")
async def logout(request: Request) -> Response:
    user = await current_user(request)
    form = await request.form()
    if user is None:
        return RedirectResponse("/login", status_code=303)
    if not hmac.compare_digest(str(form.get("csrf_token", "")), user.csrf_token):
        return render(request, "error.html", {"message": UI["csrf"][0]}, status=403)
    from switchhub.hub.accounts import repository

    async with tx(request) as conn:
        await repository.end_session(conn, user.token_hash, get_clock().now())
        await write(conn, AuditEntry(action="web.logout", operator_code=user.caller.operator_code,
                                     user_login=user.caller.user_login, cert_fingerprint=user.caller.cert_fingerprint))
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(SESSION_COOKIE, path="/")
    return resp


@router.get("/")
async def portal(request: Request) -> Response:
    user = await _page_user(request)
    if isinstance(user, Response):
        return user
    return render(request, "portal.html", {"user": user})


def _ctx(request: Request, user: WebUser) -> facility.RequestContext:
    return facility.RequestContext(user.caller, request_id(request), request.client.host if request.client else "")


def _error_view(exc: SwitchhubError, lang: str) -> tuple[dict[str, str], str | None]:
    """Field messages go next to their fields; anything else (area down, not found) is one message."""
    errors = {e.field: (e.message_en if lang == "en" else e.message_ja) for e in exc.errors}
    return errors, None if errors else (exc.detail_en if lang == "en" else exc.detail_ja)


async def _facility(request: Request, spid: str) -> Response:
    user = await _page_user(request)
    if isinstance(user, Response):
        return user
    lang = lang_of(request)
    spid = spid.replace("\x00", "")[:40]
    point, errors, error, status = None, {}, None, 200
    if spid:
        try:
            point = await facility.lookup(request.app.state.engine, request.app.state.areas, _ctx(request, user),
                                          parse_spid(spid))
        except SwitchhubError as exc:
            errors, error = _error_view(exc, lang)
            status = exc.status if isinstance(exc, (AreaUnavailable, AreaTimeout)) else 200
    return render(request, "facility.html", {"user": user, "spid": spid, "point": point, "errors": errors,
                                             "error": error,
                                             "groups": labels.grouped(point, lang) if point else []}, status=status)


@router.get("/facility")
async def facility_page(request: Request, spid: str = "") -> Response:
    """The lookup form; submitting it (GET ?spid=) shows the result or the field message in place."""
    return await _facility(request, spid)


@router.get("/facility/{spid}")
async def facility_result(request: Request, spid: str) -> Response:
    """One supply point's facility information (the search results link here)."""
    return await _facility(request, spid)


SEARCH_FIELDS = ("area", "prefecture", "city", "town", "block", "building", "room", "pole_no", "meter_no")


@router.get("/search")
async def search_page(request: Request) -> Response:
    user = await _page_user(request)
    if isinstance(user, Response):
        return user
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
                                               _ctx(request, user), q, page, 20)
            except SwitchhubError as exc:
                errors, error = _error_view(exc, lang)
                status = exc.status if isinstance(exc, (AreaUnavailable, AreaTimeout)) else 200
    pages = range(1, (result["total"] + 19) // 20 + 1) if result else range(0)
    return render(request, "search.html", {"user": user, "q": q, "result": result, "errors": errors, "error": error,
                                           "page": page, "pages": pages, "areas": list(Area),
                                           "prefectures": list(PREFECTURE_AREAS),
                                           "area_names": {a.value: a.label(lang) for a in Area}}, status=status)


@router.get("/calendar")
async def calendar_page(request: Request, area: str = "03", year: str = "") -> Response:
    user = await _page_user(request)
    if isinstance(user, Response):
        return user
    area = area if area in {a.value for a in Area} else "03"
    try:
        y = int(year) if year else get_clock().today().year
        y = y if 2016 <= y <= 2100 else get_clock().today().year
    except ValueError:
        y = get_clock().today().year
    return render(request, "calendar.html", {"user": user, "area": area, "year": y, "areas": list(Area),
                                             "codes": cal.valid_reading_codes(area),
                                             "months": cal.reading_calendar(area, y)})
