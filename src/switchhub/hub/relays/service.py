"""The cancellation relay (廃止取次, P3): register, correct, decide, withdraw, expire, follow matching.

Each public action is the one implementation behind its API route and its Web form (Zulip's
`do_*`): it checks the actor's permission, makes the change through the transition rules, and
writes the audit record in the caller's transaction; the door only translates. Which relays
and which fields a caller sees is decided by `kernel.visibility` (relay_grant, relay_scope);
anyone else gets the same 404 as for a relay that does not exist.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.contract.events import StageChanged, SwitchMatched, SwitchMatchFailed
from switchhub.db import driver, jobs
from switchhub.hub.accounts import permissions
from switchhub.hub.audit.context import Actor
from switchhub.hub.audit.repository import write
from switchhub.hub.gateway.client import AreaClient
from switchhub.hub.inbox import repository as inbox_repo
from switchhub.hub.notify.publish import publish_many
from switchhub.hub.relays import repository as repo
from switchhub.hub.relays import rules
from switchhub.hub.relays.registration import (
    OpenRelayExists,
    audit,
    check_point,
    check_registration,
    event_of,
    midnight,
    new_relay,
    pending_types_at,
    refuse_duplicate,
    relay_numbers,
    retailers,
    store_new,
)
from switchhub.hub.relays.schemas import RelayCorrection, RelayDecisionInput, RelayRegistration
from switchhub.kernel.caller import Caller
from switchhub.kernel.clock import JST
from switchhub.kernel.codes import ApplicationStage, ApplicationType, NgReason, RelayDecision, RelayStatus
from switchhub.kernel.errors import Conflict, InputError, IssueCollector, NotFound
from switchhub.kernel.text import normalize_kana, normalize_text, validate_phone
from switchhub.kernel.visibility import RELAY_PERSONAL_FIELDS, project_relay, relay_grant, relay_scope

SWITCH_START_TYPES = {ApplicationType.SWITCH_START, ApplicationType.FIT_SWITCH_START}


def _not_found() -> NotFound:
    return NotFound("指定された廃止取次はありません", "No such relay")


async def _event(conn: AsyncConnection, kind: str, relay: dict[str, Any], now: datetime, **extra: Any) -> None:
    await publish_many(conn, kind, [event_of(kind, relay, now, **extra)], now)


async def register(conn: AsyncConnection, areas: AreaClient, actor: Actor, req: RelayRegistration,
                   now: datetime) -> dict[str, Any]:
    """The new retailer registers a relay to the point's current retailer (IS_20110)."""
    caller = actor.caller
    permissions.check(caller, "hub:relays:write")
    named = await retailers(conn, [req.current_retailer_code.strip().upper()])
    spid, code = check_registration(caller, req, now.astimezone(JST).date(), named)
    check_point(caller, await pending_types_at(areas, caller, spid), await repo.open_for_point(conn, spid))
    relay = new_relay(caller, req, spid, code, (await relay_numbers(conn, now, 1))[0], now)
    try:
        await store_new(conn, actor, [relay], now)
    except OpenRelayExists:
        refuse_duplicate(caller, await repo.open_for_point(conn, spid))
        raise Conflict("この供給地点には受付中の廃止取次があります", "An open relay exists for this point",
                       code="relay_duplicate") from None
    return await _answer(conn, caller, relay["relay_no"])


async def _locked_visible(conn: AsyncConnection, caller: Caller, relay_no: str) -> dict[str, Any]:
    relay = await repo.get(conn, relay_no, for_update=True)
    if relay is None or relay_grant(caller, relay["new_retailer"], relay["current_retailer"]) is None:
        raise _not_found()
    return relay


async def correct(conn: AsyncConnection, actor: Actor, relay_no: str, req: RelayCorrection, now: datetime
                  ) -> dict[str, Any]:
    """The new retailer corrects its relay while it awaits the decision (訂正)."""
    caller = actor.caller
    permissions.check(caller, "hub:relays:write")
    relay = await _locked_visible(conn, caller, relay_no)
    if relay["new_retailer"] != caller.operator_code:
        raise _not_found()
    if not rules.MACHINE.can(relay, "correct"):
        raise Conflict("訂正できるのは判断待ちの廃止取次だけです", "Only relays awaiting a decision can be corrected",
                       code="relay_status_conflict")
    fields = {k: v for k, v in req.model_dump(exclude_none=True).items()}
    if not fields:
        raise InputError.single("body", "empty", "訂正する項目を指定してください", "Nothing to correct")
    if "contact_phone" in fields:
        fields["contact_phone"] = validate_phone(fields["contact_phone"], "contact_phone")
    if "customer_name_kana" in fields:
        fields["customer_name_kana"] = normalize_kana(fields["customer_name_kana"])
    await rules.apply(conn, relay, "correct", actor=caller.user_login, changes=fields,
                      detail={"fields": sorted(fields)})
    await write(conn, audit(actor, "correct", relay_no, fields=sorted(fields)))
    return await _answer(conn, caller, relay_no)


def _check_decision(req: RelayDecisionInput) -> None:
    issues = IssueCollector()
    reasons = list(dict.fromkeys(req.ng_reasons))
    if req.decision == RelayDecision.OK and reasons:
        issues.add("ng_reasons", "not_allowed", "OKの判断にNG理由は指定できません", "No NG reasons with an OK decision")
    if req.decision == RelayDecision.NG:
        if not reasons:
            issues.add("ng_reasons", "required", "NGの判断にはNG理由を1つ以上指定してください", "Give at least one NG reason")
        if "1" in reasons and len(reasons) > 1:
            issues.add("ng_reasons", "spid_error_alone",
                       "供給地点特定番号エラー（理由1）の場合は他の理由を指定できません",
                       "Reason 1 (wrong supply point) must be given alone")
        if "9" in reasons and not req.memo.strip():
            issues.add("memo", "required", "NG理由「その他」の場合はメモを入力してください", "A memo is required for reason 9")
    issues.raise_if_any()


async def decide(conn: AsyncConnection, actor: Actor, relay_no: str, req: RelayDecisionInput, now: datetime
                 ) -> dict[str, Any]:
    """The current retailer decides OK or NG (IS_20410); the new retailer is told it cannot."""
    caller = actor.caller
    permissions.check(caller, "hub:relays:write")
    relay = await _locked_visible(conn, caller, relay_no)
    if relay["current_retailer"] != caller.operator_code:
        raise Conflict("判断できるのは現小売事業者だけです", "Only the current retailer decides",
                       code="not_current_retailer")
    _check_decision(req)
    changes = {"decision": req.decision, "decision_staff": normalize_text(req.staff_name), "decided_at": now,
               "ng_reasons": sorted(set(req.ng_reasons)), "ng_memo": req.memo.strip()}
    async with driver.hold(conn):  # the change, the jobs, the event and the audit record: two statements
        relay = await rules.apply(conn, relay, "decide_ok" if req.decision == RelayDecision.OK else "decide_ng",
                                  actor=caller.user_login, changes=changes)
        await jobs.cancel(conn, "relays.expire_undecided", relay_no, now)
        if req.decision == RelayDecision.OK:
            await jobs.enqueue(conn, "relays.expire_no_application", relay_no,
                               midnight(relay["requested_switch_date"] + timedelta(days=1)))
        await _event(conn, "relay.decided", relay, now, decision=req.decision, ng_reasons=changes["ng_reasons"])
        await write(conn, audit(actor, "decide", relay_no, decision=req.decision, ng_reasons=changes["ng_reasons"]))
    return await _answer(conn, caller, relay_no)


async def withdraw(conn: AsyncConnection, actor: Actor, relay_no: str, reason: str, now: datetime
                   ) -> dict[str, Any]:
    """The new retailer withdraws (06) while 01 or 02; OCCTO's helpdesk may withdraw any, with a reason."""
    caller = actor.caller
    permissions.check(caller, "hub:relays:helpdesk" if caller.is_occto else "hub:relays:write")
    relay = await _locked_visible(conn, caller, relay_no)
    if caller.is_occto:
        if not reason.strip():
            raise InputError.single("reason", "required", "ヘルプデスクによる取消には理由が必要です",
                                    "The helpdesk must give a reason")
        rule = "helpdesk_withdraw"
    elif relay["new_retailer"] == caller.operator_code:
        rule = "withdraw"
    else:
        raise _not_found()
    async with driver.hold(conn):
        relay = await rules.apply(conn, relay, rule, actor=caller.user_login,
                                  changes={"withdrawn_by": caller.operator_code, "withdrawal_reason": reason.strip()})
        await jobs.cancel(conn, ["relays.expire_undecided", "relays.expire_no_application"], relay_no, now)
        await _event(conn, "relay.withdrawn", relay, now, reason=reason.strip(), withdrawn_by=caller.operator_code)
        await write(conn, audit(actor, "withdraw", relay_no, reason=reason.strip()))
    return await _answer(conn, caller, relay_no)


async def expire(conn: AsyncConnection, relay_no: str, rule: str, now: datetime) -> None:
    """Deadline job: expire once, only if the relay is still in the state the deadline watches."""
    relay = await repo.get(conn, relay_no, for_update=True)
    if relay is None or not rules.MACHINE.can(relay, rule):
        return
    if rule == "expire_no_application" and relay["switch_start_no"]:
        return
    relay = await rules.apply(conn, relay, rule, actor="system")
    await _event(conn, "relay.expired", relay, now)


async def link_switch_start(conn: AsyncConnection, caller: Caller, relay_no: str, spid: str) -> dict[str, Any]:
    """Check before filing a switch-start that names a relay: the caller's own OK relay for that point;
    returns the relay (its requested date is the start's default date).

    The relay stays locked until the filing's transaction ends, so two filings cannot both use it."""
    relay = await repo.get(conn, relay_no, for_update=True)
    if relay is None or relay["new_retailer"] != caller.operator_code:
        raise InputError.single("relay_no", "unknown_relay", f"廃止取次番号 {relay_no} は見つかりません",
                                "Unknown relay number")
    if relay["spid"] != spid:
        raise InputError.single("relay_no", "spid_mismatch", "廃止取次と供給地点特定番号が一致しません",
                                "The relay is for another supply point")
    if relay["status"] != RelayStatus.DECIDED_OK:
        raise Conflict(f"廃止取次が「{RelayStatus(relay['status']).ja}」のためスイッチング開始を申し込めません",
                       "The relay is not decided OK", code="relay_not_ok")
    return relay


async def requested_date_for_party(conn: AsyncConnection, caller: Caller, relay_no: str) -> date | None:
    """The relay's requested switch date when the caller is one of its retailers (else None)."""
    relay = await repo.get(conn, relay_no)
    if relay is None or relay_grant(caller, relay["new_retailer"], relay["current_retailer"]) is None:
        return None
    return relay["requested_switch_date"]


async def record_switch_start(conn: AsyncConnection, relay_no: str, application_no: str) -> None:
    await repo.update_fields(conn, relay_no, {"switch_start_no": application_no})


async def _relay_waiting(conn: AsyncConnection, relay_no: str | None) -> dict[str, Any] | None:
    """The OK relay an area event is about, locked; None when there is none or it moved on."""
    if not relay_no:
        return None
    relay = await repo.get(conn, relay_no, for_update=True)
    return relay if relay is not None and relay["status"] == RelayStatus.DECIDED_OK else None


async def on_stage_changed(conn: AsyncConnection, event: StageChanged, now: datetime) -> None:
    """A switch-start filed on an OK relay was withdrawn (07) or rejected (09)."""
    if event.type not in SWITCH_START_TYPES:
        return
    relay = await _relay_waiting(conn, event.relay_no)
    if relay is None:
        return
    if event.to_stage == ApplicationStage.WITHDRAWN and relay["switch_start_no"] == event.application_no:
        await _switch_start_withdrawn(conn, relay, now)
    elif event.to_stage == ApplicationStage.REJECTED:
        await _match_failed(conn, relay, event.model_dump(), event.reason_code or None, now)


async def on_switch_matched(conn: AsyncConnection, event: SwitchMatched, now: datetime) -> None:
    relay = await _relay_waiting(conn, event.relay_no)
    if relay is None:
        return
    relay = await rules.apply(conn, relay, "matched", actor="area", detail=event.model_dump(),
                              changes={"switch_start_no": event.start_no})
    await jobs.cancel(conn, "relays.expire_no_application", relay["relay_no"], now)
    await _event(conn, "relay.matched", relay, now, switch_date=event.switch_date)


async def on_match_failed(conn: AsyncConnection, event: SwitchMatchFailed, now: datetime) -> None:
    relay = await _relay_waiting(conn, event.relay_no)
    if relay is not None:
        await _match_failed(conn, relay, event.model_dump(), event.reason_code or None, now)


async def _match_failed(conn: AsyncConnection, relay: dict[str, Any], detail: dict[str, Any], reason: str | None,
                        now: datetime) -> None:
    relay = await rules.apply(conn, relay, "match_failed", actor="area", detail=detail, reason=reason)
    await jobs.cancel(conn, "relays.expire_no_application", relay["relay_no"], now)
    await _event(conn, "relay.match_failed", relay, now, reason_code=reason)


async def _switch_start_withdrawn(conn: AsyncConnection, relay: dict[str, Any], now: datetime) -> None:
    """The switch-start filed on an OK relay was withdrawn: the relay waits for another one again,
    and expires at once if its requested date has already passed (a stale relay blocks the point)."""
    await repo.update_fields(conn, relay["relay_no"], {"switch_start_no": None})
    deadline = midnight(relay["requested_switch_date"] + timedelta(days=1))
    if now >= deadline:
        await expire(conn, relay["relay_no"], "expire_no_application", now)
    else:
        await jobs.enqueue(conn, "relays.expire_no_application", relay["relay_no"], deadline)


def _public(relay: dict[str, Any]) -> dict[str, Any]:
    out = {k: (v.astimezone(JST).isoformat() if isinstance(v, datetime) else v.isoformat() if isinstance(v, date)
               else v) for k, v in relay.items()}
    out["status_name"] = RelayStatus(relay["status"]).ja
    out["ng_reason_names"] = [NgReason(r).ja for r in relay.get("ng_reasons") or []]
    return out


async def _answer(conn: AsyncConnection, caller: Caller, relay_no: str) -> dict[str, Any]:
    relay, history = await repo.with_history(conn, relay_no)
    grant = relay_grant(caller, relay["new_retailer"], relay["current_retailer"]) if relay else None
    if relay is None or grant is None:
        raise _not_found()
    out = _public(relay)
    if relay["switch_start_no"]:  # the linked start's date, as its area last reported it (issue 7)
        out["switch_start_date"] = await inbox_repo.requested_date_of(conn, relay["area"], relay["switch_start_no"])
    out["history"] = [{**h, "at": h["at"].astimezone(JST).isoformat()} for h in history]
    return project_relay(out, grant)


async def detail(conn: AsyncConnection, actor: Actor, relay_no: str) -> dict[str, Any]:
    """One relay as the caller may see it (IS_20210), with its history; audited when it names the customer."""
    caller = actor.caller
    permissions.check(caller, "hub:relays:read")
    relay = await _answer(conn, caller, relay_no)
    personal = sorted(RELAY_PERSONAL_FIELDS & relay.keys())
    if personal:
        await write(conn, actor.entry("relay.read", resource_type="relay", resource_ids=[relay_no], fields=personal,
                                      item_count=1))
    return relay


async def listing(conn: AsyncConnection, actor: Actor, side: str, filters: dict[str, Any], page: int,
                  per_page: int) -> dict[str, Any]:
    """Relays I registered (side=new, IS_20210) or addressed to me (side=current, IS_20310); all for the helpdesk."""
    caller = actor.caller
    permissions.check(caller, "hub:relays:read")
    scope = relay_scope(caller, side)
    if scope is None:
        return {"total": 0, "page": page, "per_page": per_page, "items": []}
    if filters.get("customer_name") and not scope.customer_search:
        raise InputError.single("customer_name", "not_searchable", "需要者名では検索できません（表示されない項目です）",
                                "You cannot search by the customer's name (it is not shown to you)")
    where: list[str] = []
    params: dict[str, Any] = {}
    counterpart = "r.current_retailer" if side == "new" else "r.new_retailer"
    counterpart_name = "cr.name" if side == "new" else "nr.name"
    simple = {"relay_no": "r.relay_no = :relay_no", "spid": "r.spid = :spid", "status": "r.status = :status",
              "area": "r.area = :area", "counterpart_code": f"{counterpart} = :counterpart_code",
              "party_code": "(r.new_retailer = :party_code OR r.current_retailer = :party_code)"}
    for key, cond in simple.items():
        if filters.get(key):
            where.append(cond)
            params[key] = filters[key]
    if filters.get("counterpart_name"):
        where.append(f"{counterpart_name} LIKE :cname")
        params["cname"] = "%" + filters["counterpart_name"].replace("%", "").replace("_", "") + "%"
    if filters.get("customer_name"):
        where.append("(r.customer_name_kana LIKE :cust OR r.customer_name_kanji LIKE :cust)")
        params["cust"] = filters["customer_name"].replace("%", "").replace("_", "") + "%"
    if filters.get("registered_from"):
        where.append("r.registered_at >= :rfrom")
        params["rfrom"] = midnight(filters["registered_from"])
    if filters.get("registered_to"):
        where.append("r.registered_at < :rto")
        params["rto"] = midnight(filters["registered_to"] + timedelta(days=1))
    total, rows = await repo.search(conn, scope, where, params, (page - 1) * per_page, per_page)
    items = []
    for r in rows:
        grant = relay_grant(caller, r["new_retailer"], r["current_retailer"])
        if grant is not None:
            items.append(project_relay(_public(r), grant))
    personal = sorted({f for item in items for f in RELAY_PERSONAL_FIELDS & item.keys()})
    if personal:
        await write(conn, actor.entry("relay.list", resource_type="relay", resource_ids=[i["relay_no"] for i in items],
                                      fields=personal, item_count=len(items)))
    return {"total": total, "page": page, "per_page": per_page, "items": items}
