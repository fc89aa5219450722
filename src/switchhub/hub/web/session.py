"""Web sessions and the declared permission of every page.

Every page declares `Depends(web_user("<permission>"))`: it resolves the session (server-side,
bound to the client certificate, idle and absolute timeouts from the application clock), sends
an expired password to the change page, and refuses a user without the permission before the
page does anything. The service behind each form checks the permission again, so the Web can
never do more than the API (the security review found forms that skipped it).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fastapi import Request

from switchhub.httpkit import request_id
from switchhub.hub.accounts.service import WebUser, resolve_session
from switchhub.hub.audit.context import Actor
from switchhub.hub.deps import check_or_refuse, remote_addr, tx
from switchhub.kernel.clock import get_clock
from switchhub.kernel.errors import Forbidden

SESSION_COOKIE, LOGIN_CSRF_COOKIE = "switchhub_session", "switchhub_csrf"
FORM_FIELD_LIMIT = 400


class LoginRequired(Exception):
    """No valid session: the page answers with a redirect to the login page."""


class PasswordChangeRequired(Exception):
    """The password has expired: every page but the change page redirects there."""


class ReauthRequired(Exception):
    """An admin page or action without a recent re-authentication: redirect to `/reauth?next=…`."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class CsrfFailed(Forbidden):
    code = "csrf_failed"

    def __init__(self) -> None:
        super().__init__("画面の有効期限が切れました。もう一度操作してください", "The form expired; please try again",
                         code="csrf_failed")


async def current_user(request: Request) -> WebUser | None:
    settings = request.app.state.settings
    max_age = timedelta(days=settings.password_max_age_days) if settings.password_max_age_days else None
    async with tx(request) as conn:
        return await resolve_session(conn, request.cookies.get(SESSION_COOKIE), request.state.cert,
                                     get_clock().now(), timedelta(minutes=settings.session_idle_minutes),
                                     timedelta(hours=settings.session_absolute_hours), max_age)


def web_user(permission: str, *, allow_expired_password: bool = False) -> Callable[..., object]:
    """Page dependency: the logged-in user holding `permission` (declared, like the API's `require`)."""

    async def dependency(request: Request) -> WebUser:
        user = await current_user(request)
        if user is None:
            raise LoginRequired()
        request.state.web_user = user
        if user.password_expired and not allow_expired_password:
            raise PasswordChangeRequired()
        await check_or_refuse(request, user.caller, permission)
        return user

    dependency.permission = permission  # type: ignore[attr-defined]
    return dependency


def web_admin(permission: str) -> Callable[..., object]:
    """Page dependency for admin pages and actions (security.md: re-authentication for admin actions):
    `web_user(permission)` plus a password (and TOTP where enabled) entered in this session within
    `settings.reauth_minutes`; otherwise the user is sent to the re-authentication page and back.
    A POST arriving too late is refused the same way, before the form is read, so nothing changes."""
    inner = web_user(permission)

    async def dependency(request: Request) -> WebUser:
        user = await inner(request)  # type: ignore[operator]
        window = timedelta(minutes=request.app.state.settings.reauth_minutes)
        if user.reauth_at is None or get_clock().now() - user.reauth_at > window:
            raise ReauthRequired(safe_next(request.url.path if request.method == "GET" else referer_path(request)))
        return user

    dependency.permission = permission  # type: ignore[attr-defined]
    dependency.reauth = True  # type: ignore[attr-defined]
    return dependency


def referer_path(request: Request) -> str:
    """The page a form was posted from (same site only), to return to after re-authenticating."""
    from urllib.parse import urlsplit

    ref = urlsplit(request.headers.get("referer", ""))
    return ref.path if ref.netloc in ("", request.url.netloc) and ref.path else "/"


def safe_next(path: str) -> str:
    """Only a path on this site (never `//host` or a scheme) is a place to return to."""
    return path if path.startswith("/") and not path.startswith("//") and "\\" not in path else "/"


def web_actor(request: Request, user: WebUser, purpose: str = "switching") -> Actor:
    return Actor(user.caller, "web", request_id(request), remote_addr(request), purpose)


def _clean(value: object) -> str:
    return str(value).replace("\x00", "").strip()[:FORM_FIELD_LIMIT]


@dataclass(frozen=True)
class WebForm:
    values: dict[str, str]
    lists: dict[str, list[str]]

    def get(self, key: str, default: str = "") -> str:
        return self.values.get(key, default)

    def getlist(self, key: str) -> list[str]:
        return self.lists.get(key, [])


async def read_form(request: Request, user: WebUser) -> WebForm:
    """The posted form after its CSRF token matched the session's (else `CsrfFailed`, 403)."""
    form = await request.form()
    if not hmac.compare_digest(str(form.get("csrf_token", "")), user.csrf_token):
        raise CsrfFailed()
    keys = [k for k in form.keys() if k != "csrf_token"]
    return WebForm({k: _clean(form.get(k, "")) for k in keys}, {k: [_clean(v) for v in form.getlist(k)] for k in keys})


def parse_form(model: type, data: dict[str, Any]) -> Any:
    """A form's values as the API's model (the views of every form use this one parser); the spid's
    own check is reported together with the model's field errors."""
    import json

    from pydantic import ValidationError

    from switchhub.httpkit import validation_issues
    from switchhub.kernel.errors import InputError
    from switchhub.kernel.spid import parse_spid

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
    if issues or parsed is None:
        raise InputError(issues[0].message_ja, issues[0].message_en, errors=issues)
    return parsed
