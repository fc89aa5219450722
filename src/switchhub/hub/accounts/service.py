"""Identity: certificate → operator, bearer credential → user, password login → web session.

The refusals of security.md are decided here and nowhere else: unknown or suspended
certificate, suspended operator, frozen or suspended user, revoked credential, and a
certificate and credential (or login) of different operators.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.hub.accounts import repository
from switchhub.hub.accounts.passwords import verify_password
from switchhub.kernel.caller import Caller
from switchhub.kernel.errors import Forbidden, Unauthenticated

MAX_FAILED_LOGINS = 5
MSG_BAD_LOGIN = ("ユーザIDもしくはパスワードが不正です", "The user ID or password is incorrect")
MSG_USER_UNAVAILABLE = ("お使いのユーザIDは利用できません", "This user ID cannot be used")
MSG_TERMINAL = ("お使いの端末では当システムを利用できません", "This client cannot use the system")
MSG_OTP_REQUIRED = ("管理者・ヘルプデスクのユーザはワンタイムパスワード（認証アプリの6桁）も入力してください",
                    "Administrators and helpdesk users must also enter the one-time password")
SECOND_FACTOR_ROLES = ("admin", "helpdesk")


class RefusedError(Forbidden):
    """A refusal that is also written to the audit log by the boundary that catches it."""


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
    row = await repository.certificate(conn, fingerprint)
    if row is None:
        raise RefusedError(*MSG_TERMINAL, code="certificate_not_registered")
    if row["cert_status"] != "active":
        raise RefusedError(*MSG_TERMINAL, code="certificate_suspended")
    if row["operator_status"] != "active":
        raise RefusedError(*MSG_TERMINAL, code="operator_suspended")
    return CertIdentity(fingerprint, row["subject"], row["purpose"], row["operator_code"].strip(), row["kind"],
                        frozenset(a.strip() for a in row["areas"]))


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


async def resolve_api_caller(conn: AsyncConnection, cert: CertIdentity, authorization: str | None) -> Caller:
    key_id, secret = parse_bearer(authorization)
    row = await repository.credential(conn, key_id)
    if row is None or not hmac.compare_digest(row["secret_hash"], sha256_hex(secret)):
        raise Unauthenticated("APIクレデンシャルが正しくありません", "The credential is not valid", code="credential_invalid")
    if row["revoked_at"] is not None:
        raise RefusedError("このAPIクレデンシャルは失効しています", "The credential has been revoked",
                           code="credential_revoked")
    if row["user_status"] != "active" or row["operator_status"] != "active":
        raise RefusedError(*MSG_USER_UNAVAILABLE, code="user_unavailable")
    if row["operator_code"].strip() != cert.operator_code:
        raise RefusedError("クライアント証明書とAPIクレデンシャルの事業者が一致しません",
                           "The certificate and the credential belong to different operators",
                           code="certificate_operator_mismatch")
    if cert.purpose != "api":
        raise RefusedError("API用のクライアント証明書が必要です", "An API client certificate is required",
                           code="certificate_purpose")
    return Caller(cert.operator_code, row["kind"], frozenset(a.strip() for a in row["areas"]), row["login_id"],
                  row["role"], cert.fingerprint)


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


def _otp_ok(secret: str | None, otp: str) -> bool:
    import pyotp

    return bool(secret) and otp.isdigit() and len(otp) == 6 and pyotp.TOTP(secret).verify(otp, valid_window=1)


async def check_login(conn: AsyncConnection, cert: CertIdentity, login_id: str, password: str,
                      otp: str = "") -> LoginResult:
    """Password (+ TOTP for admin and helpdesk) login from a registered Web client.

    Failures of either factor count together; the fifth consecutive one freezes the ID.
    """
    user = await repository.user_by_login(conn, login_id.strip(), for_update=True) if login_id.strip() else None
    if user is None:
        return LoginResult(False, *MSG_BAD_LOGIN, code="bad_login")
    if user["status"] != "active" or user["operator_status"] != "active" or user["is_api_user"]:
        return LoginResult(False, *MSG_USER_UNAVAILABLE, code="user_unavailable")
    second_factor = user["role"] in SECOND_FACTOR_ROLES
    if second_factor and not otp.strip() and verify_password(user["password_hash"], password):
        return LoginResult(False, *MSG_OTP_REQUIRED, code="otp_required")
    if not verify_password(user["password_hash"], password) or (second_factor and not _otp_ok(
            user["totp_secret"], otp.strip())):
        failed = user["failed_logins"] + 1
        status = "frozen" if failed >= MAX_FAILED_LOGINS else "active"
        await repository.set_login_result(conn, user["id"], failed_logins=failed, status=status)
        return LoginResult(False, *MSG_BAD_LOGIN, code="bad_login" if status == "active" else "frozen_now")
    if user["operator_code"].strip() != cert.operator_code or cert.purpose != "web":
        return LoginResult(False, *MSG_TERMINAL, code="terminal_not_allowed")
    await repository.set_login_result(conn, user["id"], failed_logins=0, status="active")
    return LoginResult(True, user=user)


async def start_session(conn: AsyncConnection, user_id: int, fingerprint: str) -> tuple[str, str]:
    """(session token for the cookie, CSRF token); only the token's hash is stored."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    await repository.insert_session(conn, sha256_hex(token), user_id, fingerprint, csrf)
    return token, csrf


@dataclass(frozen=True)
class WebUser:
    caller: Caller
    display_name: str
    operator_name: str
    csrf_token: str
    token_hash: str


async def resolve_session(conn: AsyncConnection, token: str | None, cert: CertIdentity, now: datetime,
                          idle: timedelta, absolute: timedelta) -> WebUser | None:
    """The logged-in user, or None when the session is missing, ended, expired or from another client."""
    if not token:
        return None
    row = await repository.session(conn, sha256_hex(token))
    if row is None or row["ended_at"] is not None or row["cert_fingerprint"].strip() != cert.fingerprint:
        return None
    if now - row["last_seen_at"] > idle or now - row["created_at"] > absolute:
        await repository.end_session(conn, row["token_hash"], now)
        return None
    if row["user_status"] != "active" or row["operator_status"] != "active":
        return None
    await repository.touch_session(conn, row["token_hash"], now)
    caller = Caller(row["operator_code"].strip(), row["kind"], frozenset(a.strip() for a in row["areas"]),
                    row["login_id"], row["role"], cert.fingerprint)
    return WebUser(caller, row["display_name"], row["operator_name"], row["csrf_token"], row["token_hash"])
