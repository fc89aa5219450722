"""Sandbox developers (issue 10, api.md § Sandbox): an operator's admin equips its own developers
for connection tests without asking OCCTO, as the original's paper application for the
verification environment did not allow.

One developer is an API user of the admin's operator, one API credential of it and one API client
certificate signed by the sandbox's CA and registered in the hub for the operator. They are made
through the same services as elsewhere (users: the API user, credentials: the token, certificates:
the registration), each writing its own audit record, plus `sandbox_developer.create` here. The
private key, the PKCS#12 password and the token exist only in the answer: nothing secret is stored.

Only in a sandbox deployment (`settings.sandbox`): elsewhere the operation does not exist (404),
since a production certificate comes from the operator's own PKI and is registered by OCCTO.
State changes are the named transitions of `TRANSITIONS` (created → active, active → revoked), each
with a coded reason; a revocation deletes the API user (its credentials end with it) and suspends
the certificate, so the next request with either is refused.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.config import Settings
from switchhub.hub.accounts import permissions
from switchhub.hub.audit.context import Actor
from switchhub.hub.audit.repository import write
from switchhub.hub.certificates import service as certificates
from switchhub.hub.developers import repository
from switchhub.hub.users import credentials
from switchhub.hub.users import service as users
from switchhub.kernel.errors import Conflict, NotFound

PERMISSION = "hub:sandbox:developers"
PAGE_SIZE = 50
#: a sandbox certificate is test material: a year, shorter than the original's 2-year certificates
CERT_DAYS = 365
CREDENTIAL_LABEL = "sandbox developer"


@dataclass(frozen=True)
class Transition:
    leaves: frozenset[str | None]
    enters: str
    reason: str  # the coded reason stored with the state
    refusal_ja: str
    refusal_en: str


TRANSITIONS = {
    "create": Transition(frozenset({None}), "active", "created_by_admin", "", ""),
    "revoke": Transition(frozenset({"active"}), "revoked", "revoked_by_admin", "この開発者は失効済みです",
                         "This developer has been revoked already"),
}


def ca_dir(settings: Settings) -> Path:
    """The sandbox's CA: the development CA of `switchhub certs init` (runtime.cert_paths)."""
    return Path(settings.certs_dir) / "ca"


def _sandbox_only(settings: Settings) -> None:
    if not settings.sandbox:
        raise NotFound("指定されたページはありません", "Not found")


def _start(actor: Actor, settings: Settings) -> None:
    permissions.check(actor.caller, PERMISSION)
    _sandbox_only(settings)


def public(row: dict[str, Any]) -> dict[str, Any]:
    return {"login_id": row["login_id"], "display_name": row["display_name"], "email": row["email"],
            "status": row["status"], "status_reason": row["status_reason"], "key_id": row["key_id"],
            "created_by": row["created_by"], "created_at": row["created_at"], "revoked_at": row["revoked_at"],
            "certificate": {"fingerprint": row["fingerprint"], "subject": row["subject"],
                            "status": row["certificate_status"], "not_before": row["not_before"],
                            "not_after": row["not_after"]}}


async def list_developers(conn: AsyncConnection, actor: Actor, settings: Settings, *, page: int = 1
                          ) -> dict[str, Any]:
    _start(actor, settings)
    page = max(1, page)
    total, rows = await repository.page(conn, actor.caller.operator_code, limit=PAGE_SIZE,
                                        offset=(page - 1) * PAGE_SIZE)
    return {"total": total, "page": page, "page_size": PAGE_SIZE, "items": [public(r) for r in rows]}


async def create_developer(conn: AsyncConnection, actor: Actor, settings: Settings, *, login_id: str,
                           display_name: str, email: str, now: datetime) -> dict[str, Any]:
    """The API user, its credential and its certificate; the answer carries the secrets, once."""
    _start(actor, settings)
    ca = ca_dir(settings)
    if not (ca / "ca.key").exists():
        raise Conflict("サンドボックスの認証局が準備されていません（switchhub certs init）",
                       "The sandbox CA is not set up (switchhub certs init)", code="sandbox_ca_missing")
    made = await users.create_user(conn, actor, login_id=login_id, display_name=display_name, email=email,
                                   role="api", now=now)
    login_id = made["user"]["login_id"]
    issued = await credentials.issue(conn, actor, login_id, CREDENTIAL_LABEL)
    p12_password = secrets.token_urlsafe(12)
    from switchhub import devca

    bundle = devca.client_bundle(ca, operator_code=actor.caller.operator_code, purpose="api",
                                 common_name=f"{login_id} sandbox", p12_password=p12_password.encode(),
                                 days=CERT_DAYS)
    facts = certificates.CertificateFacts(bundle.fingerprint_sha256, bundle.subject, bundle.issuer,
                                          bundle.not_before, bundle.not_after)
    await certificates.store_facts(conn, actor, facts, actor.caller.operator_code, "api")
    rule = TRANSITIONS["create"]
    await repository.insert(conn, operator_code=actor.caller.operator_code, login_id=login_id,
                            fingerprint=bundle.fingerprint_sha256, key_id=issued["key_id"],
                            status=rule.enters, status_reason=rule.reason,
                            created_by=actor.caller.user_login or "", now=now)
    await write(conn, actor.entry("sandbox_developer.create", resource_type="sandbox_developer",
                                  resource_ids=[login_id],
                                  detail={"rule": "create", "to": rule.enters, "reason": rule.reason,
                                          "fingerprint": bundle.fingerprint_sha256,
                                          "key_id": issued["key_id"],
                                          "not_after": bundle.not_after.isoformat()}))
    row = await repository.one_of_operator(conn, actor.caller.operator_code, login_id)
    assert row is not None
    return {"developer": public(row), "token": issued["token"], "p12_password": p12_password,
            "p12_base64": base64.b64encode(bundle.p12).decode(), "cert_pem": bundle.cert_pem.decode(),
            "key_pem": bundle.key_pem.decode()}


async def revoke_developer(conn: AsyncConnection, actor: Actor, settings: Settings, login_id: str,
                           now: datetime) -> dict[str, Any]:
    """active → revoked: the API user is deleted (its credentials revoked, through the users service)
    and the certificate suspended (through the certificates service)."""
    _start(actor, settings)
    row = await repository.one_of_operator(conn, actor.caller.operator_code, login_id, for_update=True)
    if row is None:
        raise NotFound("指定された開発者はありません", "No such developer", code="developer_not_found")
    rule = TRANSITIONS["revoke"]
    if row["status"] not in rule.leaves:
        raise Conflict(rule.refusal_ja, rule.refusal_en, code="cannot_revoke",
                       extra={"status": row["status"]})
    await users.delete_user(conn, actor, login_id, now, note="sandbox developer revoked")
    await certificates.store_status(conn, actor, row["fingerprint"], "suspended",
                                    reason="sandbox developer revoked")
    await repository.set_status(conn, row["id"], status=rule.enters, status_reason=rule.reason,
                                by=actor.caller.user_login or "", now=now)
    await write(conn, actor.entry("sandbox_developer.revoke", resource_type="sandbox_developer",
                                  resource_ids=[login_id],
                                  detail={"rule": "revoke", "from": row["status"], "to": rule.enters,
                                          "reason": rule.reason, "fingerprint": row["fingerprint"]}))
    fresh = await repository.one_of_operator(conn, actor.caller.operator_code, login_id)
    assert fresh is not None
    return public(fresh)
