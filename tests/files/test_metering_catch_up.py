"""Catch-up after missed events: the hub's hourly keyed job per area pages the area's list from the
highest position it indexed and indexes (and announces) what it missed, once; an event arriving
late for a file already caught up changes nothing."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import text

from switchhub.db.jobs import run_due
from switchhub.hub.files import tasks as files_tasks
from switchhub.kernel.clock import JST
from tests.files.helpers import build, deliver_events

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=JST)


async def _hub(stack, sql: str) -> list[tuple]:
    async with stack.hub_app.state.engine.connect() as conn:
        return [tuple(r) for r in await conn.execute(text(sql))]


async def _catch_up(stack, now: datetime) -> int:
    async with stack.hub_app.state.engine.begin() as conn:
        await files_tasks.schedule(conn, now, ["03", "06"])
        await files_tasks.schedule(conn, now, ["03", "06"])  # the same hour again: no new keys
    return await run_due(stack.hub_app.state.engine, files_tasks.handlers(stack.hub_app.state.areas), now)


async def test_missed_files_are_caught_up_once_and_late_events_change_nothing(stack):
    seen = await build(stack, date(2026, 11, 20)) + await build(stack, date(2026, 11, 20), retailer="A0002")
    await deliver_events(stack)
    missed = await build(stack, date(2026, 11, 21)) + await build(stack, date(2026, 11, 21), retailer="A0002")
    async with stack.area_app.state.engine.begin() as conn:  # their events never reach the hub (yet)
        await conn.execute(text("UPDATE outbox_events SET delivered_at = now() WHERE delivered_at IS NULL"))
    async with stack.hub_app.state.engine.begin() as conn:
        await conn.execute(text("INSERT INTO subscriptions (operator_code, email, event_kind)"
                                " VALUES ('A0001', 'data@a0001.example', 'metering.file_published')"))
    assert await _hub(stack, "SELECT count(*) FROM metering_files_index") == [(len(seen),)]

    assert await _catch_up(stack, NOW) == 2  # one job per area and hour (area 06 has nothing new)
    indexed = [r[0] for r in await _hub(stack, "SELECT file_id FROM metering_files_index ORDER BY position")]
    assert indexed == [f["file_id"] for f in seen + missed]
    announced = await _hub(stack, "SELECT event_kind, count(*) FROM deliveries GROUP BY 1")
    assert announced == [("metering.file_published", len([f for f in missed if f["retailer_code"] == "A0001"]))]
    async with stack.client("A0001") as c:
        listed = (await c.get("/api/v1/metering/files", params={"date_from": "2026-11-21"})).json()["items"]
    assert [i["file_id"] for i in listed] == [f["file_id"] for f in missed if f["retailer_code"] == "A0001"]
    assert listed[0]["points"] > 0 and listed[0]["sha256"]

    assert await _catch_up(stack, NOW) == 0  # the same hour: its keys ran already
    async with stack.area_app.state.engine.begin() as conn:  # the lost events arrive after all
        await conn.execute(text("UPDATE outbox_events SET delivered_at = NULL"))
    await deliver_events(stack)
    later = datetime(2026, 12, 1, 11, 5, tzinfo=JST)
    assert await _catch_up(stack, later) == 2
    assert await _hub(stack, "SELECT count(*) FROM metering_files_index") == [(len(seen + missed),)]
    assert await _hub(stack, "SELECT count(*) FROM deliveries") == [announced[0][1:]]


async def test_the_hub_worker_round_runs_the_catch_up(stack):
    from switchhub.hub.notify.delivery import SmtpConfig
    from switchhub.worker import hub_round
    from tests.flow.helpers import frozen

    missed = await build(stack, date(2026, 11, 22))
    with frozen(NOW):
        await hub_round(stack.hub_app.state.engine, SmtpConfig("127.0.0.1", 1, "x@test"), None,
                        stack.hub_app.state.areas, ["03"])
    assert await _hub(stack, "SELECT file_id FROM metering_files_index") == [(f["file_id"],) for f in missed]
