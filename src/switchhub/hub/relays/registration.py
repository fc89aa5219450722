"""Registering relays: the checks and the storage shared by one registration (`service.register`)
and the rows of a bulk file (`hub.bulk.service`), so that both apply the same rules.

`check_registration` (fields), `check_point` (the point's pending terminations and open relay),
`new_relay` (the stored record) and `store_new` (relays, first state and history through the
transition engine, deadline jobs, events and audit records, with a constant number of statements
for any number of relays).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.db import driver, jobs
from switchhub.hub.accounts import repository as accounts
from switchhub.hub.audit.context import Actor
from switchhub.hub.audit.repository import write
from switchhub.hub.gateway.client import AreaClient
from switchhub.hub.notify.publish import Event, publish_many
from switchhub.hub.relays import repository as repo
from switchhub.hub.relays import rules
from switchhub.hub.relays.schemas import RelayRegistration
from switchhub.kernel import calendar as cal
from switchhub.kernel.caller import Caller
from switchhub.kernel.clock import JST
from switchhub.kernel.codes import ApplicationType, NgReason, RelayStatus
from switchhub.kernel.errors import Conflict, InputError, IssueCollector, NotFound
from switchhub.kernel.spid import parse_spid
from switchhub.kernel.text import normalize_kana, normalize_text, validate_phone

T = ApplicationType
TERMINATING_TYPES = {T.TERMINATION, T.TERMINATION_REMOVAL, T.SWITCH_END, T.FIT_TERMINATION,
                     T.FIT_TERMINATION_REMOVAL, T.FIT_SWITCH_END}


def midnight(d: date) -> datetime:
    return datetime.combine(d, time(0), tzinfo=JST)


def audit(actor: Actor, action: str, relay_no: str, **detail: Any):
    return actor.entry(f"relay.{action}", resource_type="relay", resource_ids=[relay_no], detail=dict(detail))


def point_not_found(spid: str) -> InputError:
    return InputError.single("spid", "point_not_found", f"供給地点特定番号 {spid} の供給地点はありません",
                             "No such supply point")


async def pending_types_at(areas: AreaClient, caller: Caller, spid: str) -> set[str]:
    """Application types pending at the point (a public facility field), from the point's area."""
    try:
        answer = await areas.lookup(caller, spid)
    except NotFound:
        raise point_not_found(spid) from None
    return pending_types(answer.point)


def pending_types(point: dict[str, Any]) -> set[str]:
    return {a["type"] for a in point.get("pending_applications") or []}


def event_of(kind: str, relay: dict[str, Any], now: datetime, **extra: Any) -> Event:
    data = {"relay_no": relay["relay_no"], "spid": relay["spid"], "status": relay["status"],
            "status_name": RelayStatus(relay["status"]).ja, "new_retailer": relay["new_retailer"],
            "current_retailer": relay["current_retailer"], **extra}
    return Event([relay["new_retailer"], relay["current_retailer"]], data,
                 f"{kind}:{relay['relay_no']}:{relay['status']}")


async def retailers(conn: AsyncConnection, codes: list[str] | None = None) -> dict[str, dict[str, Any]]:
    """The registered retailers by code (what a registration's current retailer must be): all of them
    for a bulk file, the ones named for a single registration."""
    return {o["code"]: o for o in await accounts.operators(conn, "retailer", codes=codes)}


def check_registration(caller: Caller, req: RelayRegistration, today: date,
                       known: dict[str, dict[str, Any]]) -> tuple[str, str]:
    """The field checks of a registration, for one relay and for each row of a bulk file alike:
    (spid, current retailer code), or every field's issue at once."""
    issues = IssueCollector()
    try:
        spid = parse_spid(req.spid)
    except InputError as exc:
        issues.extend(exc.errors)
        spid = ""
    code = req.current_retailer_code.strip().upper()
    if code not in known:
        issues.add("current_retailer_code", "unknown_operator", f"事業者コード {code} の小売電気事業者は登録されていません",
                   f"No retailer with code {code}")
    elif code == caller.operator_code:
        issues.add("current_retailer_code", "self", "自社を現小売事業者として指定することはできません",
                   "You cannot relay to yourself")
    if req.requested_switch_date < today:
        issues.add("requested_switch_date", "past_date", f"スイッチング希望日 {req.requested_switch_date} は過去の日付です",
                   "The requested switch date is in the past")
    for field in ("contact_phone",):
        try:
            validate_phone(getattr(req, field), field)
        except InputError as exc:
            issues.extend(exc.errors)
    issues.raise_if_any()
    return spid, code


def check_point(caller: Caller, pending: set[str], existing: dict[str, Any] | None) -> None:
    """The point's own checks: no termination pending there, no open relay for it."""
    if pending & TERMINATING_TYPES:
        raise Conflict(f"この供給地点は現小売事業者による廃止を受付中です（{NgReason.TERMINATION_IN_PROGRESS.ja}）",
                       "The current retailer has already filed a termination for this point",
                       code="termination_pending")
    refuse_duplicate(caller, existing)


def new_relay(caller: Caller, req: RelayRegistration, spid: str, code: str, relay_no: str, now: datetime
              ) -> dict[str, Any]:
    today = now.astimezone(JST).date()
    return {
        "relay_no": relay_no, "spid": spid, "area": spid[:2],
        "new_retailer": caller.operator_code, "current_retailer": code, "contract_no": normalize_text(req.contract_no),
        "customer_name_kana": normalize_kana(req.customer_name_kana),
        "customer_name_kanji": normalize_text(req.customer_name_kanji), "address": normalize_text(req.address),
        "building": normalize_text(req.building), "requested_switch_date": req.requested_switch_date,
        "contact_name": normalize_text(req.contact_name), "contact_phone": validate_phone(req.contact_phone),
        "status": RelayStatus.AWAITING_DECISION.value, "decision_deadline": cal.add_business_days(today, 3),
        "registered_by": caller.user_login, "registered_at": now,
    }


class OpenRelayExists(Exception):
    """A point of the relays being stored got an open relay from a concurrent registration."""


async def store_new(conn: AsyncConnection, actor: Actor, relays: list[dict[str, Any]], now: datetime) -> None:
    """Store registered relays (one, or a bulk file's rows) with their first state and history, the
    undecided-deadline jobs, the events and one audit record each: a constant number of statements.
    A concurrent registration for one of the points raises OpenRelayExists before anything else is
    written; the caller refuses the request and its transaction is rolled back."""
    if await repo.insert_new(conn, relays) < len(relays):
        raise OpenRelayExists()
    async with driver.hold(conn):  # history, jobs, events and audit records: one statement
        await rules.MACHINE.record_new(conn, relays, "register", actor=actor.caller.user_login)
        await jobs.enqueue_many(conn, "relays.expire_undecided",
                                [(r["relay_no"], midnight(r["decision_deadline"] + timedelta(days=1))) for r in relays])
        await publish_many(conn, "relay.registered", [event_of("relay.registered", r, now) for r in relays], now)
        await write(conn, *(audit(actor, "register", r["relay_no"]) for r in relays))


async def open_relays(conn: AsyncConnection, spids: list[str], *, lock: bool) -> dict[str, dict[str, Any]]:
    """The open relay of each point that has one (a bulk file's prefetch for `check_point`)."""
    return await repo.open_for_points(conn, spids, for_update=lock)


async def relay_numbers(conn: AsyncConnection, now: datetime, count: int) -> list[str]:
    return await repo.next_numbers(conn, now.astimezone(JST).date(), count)


def refuse_duplicate(caller: Caller, existing: dict[str, Any] | None) -> None:
    if existing is None:
        return
    if existing["new_retailer"] == caller.operator_code:
        raise Conflict(f"この供給地点には受付中の廃止取次があります（取次番号 {existing['relay_no']}、"
                       f"登録日 {existing['registered_at'].astimezone(JST).date()}）",
                       f"An open relay exists: {existing['relay_no']}", code="relay_duplicate",
                       extra={"relay_no": existing["relay_no"]})
    expires = existing["decision_deadline"] if existing["status"] == RelayStatus.AWAITING_DECISION else existing["requested_switch_date"]
    raise Conflict(f"この供給地点には他の事業者の廃止取次が受付中です（{expires} の終わりに期限切れとなります）",
                   f"Another operator's relay is open for this point (expires at the end of {expires})",
                   code="relay_duplicate", extra={"expires_on": str(expires)})
