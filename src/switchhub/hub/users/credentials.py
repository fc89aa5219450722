"""API credentials of the admin's own API users: issue (the token shown once), list, revoke.

Only API users hold credentials (a person logs in on the Web); a credential works only together
with its operator's API certificate, which `accounts.service.resolve_api_caller` checks.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.hub.accounts import permissions
from switchhub.hub.accounts import service as accounts
from switchhub.hub.audit.context import Actor
from switchhub.hub.audit.repository import write
from switchhub.hub.users import repository
from switchhub.kernel.errors import Conflict, InputError, NotFound


async def _api_user(conn: AsyncConnection, actor: Actor, login_id: str) -> dict[str, Any]:
    permissions.check(actor.caller, "hub:credentials:issue")
    user = await repository.user_of_operator(conn, actor.caller.operator_code, login_id)
    if user is None:
        raise NotFound("指定されたユーザはありません", "No such user", code="user_not_found")
    if not user["is_api_user"]:
        raise Conflict("APIクレデンシャルはAPIユーザにだけ発行できます", "Credentials are for API users only",
                       code="not_api_user")
    return user


async def list_credentials(conn: AsyncConnection, actor: Actor, login_id: str) -> dict[str, Any]:
    user = await _api_user(conn, actor, login_id)
    items = await repository.credentials_of(conn, user["id"])
    return {"login_id": login_id, "items": items}


async def issue(conn: AsyncConnection, actor: Actor, login_id: str, label: str) -> dict[str, Any]:
    user = await _api_user(conn, actor, login_id)
    if user["status"] != "active":
        raise Conflict("利用中でないユーザにはAPIクレデンシャルを発行できません", "The user is not active",
                       code="user_not_active")
    label = label.strip()
    if len(label) > 100:
        raise InputError.single("label", "too_long", "ラベルは100文字以内です", "At most 100 characters")
    token = await accounts.issue_credential(conn, user["id"], label)
    key_id = token[4:].split(".")[0]
    await write(conn, actor.entry("credential.issue", resource_type="api_credential", resource_ids=[key_id],
                                  detail={"for": login_id, "label": label}))
    return {"login_id": login_id, "key_id": key_id, "label": label, "token": token}


async def revoke(conn: AsyncConnection, actor: Actor, login_id: str, key_id: str, now: datetime) -> dict[str, Any]:
    """The admin revokes one credential of its API user (the existing revocation, which audits it)."""
    await _api_user(conn, actor, login_id)
    owned = {c["key_id"] for c in await list_credentials_raw(conn, actor, login_id)}
    if key_id not in owned:
        raise NotFound("指定されたAPIクレデンシャルはありません", "No such credential")
    return await accounts.revoke_credential(conn, actor, key_id, now)


async def list_credentials_raw(conn: AsyncConnection, actor: Actor, login_id: str) -> list[dict[str, Any]]:
    user = await repository.user_of_operator(conn, actor.caller.operator_code, login_id)
    return await repository.credentials_of(conn, user["id"]) if user else []
