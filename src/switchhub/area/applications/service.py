"""Switching (P4): switch-start / switch-end filing with the state checks, immediate matching,
withdrawal, the matching deadline and execution on the switch date.

Services never commit; endpoints and jobs own the transaction. Every stage change goes
through `rules.apply`, which also writes the feed entry and the outbox event.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.area.applications import repository as repo
from switchhub.area.applications import rules
from switchhub.area.outbox.repository import emit
from switchhub.contract.applications import SwitchEndRequest, SwitchStartRequest
from switchhub.contract.events import SwitchCompleted, SwitchMatched, SwitchMatchFailed, SwitchWithdrawn
from switchhub.db import jobs
from switchhub.kernel import calendar as cal
from switchhub.kernel.caller import Caller
from switchhub.kernel.clock import JST
from switchhub.kernel.codes import ApplicationStage, ApplicationType, RejectionReason
from switchhub.kernel.errors import Conflict, InputError, IssueCollector, NotFound
from switchhub.kernel.spid import parse_spid
from switchhub.kernel.text import validate_phone
from switchhub.kernel.visibility import application_grant, project_application

SWITCH_START, SWITCH_END = "05", "03"
AMPERES = (10, 15, 20, 30, 40, 50, 60)


def midnight(d: date) -> datetime:
    return datetime.combine(d, time(0), tzinfo=JST)


def _conflict(reason: RejectionReason, app: dict[str, Any], detail_ja: str, detail_en: str) -> Conflict:
    received = app["received_at"].astimezone(JST).date().isoformat()
    kind = ApplicationType(app["type"])
    return Conflict(
        f"{detail_ja}（{reason.ja}: 申込番号 {app['application_no']}、{kind.ja}、受付日 {received}）",
        f"{detail_en} ({reason.en}: application {app['application_no']}, {kind.en}, received {received})",
        code=reason.value, extra={"conflicting_application": {"application_no": app["application_no"],
                                                              "type": app["type"], "received_date": received}})


def _point_or_404(point: dict[str, Any] | None) -> dict[str, Any]:
    if point is None:
        raise NotFound("指定された供給地点特定番号の供給地点はありません", "No such supply point",
                       code=RejectionReason.POINT_NOT_FOUND.value)
    return point


def _choose_date(area: str, point: dict[str, Any], requested: date | None, customer_request: bool,
                 meter_work: bool, today: date) -> date:
    earliest = cal.earliest_switch_date(area, point["channel"], meter_work, today)
    code = point["reading_day_code"]
    if requested is None:
        return cal.reading_dates_on_or_after(area, code, earliest, 1)[0]
    if requested < earliest:
        raise InputError.single("switch_date", RejectionReason.DATE_TOO_EARLY.value,
                                f"スイッチング予定日 {requested} は受付できません。最短の受付可能日は {earliest} です",
                                f"The switch date {requested} is too early; the earliest allowed date is {earliest}")
    scheduled = cal.reading_dates_on_or_after(area, code, requested, 1)[0]
    if scheduled != requested and not customer_request:
        raise InputError.single("switch_date", "not_reading_day",
                                f"{requested} は定例検針日ではありません（次の定例検針日は {scheduled}）。"
                                "定例検針日以外を希望する場合は customer_request を指定してください",
                                f"{requested} is not a scheduled reading day (next: {scheduled}); set customer_request")
    return requested


def _check_start_fields(req: SwitchStartRequest, point: dict[str, Any]) -> None:
    issues = IssueCollector()
    if not req.consent:
        issues.add("consent", "consent_required", "託送供給等約款への需要者の同意が必要です",
                   "The customer's consent is required")
    try:
        validate_phone(req.customer_phone, "customer_phone")
    except InputError as exc:
        issues.extend(exc.errors)
    channel = point["channel"]
    if channel == "high":
        if req.contract_power is None:
            issues.add("contract_power", "required", "高圧の供給地点では契約電力 (kW) が必要です",
                       "contract_power is required for high voltage")
        if req.contract_current is not None:
            issues.add("contract_current", "channel_mismatch", "高圧の供給地点に契約電流は指定できません",
                       "contract_current does not apply to high voltage")
    else:
        if req.contract_power is not None:
            issues.add("contract_power", "channel_mismatch", "低圧の供給地点に契約電力は指定できません",
                       "contract_power applies to high voltage only")
        if req.capacity_method == "1":
            if req.contract_current not in AMPERES:
                issues.add("contract_current", "invalid_value",
                           f"契約電流は {', '.join(map(str, AMPERES))} A のいずれかです",
                           f"contract_current must be one of {AMPERES}")
        elif req.contract_capacity is None:
            issues.add("contract_capacity", "required", "主開閉器契約では契約容量 (kVA) が必要です",
                       "contract_capacity is required")
        if req.capacity_method == "3":
            issues.add("capacity_method", "channel_mismatch", "実量制は高圧の供給地点のみ指定できます",
                       "capacity method 3 applies to high voltage only")
    issues.raise_if_any()


async def _state_checks(conn: AsyncConnection, caller: Caller, point: dict[str, Any], kind: str,
                        open_apps: list[dict[str, Any]]) -> None:
    """異動並びチェック and 契約状態チェック for switching (processes.md)."""
    if point["contract_status"] not in ("1", "4"):
        raise Conflict(f"契約状態が「契約中」ではないため受付できません（契約状態コード {point['contract_status']}）",
                       "The point is not under contract", code=RejectionReason.CONTRACT_STATUS.value)
    for other in open_apps:
        if other["type"] in ("01", "02", "12", "13"):
            raise _conflict(RejectionReason.TERMINATION_PENDING, other, "廃止の申込を受付中です",
                            "A termination is pending")
    # one open switch pair per point: the same type (matched or not) is named first, so that another
    # retailer's switch-start is 他社スイッチング申込あり whatever its stage
    for other in open_apps:
        if other["type"] == kind:
            reason = (RejectionReason.OTHER_SWITCH_PENDING
                      if kind == SWITCH_START and other["applicant_code"] != caller.operator_code
                      else RejectionReason.CONFLICTING_APPLICATION)
            raise _conflict(reason, other, "同じ供給地点に受付中の申込があります", "An application is already pending")
    for other in open_apps:
        if other["stage"] in ("05", "10"):
            raise _conflict(RejectionReason.CONFLICTING_APPLICATION, other, "マッチング済みのスイッチング申込があります",
                            "A matched switch is pending")
    if kind == SWITCH_END and point["supplier"] != caller.operator_code:
        raise Conflict("申込者はこの供給地点の現在の小売電気事業者ではありません",
                       "The applicant does not supply this point", code=RejectionReason.NOT_CURRENT_SUPPLIER.value)
    if kind == SWITCH_START and point["supplier"] == caller.operator_code:
        raise Conflict("既に申込者が供給している供給地点です", "The applicant already supplies this point",
                       code="already_supplier")


async def file(conn: AsyncConnection, caller: Caller, kind: str, req: SwitchStartRequest | SwitchEndRequest,
               now: datetime) -> dict[str, Any]:
    """File a switch-start (05) or switch-end (03); matches at once when the counterpart is waiting."""
    if not caller.is_retailer:
        raise InputError.single("applicant", "retailer_only", "スイッチング申込は小売電気事業者のみ行えます",
                                "Only retailers file switching applications")
    spid = parse_spid(req.spid)
    area, today = spid[:2], now.astimezone(JST).date()
    await repo.lock_point(conn, spid)
    point = _point_or_404(await repo.point_state(conn, area, spid, today))
    if isinstance(req, SwitchStartRequest):
        _check_start_fields(req, point)
    open_apps = await repo.open_applications(conn, area, spid)
    await _state_checks(conn, caller, point, kind, open_apps)
    meter_work = not point["smart"]
    switch_date = _choose_date(area, point, req.switch_date, req.customer_request, meter_work, today)
    deadline = cal.matching_deadline(area, point["channel"], meter_work, switch_date)
    payload = req.model_dump(mode="json", exclude={"spid", "switch_date", "customer_request", "relay_no"})
    app = {"application_no": await repo.next_number(conn, area, today), "area": area, "spid": spid, "type": kind,
           "stage": "01", "applicant_code": caller.operator_code, "received_at": now, "requested_date": switch_date,
           "payload": payload, "relay_no": req.relay_no, "channel": point["channel"], "meter_work": meter_work,
           "customer_request": req.customer_request, "matching_deadline": deadline}
    await repo.insert(conn, app)
    app = await rules.apply(conn, app, "receive", actor=caller.user_login, new=True)
    app = await rules.apply(conn, app, "arrange_meter_work" if meter_work and kind == SWITCH_START else "accept",
                            actor="system")
    await jobs.enqueue(conn, "applications.matching_deadline", app["application_no"], midnight(deadline + timedelta(1)))
    await try_match(conn, app, now)
    return await status(conn, caller, app["application_no"])


async def try_match(conn: AsyncConnection, app: dict[str, Any], now: datetime) -> bool:
    """Pair this application with a waiting counterpart for the same point and date (both → 05)."""
    other_type = SWITCH_END if app["type"] == SWITCH_START else SWITCH_START
    candidates = [a for a in await repo.open_applications(conn, app["area"], app["spid"])
                  if a["type"] == other_type and a["stage"] in ("03", "04")
                  and a["requested_date"] == app["requested_date"]]
    if not candidates:
        return False
    other = candidates[0]
    start, end = (app, other) if app["type"] == SWITCH_START else (other, app)
    start = await rules.apply(conn, start, "match", actor="system",
                              changes={"matched_with": end["application_no"], "counterpart_code": end["applicant_code"]})
    end = await rules.apply(conn, end, "match", actor="system",
                            changes={"matched_with": start["application_no"], "counterpart_code": start["applicant_code"],
                                     "relay_no": end.get("relay_no") or start.get("relay_no")})
    for a in (start, end):
        await jobs.cancel(conn, "applications.matching_deadline", a["application_no"], now)
    await jobs.enqueue(conn, "switch.execute", start["application_no"], midnight(start["requested_date"]),
                       {"start": start["application_no"], "end": end["application_no"]})
    await emit(conn, app["area"], SwitchMatched(
        spid=app["spid"], switch_date=str(start["requested_date"]), relay_no=start.get("relay_no"),
        start_no=start["application_no"], end_no=end["application_no"],
        new_retailer=start["applicant_code"], current_retailer=end["applicant_code"]))
    return True


async def sweep(conn: AsyncConnection, now: datetime) -> int:
    """Recovery: match any pair that is waiting (the at-once path is the normal one)."""
    matched = 0
    for start_no, _ in await repo.unmatched_pairs(conn):
        app = await repo.get(conn, start_no, for_update=True)
        if app and app["stage"] in ("03", "04") and await try_match(conn, app, now):
            matched += 1
    return matched


async def matching_deadline_passed(conn: AsyncConnection, application_no: str, now: datetime) -> None:
    app = await repo.get(conn, application_no, for_update=True)
    if app is None or app["stage"] not in rules.WAITING_CODES:
        return
    app = await rules.apply(conn, app, "reject_matching_deadline", actor="system", message={
        "code": RejectionReason.MATCHING_DEADLINE.value,
        "message": f"マッチング期限 {app['matching_deadline']} までに対となる申込がありませんでした"})
    await emit(conn, app["area"], SwitchMatchFailed(
        spid=app["spid"], relay_no=app.get("relay_no"), application_no=application_no,
        reason_code=RejectionReason.MATCHING_DEADLINE.value))


async def execute(conn: AsyncConnection, start_no: str, end_no: str, now: datetime) -> None:
    """On the switch date: the current supply ends the day before, the new one begins; both → 06."""
    start = await repo.get(conn, start_no, for_update=True)
    end = await repo.get(conn, end_no, for_update=True)
    if not start or not end or start["stage"] != "05" or end["stage"] != "05":
        return
    day = start["requested_date"]
    await repo.end_supply(conn, start["area"], start["spid"], end["applicant_code"], day - timedelta(days=1))
    await repo.start_supply(conn, start["area"], start["spid"], start["applicant_code"], day)
    p = start["payload"]
    await repo.change_customer(conn, start["area"], start["spid"], day, p["customer_name_kana"],
                               p["customer_name_kanji"], p["customer_phone"])
    replaced = day if start["meter_work"] else None
    if replaced:
        await repo.mark_meter_replaced(conn, start["area"], start["spid"])
    await rules.apply(conn, start, "complete", actor="system",
                      changes={"effective_date": day, "supply_start_date": day, "meter_replaced_date": replaced})
    await rules.apply(conn, end, "complete", actor="system",
                      changes={"effective_date": day, "supply_end_date": day - timedelta(days=1),
                               "meter_replaced_date": replaced})
    await emit(conn, start["area"], SwitchCompleted(spid=start["spid"], switch_date=str(day),
                                                    relay_no=start.get("relay_no"), start_no=start_no, end_no=end_no))


async def withdraw(conn: AsyncConnection, caller: Caller, application_no: str, reason: str,
                   now: datetime) -> dict[str, Any]:
    """The applicant withdraws its own application: before matching it is withdrawn (07); after
    matching the request (10) rejects both applications of the pair (09), recording who asked."""
    app = await repo.get(conn, application_no, for_update=True)
    if app is None or not caller.is_retailer or app["applicant_code"] != caller.operator_code:
        raise NotFound("指定された申込はありません", "No such application")
    if app["stage"] in rules.WAITING_CODES:
        await rules.apply(conn, app, "withdraw", actor=caller.user_login, message={
            "code": "withdrawn", "message": f"申込者により取り消されました: {reason}"})
        await jobs.cancel(conn, "applications.matching_deadline", application_no, now)
        return await status(conn, caller, application_no)
    if app["stage"] != "05":
        raise Conflict(f"受付工程「{ApplicationStage(app['stage']).ja}」の申込は取り消せません",
                       "This application can no longer be withdrawn", code="stage_transition_not_allowed")
    other = await repo.get(conn, app["matched_with"], for_update=True)
    note = {"code": RejectionReason.WITHDRAWAL_REQUESTED.value,
            "message": f"{caller.operator_code} の取消依頼により却下しました（理由: {reason}）",
            "requested_by": caller.operator_code}
    for a in (app, other):
        if a is None:
            continue
        a = await rules.apply(conn, a, "request_withdrawal", actor=caller.user_login)
        await rules.apply(conn, a, "reject_on_withdrawal", actor="system", message=note)
    start_no = app["application_no"] if app["type"] == SWITCH_START else app["matched_with"]
    await jobs.cancel(conn, "switch.execute", start_no, now)
    await emit(conn, app["area"], SwitchWithdrawn(
        spid=app["spid"], relay_no=app.get("relay_no") or (other or {}).get("relay_no"),
        requested_by=caller.operator_code, reason=reason,
        parties=[app["applicant_code"], (other or {}).get("applicant_code")]))
    return await status(conn, caller, application_no)


async def status(conn: AsyncConnection, caller: Caller, application_no: str) -> dict[str, Any]:
    app = await repo.get(conn, application_no)
    grant = application_grant(caller, app["applicant_code"], app["area"]) if app else None
    if app is None or grant is None:
        raise NotFound("指定された申込はありません", "No such application")
    stage = ApplicationStage(app["stage"])
    out = {
        "application_no": app["application_no"], "type": app["type"], "type_name": ApplicationType(app["type"]).ja,
        "spid": app["spid"], "stage": stage.value, "stage_name": stage.ja, "terminal": stage.terminal,
        "applicant_code": app["applicant_code"], "received_at": app["received_at"].astimezone(JST).isoformat(),
        "switch_date": str(app["requested_date"]) if app["requested_date"] else None,
        "customer_request": app["customer_request"], "meter_work": app["meter_work"],
        "matching_deadline": str(app["matching_deadline"]) if app["matching_deadline"] else None,
        "matched_with": app["matched_with"], "relay_no": app["relay_no"],
        "supply_start_date": str(app["supply_start_date"]) if app["supply_start_date"] else None,
        "supply_end_date": str(app["supply_end_date"]) if app["supply_end_date"] else None,
        "meter_replaced_date": str(app["meter_replaced_date"]) if app["meter_replaced_date"] else None,
        "reason_code": app["reason_code"], "notes": app["notes"], "messages": app["messages"],
        "history": [{"seq": h["seq"], "from_stage": h["from_stage"], "to_stage": h["to_stage"], "rule": h["rule"],
                     "reason_code": h["reason_code"], "at": h["at"].astimezone(JST).isoformat()}
                    for h in await repo.history(conn, application_no)],
    }
    return project_application({**out, "details": app["payload"]}, grant)


async def feed(conn: AsyncConnection, caller: Caller, area: str, after: int, limit: int) -> dict[str, Any]:
    rows = await repo.feed(conn, area, caller.operator_code, after, limit)
    items = [{"seq": r["seq"], "application_no": r["application_no"], "type": r["type"], "spid": r["spid"],
              "from_stage": r["from_stage"], "to_stage": r["to_stage"], "rule": r["rule"],
              "reason_code": r["reason_code"], "at": r["at"].astimezone(JST).isoformat(),
              "switch_date": str(r["requested_date"]) if r["requested_date"] else None} for r in rows]
    return {"items": items, "last_seq": items[-1]["seq"] if items else after}

