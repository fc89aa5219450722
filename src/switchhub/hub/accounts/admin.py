"""Administrative account operations used by the CLI, the demo and OCCTO admins.

Each function takes a connection inside the caller's transaction and writes an audit
record for the change (admin actions are audited like any other state change).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.hub.accounts import repository
from switchhub.hub.accounts.service import issue_credential
from switchhub.hub.audit.context import cli_entry
from switchhub.hub.audit.repository import write
from switchhub.kernel.errors import InputError, NotFound


async def register_certificate(conn: AsyncConnection, *, fingerprint: str, subject: str, operator_code: str,
                               purpose: str, not_before: datetime | None, not_after: datetime | None,
                               actor: str = "cli") -> None:
    if purpose not in ("web", "api"):
        raise InputError.single("purpose", "invalid_code", "用途は web または api を指定してください",
                                "purpose must be web or api")
    if not await repository.operators(conn) or operator_code not in {
            o["code"] for o in await repository.operators(conn)}:
        raise NotFound(f"事業者コード {operator_code} は登録されていません", f"Unknown operator {operator_code}")
    await repository.insert_certificate(conn, fingerprint=fingerprint, subject=subject, operator_code=operator_code,
                                        purpose=purpose, not_before=not_before, not_after=not_after)
    await write(conn, cli_entry("certificate.register", actor, operator_code=operator_code,
                                resource_type="client_certificate", resource_ids=[fingerprint],
                                detail={"purpose": purpose, "subject": subject}))


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
