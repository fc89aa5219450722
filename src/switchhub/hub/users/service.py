"""Users of the admin's own operator: list, create, change, delete, reset, suspend and restore.

Every function takes the acting admin (`Actor`), checks `hub:users:manage` and looks the user up
only among the admin's own operator's users, so another operator's user is answered exactly like
an unknown one (404). Status changes are the named transitions of `TRANSITIONS`, each refused with
a coded reason from a state it does not leave. Initial and reset passwords are one-time passwords
(generated, shown once, changed at the next login); admins and helpdesk users get a TOTP secret at
creation, shown once too. Only hashes are stored; nothing secret goes into the audit record.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.hub.accounts import permissions
from switchhub.hub.accounts.passwords import hash_password
from switchhub.hub.audit.context import Actor
from switchhub.hub.audit.repository import write
from switchhub.hub.users import repository
from switchhub.hub.users.totp import new_secret, otpauth_uri
from switchhub.kernel.errors import Conflict, IssueCollector, NotFound

PAGE_SIZE = 20
LOGIN_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
#: roles an admin may give, by its operator's kind (OCCTO has helpdesk users, no API users here)
ROLES = {"retailer": ("admin", "general", "api"), "tso": ("admin", "general", "api"),
         "occto": ("admin", "helpdesk", "general")}
SECOND_FACTOR_ROLES = ("admin", "helpdesk")
STATUSES = ("active", "frozen", "suspended", "deleted")


@dataclass(frozen=True)
class Transition:
    leaves: frozenset[str]
    enters: str
    refusal_ja: str
    refusal_en: str


TRANSITIONS = {
    "suspend": Transition(frozenset({"active", "frozen"}), "suspended", "利用中または凍結中のユーザだけを停止できます",
                          "Only an active or frozen user can be suspended"),
    "restore": Transition(frozenset({"suspended"}), "active", "停止中のユーザだけを再開できます",
                          "Only a suspended user can be restored"),
    "delete": Transition(frozenset({"active", "frozen", "suspended"}), "deleted", "このユーザは削除済みです",
                         "This user has been deleted"),
    "reset": Transition(frozenset({"active", "frozen"}), "active",
                        "利用中または凍結中のユーザだけパスワードを再設定できます（停止中は先に再開してください）",
                        "Only an active or frozen user's password can be reset (restore a suspended user first)"),
}


def one_time_password() -> str:
    """16 random characters (≥ 12 and never a login ID, so inside the policy of passwords.py)."""
    return "Sw-" + secrets.token_urlsafe(10)


def public(user: dict[str, Any]) -> dict[str, Any]:
    """A user as the API and the pages show it (never a hash or a secret)."""
    return {k: user[k] for k in ("login_id", "display_name", "email", "role", "status", "is_api_user",
                                 "totp_enabled", "must_change_password", "created_at", "updated_at", "deleted_at")}


async def _target(conn: AsyncConnection, actor: Actor, login_id: str) -> dict[str, Any]:
    user = await repository.user_of_operator(conn, actor.caller.operator_code, login_id, for_update=True)
    if user is None:
        raise NotFound("指定されたユーザはありません", "No such user", code="user_not_found")
    return user


def _not_myself(actor: Actor, user: dict[str, Any], what_ja: str, what_en: str) -> None:
    if user["login_id"] == actor.caller.user_login:
        raise Conflict(f"自分自身のユーザを{what_ja}ことはできません", f"You cannot {what_en} your own user",
                       code="own_user")


async def list_users(conn: AsyncConnection, actor: Actor, *, status: str | None = None, role: str | None = None,
                     page: int = 1) -> dict[str, Any]:
    permissions.check(actor.caller, "hub:users:manage")
    page = max(1, page)
    total, rows = await repository.list_users(conn, actor.caller.operator_code, status=status or None,
                                              role=role or None, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    return {"total": total, "page": page, "page_size": PAGE_SIZE, "items": [public(r) for r in rows]}


async def get_user(conn: AsyncConnection, actor: Actor, login_id: str) -> dict[str, Any]:
    permissions.check(actor.caller, "hub:users:manage")
    user = await repository.user_of_operator(conn, actor.caller.operator_code, login_id)
    if user is None:
        raise NotFound("指定されたユーザはありません", "No such user", code="user_not_found")
    return {**public(user), "credentials": await repository.credentials_of(conn, user["id"])
            if user["is_api_user"] else []}


def validate_fields(issues: IssueCollector, kind: str, *, display_name: str, email: str, role: str,
                    prefix: str = "") -> None:
    """Field checks shared by the forms, the API and the CSV rows (`prefix` names a CSV row's field)."""
    if not display_name.strip():
        issues.add(prefix + "display_name", "required", "氏名を入力してください", "Enter the name")
    elif len(display_name) > 100:
        issues.add(prefix + "display_name", "too_long", "氏名は100文字以内です", "At most 100 characters")
    if email and (len(email) > 254 or not EMAIL.match(email)):
        issues.add(prefix + "email", "invalid_email", "メールアドレスの形式が正しくありません", "Not an e-mail address")
    if role not in ROLES[kind]:
        names = " / ".join(ROLES[kind])
        issues.add(prefix + "role", "invalid_role", f"権限は {names} のいずれかです", f"The role is one of {names}")


async def check_new_user(conn: AsyncConnection, kind: str, *, login_id: str, display_name: str, email: str,
                         role: str) -> None:
    """The checks of a new user (an admin's form and API, and OCCTO's first admin of a new operator)."""
    issues = IssueCollector()
    login_id = login_id.strip()
    if not LOGIN_ID.match(login_id):
        issues.add("login_id", "invalid_login_id", "ユーザIDは英小文字・数字・記号 . _ - の3〜64文字です",
                   "3–64 lower-case letters, digits, '.', '_' or '-'")
    elif await repository.login_ids_taken(conn, [login_id]):
        issues.add("login_id", "login_id_taken", "このユーザIDは使用済みです（削除されたユーザのIDも再利用できません）",
                   "This user ID is taken (deleted users' IDs are never reused)")
    validate_fields(issues, kind, display_name=display_name, email=email, role=role)
    issues.raise_if_any()


async def create_user(conn: AsyncConnection, actor: Actor, *, login_id: str, display_name: str, email: str,
                      role: str, now: datetime) -> dict[str, Any]:
    """A new user of the admin's operator; the answer carries its one-time password and TOTP secret."""
    permissions.check(actor.caller, "hub:users:manage")
    kind = await repository.operator_kind(conn, actor.caller.operator_code)
    assert kind is not None
    await check_new_user(conn, kind, login_id=login_id, display_name=display_name, email=email, role=role)
    login_id = login_id.strip()
    return await insert(conn, actor, login_id=login_id, display_name=display_name.strip(), email=email.strip(),
                        role=role, now=now)


async def insert(conn: AsyncConnection, actor: Actor, *, login_id: str, display_name: str, email: str, role: str,
                 now: datetime, via: str = "form", operator_code: str | None = None) -> dict[str, Any]:
    """Store one validated new user (also the CSV apply) and audit it. `operator_code`: another
    operator than the actor's, for OCCTO registering a new operator's first admin (the caller
    checks its own permission for that); by default the actor's own operator."""
    operator_code = operator_code or actor.caller.operator_code
    password = None if role == "api" else one_time_password()
    totp = new_secret() if role in SECOND_FACTOR_ROLES else None
    await repository.insert_user(conn, login_id=login_id, operator_code=operator_code, role=role,
                                 display_name=display_name, email=email,
                                 password_hash=hash_password(password) if password else None, totp_secret=totp, now=now)
    await write(conn, actor.entry("user.create", resource_type="user", resource_ids=[login_id],
                                  detail={"role": role, "via": via, "user_operator": operator_code}))
    user = await repository.user_of_operator(conn, operator_code, login_id)
    assert user is not None
    return {"user": public(user), "initial_password": password, "totp_secret": totp,
            "totp_uri": otpauth_uri(totp, login_id) if totp else None}


async def change_user(conn: AsyncConnection, actor: Actor, login_id: str, *, display_name: str, email: str,
                      role: str, now: datetime, via: str = "form") -> dict[str, Any]:
    """Name, e-mail and role; a person becoming admin (or helpdesk) gets a TOTP secret, shown once."""
    permissions.check(actor.caller, "hub:users:manage")
    user = await _target(conn, actor, login_id)
    if user["status"] == "deleted":
        raise Conflict("このユーザは削除済みです", "This user has been deleted", code="user_deleted")
    kind = await repository.operator_kind(conn, actor.caller.operator_code)
    assert kind is not None
    issues = IssueCollector()
    validate_fields(issues, kind, display_name=display_name, email=email, role=role)
    if role != user["role"] and "api" in (role, user["role"]) and not issues.issues:
        issues.add("role", "api_role_fixed", "APIユーザと利用者（管理者・一般）の間で権限は変更できません",
                   "An API user cannot become a person's user, nor the other way round")
    issues.raise_if_any()
    if role != user["role"]:
        _not_myself(actor, user, "の権限を変更する", "change the role of")
    totp = new_secret() if role in SECOND_FACTOR_ROLES and not user["totp_enabled"] else None
    await repository.update_user(conn, user["id"], display_name=display_name.strip(), email=email.strip(), role=role,
                                 totp_secret=totp, now=now)
    changed = sorted(k for k, v in (("display_name", display_name.strip()), ("email", email.strip()), ("role", role))
                     if user[k] != v)
    await write(conn, actor.entry("user.change", resource_type="user", resource_ids=[login_id],
                                  detail={"changed": changed, "role": role, "via": via}))
    fresh = await repository.user_of_operator(conn, actor.caller.operator_code, login_id)
    assert fresh is not None
    return {"user": public(fresh), "initial_password": None, "totp_secret": totp,
            "totp_uri": otpauth_uri(totp, login_id) if totp else None}


async def _transition(conn: AsyncConnection, actor: Actor, user: dict[str, Any], name: str, now: datetime,
                      **detail: Any) -> None:
    rule = TRANSITIONS[name]
    if user["status"] not in rule.leaves:
        raise Conflict(rule.refusal_ja, rule.refusal_en, code=f"cannot_{name}", extra={"status": user["status"]})
    await repository.set_status(conn, user["id"], rule.enters, now)
    ended = await repository.end_sessions(conn, user["id"], now) if rule.enters != "active" else 0
    revoked = await repository.revoke_all_credentials(conn, user["id"], now) if rule.enters == "deleted" else []
    await write(conn, actor.entry(f"user.{name}", resource_type="user", resource_ids=[user["login_id"]],
                                  detail={"from": user["status"], "to": rule.enters, "sessions_ended": ended,
                                          "credentials_revoked": revoked, **detail}))


async def suspend_user(conn: AsyncConnection, actor: Actor, login_id: str, now: datetime,
                      note: str = "") -> dict[str, Any]:
    permissions.check(actor.caller, "hub:users:manage")
    user = await _target(conn, actor, login_id)
    _not_myself(actor, user, "停止する", "suspend")
    await _transition(conn, actor, user, "suspend", now, note=note)
    return await get_user(conn, actor, login_id)


async def restore_user(conn: AsyncConnection, actor: Actor, login_id: str, now: datetime,
                      note: str = "") -> dict[str, Any]:
    permissions.check(actor.caller, "hub:users:manage")
    user = await _target(conn, actor, login_id)
    await _transition(conn, actor, user, "restore", now, note=note)
    return await get_user(conn, actor, login_id)


async def delete_user(conn: AsyncConnection, actor: Actor, login_id: str, now: datetime,
                     note: str = "") -> dict[str, Any]:
    """Soft delete: the row stays (the ID is never reused), sessions and credentials end at once."""
    permissions.check(actor.caller, "hub:users:manage")
    user = await _target(conn, actor, login_id)
    _not_myself(actor, user, "削除する", "delete")
    await _transition(conn, actor, user, "delete", now, note=note)
    return await get_user(conn, actor, login_id)


async def _reset(conn: AsyncConnection, actor: Actor, user: dict[str, Any], now: datetime,
                 action: str = "reset", **detail: Any) -> dict[str, Any]:
    if user["is_api_user"]:
        raise Conflict("APIユーザにはパスワードがありません（APIクレデンシャルを発行してください）",
                       "API users have no password (issue a credential instead)", code="api_user_no_password")
    rule = TRANSITIONS["reset"]
    if user["status"] not in rule.leaves:
        raise Conflict(rule.refusal_ja, rule.refusal_en, code="cannot_reset", extra={"status": user["status"]})
    password = one_time_password()
    await repository.reset_password(conn, user["id"], hash_password(password), now)
    ended = await repository.end_sessions(conn, user["id"], now)
    await write(conn, actor.entry(f"user.{action}", resource_type="user", resource_ids=[user["login_id"]],
                                  detail={"from": user["status"], "to": "active", "sessions_ended": ended,
                                          "user_operator": user["operator_code"], **detail}))
    return {"login_id": user["login_id"], "initial_password": password, "must_change_password": True}


async def reset_user(conn: AsyncConnection, actor: Actor, login_id: str, now: datetime,
                    note: str = "") -> dict[str, Any]:
    """A frozen (or forgotten) password: a new one-time password, shown once, changed at the next login."""
    permissions.check(actor.caller, "hub:users:manage")
    return await _reset(conn, actor, await _target(conn, actor, login_id), now, note=note)


async def helpdesk_reset(conn: AsyncConnection, actor: Actor, login_id: str, now: datetime,
                        note: str = "") -> dict[str, Any]:
    """OCCTO's helpdesk resets a user of any operator, but only of one without an active admin
    (security.md: the operator's admin resets its users; the helpdesk when the operator has none)."""
    permissions.check(actor.caller, "hub:users:helpdesk-reset")
    user = await repository.user_anywhere(conn, login_id, for_update=True)
    if user is None:
        raise NotFound("指定されたユーザはありません", "No such user", code="user_not_found")
    if await repository.active_admin_count(conn, user["operator_code"]):
        raise Conflict("この事業者には利用中の管理者がいます。事業者の管理者が再設定してください",
                       "The operator has an active admin, who resets its users", code="operator_has_admin")
    return await _reset(conn, actor, user, now, action="helpdesk_reset", note=note)
