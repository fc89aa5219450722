"""Administrative account operations used by the CLI, the demo and OCCTO admins.

Each function takes a connection inside the caller's transaction and writes an audit
record for the change (admin actions are audited like any other state change).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.hub.accounts import repository
from switchhub.hub.accounts.service import issue_credential
from switchhub.hub.audit.context import Actor, cli_entry
from switchhub.hub.audit.repository import write
from switchhub.kernel.caller import Caller
from switchhub.kernel.errors import InputError, NotFound


def cli_actor(actor: str = "cli") -> Actor:
    """The operator at the server's command line acts as an OCCTO admin, through the same services."""
    return Actor(Caller("OC000", "occto", user_login=actor, role="admin"), "cli")


async def register_certificate(conn: AsyncConnection, *, fingerprint: str, subject: str, operator_code: str,
                               purpose: str, not_before: datetime | None, not_after: datetime | None,
                               actor: str = "cli", areas: list[str] | None = None, issuer: str = "") -> None:
    """`certs issue`: register the certificate the CLI just issued (its facts read from it)."""
    from switchhub.hub.certificates.service import CertificateFacts, register_facts

    await register_facts(conn, cli_actor(actor), CertificateFacts(fingerprint, subject, issuer, not_before, not_after),
                         operator_code, purpose, areas)


async def issue_api_credential(conn: AsyncConnection, login_id: str, label: str = "", actor: str = "cli") -> str:
    user = await repository.user_by_login(conn, login_id)
    if user is None:
        raise NotFound(f"ユーザID {login_id} は登録されていません", f"Unknown user {login_id}")
    if not user["is_api_user"]:
        raise InputError.single("login_id", "not_api_user",
                                f"{login_id} はAPIユーザではありません（APIクレデンシャルはAPIユーザにだけ発行できます）",
                                f"{login_id} is not an API user (credentials are issued to API users only)")
    token = await issue_credential(conn, user["id"], label)
    await write(conn, cli_entry("credential.issue", actor, operator_code=user["operator_code"],
                                resource_type="api_credential", resource_ids=[token.split(".")[0]],
                                detail={"for": login_id}))
    return token


async def set_status(conn: AsyncConnection, kind: str, key: str, status: str, actor: str = "cli") -> None:
    """`switchhub status …`: operators and certificates through OCCTO's administration services."""
    if kind == "operator":
        from switchhub.hub.operators.service import set_operator_status

        await set_operator_status(conn, cli_actor(actor), key, status)
        return
    if kind == "certificate":
        from switchhub.hub.certificates.service import set_status as set_certificate_status

        await set_certificate_status(conn, cli_actor(actor), key, status)
        return
    table, col, allowed = {
        "certificate": ("client_certificates", "fingerprint", ("active", "suspended")),
        "user": ("users", "login_id", ("active", "frozen", "suspended")),
        "operator": ("operators", "code", ("active", "suspended")),
    }[kind]
    if status not in allowed:
        raise InputError.single("status", "invalid_code", f"状態は {', '.join(allowed)} のいずれかです",
                                f"status must be one of {', '.join(allowed)}")
    if not await repository.set_status(conn, table, col, key, status):
        raise NotFound()
    if kind == "user" and status == "active":
        await repository.set_login_result(conn, (await repository.user_by_login(conn, key))["id"],
                                          failed_logins=0, status="active")
    await write(conn, cli_entry(f"{kind}.status", actor, resource_type=kind, resource_ids=[key],
                                detail={"status": status}))
