"""All SQL about operators, users, certificates, API credentials and web sessions."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.db import driver
from switchhub.hub.breakglass.repository import in_force
from switchhub.kernel.clock import get_clock


async def certificate(conn: AsyncConnection, fingerprint: str) -> dict[str, Any] | None:
    """A registered certificate with its operator's kind, areas and status."""
    row = (
        await conn.execute(
            text(
                "SELECT c.id, c.fingerprint, c.subject, c.purpose, c.status AS cert_status, c.not_after,"
                " o.code AS operator_code, o.kind, o.areas, o.status AS operator_status, o.name AS operator_name"
                " FROM client_certificates c JOIN operators o ON o.code = c.operator_code"
                " WHERE c.fingerprint = :fp"
            ),
            {"fp": fingerprint},
        )
    ).first()
    return dict(row._mapping) if row else None


async def credential(conn: AsyncConnection, key_id: str) -> dict[str, Any] | None:
    row = (
        await conn.execute(
            text(
                "SELECT k.id, k.secret_hash, k.revoked_at, k.last_used_at, u.id AS user_id, u.login_id, u.role, u.status AS user_status,"
                " u.is_api_user, u.operator_code, o.kind, o.areas, o.status AS operator_status"
                " FROM api_credentials k JOIN users u ON u.id = k.user_id JOIN operators o ON o.code = u.operator_code"
                " WHERE k.key_id = :key_id"
            ),
            {"key_id": key_id},
        )
    ).first()
    return dict(row._mapping) if row else None


def _identity_joins(fingerprint: str, key_id: str) -> str:
    """The joins of an API request's identity: the certificate `fingerprint` and its operator, the
    credential `key_id`, its user and operator, and (`bg.breakglass`) the user's break-glass grants in
    force at :now (as breakglass.repository.active_for_user). SQL expressions for the two keys."""
    return (f" LEFT JOIN client_certificates c ON c.fingerprint = {fingerprint}"
            " LEFT JOIN operators co ON co.code = c.operator_code"
            f" LEFT JOIN api_credentials k ON k.key_id = {key_id} LEFT JOIN users u ON u.id = k.user_id"
            " LEFT JOIN operators ko ON ko.code = u.operator_code"
            " LEFT JOIN LATERAL (SELECT coalesce(json_agg(json_build_object('grant_id', g.grant_id,"
            " 'field_classes', g.field_classes, 'areas', g.areas) ORDER BY g.grant_id), '[]'::json) AS breakglass"
            f" FROM breakglass_grants g WHERE {in_force('g', 'u.login_id::text', 'u.operator_code')}) bg ON true")


#: a digest of every value the identity's decisions read (certificate, operators, credential, user, the
#: grants in force): equal stamps, equal decisions. The hub's identity cache stores it with each entry
#: and the audit write of a lookup answered from the cache compares it again (CHECK_IDENTITY_CLAIMS).
_STAMP = ("md5(ROW(c.fingerprint, c.subject, c.purpose, c.status, co.code, co.kind, co.areas, co.status,"
          " k.key_id, k.id, k.secret_hash, k.revoked_at, u.id, u.login_id, u.role, u.status, u.is_api_user,"
          " u.operator_code, ko.kind, ko.areas, ko.status, bg.breakglass::text)::text)")

_API_IDENTITY = (  # run by the driver (db/driver.py): the hot path's identity
    "SELECT c.fingerprint AS cert_fingerprint, c.id AS cert_id, c.subject, c.purpose, c.status AS cert_status,"
    " c.not_after, co.code AS cert_operator_code, co.kind AS cert_kind, co.areas AS cert_areas,"
    " co.status AS cert_operator_status, co.name AS cert_operator_name,"
    " k.key_id AS credential_key_id, k.id, k.secret_hash, k.revoked_at, k.last_used_at, u.id AS user_id, u.login_id,"
    " u.role, u.status AS user_status, u.is_api_user, u.operator_code, ko.kind, ko.areas,"
    f" ko.status AS operator_status, bg.breakglass, {_STAMP} AS stamp"
    " FROM (SELECT 1) one" + _identity_joins(":fp", ":key_id")
)

#: For the audit write (hub/audit/group_commit.py): of the identities claimed in :claims (n, fp, key_id,
#: stamp), whether each still holds — read in the statement that writes the records, so after every
#: change committed before the requests arrived.
CHECK_IDENTITY_CLAIMS = (
    f"SELECT q.n, {_STAMP} = q.stamp AS holds FROM jsonb_to_recordset(CAST(:claims AS jsonb))"
    " AS q(n integer, fp text, key_id text, stamp text)" + _identity_joins("q.fp", "q.key_id")
)
_CERT_KEYS = ("id", "fingerprint", "subject", "purpose", "cert_status", "not_after", "operator_code", "kind", "areas",
              "operator_status", "operator_name")
_CERT_COLUMNS = ("cert_id", "cert_fingerprint", "subject", "purpose", "cert_status", "not_after", "cert_operator_code",
                 "cert_kind", "cert_areas", "cert_operator_status", "cert_operator_name")
_CREDENTIAL_KEYS = ("id", "secret_hash", "revoked_at", "last_used_at", "user_id", "login_id", "role", "user_status",
                    "is_api_user", "operator_code", "kind", "areas", "operator_status")


async def api_identity(conn: AsyncConnection, fingerprint: str, key_id: str, now: datetime
                       ) -> tuple[dict[str, Any] | None, dict[str, Any] | None, list[dict[str, Any]], str]:
    """An API request's whole identity in one statement (the hot lookup path, targets.md P1): the
    certificate as `certificate` gives it, the credential as `credential` gives it (None for an
    unknown one), and the credential user's break-glass grants in force at `now` (as
    breakglass.repository.active_for_user), and the identity's stamp (`_STAMP`)."""
    row = (await driver.fetch(conn, _API_IDENTITY, {"fp": fingerprint, "key_id": key_id, "now": now}))[0]
    cert = dict(zip(_CERT_KEYS, (row[c] for c in _CERT_COLUMNS))) if row["cert_fingerprint"] is not None else None
    credential = {k: row[k] for k in _CREDENTIAL_KEYS} if row["credential_key_id"] is not None else None
    grants = row["breakglass"]
    found = list(json.loads(grants) if isinstance(grants, str) else grants) if credential else []
    return cert, credential, found, row["stamp"]


async def touch_credential(conn: AsyncConnection, credential_id: int, now: datetime) -> None:
    await conn.execute(text("UPDATE api_credentials SET last_used_at = :now WHERE id = :id"),
                       {"now": now, "id": credential_id})


async def insert_credential(conn: AsyncConnection, user_id: int, key_id: str, secret_hash: str, label: str) -> int:
    return (
        await conn.execute(
            text("INSERT INTO api_credentials (key_id, secret_hash, user_id, label) VALUES (:k, :h, :u, :l) RETURNING id"),
            {"k": key_id, "h": secret_hash, "u": user_id, "l": label},
        )
    ).scalar_one()


async def credential_owner(conn: AsyncConnection, key_id: str) -> dict[str, Any] | None:
    row = (await conn.execute(text("SELECT u.login_id, u.operator_code FROM api_credentials k"
                                   " JOIN users u ON u.id = k.user_id WHERE k.key_id = :k"), {"k": key_id})).first()
    return dict(row._mapping) if row else None


async def revoke_credential(conn: AsyncConnection, key_id: str, operator_code: str, now: datetime) -> bool:
    result = await conn.execute(
        text("UPDATE api_credentials k SET revoked_at = :now FROM users u WHERE u.id = k.user_id"
             " AND k.key_id = :k AND u.operator_code = :op AND k.revoked_at IS NULL"),
        {"k": key_id, "op": operator_code, "now": now},
    )
    return result.rowcount == 1


async def user_by_login(conn: AsyncConnection, login_id: str, *, for_update: bool = False) -> dict[str, Any] | None:
    row = (
        await conn.execute(
            text(
                "SELECT u.*, o.kind, o.areas, o.status AS operator_status, o.name AS operator_name"
                " FROM users u JOIN operators o ON o.code = u.operator_code WHERE u.login_id = :login"
                + (" FOR UPDATE OF u" if for_update else "")
            ),
            {"login": login_id},
        )
    ).first()
    return dict(row._mapping) if row else None


async def user_by_id(conn: AsyncConnection, user_id: int) -> dict[str, Any] | None:
    row = (
        await conn.execute(
            text("SELECT u.*, o.kind, o.areas, o.status AS operator_status, o.name AS operator_name"
                 " FROM users u JOIN operators o ON o.code = u.operator_code WHERE u.id = :id"),
            {"id": user_id},
        )
    ).first()
    return dict(row._mapping) if row else None


async def set_login_result(conn: AsyncConnection, user_id: int, *, failed_logins: int, status: str) -> None:
    await conn.execute(
        text("UPDATE users SET failed_logins = :f, status = :s, updated_at = :now WHERE id = :id"),
        {"f": failed_logins, "s": status, "id": user_id, "now": get_clock().now()},
    )


async def operators(conn: AsyncConnection, kind: str | None = None, area: str | None = None, *,
                    codes: list[str] | None = None) -> list[dict[str, Any]]:
    return await driver.fetch(
        conn,
        "SELECT code, name, name_kana, kind, areas, incumbent_areas, contact_name, contact_phone, status"
        " FROM operators WHERE (CAST(:kind AS text) IS NULL OR kind = :kind)"
        " AND (CAST(:area AS text) IS NULL OR CAST(:area AS text) = ANY(areas))"
        " AND (CAST(:codes AS text[]) IS NULL OR code = ANY(CAST(:codes AS text[]))) ORDER BY kind, code",
        {"kind": kind, "area": area, "codes": codes})


async def operator_names(conn: AsyncConnection, codes: list[str]) -> dict[str, str]:
    if not codes:
        return {}
    rows = await conn.execute(text("SELECT code, name FROM operators WHERE code = ANY(CAST(:c AS text[]))"), {"c": codes})
    return {r.code: r.name for r in rows}


async def insert_session(conn: AsyncConnection, token_hash: str, user_id: int, fingerprint: str, csrf: str,
                         now: datetime) -> None:
    await conn.execute(
        text("INSERT INTO web_sessions (token_hash, user_id, cert_fingerprint, csrf_token, created_at, last_seen_at)"
             " VALUES (:t, :u, :f, :c, :now, :now)"),
        {"t": token_hash, "u": user_id, "f": fingerprint, "c": csrf, "now": now},
    )


async def set_password(conn: AsyncConnection, user_id: int, password_hash: str, history: list[str],
                       now: datetime) -> None:
    await conn.execute(
        text("UPDATE users SET password_hash = :h, password_history = :hist, password_changed_at = :now,"
             " must_change_password = false, updated_at = :now WHERE id = :id"),
        {"h": password_hash, "hist": history, "now": now, "id": user_id},
    )


async def session(conn: AsyncConnection, token_hash: str) -> dict[str, Any] | None:
    row = (
        await conn.execute(
            text(
                "SELECT s.token_hash, s.user_id, s.cert_fingerprint, s.csrf_token, s.created_at, s.last_seen_at,"
                " s.ended_at, s.reauth_at, u.login_id, u.role, u.display_name, u.status AS user_status, u.operator_code,"
                " u.password_changed_at, u.must_change_password,"
                " o.kind, o.areas, o.name AS operator_name, o.status AS operator_status"
                " FROM web_sessions s JOIN users u ON u.id = s.user_id JOIN operators o ON o.code = u.operator_code"
                " WHERE s.token_hash = :t"
            ),
            {"t": token_hash},
        )
    ).first()
    return dict(row._mapping) if row else None


async def touch_session(conn: AsyncConnection, token_hash: str, now: datetime) -> None:
    await conn.execute(text("UPDATE web_sessions SET last_seen_at = :now WHERE token_hash = :t"),
                       {"t": token_hash, "now": now})


async def mark_reauth(conn: AsyncConnection, token_hash: str, now: datetime) -> None:
    await conn.execute(text("UPDATE web_sessions SET reauth_at = :now WHERE token_hash = :t"),
                       {"t": token_hash, "now": now})


async def end_session(conn: AsyncConnection, token_hash: str, now: datetime) -> None:
    await conn.execute(text("UPDATE web_sessions SET ended_at = :now WHERE token_hash = :t AND ended_at IS NULL"),
                       {"t": token_hash, "now": now})


async def insert_certificate(conn: AsyncConnection, *, fingerprint: str, subject: str, operator_code: str,
                             purpose: str, not_before: datetime | None, not_after: datetime | None) -> None:
    await conn.execute(
        text("INSERT INTO client_certificates (fingerprint, subject, operator_code, purpose, not_before, not_after)"
             " VALUES (:fp, :s, :op, :p, :nb, :na) ON CONFLICT (fingerprint) DO UPDATE SET status = 'active'"),
        {"fp": fingerprint, "s": subject, "op": operator_code, "p": purpose, "nb": not_before, "na": not_after},
    )


async def set_status(conn: AsyncConnection, table: str, key_col: str, key: Any, status: str) -> bool:
    if (table, key_col) not in {("client_certificates", "fingerprint"), ("users", "login_id"), ("operators", "code")}:
        raise ValueError(table)
    result = await conn.execute(text(f"UPDATE {table} SET status = :s WHERE {key_col} = :k"), {"s": status, "k": key})
    return result.rowcount == 1


async def end_expired_sessions(conn: AsyncConnection, now: datetime) -> None:
    """End the web sessions idle for more than 30 minutes or older than 12 hours (security.md), by the
    application clock as the session check itself (hub/web/session.py), so a moved sandbox clock
    ends them as it passes their limits."""
    await conn.execute(text("UPDATE web_sessions SET ended_at = CAST(:now AS timestamptz)"
                            " WHERE ended_at IS NULL"
                            " AND (last_seen_at < CAST(:now AS timestamptz) - interval '30 minutes'"
                            " OR created_at < CAST(:now AS timestamptz) - interval '12 hours')"),
                       {"now": now})
