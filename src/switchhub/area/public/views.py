"""The public page's routes: the form, its post, the confirmation link. Each view owns its
transactions; every refusal is a Japanese HTML page with the right status (never a 500)."""

from __future__ import annotations

import hmac
import logging
import secrets
from pathlib import Path
from typing import Any

import aiosmtplib
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from fastapi.templating import Jinja2Templates

from switchhub.area.public import mail, service
from switchhub.area.public.messages import text
from switchhub.kernel.clock import JST, get_clock
from switchhub.kernel.errors import InputError, RateLimited, SwitchhubError

log = logging.getLogger("switchhub.area.public")
HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
CSS = (HERE / "templates" / "public.css").read_text()
LANG_COOKIE, CSRF_COOKIE = "area_public_lang", "area_public_csrf"
FIELD_LIMIT, SPIDS_LIMIT = 400, 2000
router = APIRouter()


def lang_of(request: Request) -> str:
    """?lang= (remembered in a cookie), then the cookie, then Accept-Language; Japanese by default."""
    for chosen in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if chosen in ("ja", "en"):
            return chosen
    return "en" if request.headers.get("accept-language", "").lower().startswith("en") else "ja"


def _cookie(resp: Response, name: str, value: str) -> None:
    resp.set_cookie(name, value, secure=True, httponly=True, samesite="strict", path="/")


def render(request: Request, name: str, ctx: dict[str, Any], status: int = 200) -> HTMLResponse:
    lang = lang_of(request)
    resp = templates.TemplateResponse(request, name, {"lang": lang, "t": lambda k: text(k, lang), **ctx},
                                      status_code=status)
    if request.query_params.get("lang") in ("ja", "en"):
        _cookie(resp, LANG_COOKIE, lang)
    return resp


def message(request: Request, heading_key: str, body: str, status: int = 200, *, kind: str = "error",
            back: bool = True, headers: dict[str, str] | None = None) -> HTMLResponse:
    resp = render(request, "message.html", {"heading": text(heading_key, lang_of(request)), "body": body,
                                            "kind": kind, "back": back}, status)
    resp.headers.update(headers or {})
    return resp


def refusal(request: Request, exc: SwitchhubError) -> HTMLResponse:
    body = exc.detail_en if lang_of(request) == "en" else exc.detail_ja
    heading = "too_many_title" if isinstance(exc, RateLimited) else "error_title"
    return message(request, heading, body, exc.status, headers=exc.headers)


def _form_page(request: Request, values: dict[str, str], errors: dict[str, str], status: int = 200) -> HTMLResponse:
    token = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)
    resp = render(request, "form.html", {"values": values, "errors": errors, "csrf_token": token}, status)
    _cookie(resp, CSRF_COOKIE, token)
    return resp


@router.get("/", response_class=HTMLResponse)
async def form_page(request: Request) -> HTMLResponse:
    return _form_page(request, {}, {})


@router.get("/public.css", include_in_schema=False)
async def stylesheet() -> PlainTextResponse:
    return PlainTextResponse(CSS, media_type="text/css", headers={"Cache-Control": "max-age=3600"})


def _field_errors(exc: InputError, lang: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    for e in exc.errors:
        msg = e.message_en if lang == "en" else e.message_ja
        errors[e.field] = f"{errors[e.field]} / {msg}" if e.field in errors else msg
    return errors


def _clean(value: object, limit: int) -> str:
    return str(value).replace("\x00", "").strip()[:limit]


@router.post("/", response_class=HTMLResponse)
async def submit(request: Request) -> HTMLResponse:
    form = await request.form()
    values = {k: _clean(form.get(k, ""), SPIDS_LIMIT if k == "spids" else FIELD_LIMIT)
              for k in ("spids", "validity_days", "customer_name_kana", "customer_name_kanji", "address", "phone",
                        "email", "consent")}
    expected = request.cookies.get(CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(str(form.get("csrf_token", "")), expected):
        return message(request, "error_title", text("csrf", lang_of(request)), 403)
    engine, settings = request.app.state.engine, request.app.state.settings
    now, addr = get_clock().now(), (request.client.host if request.client else "")
    lang = lang_of(request)
    try:
        async with engine.begin() as conn:  # its own transaction: a refused post still counts
            await service.take_address_token(conn, addr, now)
        req = service.check_form(values)
        smtp = mail.AreaSmtp.from_settings(settings)
        async with engine.begin() as conn:
            await service.check_points(conn, req, now.astimezone(JST).date())
            token, expires = await service.submit(conn, req, addr, now)
            link = f"{settings.public_area_url.rstrip('/')}/confirm?token={token}"
            await mail.send(smtp, mail.confirmation(smtp, req.email, link, expires, req.spids))
    except InputError as exc:
        return _form_page(request, values, _field_errors(exc, lang), 422)
    except SwitchhubError as exc:
        return refusal(request, exc)
    except (aiosmtplib.SMTPException, OSError) as exc:
        log.warning("confirmation mail not sent: %s", type(exc).__name__)
        return message(request, "error_title", text("mail_failed", lang), 503)
    until = expires.astimezone(JST).strftime("%Y-%m-%d %H:%M")
    return message(request, "sent_title", text("sent_body", lang).format(email=req.email, expires=until),
                   kind="notice", back=False)


@router.get("/confirm", response_class=HTMLResponse)
async def confirm(request: Request, token: str = "") -> HTMLResponse:
    lang = lang_of(request)
    try:
        async with request.app.state.engine.begin() as conn:
            outcome = await service.confirm(conn, token, frozenset(request.app.state.settings.served_areas),
                                            get_clock().now())
    except SwitchhubError as exc:
        return refusal(request, exc)
    key = "filed" if outcome.filed_now else "already"
    return message(request, f"{key}_title", text(f"{key}_body", lang).format(no=outcome.application_no),
                   kind="notice", back=False)
