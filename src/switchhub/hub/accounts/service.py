"""Identity: certificate → operator, bearer credential → user, password login → web session.

The refusals of security.md are decided here and nowhere else: unknown or suspended
certificate, suspended operator, frozen or suspended user, revoked credential, and a
certificate and credential (or login) of different operators.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from switchhub.hub.accounts import permissions, repository
from switchhub.hub.accounts.passwords import (
    HISTORY,
    burn_verification,
    hash_password,
    policy_issues,
    verify_password,
)
from switchhub.hub.audit.context import Actor
from switchhub.hub.audit.repository import write
from switchhub.kernel.caller import BreakGlass, Caller
from switchhub.kernel.clock import get_clock
from switchhub.kernel.errors import Conflict, FieldIssue, Forbidden, IssueCollector, NotFound, Unauthenticated

MAX_FAILED_LOGINS = 5
MSG_BAD_LOGIN = ("ユーザIDもしくはパスワードが不正です", "The user ID or password is incorrect")
MSG_USER_UNAVAILABLE = ("お使いのユーザIDは利用できません", "This user ID cannot be used")
MSG_TERMINAL = ("お使いの端末では当システムを利用できません", "This client cannot use the system")
MSG_OTP_REQUIRED = ("管理者・ヘルプデスクのユーザと、ワンタイムパスワードを設定したユーザは、"
                    "ワンタイムパスワード（認証アプリの6桁）も入力してください",
                    "Administrators, helpdesk users and users who set up a one-time password must also enter it")
SECOND_FACTOR_ROLES = ("admin", "helpdesk")


class RefusedError(Forbidden):
    """A refusal that is also written to the audit log by the boundary that catches it.

    `audit` names who was refused beyond the certificate (the credential's user, both
    operators of a mismatch); it goes to the audit record, never into the answer.
    """

    def __init__(self, *args: Any, audit: dict[str, Any] | None = None, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.audit: dict[str, Any] = dict(audit or {})


@dataclass(frozen=True)
class CertIdentity:
    fingerprint: str
    subject: str
    purpose: str
    operator_code: str
    kind: str
    areas: frozenset[str]


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


async def identify_certificate(conn: AsyncConnection, fingerprint: str) -> CertIdentity:
    return certificate_identity(await repository.certificate(conn, fingerprint), fingerprint)


@dataclass(frozen=True)
class PrefetchedCredential:
    """The credential row (None: unknown key) and the user's break-glass grants read together with the
    certificate by the gate (`identify_api_request`), for the bearer's key id."""

    key_id: str
    row: dict[str, Any] | None
    breakglass: tuple[BreakGlass, ...]


async def identify_api_request(conn: AsyncConnection, fingerprint: str, key_id: str
                               ) -> tuple[CertIdentity, PrefetchedCredential, str]:
    """Certificate, credential and break-glass grants of an API request in one statement, and the
    stamp the identity cache confirms them by (identity_cache); the certificate's refusals are decided
    here as in identify_certificate, the credential's later by resolve_api_caller (the same order and
    codes as with one query each)."""
    cert, credential, grants, stamp = await repository.api_identity(conn, fingerprint, key_id, get_clock().now())
    identity = certificate_identity(cert, fingerprint)
    found = tuple(BreakGlass(str(g["grant_id"]), frozenset(g["field_classes"]), frozenset(g["areas"])) for g in grants)
    return identity, PrefetchedCredential(key_id, credential, found), stamp


def certificate_identity(row: dict[str, Any] | None, fingerprint: str) -> CertIdentity:
    """The certificate's identity, or the terminal refusal (unknown, suspended, operator suspended)."""
    if row is None:
        raise RefusedError(*MSG_TERMINAL, code="certificate_not_registered")
    if row["cert_status"] != "active":
        raise RefusedError(*MSG_TERMINAL, code="certificate_suspended")
    if row["operator_status"] != "active":
        raise RefusedError(*MSG_TERMINAL, code="operator_suspended")
    return CertIdentity(fingerprint, row["subject"], row["purpose"], row["operator_code"], row["kind"],
                        frozenset(row["areas"]))


def parse_bearer(authorization: str | None) -> tuple[str, str]:
    """`Bearer shk_<key id>.<secret>` → (key id, secret)."""
    if not authorization or not authorization.lower().startswith("bearer "):
        raise Unauthenticated("APIクレデンシャル（Authorization: Bearer）が必要です",
                              "A bearer credential is required", code="credential_required")
    token = authorization[7:].strip()
    if not token.startswith("shk_") or "." not in token:
        raise Unauthenticated("APIクレデンシャルの形式が正しくありません", "Malformed credential", code="credential_invalid")
    key_id, _, secret = token[4:].partition(".")
    return key_id, secret


async def resolve_api_caller(reader: AsyncEngine, cert: CertIdentity, authorization: str | None,
                             prefetched: PrefetchedCredential | None = None) -> Caller:
    """The API caller of a certificate and a bearer credential. With `prefetched` (read by the gate
    for the same key id) the credential is not read again and the caller carries the break-glass
    grants read with it (`breakglass_checked`: the services need not look them up)."""
    key_id, secret = parse_bearer(authorization)
    if prefetched is not None and prefetched.key_id == key_id:
        row = prefetched.row
    else:
        prefetched = None
        async with reader.connect() as conn:
            row = await repository.credential(conn, key_id)
    if row is None or not hmac.compare_digest(row["secret_hash"], sha256_hex(secret)):
        raise Unauthenticated("APIクレデンシャルが正しくありません", "The credential is not valid", code="credential_invalid")
    who = {"user_login": row["login_id"], "detail": {"certificate_operator": cert.operator_code,
                                                    "credential_operator": row["operator_code"]}}
    if row["revoked_at"] is not None:
        raise RefusedError("このAPIクレデンシャルは失効しています", "The credential has been revoked",
                           code="credential_revoked", audit=who)
    if row["user_status"] != "active" or row["operator_status"] != "active":
        raise RefusedError(*MSG_USER_UNAVAILABLE, code="user_unavailable", audit=who)
    if row["operator_code"] != cert.operator_code:
        raise RefusedError("クライアント証明書とAPIクレデンシャルの事業者が一致しません",
                           "The certificate and the credential belong to different operators",
                           code="certificate_operator_mismatch", audit=who)
    if cert.purpose != "api":
        raise RefusedError("API用のクライアント証明書が必要です", "An API client certificate is required",
                           code="certificate_purpose", audit=who)
    await _note_use(reader, row)
    caller = Caller(cert.operator_code, row["kind"], frozenset(row["areas"]), row["login_id"],
                    row["role"], cert.fingerprint)
    if prefetched is None:
        return caller
    # OCCTO is never granted (breakglass.service.resolve); the grants name this user of this operator
    return dataclasses.replace(caller, breakglass=() if caller.is_occto else prefetched.breakglass,
                               breakglass_checked=True)


CREDENTIAL_USE_RESOLUTION = timedelta(minutes=5)


async def _note_use(reader: AsyncEngine, row: dict[str, Any]) -> None:
    """`last_used_at` for the admin's credential list, written at most every 5 minutes per credential,
    so the hot lookup path does not write on every request (`reader` autocommits)."""

    now = get_clock().now()
    if row["last_used_at"] is None or now - row["last_used_at"] > CREDENTIAL_USE_RESOLUTION:
        async with reader.connect() as conn:
            await repository.touch_credential(conn, row["id"], now)
        row["last_used_at"] = now  # the row may be the identity cache's: its next use need not write again


def new_credential() -> tuple[str, str, str]:
    """(key id, secret, token shown once); only sha256(secret) is stored (the secret has 256 bits)."""
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    return key_id, secret, f"shk_{key_id}.{secret}"


async def issue_credential(conn: AsyncConnection, user_id: int, label: str = "") -> str:
    key_id, secret, token = new_credential()
    await repository.insert_credential(conn, user_id, key_id, sha256_hex(secret), label)
    return token


@dataclass(frozen=True)
class LoginResult:
    ok: bool
    message_ja: str = ""
    message_en: str = ""
    code: str = ""
    user: dict[str, Any] | None = None
    user_operator: str | None = None  # the ID's operator when it differs from the terminal's


def _otp_ok(secret: str | None, otp: str) -> bool:
    import pyotp

    return bool(secret) and otp.isdigit() and len(otp) == 6 and pyotp.TOTP(secret).verify(otp, valid_window=1)


async def count_failure(conn: AsyncConnection, user: dict[str, Any]) -> str:
    """One more failed password (or TOTP) for the ID, at login or re-authentication alike: the fifth
    in a row freezes it. Returns the outcome code (`bad_login` or `frozen_now`)."""
    failed = user["failed_logins"] + 1
    status = "frozen" if failed >= MAX_FAILED_LOGINS else "active"
    await repository.set_login_result(conn, user["id"], failed_logins=failed, status=status)
    return "bad_login" if status == "active" else "frozen_now"


async def check_login(conn: AsyncConnection, cert: CertIdentity, login_id: str, password: str,
                      otp: str = "") -> LoginResult:
    """Password (+ TOTP for admin and helpdesk) login from a registered Web client.

    The terminal is checked before the password (security review): from another operator's
    terminal an ID gets the same answer and the same password-hashing time as an unknown ID,
    whatever the password, and the attempt never counts towards freezing the ID. Failures of
    either factor count together; the fifth consecutive one freezes the ID.
    """
    if cert.purpose != "web":
        return LoginResult(False, *MSG_TERMINAL, code="terminal_not_allowed")
    login_id = login_id.strip()
    user = await repository.user_by_login(conn, login_id, for_update=True) if login_id else None
    if user is None:
        burn_verification(password)
        return LoginResult(False, *MSG_BAD_LOGIN, code="unknown_user")
    if user["operator_code"] != cert.operator_code:
        burn_verification(password)
        return LoginResult(False, *MSG_BAD_LOGIN, code="foreign_terminal",
                           user_operator=user["operator_code"])
    if user["status"] != "active" or user["operator_status"] != "active" or user["is_api_user"]:
        return LoginResult(False, *MSG_USER_UNAVAILABLE, code="user_unavailable")
    # admins and helpdesk always; any other user who enrolled a TOTP (security.md: "may enable it")
    second_factor = user["role"] in SECOND_FACTOR_ROLES or bool(user["totp_secret"])
    if second_factor and not otp.strip():  # asked for first, so the answer never confirms a password
        burn_verification(password)
        return LoginResult(False, *MSG_OTP_REQUIRED, code="otp_required")
    if not verify_password(user["password_hash"], password) or (
            second_factor and not _otp_ok(user["totp_secret"], otp.strip())):
        outcome = await count_failure(conn, user)
        return LoginResult(False, *MSG_BAD_LOGIN, code=outcome)
    await repository.set_login_result(conn, user["id"], failed_logins=0, status="active")
    return LoginResult(True, user=user)


def password_expired(changed_at: datetime | None, now: datetime, max_age: timedelta | None) -> bool:
    """Expiry is configurable (security.md); a password never set counts as expired."""
    if max_age is None:
        return False
    return changed_at is None or now - changed_at > max_age


async def change_password(conn: AsyncConnection, actor: Actor, current: str, new: str, now: datetime) -> None:
    """The caller changes its own password under the policy (≥ 12, not the ID, not one of the last 5)."""
    permissions.check(actor.caller, "hub:me:password")
    user = await repository.user_by_login(conn, actor.caller.user_login, for_update=True)
    if user is None or not user["password_hash"]:
        raise Conflict("このユーザにはパスワードが設定されていません", "This user has no password", code="no_password")
    issues = IssueCollector()
    if not verify_password(user["password_hash"], current):
        issues.add("current_password", "wrong_password", "現在のパスワードが正しくありません",
                   "The current password is wrong")
    recent = [user["password_hash"], *[h for h in user["password_history"] if h != user["password_hash"]]][:HISTORY]
    issues.extend(policy_issues(new, user["login_id"], recent, field="new_password"))
    issues.raise_if_any()
    await repository.set_password(conn, user["id"], hash_password(new), recent, now)
    await write(conn, actor.entry("user.password.change", resource_type="user", resource_ids=[user["login_id"]]))


async def start_session(conn: AsyncConnection, user_id: int, fingerprint: str, now: datetime) -> tuple[str, str]:
    """(session token for the cookie, CSRF token); only the token's hash is stored.

    Times come from the application clock, so idle and absolute timeouts follow it.
    """
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    await repository.insert_session(conn, sha256_hex(token), user_id, fingerprint, csrf, now)
    return token, csrf


@dataclass(frozen=True)
class WebUser:
    caller: Caller
    display_name: str
    operator_name: str
    csrf_token: str
    token_hash: str
    password_expired: bool = False
    reauth_at: datetime | None = None  # when this session last re-entered the password (admin actions)
    one_time_password: bool = False  # set by an admin's create/reset: changed before anything else


async def resolve_session(conn: AsyncConnection, token: str | None, cert: CertIdentity, now: datetime,
                          idle: timedelta, absolute: timedelta, password_max_age: timedelta | None = None
                          ) -> WebUser | None:
    """The logged-in user, or None when the session is missing, ended, expired or from another client.

    A session belongs to the client certificate that created it: the same cookie from another
    certificate is no session at all (and does not end the real one).
    """
    if not token:
        return None
    row = await repository.session(conn, sha256_hex(token))
    if row is None or row["ended_at"] is not None or row["cert_fingerprint"] != cert.fingerprint:
        return None
    if now - row["last_seen_at"] > idle or now - row["created_at"] > absolute:
        await repository.end_session(conn, row["token_hash"], now)
        return None
    if row["user_status"] != "active" or row["operator_status"] != "active":
        return None
    await repository.touch_session(conn, row["token_hash"], now)
    caller = Caller(row["operator_code"], row["kind"], frozenset(row["areas"]),
                    row["login_id"], row["role"], cert.fingerprint)
    return WebUser(caller, row["display_name"], row["operator_name"], row["csrf_token"], row["token_hash"],
                   row["must_change_password"] or password_expired(row["password_changed_at"], now, password_max_age),
                   row["reauth_at"], row["must_change_password"])


async def reauthenticate(conn: AsyncConnection, actor: Actor, token_hash: str, password: str, otp: str,
                         now: datetime) -> list[FieldIssue]:
    """Re-enter the password (and the TOTP code where the user has one) before admin actions.

    A wrong answer counts towards freezing the ID exactly like a failed login (five in a row freeze
    it), so a left-open admin session cannot be used to guess the password; every attempt is
    audited. The problems are returned, not raised, so the counter and the audit record commit.
    """
    user = await repository.user_by_login(conn, actor.caller.user_login or "", for_update=True)
    issues = IssueCollector()
    if not password:
        issues.add("password", "required", "パスワードを入力してください", "Enter your password")
    if user is not None and user["totp_secret"] and not otp.strip():
        issues.add("otp", "required", "ワンタイムパスワードを入力してください", "Enter the one-time password")
    if issues.issues or user is None:
        return issues.issues or [FieldIssue("password", "bad_login", *MSG_BAD_LOGIN)]
    if not verify_password(user["password_hash"], password) or (
            user["totp_secret"] and not _otp_ok(user["totp_secret"], otp.strip())):
        outcome = await count_failure(conn, user)
        await write(conn, actor.entry("session.reauth", resource_type="user", resource_ids=[user["login_id"]],
                                      outcome=outcome))
        return [FieldIssue("password", "bad_login", *MSG_BAD_LOGIN)]
    await repository.set_login_result(conn, user["id"], failed_logins=0, status="active")
    await repository.mark_reauth(conn, token_hash, now)
    await write(conn, actor.entry("session.reauth", resource_type="user", resource_ids=[user["login_id"]]))
    return []


async def revoke_credential(conn: AsyncConnection, actor: Actor, key_id: str, now: datetime) -> dict[str, Any]:
    """A user revokes its own API credential; an admin any credential of its operator."""
    caller = actor.caller
    permissions.check(caller, "hub:credentials:revoke")
    owner = await repository.credential_owner(conn, key_id)
    mine = owner is not None and owner["operator_code"] == caller.operator_code and (
        caller.role == "admin" or owner["login_id"] == caller.user_login)
    if not mine or not await repository.revoke_credential(conn, key_id, caller.operator_code, now):
        raise NotFound("指定されたAPIクレデンシャルはありません", "No such credential")
    await write(conn, actor.entry("credential.revoke", resource_type="api_credential", resource_ids=[key_id],
                                  detail={"for": owner["login_id"]}))
    return {"key_id": key_id, "revoked": True}
