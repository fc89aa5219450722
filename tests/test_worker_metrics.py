"""The worker's metrics: jobs run and failed by kind (counted by the real run_due), queue depth and
outbox lag (set per round by the worker's gauges), read back from the scraped endpoint."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import text

from switchhub.db.engine import make_engine
from switchhub.db.jobs import enqueue, run_due
from switchhub.metrics import start_metrics_server
from switchhub.worker import QueueGauges
from tests.live import free_port
from tests.test_telemetry import delta, scrape


async def test_jobs_queue_depth_and_outbox_lag_are_exported(stack):
    hub, area = make_engine(stack.hub_url, pool_size=1), make_engine(stack.area_url, pool_size=1)
    server = start_metrics_server(free_port())
    try:
        now = datetime.now(timezone.utc)
        async with hub.begin() as conn:
            await enqueue(conn, "test.ok", "1", now - timedelta(minutes=1))
            await enqueue(conn, "test.fail", "1", now - timedelta(minutes=1))
            await enqueue(conn, "test.ok", "later", now + timedelta(hours=1))  # not due: not in the depth
        async with area.begin() as conn:
            await conn.execute(text("DELETE FROM outbox_events"))
            for age in (90, 30):
                await conn.execute(text(
                    "INSERT INTO outbox_events (area, kind, payload, created_at)"
                    " VALUES ('03', 'application.stage_changed', '{}', now() - make_interval(secs => :s))"),
                    {"s": age})
        gauges = QueueGauges()
        await gauges.observe(hub, area)
        first = scrape(server.port)
        key = ("switchhub_jobs_due", (("db", "hub"), ("kind", "test.ok")))
        assert first[key] == 1 and first[("switchhub_jobs_due", (("db", "hub"), ("kind", "test.fail")))] == 1
        assert first[("switchhub_outbox_undelivered", (("area", "03"),))] == 2
        assert 90 <= first[("switchhub_outbox_oldest_undelivered_seconds", (("area", "03"),))] < 600

        async def ok(conn, payload, at):
            return None

        async def fail(conn, payload, at):
            raise RuntimeError("boom")

        assert await run_due(hub, {"test.ok": ok, "test.fail": fail}, now) == 1
        async with area.begin() as conn:
            await conn.execute(text("UPDATE outbox_events SET delivered_at = now()"))
        await gauges.observe(hub, area)
        second = scrape(server.port)
    finally:
        server.close()
        await hub.dispose()
        await area.dispose()
    assert delta(first, second, "switchhub_jobs_total", kind="test.ok", outcome="done") == 1
    assert delta(first, second, "switchhub_jobs_total", kind="test.fail", outcome="failed") == 1
    # done, and retried later with back-off: neither is due any more; an emptied outbox reads 0
    assert second[key] == 0 and second[("switchhub_jobs_due", (("db", "hub"), ("kind", "test.fail")))] == 0
    assert second[("switchhub_outbox_undelivered", (("area", "03"),))] == 0
    assert second[("switchhub_outbox_oldest_undelivered_seconds", (("area", "03"),))] == 0
    assert second[("switchhub_worker_last_round_timestamp_seconds", (("db", "area"),))] > 0
