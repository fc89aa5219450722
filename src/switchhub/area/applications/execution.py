"""What each type does on its date (P4–P6), in the area, through the engine, in one transaction.

* 01/12 termination: the supplier's supply period (and the customer's) ends the day before the
  end date; contract status 廃止中. 02/13 likewise, status 撤去 and the meter marked removed.
* 04/15 reconnection: the applicant's supply period starts on the start date, status 契約中, a new
  customer period with the given customer.
* 06 ampere change: the contract current changes from the date (`previous` keeps the value before).
* 07/17 customer change: a name change starts a new customer period from the date; a phone-only
  change updates the current one.
* 03+05 switch pair: the current supply ends the day before the switch date, the new one begins.
Afterwards every other open application at the point that the change made impossible is
rejected (`reject_superseded`), naming the executed application.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.area.applications import checks, matching, rules
from switchhub.area.applications import repository as repo
from switchhub.area.outbox.repository import emit
from switchhub.contract.events import SwitchCompleted
from switchhub.db import jobs
from switchhub.kernel.codes import ApplicationStage as S
from switchhub.kernel.codes import ApplicationType as T
from switchhub.kernel.codes import ContractStatus, StageReason

SCHEDULE_JOB, EXECUTE_JOB = "applications.schedule", "applications.execute"
Executor = Callable[[AsyncConnection, dict[str, Any], date], Awaitable[dict[str, Any]]]


async def _terminate(conn: AsyncConnection, app: dict[str, Any], day: date, status: ContractStatus) -> dict[str, Any]:
    last = day - timedelta(days=1)
    await repo.end_supply(conn, app["area"], app["spid"], app["applicant_code"], last)
    await repo.end_customer(conn, app["area"], app["spid"], last)
    await repo.set_point(conn, app["area"], app["spid"], {"contract_status": status.value})
    return {"effective_date": day, "supply_end_date": last}


async def _termination(conn: AsyncConnection, app: dict[str, Any], day: date) -> dict[str, Any]:
    return await _terminate(conn, app, day, ContractStatus.VACANT)


async def _removal(conn: AsyncConnection, app: dict[str, Any], day: date) -> dict[str, Any]:
    changes = await _terminate(conn, app, day, ContractStatus.REMOVED)
    await repo.mark_meter_removed(conn, app["area"], app["spid"], day)
    return changes


async def _meter_replaced(conn: AsyncConnection, app: dict[str, Any], day: date) -> dict[str, Any]:
    if not app["meter_work"]:
        return {}
    await repo.mark_meter_replaced(conn, app["area"], app["spid"])
    return {"meter_replaced_date": day}


async def _reconnection(conn: AsyncConnection, app: dict[str, Any], day: date) -> dict[str, Any]:
    p = app["payload"]
    await repo.start_supply(conn, app["area"], app["spid"], app["applicant_code"], day)
    await repo.end_customer(conn, app["area"], app["spid"], day - timedelta(days=1))
    await repo.start_customer(conn, app["area"], app["spid"], day, p["customer_name_kana"], p["customer_name_kanji"],
                              p["customer_phone"])
    contract = {"contract_status": ContractStatus.ACTIVE.value, "service_menu": p["service_menu"],
                "capacity_method": p["capacity_method"], "contract_current": p.get("contract_current"),
                "contract_capacity": p.get("contract_capacity"), "contract_power": p.get("contract_power")}
    await repo.set_point(conn, app["area"], app["spid"], contract)
    return {"effective_date": day, "supply_start_date": day, **await _meter_replaced(conn, app, day)}


async def _ampere_change(conn: AsyncConnection, app: dict[str, Any], day: date) -> dict[str, Any]:
    point = await repo.point_state(conn, app["area"], app["spid"], day)
    new = app["payload"]["contract_current"]
    await repo.set_point(conn, app["area"], app["spid"], {"contract_current": new, "current_limit_value": new})
    previous = {**(app.get("previous") or {}), "contract_current": point["contract_current"] if point else None}
    return {"effective_date": day, "previous": previous, **await _meter_replaced(conn, app, day)}


async def _customer_change(conn: AsyncConnection, app: dict[str, Any], day: date) -> dict[str, Any]:
    p = app["payload"]
    current = await repo.current_customer(conn, app["area"], app["spid"], day)
    phone = p.get("customer_phone") or (current or {}).get("phone") or ""
    if p.get("customer_name_kanji"):
        await repo.end_customer(conn, app["area"], app["spid"], day - timedelta(days=1))
        await repo.start_customer(conn, app["area"], app["spid"], day, p["customer_name_kana"],
                                  p["customer_name_kanji"], phone, (current or {}).get("contact_phone", ""))
    elif current is not None:
        await repo.update_customer_phone(conn, app["area"], current["id"], phone)
    return {"effective_date": day}


EXECUTORS: dict[T, Executor] = {
    T.TERMINATION: _termination,
    T.TERMINATION_REMOVAL: _removal,
    T.RECONNECTION: _reconnection,
    T.AMPERE_CHANGE: _ampere_change,
    T.CUSTOMER_CHANGE: _customer_change,
}


async def schedule(conn: AsyncConnection, application_no: str, now: datetime) -> None:
    """The date is fixed (→ 05): from here corrections are refused and a withdrawal is a request."""
    app = await repo.get(conn, application_no, for_update=True)
    if app is not None and app["stage"] in rules.WAITING_CODES and not matching.is_pair(app):
        await rules.apply(conn, app, "schedule", actor="system")


async def execute(conn: AsyncConnection, application_no: str, now: datetime) -> None:
    """On the date: the type's change, the application → 06, and impossible others rejected."""
    await repo.lock_point_of(conn, application_no)
    app = await repo.get(conn, application_no, for_update=True)
    if app is None or matching.is_pair(app):
        return
    if app["stage"] in rules.WAITING_CODES:
        app = await rules.apply(conn, app, "schedule", actor="system")
    if app["stage"] != S.MATCHED:
        return
    day = app["requested_date"]
    point = await repo.point_state(conn, app["area"], app["spid"], day)
    others = [a for a in await repo.open_applications(conn, app["area"], app["spid"])
              if a["application_no"] != application_no]
    refusal = checks.still_possible(app, point, others) if point else None
    if refusal is not None:  # e.g. a move-in whose move-out was withdrawn: the point is still supplied
        await rules.apply(conn, app, "reject_superseded", actor="system", reason=getattr(refusal, "code", None),
                          message={"code": getattr(refusal, "code", "superseded"), "message": refusal.detail_ja})
        return
    changes = await EXECUTORS[T(app["type"]).base](conn, app, day)
    await rules.apply(conn, app, "complete", actor="system", changes=changes)
    await supersede(conn, app, now)


async def execute_switch(conn: AsyncConnection, start_no: str, end_no: str, now: datetime) -> None:
    """On the switch date: the current supply ends the day before, the new one begins; both → 06."""
    start = await repo.get(conn, start_no, for_update=True)
    end = await repo.get(conn, end_no, for_update=True)
    if not start or not end or start["stage"] != S.MATCHED or end["stage"] != S.MATCHED:
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
    start = await rules.apply(conn, start, "complete", actor="system",
                              changes={"effective_date": day, "supply_start_date": day, "meter_replaced_date": replaced})
    await rules.apply(conn, end, "complete", actor="system",
                      changes={"effective_date": day, "supply_end_date": day - timedelta(days=1),
                               "meter_replaced_date": replaced})
    await emit(conn, start["area"], SwitchCompleted(spid=start["spid"], switch_date=str(day),
                                                    relay_no=start.get("relay_no"), start_no=start_no, end_no=end_no))
    await supersede(conn, start, now)


async def supersede(conn: AsyncConnection, done: dict[str, Any], now: datetime) -> None:
    """Reject every open application at the point that the execution of `done` made impossible."""
    day = done["requested_date"]
    point = await repo.point_state(conn, done["area"], done["spid"], day)
    open_apps = await repo.open_applications(conn, done["area"], done["spid"])
    rejected: set[str] = set()
    for other in open_apps:
        if other["application_no"] in rejected:
            continue
        refusal = checks.still_possible(other, point, open_apps)
        if refusal is None:
            continue
        victims = [other] + [a for a in open_apps if a["application_no"] == other.get("matched_with")]
        for victim in victims:
            rejected.add(victim["application_no"])
            await rules.apply(conn, victim, "reject_superseded", actor="system", reason=StageReason.SUPERSEDED,
                              message={"code": getattr(refusal, "code", "superseded"),
                                       "message": f"申込番号 {done['application_no']}（{T(done['type']).ja}）の実施により"
                                                  f"受付できなくなりました: {refusal.detail_ja}"})
            await cancel_jobs(conn, victim, now)


async def cancel_jobs(conn: AsyncConnection, app: dict[str, Any], now: datetime) -> None:
    """Every pending job of one application (withdrawn, rejected)."""
    for kind in (SCHEDULE_JOB, EXECUTE_JOB, matching.DEADLINE_JOB):
        await jobs.cancel(conn, kind, app["application_no"], now)
    if matching.is_start(app):
        await jobs.cancel(conn, matching.EXECUTE_JOB, app["application_no"], now)
    elif app.get("matched_with"):
        await jobs.cancel(conn, matching.EXECUTE_JOB, app["matched_with"], now)
