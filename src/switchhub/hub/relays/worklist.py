"""The current retailer's worklist of relays: how many await its decision (portal and nav badge)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.hub.accounts import permissions
from switchhub.hub.audit.context import Actor
from switchhub.hub.relays import repository as repo


async def awaiting_my_decision(conn: AsyncConnection, actor: Actor) -> int | None:
    """Relays in 01 判断待ち where the caller is the current retailer; None for a caller who decides
    no relays (not a retailer, or without the relay permission), so a page shows no badge at all.

    One COUNT, no relay and no customer named: not audited."""
    caller = actor.caller
    if not caller.is_retailer or not permissions.allowed(caller, "hub:relays:read"):
        return None
    return await repo.count_awaiting_decision(conn, caller.operator_code)
