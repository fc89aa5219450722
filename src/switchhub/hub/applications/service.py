"""Applications as the hub serves them (P4, P7): filing, status, withdrawal and the feed.

The hub validates and routes; the point's area system executes. Each public action is the one
implementation behind its API route and its Web form: it checks the actor's permission, calls
the area, checks the answer again with `kernel.visibility` (strip + alert, like facility data)
and writes the audit record in the caller's transaction.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.contract.applications import SwitchEndRequest, SwitchStartRequest, WithdrawRequest
from switchhub.hub.accounts import permissions
from switchhub.hub.audit.context import Actor
from switchhub.hub.audit.repository import write
from switchhub.hub.gateway.client import AreaClient
from switchhub.hub.relays import service as relays
from switchhub.kernel.caller import Caller
from switchhub.kernel.errors import InputError, NotFound, SwitchhubError
from switchhub.kernel.spid import AREA_CODES, parse_spid
from switchhub.kernel.visibility import check_application_answer

log = logging.getLogger("switchhub.hub.applications")
KINDS = ("switch-start", "switch-end")


def _not_found() -> NotFound:
    return NotFound("指定された申込はありません", "No such application")


def area_of_application(application_no: str) -> str:
    if len(application_no) < 3 or application_no[:2] not in AREA_CODES or len(application_no) > 40:
        raise _not_found()
    return application_no[:2]


async def _checked(conn: AsyncConnection, actor: Actor, answer: dict[str, Any]) -> dict[str, Any]:
    """The hub's second opinion on an area's application answer: drop what the caller may not see."""
    bad = check_application_answer(actor.caller, answer)
    if not bad:
        return answer
    log.error("area answered restricted application fields", extra={"fields": bad})
    await write(conn, actor.alert("visibility.restricted_field", resource_type="application",
                                  resource_ids=[str(answer.get("application_no", ""))], fields=bad,
                                  outcome="stripped"))
    if len(bad) == len(answer):
        raise _not_found()
    return {k: v for k, v in answer.items() if k not in bad}


async def _audit_read(conn: AsyncConnection, actor: Actor, answer: dict[str, Any]) -> None:
    if "details" in answer:  # the applicant's customer details are personal data
        await write(conn, actor.entry("application.read", resource_type="application",
                                      resource_ids=[answer["application_no"]], fields=["details"], item_count=1))


async def prepare(conn: AsyncConnection, caller: Caller, kind: str, body: BaseModel) -> tuple[BaseModel, str | None]:
    """The hub's checks of one filing before the area sees it (also each row of a bulk file): the
    kind, the spid, and a named relay (the caller's OK relay for the point, locked until the end of
    the transaction). Returns the body with the parsed spid and the relay to link."""
    if kind not in KINDS:
        raise _not_found()
    spid = parse_spid(getattr(body, "spid"))
    relay_no = getattr(body, "relay_no", None) if kind == "switch-start" else None
    if relay_no:
        await relays.link_switch_start(conn, caller, relay_no, spid)
    return body.model_copy(update={"spid": spid}), relay_no


async def record(conn: AsyncConnection, actor: Actor, kind: str, answer: dict[str, Any], relay_no: str | None
                 ) -> dict[str, Any]:
    """After the area accepted a filing: the hub's second opinion on the answer, the relay's link
    and the audit record of the filing."""
    answer = await _checked(conn, actor, answer)
    if relay_no:
        await relays.record_switch_start(conn, relay_no, answer["application_no"])
    await write(conn, actor.entry(f"application.{kind}", resource_type="application",
                                  resource_ids=[answer["application_no"]], detail={"spid": answer["spid"],
                                                                                  "stage": answer["stage"]}))
    return answer


async def file(conn: AsyncConnection, areas: AreaClient, actor: Actor, kind: str,
               body: SwitchStartRequest | SwitchEndRequest) -> dict[str, Any]:
    """File at the point's area; a named relay must be the caller's OK relay and is linked after."""
    caller = actor.caller
    permissions.check(caller, "hub:applications:write")
    checked, relay_no = await prepare(conn, caller, kind, body)
    answer = await areas.file_application(caller, kind, checked)
    return await record(conn, actor, kind, answer, relay_no)


async def status(conn: AsyncConnection, areas: AreaClient, actor: Actor, application_no: str) -> dict[str, Any]:
    """業務処理状況確認: one application as the caller may see it."""
    permissions.check(actor.caller, "hub:applications:read")
    area_of_application(application_no)
    answer = await _checked(conn, actor, await areas.application(actor.caller, application_no))
    await _audit_read(conn, actor, answer)
    return answer


async def withdraw(conn: AsyncConnection, areas: AreaClient, actor: Actor, application_no: str,
                   reason: str) -> dict[str, Any]:
    """Update flag 3: the applicant withdraws (after matching: both of the pair are rejected)."""
    permissions.check(actor.caller, "hub:applications:write")
    area_of_application(application_no)
    answer = await areas.withdraw_application(actor.caller, application_no, WithdrawRequest(reason=reason))
    answer = await _checked(conn, actor, answer)
    await write(conn, actor.entry("application.withdraw", resource_type="application",
                                  resource_ids=[application_no], detail={"reason": reason}))
    return answer


def decode_cursor(cursor: str) -> dict[str, int]:
    if not cursor:
        return {}
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor.encode() + b"=" * (-len(cursor) % 4)))
        return {str(k): int(v) for k, v in raw.items() if str(k) in AREA_CODES and int(v) >= 0}
    except (ValueError, TypeError, AttributeError):
        raise InputError.single("cursor", "invalid_cursor", "カーソルの形式が正しくありません",
                                "The cursor is not valid") from None


def encode_cursor(pos: dict[str, int]) -> str:
    return base64.urlsafe_b64encode(json.dumps(pos, sort_keys=True).encode()).decode().rstrip("=")


async def feed(areas: AreaClient, caller: Caller, cursor: str, limit: int) -> dict[str, Any]:
    """Every stage change of the caller's applications, in order per area (IF_11110).

    The areas are asked concurrently; one that is down or slow is named in `unavailable_areas`
    and keeps its cursor position, while the others' changes are served (targets R4).
    """
    permissions.check(caller, "hub:applications:read")
    pos = decode_cursor(cursor)
    targets = sorted(caller.areas) or list(AREA_CODES)
    answers = await asyncio.gather(*(areas.feed(a, caller, pos.get(a, 0), limit) for a in targets),
                                   return_exceptions=True)
    items: list[dict[str, Any]] = []
    unavailable: list[dict[str, Any]] = []
    for area, answer in zip(targets, answers):
        if isinstance(answer, SwitchhubError) and answer.status >= 500:
            unavailable.append({"area": area, "status": answer.status, "code": answer.code})
            continue
        if isinstance(answer, BaseException):
            raise answer
        items += [{**i.model_dump(), "area": area} for i in answer.items]
        pos[area] = answer.last_seq
    return {"items": items, "next_cursor": encode_cursor(pos), "unavailable_areas": unavailable}
