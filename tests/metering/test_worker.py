"""The area worker's round schedules and runs the metering jobs and delivers their
`metering.file_published` events to the hub, which accepts the kind."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime

from switchhub.db.jobs import enqueue
from switchhub.kernel.clock import JST
from switchhub.worker import area_round, metering_loop, metering_round
from tests.flow.helpers import frozen
from tests.metering.helpers import files
from tests.support import area_poster, execute


async def test_a_worker_round_builds_the_due_files_and_the_hub_receives_their_events(stack):
    with frozen(datetime(2026, 12, 1, 4, 30)):
        await area_round(stack.area_app.state.engine, area_poster(stack), ("03",))
    built = files(stack, type="W41120")
    assert built and {f["target"].isoformat() for f in built} == {"2026-11-30"}
    pending = execute(stack.area_url, "SELECT count(*) FROM outbox_events WHERE delivered_at IS NULL")[0][0]
    assert pending == 0
    received = execute(stack.hub_url, "SELECT count(*) FROM area_events WHERE kind = 'metering.file_published'")[0][0]
    assert received == len(files(stack))


async def test_a_long_metering_build_does_not_hold_up_the_area_round(stack, monkeypatch):
    """run_worker runs the metering builds in their own task (worker.metering_loop): while a build is
    in progress (here: held open), an area round still runs its other due jobs and finishes."""
    from switchhub.area.applications import tasks as application_tasks
    from switchhub.area.metering import tasks as metering_tasks

    started, release, pinged = asyncio.Event(), asyncio.Event(), []

    async def held(conn, payload, now):  # a build that takes as long as the test wants
        started.set()
        await release.wait()

    async def ping(conn, payload, now):
        pinged.append(payload["_key"])

    for kind in list(metering_tasks.HANDLERS):
        monkeypatch.setitem(metering_tasks.HANDLERS, kind, held)
    monkeypatch.setitem(application_tasks.HANDLERS, "test.ping", ping)
    engine = stack.area_app.state.engine
    at = datetime(2026, 12, 1, 4, 30, tzinfo=JST)
    with frozen(at):
        # schedules, builds nothing
        await asyncio.wait_for(area_round(engine, area_poster(stack), ("03",), run_metering=False), 30)
        due = execute(stack.area_url, "SELECT count(*) FROM jobs WHERE kind LIKE 'metering.%%' AND done_at IS NULL"
                                      " AND run_at <= %s", (at,))[0][0]
        assert due > 0 and not started.is_set()
        build = asyncio.create_task(metering_round(engine))
        await asyncio.wait_for(started.wait(), 30)
        async with engine.begin() as conn:
            await enqueue(conn, "test.ping", "during-the-build", at)
        await asyncio.wait_for(area_round(engine, area_poster(stack), ("03",), run_metering=False), 30)
        assert pinged == ["during-the-build"] and not build.done()
        release.set()
        assert await asyncio.wait_for(build, 30) == 1


async def test_the_metering_loop_builds_what_the_area_round_scheduled(stack):
    engine = stack.area_app.state.engine
    with frozen(datetime(2026, 12, 1, 4, 30)):
        await area_round(engine, area_poster(stack), ("03",), run_metering=False)
        assert files(stack, type="W41120") == []  # the round itself builds nothing
        loop = asyncio.create_task(metering_loop(engine, interval=0.05))
        try:
            for _ in range(600):
                if files(stack, type="W41120"):
                    break
                await asyncio.sleep(0.1)
        finally:
            loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await loop
    assert {f["target"].isoformat() for f in files(stack, type="W41120")} == {"2026-11-30"}
