"""Helpers for switching tests: a movable clock, running jobs and delivering outbox events."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime

from switchhub.area.applications.tasks import HANDLERS as AREA_JOBS
from switchhub.area.outbox.dispatcher import deliver
from switchhub.db.jobs import run_due
from switchhub.hub.relays.tasks import HANDLERS as HUB_JOBS
from switchhub.kernel.clock import JST, FixedClock, get_clock, set_clock
from tests.hub.helpers import area_template_url
from tests.support import area_poster, execute


@contextmanager
def frozen(at: datetime):
    previous = get_clock()
    clock = FixedClock(at if at.tzinfo else at.replace(tzinfo=JST))
    set_clock(clock)
    try:
        yield clock
    finally:
        set_clock(previous)


async def settle(stack) -> None:
    """What the workers do: run due jobs on both sides and deliver the area's events to the hub."""
    now = get_clock().now()
    await run_due(stack.area_app.state.engine, AREA_JOBS, now)
    await deliver(stack.area_app.state.engine, area_poster(stack))
    await run_due(stack.hub_app.state.engine, HUB_JOBS, now)


def smart_point_of(world, retailer: str, area: str = "03", skip: int = 0) -> str:
    rows = execute(area_template_url(world),
                   "SELECT p.spid FROM supply_points p JOIN supply_periods s ON s.area = p.area AND s.spid = p.spid"
                   " AND s.valid_to IS NULL WHERE p.area = %s AND s.retailer_code = %s AND p.contract_status = '1'"
                   " AND p.meters @> '[{\"smart\": true}]' AND p.channel = 'low' AND p.capacity_method = '1'"
                   " ORDER BY p.spid OFFSET %s LIMIT 1", (area, retailer, skip))
    return rows[0][0]
