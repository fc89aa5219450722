"""SQL of the hub's application index (`applications_index`): the worklists' one table.

Rows come from two writers: the filing answer (`upsert_filed`) and every stage-changed event
(`upsert_from_event`). The event's area outbox id orders the changes of one application (they
are serialised by the area's row lock), so an older or redelivered event never overwrites a newer
stage; the filing answer sets the stage only while no event has been applied yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.db import driver
from switchhub.kernel.visibility import ApplicationScope

COLUMNS = ("application_no, area, spid, type, stage, applicant_code, relay_no, requested_date, received_at,"
           " updated_at")


def _date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


async def upsert_filed(conn: AsyncConnection, answer: dict[str, Any], now: datetime) -> None:
    """The application as the area answered its filing (the first row, or the received time and
    dates on a row an early event already made)."""
    row = {"no": answer["application_no"], "area": answer["application_no"][:2], "spid": answer["spid"],
           "type": answer["type"], "stage": answer["stage"], "applicant": answer["applicant_code"],
           "relay_no": answer.get("relay_no"),
           "requested": _date(answer.get("switch_date") or answer.get("effective_date")),
           "received": datetime.fromisoformat(answer["received_at"]) if answer.get("received_at") else now,
           "now": now}
    await driver.write(conn, (
        "INSERT INTO applications_index (application_no, area, spid, type, stage, applicant_code, relay_no,"
        " requested_date, received_at, updated_at, last_event_id)"
        " VALUES (:no, :area, :spid, :type, :stage, :applicant, :relay_no, :requested, :received, :now, 0)"
        " ON CONFLICT (application_no) DO UPDATE SET received_at = EXCLUDED.received_at,"
        " relay_no = COALESCE(applications_index.relay_no, EXCLUDED.relay_no),"
        " requested_date = COALESCE(applications_index.requested_date, EXCLUDED.requested_date),"
        " stage = CASE WHEN applications_index.last_event_id = 0 THEN EXCLUDED.stage"
        " ELSE applications_index.stage END"), row)


async def upsert_from_event(conn: AsyncConnection, area: str, event_id: int, change: dict[str, Any],
                            now: datetime) -> None:
    """One stage change (area outbox id `event_id`); applied only if newer than the row's last."""
    row = {"no": change["application_no"], "area": area, "spid": change["spid"], "type": change["type"],
           "stage": change["to_stage"], "applicant": change["applicant_code"], "relay_no": change.get("relay_no"),
           "requested": _date(change.get("requested_date")), "now": now, "event_id": event_id}
    await conn.execute(text(
        "INSERT INTO applications_index (application_no, area, spid, type, stage, applicant_code, relay_no,"
        " requested_date, received_at, updated_at, last_event_id)"
        " VALUES (:no, :area, :spid, :type, :stage, :applicant, :relay_no, :requested, :now, :now, :event_id)"
        " ON CONFLICT (application_no) DO UPDATE SET stage = EXCLUDED.stage,"
        " requested_date = COALESCE(EXCLUDED.requested_date, applications_index.requested_date),"
        " relay_no = COALESCE(EXCLUDED.relay_no, applications_index.relay_no),"
        " updated_at = EXCLUDED.updated_at, last_event_id = EXCLUDED.last_event_id"
        " WHERE applications_index.last_event_id < EXCLUDED.last_event_id"), row)


@dataclass(frozen=True)
class IndexFilters:
    """The worklist's filters (all optional); dates are JST calendar days, both ends included."""

    type: str = ""
    stage: str = ""
    area: str = ""
    spid: str = ""
    received_from: datetime | None = None  # JST midnight of the first day
    received_before: datetime | None = None  # JST midnight of the day after the last
    date_from: date | None = None
    date_to: date | None = None
    applicant: str = ""  # the applicant's operator code (the helpdesk's search across operators)
    application_no: str = ""


async def search(conn: AsyncConnection, scope: ApplicationScope, f: IndexFilters, offset: int, limit: int
                 ) -> tuple[int, list[dict[str, Any]]]:
    """Index rows within the visibility scope (the only way to list them), newest received first."""
    where: list[str] = []
    params: dict[str, Any] = {}
    if scope.applicant is not None:
        where.append("applicant_code = :scope_applicant")
        params["scope_applicant"] = scope.applicant
    if scope.areas is not None:
        where.append("area = ANY(:scope_areas)")
        params["scope_areas"] = sorted(scope.areas)
    for key, cond in (("type", "type = :type"), ("stage", "stage = :stage"), ("area", "area = :area"),
                      ("spid", "spid = :spid"), ("received_from", "received_at >= :received_from"),
                      ("received_before", "received_at < :received_before"),
                      ("date_from", "requested_date >= :date_from"), ("date_to", "requested_date <= :date_to"),
                      ("applicant", "applicant_code = :applicant"), ("application_no", "application_no = :application_no")):
        value = getattr(f, key)
        if value:
            where.append(cond)
            params[key] = value
    cond = " AND ".join(where) or "true"
    total = (await conn.execute(text(f"SELECT count(*) FROM applications_index WHERE {cond}"), params)).scalar_one()
    rows = await conn.execute(text(f"SELECT {COLUMNS} FROM applications_index WHERE {cond}"
                                   " ORDER BY received_at DESC, application_no DESC OFFSET :offset LIMIT :limit"),
                              {**params, "offset": offset, "limit": limit})
    return int(total), [dict(r._mapping) for r in rows]
