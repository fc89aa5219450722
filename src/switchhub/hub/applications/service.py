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
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.contract.applications import REQUESTS, CorrectionRequest, WithdrawRequest
from switchhub.db import driver
from switchhub.hub.accounts import permissions
from switchhub.hub.applications import repository as index
from switchhub.hub.audit.context import Actor
from switchhub.hub.audit.repository import write
from switchhub.hub.gateway.client import AreaClient
from switchhub.hub.relays import service as relays
from switchhub.kernel.caller import Caller
from switchhub.kernel.clock import get_clock
from switchhub.kernel.codes import Area
from switchhub.kernel.errors import InputError, NotFound, SwitchhubError
from switchhub.kernel.spid import AREA_CODES, parse_spid
from switchhub.kernel.visibility import check_application_answer

log = logging.getLogger("switchhub.hub.applications")
KINDS = tuple(REQUESTS)


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
    personal = [f for f in ("details", "previous") if f in answer]
    if personal:  # the applicant's customer details (and the values before a change) are personal data
        await write(conn, actor.entry("application.read", resource_type="application",
                                      resource_ids=[answer["application_no"]], fields=personal, item_count=1))


def _in_callers_areas(caller: Caller, spid: str) -> None:
    """A retailer files only in the areas it is registered for (issue 7: M0300 filed in Kansai)."""
    if caller.is_retailer and spid[:2] not in caller.areas:
        name = Area(spid[:2]).ja
        raise InputError.single("spid", "area_not_registered",
                                f"{name}エリア（{spid[:2]}）の供給地点には申し込めません（登録されていないエリアです）",
                                f"You are not registered for area {spid[:2]}")


def _warning(code: str, ja: str, en: str) -> dict[str, str]:
    return {"code": code, "message": ja, "message_en": en}


@dataclass(frozen=True)
class Filing:
    """One filing as the hub has checked it, before the area sees it."""
    kind: str
    body: BaseModel
    spid: str
    relay_no: str | None = None
    relay_date: date | None = None  # the relay's requested date (switch-start / switch-end naming a relay)


async def prepare(conn: AsyncConnection, actor: Actor, kind: str, body: BaseModel) -> Filing:
    """The hub's own checks of one filing (also each row of a bulk file): the kind, the spid, the
    caller's areas, and a named relay — for a switch-start the caller's OK relay for the point,
    locked until the transaction ends, so two filings cannot both use it."""
    caller = actor.caller
    if kind not in REQUESTS or not isinstance(body, REQUESTS[kind]):
        raise _not_found()
    spid = parse_spid(getattr(body, "spid"))
    _in_callers_areas(caller, spid)
    body = body.model_copy(update={"spid": spid})
    relay_no = getattr(body, "relay_no", None)
    relay_date: date | None = None
    if kind == "switch-start" and relay_no:
        relay_date = (await relays.link_switch_start(conn, caller, relay_no, spid))["requested_switch_date"]
    elif kind == "switch-end" and relay_no:
        relay_date = await relays.requested_date_for_party(conn, caller, relay_no)
    return Filing(kind, body, spid, relay_no, relay_date)


def dated_for_relay(filing: Filing) -> BaseModel:
    """A switch-start filed for a relay without a date takes the relay's requested date (the
    customer's wish, so `customer_request`)."""
    if filing.kind != "switch-start" or filing.relay_date is None or getattr(filing.body, "switch_date") is not None:
        return filing.body
    return filing.body.model_copy(update={"switch_date": filing.relay_date, "customer_request": True})


async def _file_at_area(areas: AreaClient, actor: Actor, filing: Filing) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """The area's answer; a relay's date the point does not allow falls back to the earliest reading
    day, with a warning that says why."""
    key = actor.idempotency_key or None
    dated = dated_for_relay(filing)
    try:
        return await areas.file_application(actor.caller, filing.kind, dated, idempotency_key=key), []
    except InputError as exc:
        if dated is filing.body or not any(e.field == "switch_date" for e in exc.errors):
            raise
        reason = next(e.message_ja for e in exc.errors if e.field == "switch_date")
    answer = await areas.file_application(actor.caller, filing.kind, filing.body, idempotency_key=key)
    return answer, [_warning("relay_date_not_allowed",
                             f"廃止取次の希望日 {filing.relay_date} は指定できないため、最短の定例検針日"
                             f" {answer.get('switch_date')} で受け付けました（{reason}）",
                             f"The relay's date {filing.relay_date} is not allowed; filed for {answer.get('switch_date')}")]


async def record(conn: AsyncConnection, actor: Actor, filing: Filing, answer: dict[str, Any],
                 warnings: list[dict[str, str]] | None = None) -> dict[str, Any]:
    """After the area accepted a filing: the hub's second opinion on the answer, the date warnings,
    the worklist index, the relay's link and the audit record of the filing."""
    answer = await _checked(conn, actor, answer)
    warnings = list(warnings or [])
    if filing.relay_date is not None and answer.get("switch_date") and answer["switch_date"] != str(filing.relay_date) \
            and not warnings:
        warnings.append(_warning("relay_date_differs",
                                 f"スイッチング予定日 {answer['switch_date']} は廃止取次の希望日 {filing.relay_date} と異なります",
                                 f"The switch date {answer['switch_date']} differs from the relay's date {filing.relay_date}"))
    answer["warnings"] = [*answer.get("warnings", []), *warnings]
    async with driver.hold(conn):  # the worklist row, the relay's link and the audit record: one statement
        await index.upsert_filed(conn, answer, get_clock().now())
        if filing.kind == "switch-start" and filing.relay_no:
            await relays.record_switch_start(conn, filing.relay_no, answer["application_no"])
        await write(conn, actor.entry(f"application.{filing.kind}", resource_type="application",
                                      resource_ids=[answer["application_no"]],
                                      detail={"spid": filing.spid, "stage": answer["stage"]}))
    return answer


async def file(conn: AsyncConnection, areas: AreaClient, actor: Actor, kind: str, body: BaseModel) -> dict[str, Any]:
    """File an application of any kind at the point's area (update flag 1). A switch-start naming a
    relay must name the caller's OK relay and is linked after; a switch date that differs from the
    relay's gets a warning in the answer."""
    permissions.check(actor.caller, "hub:applications:write")
    filing = await prepare(conn, actor, kind, body)
    answer, warnings = await _file_at_area(areas, actor, filing)
    return await record(conn, actor, filing, answer, warnings)


async def correct(conn: AsyncConnection, areas: AreaClient, actor: Actor, application_no: str,
                  body: CorrectionRequest) -> dict[str, Any]:
    """Update flag 2: the applicant corrects its application before its dates are fixed; the area
    re-checks it as a new filing."""
    permissions.check(actor.caller, "hub:applications:write")
    area_of_application(application_no)
    answer = await areas.correct_application(actor.caller, application_no, body,
                                             idempotency_key=actor.idempotency_key or None)
    answer = await _checked(conn, actor, answer)
    await write(conn, actor.entry("application.correct", resource_type="application", resource_ids=[application_no],
                                  detail={"fields": sorted(body.model_dump(exclude_unset=True))}))
    return answer


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
    answer = await areas.withdraw_application(actor.caller, application_no, WithdrawRequest(reason=reason),
                                              idempotency_key=actor.idempotency_key or None)
    answer = await _checked(conn, actor, answer)
    await write(conn, actor.entry("application.withdraw", resource_type="application",
                                  resource_ids=[application_no], detail={"reason": reason}))
    return answer


def decode_cursor(cursor: str) -> dict[str, int]:
    if not cursor:
        return {}
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor.encode() + b"=" * (-len(cursor) % 4)))
        pos = {str(k): int(v) for k, v in raw.items() if str(k) in AREA_CODES}
        if any(not 0 <= v < 2**63 for v in pos.values()):  # the areas' feed sequences are bigints
            raise ValueError("cursor position out of range")
        return pos
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
