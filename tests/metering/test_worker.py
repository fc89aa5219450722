"""The area worker's round schedules and runs the metering jobs and delivers their
`metering.file_published` events to the hub, which accepts the kind."""

from __future__ import annotations

from datetime import datetime

from switchhub.worker import area_round
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
