"""Applications in the area (P4–P7): one filing path for every kind, correction, withdrawal,
status and the feed.

The filing path reads the per-kind table (kinds.py): the type code from the point's channel,
field validation (fields.py), the state checks (checks.py), the date (dates.py), then the
stages: a switch application waits for its counterpart (matching.py); every other type goes
01 → (03 meter work) → 05 when its date is fixed (job `applications.schedule`) → 06 on the date
(job `applications.execute`, execution.py). Services never commit; endpoints and jobs own the
transaction. Every stage change goes through `rules.apply` (history, feed, outbox event).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.area.applications import checks, dates, execution, fields, matching, rules
from switchhub.area.applications import repository as repo
from switchhub.area.applications.kinds import KINDS, Kind, kind_of_type, request_of
from switchhub.area.outbox.repository import emit
from switchhub.contract.applications import CorrectionRequest
from switchhub.contract.events import SwitchWithdrawn
from switchhub.db import driver, jobs
from switchhub.httpkit import validation_issues
from switchhub.kernel.caller import Caller
from switchhub.kernel.clock import JST
from switchhub.kernel.codes import ApplicationStage as S
from switchhub.kernel.codes import ApplicationType as T
from switchhub.kernel.codes import RejectionReason
from switchhub.kernel.errors import Conflict, InputError, IssueCollector, NotFound
from switchhub.kernel.spid import parse_spid
from switchhub.kernel.visibility import application_grant, project_application

midnight = matching.midnight


def _not_found() -> NotFound:
    return NotFound("指定された申込はありません", "No such application")


def _point_or_404(point: dict[str, Any] | None) -> dict[str, Any]:
    if point is None:
        raise NotFound("指定された供給地点特定番号の供給地点はありません", "No such supply point",
                       code=RejectionReason.POINT_NOT_FOUND.value)
    return point


@dataclass
class Assessment:
    """A filing (or a corrected one) that passed every check: what to store."""
    point: dict[str, Any]
    type: T
    date: Any
    meter_work: bool
    deadline: Any
    previous: dict[str, Any] | None
    open_apps: list[dict[str, Any]]  # the point's other open applications, locked (FOR UPDATE)
    warnings: list[dict[str, str]] = field(default_factory=list)


def _meter_work(base: T, point: dict[str, Any]) -> bool:
    if base is T.TERMINATION_REMOVAL:
        return True
    return base in (T.SWITCH_START, T.SWITCH_END, T.RECONNECTION, T.AMPERE_CHANGE) and not point["smart"]


async def _previous(conn: AsyncConnection, base: T, point: dict[str, Any], area: str, spid: str, today: Any
                    ) -> dict[str, Any] | None:
    """The current values a change replaces (shown to the applicant: requests No.43/52)."""
    if base is T.AMPERE_CHANGE:
        return {"contract_current": point["contract_current"]}
    if base is T.CUSTOMER_CHANGE:
        cur = await repo.current_customer(conn, area, spid, today) or {}
        return {"customer_name_kana": cur.get("name_kana"), "customer_name_kanji": cur.get("name_kanji"),
                "customer_phone": cur.get("phone"), "contact_phone": cur.get("contact_phone")}
    return None


async def _assess(conn: AsyncConnection, caller: Caller, kind: Kind, req: BaseModel, now: datetime,
                  exclude: str | None = None) -> Assessment:
    """Everything a new filing must pass, in the order of statechecks.md; `exclude` is the
    application being corrected (it does not conflict with itself)."""
    if not caller.is_retailer:
        raise InputError.single("applicant", "retailer_only", "申込は小売電気事業者のみ行えます",
                                "Only retailers file applications")
    spid = parse_spid(getattr(req, "spid"))
    area, today = spid[:2], now.astimezone(JST).date()
    await repo.lock_point(conn, spid)
    point = _point_or_404(await repo.point_state(conn, area, spid, today))
    type_code = kind.type_for(req, point["channel"])
    base = type_code.base
    fields.validate(kind.name, req, point)
    open_apps = [a for a in await repo.open_applications(conn, area, spid) if a["application_no"] != exclude]
    meter_work = _meter_work(base, point)
    rule = kind.date_rule_of(base)
    requested = kind.requested_date(req)
    when = requested
    if when is None:
        pending_end = [a["requested_date"] for a in open_apps if checks.base(a) in checks.TERMINATIONS]
        # a move-in after a pending move-out starts the day after the termination's date at the earliest
        not_before = dates.day_after(pending_end[0]) if base is T.RECONNECTION and pending_end else None
        when = dates.default(rule, area, point, meter_work, today, not_before)
    checks.run(caller.operator_code, point, type_code, when, open_apps)
    if requested is not None:
        # a switch application for its open counterpart's date takes that date as it is (the counterpart,
        # e.g. a start on a relay's requested date, already stated the customer's request)
        off_reading_day = getattr(req, "customer_request", False) or (
            kind.pair and requested in matching.counterpart_dates(type_code, open_apps))
        dates.check(rule, kind.date_field, area, point, meter_work, requested, off_reading_day, today)
    deadline = dates.fix_day(rule, area, point["channel"], point["smart"], meter_work, when)
    previous = await _previous(conn, base, point, area, spid, today)
    probe = {"application_no": exclude or "", "type": type_code.value, "requested_date": when}
    warnings = matching.date_warnings(probe, open_apps) if kind.pair else []
    return Assessment(point, type_code, when, meter_work, deadline, previous, open_apps, warnings)


def _payload(kind: Kind, req: BaseModel) -> dict[str, Any]:
    return req.model_dump(mode="json", exclude={"spid", kind.date_field, "customer_request", "relay_no"})


async def _proceed(conn: AsyncConnection, kind: Kind, app: dict[str, Any], now: datetime,
                   open_apps: list[dict[str, Any]]) -> dict[str, Any]:
    """From 01: a switch application matches its counterpart or waits for it until the matching
    deadline; any other type waits for its date to be fixed, passing 03 when meter work is needed.
    `open_apps`: the point's other open applications as the assessment read and locked them."""
    if kind.pair:
        start_needs_work = app["meter_work"] and T(app["type"]).base is T.SWITCH_START
        app = await rules.apply(conn, app, "arrange_meter_work" if start_needs_work else "accept", actor="system")
        if not await matching.try_match(conn, app, now, open_apps):
            await jobs.enqueue(conn, matching.DEADLINE_JOB, app["application_no"], matching.deadline_run_at(app),
                               reschedule=True)
        return app
    if app["meter_work"]:
        app = await rules.apply(conn, app, "arrange_meter_work", actor="system")
    await jobs.enqueue_each(conn, [(execution.SCHEDULE_JOB, app["application_no"], matching.deadline_run_at(app)),
                                   (execution.EXECUTE_JOB, app["application_no"], midnight(app["requested_date"]))],
                            reschedule=True)
    return app


async def file(conn: AsyncConnection, caller: Caller, kind_name: str, req: BaseModel, now: datetime) -> dict[str, Any]:
    """File an application of any kind (update flag 1)."""
    kind = KINDS[kind_name]
    a = await _assess(conn, caller, kind, req, now)
    spid = parse_spid(getattr(req, "spid"))
    app = {"area": spid[:2], "spid": spid, "type": a.type.value, "stage": S.RECEIVED.value,
           "applicant_code": caller.operator_code, "received_at": now, "requested_date": a.date,
           "payload": _payload(kind, req), "relay_no": getattr(req, "relay_no", None), "channel": a.point["channel"], "meter_work": a.meter_work,
           "customer_request": getattr(req, "customer_request", False), "matching_deadline": a.deadline,
           "previous": a.previous, "matched_with": None}
    app = {"application_no": await repo.insert(conn, app, now.astimezone(JST).date()), **app}
    async with driver.hold(conn):  # the stage changes, jobs and events sent together where they may be
        app = await rules.apply(conn, app, "receive", actor=caller.user_login, new=True)
        await _proceed(conn, kind, app, now, a.open_apps)
    answer = await status(conn, caller, app["application_no"])
    answer["warnings"] = a.warnings
    return answer


def _corrected_request(kind: Kind, app: dict[str, Any], given: dict[str, Any]) -> BaseModel:
    body = {**request_of(kind, app), **json.loads(json.dumps(given, default=str))}
    try:
        return kind.request.model_validate_json(json.dumps(body))
    except ValidationError as exc:
        issues = validation_issues(list(exc.errors()))
        raise InputError(issues[0].message_ja, issues[0].message_en, errors=issues) from None


async def correct(conn: AsyncConnection, caller: Caller, application_no: str, req: CorrectionRequest,
                  now: datetime) -> dict[str, Any]:
    """Update flag 2: the applicant corrects its application before its dates are fixed (05);
    the corrected application is checked as a new filing would be (itself excluded)."""
    app = await repo.get(conn, application_no, for_update=True)
    if app is None or not caller.is_retailer or app["applicant_code"] != caller.operator_code:
        raise _not_found()
    kind = kind_of_type(app["type"])
    given = req.model_dump(exclude_unset=True)
    issues = IssueCollector()
    for name in sorted(set(given) - kind.correctable):
        issues.add(name, "not_correctable", f"{T(app['type']).ja}の申込では「{name}」は訂正できません",
                   f"{name} cannot be corrected on this application type")
    if not given:
        issues.add("body", "required", "訂正する項目を一つ以上指定してください", "Give at least one field to correct")
    issues.raise_if_any()
    if app["stage"] not in rules.WAITING_CODES:
        raise Conflict(f"受付工程「{S(app['stage']).ja}」の申込は訂正できません（日付確定前のみ）",
                       "The application can no longer be corrected", code="stage_transition_not_allowed",
                       extra={"application_no": application_no, "stage": app["stage"]})
    new_req = _corrected_request(kind, app, given)
    a = await _assess(conn, caller, kind, new_req, now, exclude=application_no)
    changes = {"type": a.type.value, "requested_date": a.date, "payload": _payload(kind, new_req),
               "meter_work": a.meter_work, "customer_request": getattr(new_req, "customer_request", False),
               "matching_deadline": a.deadline, "previous": a.previous}
    app = await rules.apply(conn, app, "correct", actor=caller.user_login, changes=changes,
                            message={"code": "corrected", "message": f"訂正されました: {', '.join(sorted(given))}"})
    await _proceed(conn, kind, app, now, a.open_apps)
    answer = await status(conn, caller, application_no)
    answer["warnings"] = a.warnings
    return answer


async def withdraw(conn: AsyncConnection, caller: Caller, application_no: str, reason: str,
                   now: datetime) -> dict[str, Any]:
    """Update flag 3: before its date is fixed the application is withdrawn (07); after (05) the
    request (10) rejects it (09) — for a matched switch pair, both — recording who asked."""
    app = await repo.get(conn, application_no, for_update=True)
    if app is None or not caller.is_retailer or app["applicant_code"] != caller.operator_code:
        raise _not_found()
    if app["stage"] in rules.WAITING_CODES:
        await rules.apply(conn, app, "withdraw", actor=caller.user_login, message={
            "code": "withdrawn", "message": f"申込者により取り消されました: {reason}"})
        await execution.cancel_jobs(conn, app, now)
        return await status(conn, caller, application_no)
    if app["stage"] != S.MATCHED:
        raise Conflict(f"受付工程「{S(app['stage']).ja}」の申込は取り消せません",
                       "This application can no longer be withdrawn", code="stage_transition_not_allowed")
    note = {"code": RejectionReason.WITHDRAWAL_REQUESTED.value,
            "message": f"{caller.operator_code} の取消依頼により却下しました（理由: {reason}）",
            "requested_by": caller.operator_code}
    other = await repo.get(conn, app["matched_with"], for_update=True) if matching.is_pair(app) else None
    for a in (app, other):
        if a is None:
            continue
        a = await rules.apply(conn, a, "request_withdrawal", actor=caller.user_login)
        await rules.apply(conn, a, "reject_on_withdrawal", actor="system", message=note)
        await execution.cancel_jobs(conn, a, now)
    if matching.is_pair(app):
        await emit(conn, app["area"], SwitchWithdrawn(
            spid=app["spid"], relay_no=app.get("relay_no") or (other or {}).get("relay_no"),
            requested_by=caller.operator_code, reason=reason,
            parties=[app["applicant_code"], (other or {}).get("applicant_code")]))
    return await status(conn, caller, application_no)


def _day(value: Any) -> str | None:
    return str(value) if value else None


async def status(conn: AsyncConnection, caller: Caller, application_no: str) -> dict[str, Any]:
    app, history = await repo.with_history(conn, application_no)
    grant = application_grant(caller, app["applicant_code"], app["area"]) if app else None
    if app is None or grant is None:
        raise _not_found()
    stage, kind = S(app["stage"]), T(app["type"])
    out = {
        "application_no": app["application_no"], "type": app["type"], "type_name": kind.ja,
        "spid": app["spid"], "stage": stage.value, "stage_name": stage.ja, "terminal": stage.terminal,
        "applicant_code": app["applicant_code"], "received_at": app["received_at"].astimezone(JST).isoformat(),
        "switch_date": _day(app["requested_date"]) if matching.is_pair(app) else None,
        "requested_date": _day(app["requested_date"]),
        "customer_request": app["customer_request"], "meter_work": app["meter_work"],
        "matching_deadline": _day(app["matching_deadline"]),
        "matched_with": app["matched_with"], "relay_no": app["relay_no"],
        "effective_date": _day(app["effective_date"]),
        "supply_start_date": _day(app["supply_start_date"]),
        "supply_end_date": _day(app["supply_end_date"]),
        "meter_replaced_date": _day(app["meter_replaced_date"]),
        "reason_code": app["reason_code"], "notes": app["notes"], "messages": app["messages"],
        "history": [{"seq": h["seq"], "from_stage": h["from_stage"], "to_stage": h["to_stage"], "rule": h["rule"],
                     "reason_code": h["reason_code"], "at": h["at"].astimezone(JST).isoformat()}
                    for h in history],
        "details": app["payload"],
    }
    if app.get("previous") is not None:
        out["previous"] = app["previous"]
    return project_application(out, grant)


async def feed(conn: AsyncConnection, caller: Caller, area: str, after: int, limit: int) -> dict[str, Any]:
    rows = await repo.feed(conn, area, caller.operator_code, after, limit)
    items = [{"seq": r["seq"], "application_no": r["application_no"], "type": r["type"], "spid": r["spid"],
              "from_stage": r["from_stage"], "to_stage": r["to_stage"], "rule": r["rule"],
              "reason_code": r["reason_code"], "at": r["at"].astimezone(JST).isoformat(),
              "switch_date": _day(r["requested_date"]) if matching.is_pair({"type": r["type"]}) else None,
              "requested_date": _day(r["requested_date"])} for r in rows]
    return {"items": items, "last_seq": items[-1]["seq"] if items else after}


# the jobs' and the worker's entry points (tasks.py, worker.py)
sweep = matching.sweep
matching_deadline_passed = matching.deadline_passed


async def once(conn: AsyncConnection, caller: Caller, key: str | None, digest: str, produce: Any
               ) -> tuple[int, dict[str, Any]] | None:
    """Area-side idempotency: the first answer to (operator, key) is stored with the change, in its
    transaction; a retry (the hub lost the answer) gets it again, another body under the key is 422.
    Returns the stored (status, answer) for a retry, or None after running `produce(conn)` and
    storing its (status, answer)."""
    if not key:
        return None
    if len(key) > 200:
        raise InputError.single("Idempotency-Key", "too_long", "Idempotency-Key は200文字以内で指定してください",
                                "Idempotency-Key must be at most 200 characters")
    if await repo.claim_key(conn, caller.operator_code, key, digest):
        return None
    stored = await repo.stored_answer(conn, caller.operator_code, key)
    if stored is None or stored[0] != digest:
        raise InputError.single("Idempotency-Key", "idempotency_key_reused",
                                "同じ Idempotency-Key が異なる内容のリクエストに使われています",
                                "The Idempotency-Key was used with a different request")
    return stored[1], json.loads(stored[2])


async def remember(conn: AsyncConnection, caller: Caller, key: str | None, status_code: int,
                   answer: dict[str, Any]) -> None:
    if key:
        await repo.store_answer(conn, caller.operator_code, key, status_code,
                                json.dumps(answer, ensure_ascii=False, default=str).encode())
