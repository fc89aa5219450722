"""The applications worklist ("my applications", P7): one query of the hub's index, no fan-out.

Rows come from `applications_index` (written by the filing and by every stage-changed event; a
retailer's usage password request (type 08) by its filing and its issued / rejected event);
which rows a caller may list is decided by `kernel.visibility.application_scope`: a retailer its
own applications, a T&D those of its areas, OCCTO's helpdesk and admins all. A list that
returns rows is audited (it names who applied where, supplier-side knowledge), like the
relay lists that name the customer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.contract.events import StageChanged, UsagePasswordIssued, UsagePasswordRejected
from switchhub.hub.accounts import permissions
from switchhub.hub.applications import repository as repo
from switchhub.hub.audit.context import Actor
from switchhub.hub.audit.repository import write
from switchhub.hub.gateway.client import AreaClient
from switchhub.kernel.caller import Caller
from switchhub.kernel.clock import JST
from switchhub.kernel.codes import ApplicationStage, ApplicationType, Area
from switchhub.kernel.errors import InputError, IssueCollector
from switchhub.kernel.spid import parse_spid
from switchhub.kernel.visibility import application_scope

PER_PAGE, MAX_PER_PAGE = 20, 100
LISTED_FIELDS = ["application_no", "spid", "type", "stage", "applicant_code", "requested_date", "received_at"]


@dataclass(frozen=True)
class ApplicationQuery:
    """The filters as given (strings from a query or a form); checked by `search`."""

    type: str = ""
    stage: str = ""
    area: str = ""
    spid: str = ""
    received_from: date | None = None
    received_to: date | None = None
    date_from: date | None = None
    date_to: date | None = None
    applicant: str = ""
    application_no: str = ""


def _midnight(d: date) -> datetime:
    return datetime.combine(d, time(0), tzinfo=JST)


def _filters(q: ApplicationQuery) -> repo.IndexFilters:
    issues = IssueCollector()
    codes: dict[str, str] = {}
    for field, enum in (("type", ApplicationType), ("stage", ApplicationStage), ("area", Area)):
        raw = getattr(q, field).strip()
        if raw:
            try:
                codes[field] = enum.parse(raw, field).value
            except InputError as exc:
                issues.extend(exc.errors)
    spid = ""
    if q.spid.strip():
        try:
            spid = parse_spid(q.spid)
        except InputError as exc:
            issues.extend(exc.errors)
    for start, end, what in (("received_from", "received_to", "受付日"), ("date_from", "date_to", "予定日")):
        lo, hi = getattr(q, start), getattr(q, end)
        if lo and hi and lo > hi:
            issues.add(end, "range_reversed", f"{what}の終了日 {hi} が開始日 {lo} より前です",
                       f"{end} ({hi}) is before {start} ({lo})")
    issues.raise_if_any()
    return repo.IndexFilters(
        type=codes.get("type", ""), stage=codes.get("stage", ""), area=codes.get("area", ""), spid=spid,
        received_from=_midnight(q.received_from) if q.received_from else None,
        received_before=_midnight(q.received_to + timedelta(days=1)) if q.received_to else None,
        date_from=q.date_from, date_to=q.date_to, applicant=q.applicant.strip().upper()[:5],
        application_no=q.application_no.strip().upper()[:20])


def _row(r: dict[str, Any]) -> dict[str, Any]:
    stage = ApplicationStage(r["stage"])
    return {**r, "area_name": Area(r["area"]).ja, "type_name": ApplicationType(r["type"]).ja,
            "stage_name": stage.ja, "terminal": stage.terminal,
            "received_at": r["received_at"].astimezone(JST), "updated_at": r["updated_at"].astimezone(JST)}


async def search(conn: AsyncConnection, actor: Actor, q: ApplicationQuery, page: int = 1,
                 per_page: int = PER_PAGE) -> dict[str, Any]:
    """The caller's applications matching the filters, newest received first, with the total."""
    caller = actor.caller
    permissions.check(caller, "hub:applications:read")
    filters = _filters(q)
    page, per_page = max(1, page), max(1, min(MAX_PER_PAGE, per_page))
    scope = application_scope(caller)
    if scope is None:
        return {"total": 0, "page": page, "per_page": per_page, "items": []}
    total, rows = await repo.search(conn, scope, filters, (page - 1) * per_page, per_page)
    items = [_row(r) for r in rows]
    if items:
        await write(conn, actor.entry("application.list", resource_type="application",
                                      resource_ids=[i["application_no"] for i in items], fields=LISTED_FIELDS,
                                      item_count=len(items)))
    return {"total": total, "page": page, "per_page": per_page, "items": items}


async def index_stage_change(conn: AsyncConnection, area: str, event_id: int, change: StageChanged,
                             now: datetime) -> None:
    """An area's stage-changed event (outbox id `event_id`) moves the index row, unless it is older."""
    await repo.upsert_from_event(conn, area, event_id, change.model_dump(), now)


# -- usage password requests (type 08): one row per request, under its first point ----------------
#
# A request names several points of one area; the index has one spid column, so the row carries the
# first point as filed (the status page lists them all). The customer's own request (public page,
# no applicant code) has no operator's worklist and is not indexed.

USAGE_TYPE = ApplicationType.USAGE_PASSWORD.value


async def index_usage_filed(conn: AsyncConnection, answer: dict[str, Any], now: datetime) -> None:
    """The hub filed a usage password request (the area's answer), in the filing's transaction."""
    if answer.get("applicant_code") is None or not answer.get("points"):
        return
    await repo.upsert_filed(conn, {"application_no": answer["application_no"], "spid": answer["points"][0],
                                   "type": USAGE_TYPE, "stage": answer["stage"],
                                   "applicant_code": answer["applicant_code"],
                                   "received_at": answer.get("received_at")}, now)


async def backfill_usage(conn: AsyncConnection, areas: AreaClient, caller: Caller, area: str, now: datetime, *,
                         per_page: int = 500) -> int:
    """Index the area's retailer usage requests, as their filing would have (index_usage_filed): the
    requests filed before the index held type 08 (hub migrations 0006/0007) are not in it otherwise.
    Idempotent: a row already indexed keeps its event-ordered stage (upsert_filed moves only a row no
    event has touched, to the area's current stage). Returns how many requests were seen."""
    after, seen = "", 0
    while True:
        page = await areas.usage_index(area, caller, after, per_page)
        for item in page.items:
            await index_usage_filed(conn, {"application_no": item.application_no, "points": [item.spid],
                                           "stage": item.stage, "applicant_code": item.applicant_code,
                                           "received_at": item.received_at}, now)
        seen += len(page.items)
        if page.next_after is None:
            return seen
        after = page.next_after


async def index_usage_decided(conn: AsyncConnection, area: str, event_id: int,
                              payload: UsagePasswordIssued | UsagePasswordRejected, now: datetime) -> None:
    """Issued → 06 処理完了, rejected → 09 却下 (ordered by the outbox id like the stage changes)."""
    if payload.applicant_code is None or not payload.spids:
        return
    stage = ApplicationStage.COMPLETED if isinstance(payload, UsagePasswordIssued) else ApplicationStage.REJECTED
    await repo.upsert_from_event(conn, area, event_id, {
        "application_no": payload.application_no, "spid": payload.spids[0], "type": USAGE_TYPE,
        "to_stage": stage.value, "applicant_code": payload.applicant_code}, now)
