"""A user's own TOTP (security.md: admins and helpdesk must have it, retail general users may enable it).

Enrolment is two steps so a typo in the authenticator cannot lock anyone out: `start` keeps a
pending secret (shown once as text and as an otpauth URI), `enable` makes it the login secret only
after a correct current code. Disabling needs the password and a current code, and is refused for
the roles that must keep a second factor.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pyotp
from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.hub.accounts import permissions
from switchhub.hub.accounts import repository as accounts
from switchhub.hub.accounts.passwords import verify_password
from switchhub.hub.audit.context import Actor
from switchhub.hub.audit.repository import write
from switchhub.hub.users import repository
from switchhub.kernel.errors import Conflict, IssueCollector

ISSUER = "switchhub"
REQUIRED_FOR = ("admin", "helpdesk")


def new_secret() -> str:
    return pyotp.random_base32()


def otpauth_uri(secret: str, login_id: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=login_id, issuer_name=ISSUER)


def code_ok(secret: str | None, code: str) -> bool:
    code = code.strip()
    return bool(secret) and code.isdigit() and len(code) == 6 and pyotp.TOTP(secret).verify(code, valid_window=1)


async def _me(conn: AsyncConnection, actor: Actor) -> dict[str, Any]:
    permissions.check(actor.caller, "hub:me:totp")
    user = await accounts.user_by_login(conn, actor.caller.user_login or "", for_update=True)
    assert user is not None
    return user


async def status(conn: AsyncConnection, actor: Actor) -> dict[str, Any]:
    user = await _me(conn, actor)
    return {"enabled": bool(user["totp_secret"]), "pending": bool(user["totp_pending_secret"]),
            "required": user["role"] in REQUIRED_FOR}


async def start(conn: AsyncConnection, actor: Actor) -> dict[str, Any]:
    """A new pending secret (a started enrolment replaced); the current secret stays until `enable`."""
    user = await _me(conn, actor)
    secret = new_secret()
    await repository.set_totp_pending(conn, user["id"], secret)
    await write(conn, actor.entry("user.totp.start", resource_type="user", resource_ids=[user["login_id"]]))
    return {"secret": secret, "otpauth_uri": otpauth_uri(secret, user["login_id"])}


async def enable(conn: AsyncConnection, actor: Actor, code: str, now: datetime) -> dict[str, Any]:
    user = await _me(conn, actor)
    if not user["totp_pending_secret"]:
        raise Conflict("先にワンタイムパスワードの設定を開始してください", "Start the enrolment first",
                       code="totp_not_started")
    if not code_ok(user["totp_pending_secret"], code):
        issues = IssueCollector()
        issues.add("code", "wrong_code", "確認コードが正しくありません（認証アプリに表示されている6桁）",
                   "The code is wrong (the six digits your app shows)")
        await write(conn, actor.entry("user.totp.enable", resource_type="user", resource_ids=[user["login_id"]],
                                      outcome="wrong_code"))
        return {"enabled": False, "issues": issues.issues}
    await repository.set_totp(conn, user["id"], user["totp_pending_secret"], now)
    await write(conn, actor.entry("user.totp.enable", resource_type="user", resource_ids=[user["login_id"]]))
    return {"enabled": True, "issues": []}


async def disable(conn: AsyncConnection, actor: Actor, password: str, code: str, now: datetime) -> dict[str, Any]:
    user = await _me(conn, actor)
    if user["role"] in REQUIRED_FOR:
        raise Conflict("管理者・ヘルプデスクのユーザはワンタイムパスワードを解除できません",
                       "Administrators and helpdesk users must keep their one-time password", code="totp_required")
    if not user["totp_secret"]:
        raise Conflict("ワンタイムパスワードは設定されていません", "No one-time password is set up", code="totp_not_enabled")
    issues = IssueCollector()
    if not password or not verify_password(user["password_hash"], password):
        issues.add("password", "wrong_password", "パスワードが正しくありません", "The password is wrong")
    if not code_ok(user["totp_secret"], code):
        issues.add("code", "wrong_code", "確認コードが正しくありません", "The code is wrong")
    if issues.issues:
        await write(conn, actor.entry("user.totp.disable", resource_type="user", resource_ids=[user["login_id"]],
                                      outcome="refused"))
        return {"enabled": True, "issues": issues.issues}
    await repository.set_totp(conn, user["id"], None, now)
    await write(conn, actor.entry("user.totp.disable", resource_type="user", resource_ids=[user["login_id"]]))
    return {"enabled": False, "issues": []}
