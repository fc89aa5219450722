"""Switch pairs (P4): matching at once and by the recovery sweep, the matching deadline, and the
warning when a switch application's date differs from its counterpart's."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.area.applications import repository as repo
from switchhub.area.applications import rules
from switchhub.area.outbox.repository import emit
from switchhub.contract.events import SwitchMatched, SwitchMatchFailed
from switchhub.db import jobs
from switchhub.kernel.clock import JST
from switchhub.kernel.codes import ApplicationStage as S
from switchhub.kernel.codes import ApplicationType as T
from switchhub.kernel.codes import RejectionReason

PAIRABLE = [S.METER_WORK.value, S.AWAITING_MATCH.value]
DEADLINE_JOB, EXECUTE_JOB = "applications.matching_deadline", "switch.execute"


def midnight(d: Any) -> datetime:
    return datetime.combine(d, time(0), tzinfo=JST)


def is_pair(app: dict[str, Any]) -> bool:
    return T(app["type"]).base in (T.SWITCH_START, T.SWITCH_END)


def is_start(app: dict[str, Any]) -> bool:
    return T(app["type"]).base is T.SWITCH_START


def _counterparts(app: dict[str, Any], open_apps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    other = T.SWITCH_END if is_start(app) else T.SWITCH_START
    return [a for a in open_apps if T(a["type"]).base is other and a["application_no"] != app["application_no"]]


def counterpart_dates(type_code: T, open_apps: list[dict[str, Any]]) -> set[Any]:
    """The dates of the open counterparts (waiting for a pair) of a new switch application."""
    probe = {"application_no": "", "type": type_code.value}
    return {a["requested_date"] for a in _counterparts(probe, open_apps) if a["stage"] in PAIRABLE}


def date_warnings(app: dict[str, Any], open_apps: list[dict[str, Any]]) -> list[dict[str, str]]:
    """A counterpart waiting for another date: the pair will not match unless one of them is corrected."""
    out = []
    for other in _counterparts(app, open_apps):
        if other["stage"] in PAIRABLE and other["requested_date"] != app["requested_date"]:
            out.append({"code": "counterpart_date_differs",
                        "message": f"対となる申込（{T(other['type']).ja}）のスイッチング予定日 {other['requested_date']} と"
                                   f"異なります（この申込: {app['requested_date']}）。同じ日付でなければマッチングしません",
                        "message_en": f"The counterpart's switch date is {other['requested_date']}; this application's"
                                      f" is {app['requested_date']}: they match only on the same date"})
    return out


def deadline_run_at(app: dict[str, Any]) -> datetime:
    return midnight(app["matching_deadline"] + timedelta(days=1))


async def try_match(conn: AsyncConnection, app: dict[str, Any], now: datetime,
                    open_apps: list[dict[str, Any]] | None = None) -> bool:
    """Pair this application with a waiting counterpart for the same point and date (both → 05);
    the deadline jobs of both end. `open_apps`: the point's open applications if this transaction
    already read them under the point lock (a filing's assessment), otherwise read and locked here."""
    if open_apps is None:
        open_apps = await repo.open_applications(conn, app["area"], app["spid"])
    candidates = [a for a in _counterparts(app, open_apps)
                  if a["stage"] in PAIRABLE and a["requested_date"] == app["requested_date"]]
    if not candidates:
        return False
    other = candidates[0]
    start, end = (app, other) if is_start(app) else (other, app)
    start = await rules.apply(conn, start, "match", actor="system",
                              changes={"matched_with": end["application_no"], "counterpart_code": end["applicant_code"]})
    end = await rules.apply(conn, end, "match", actor="system",
                            changes={"matched_with": start["application_no"], "counterpart_code": start["applicant_code"],
                                     "relay_no": end.get("relay_no") or start.get("relay_no")})
    await jobs.cancel(conn, DEADLINE_JOB, [start["application_no"], end["application_no"]], now)
    await jobs.enqueue(conn, EXECUTE_JOB, start["application_no"], midnight(start["requested_date"]),
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
        if app and app["stage"] in PAIRABLE and await try_match(conn, app, now):
            matched += 1
    return matched


async def deadline_passed(conn: AsyncConnection, application_no: str, now: datetime) -> None:
    app = await repo.get(conn, application_no, for_update=True)
    if app is None or app["stage"] not in rules.WAITING_CODES:
        return
    app = await rules.apply(conn, app, "reject_matching_deadline", actor="system", message={
        "code": RejectionReason.MATCHING_DEADLINE.value,
        "message": f"マッチング期限 {app['matching_deadline']} までに対となる申込がありませんでした"})
    await emit(conn, app["area"], SwitchMatchFailed(
        spid=app["spid"], relay_no=app.get("relay_no"), application_no=application_no,
        reason_code=RejectionReason.MATCHING_DEADLINE.value))
