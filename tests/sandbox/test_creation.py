"""`switchhub sandbox`'s own steps: the tenant's separate data directory and databases, the creation
step (scenario points, then snapshots) and the worker's clock refresh from its database."""

from __future__ import annotations

import json
from pathlib import Path

from switchhub.config import Settings
from switchhub.kernel.clock import get_clock, set_clock
from tests.support import build_stack, close_stack, execute


def test_a_tenant_has_its_own_data_directory_and_never_a_configured_database(tmp_path):
    from switchhub.sandbox.run import tenant_settings

    base = Settings(
        data_dir=tmp_path,
        hub_database_url="postgresql://prod/hub",
        area_database_url="postgresql://prod/area",
    )
    s = tenant_settings(base, "team-a")
    assert Path(s.data_dir) == tmp_path / "sandbox" / "team-a"
    assert Path(s.certs_dir) == tmp_path / "sandbox" / "team-a" / "certs"
    assert (s.hub_database_url, s.area_database_url) == (None, None)
    assert s.sandbox and s.scenario_stubs and s.sandbox_tenant == "team-a"
    assert Settings().scenario_stubs is False and Settings(area_backend="sandbox").scenario_stubs is True


def test_creation_makes_the_scenario_points_then_the_snapshots(world, tmp_path):
    """As `switchhub sandbox` runs it: synchronously, before any server is started."""
    import asyncio

    from switchhub.sandbox import snapshot
    from switchhub.sandbox.run import prepare_tenant

    stack = build_stack(world)
    try:
        state = prepare_tenant({"hub_url": stack.hub_url, "area_url": stack.area_url}, tmp_path)
        written = json.loads((tmp_path / "sandbox-points.json").read_text())
        assert written["scenarios"] == state["scenario_points"]
        # the ordinary point is the scenarios' source: an M0300 point of area 03 not ending in 99xx
        assert written["ordinary"][:18] == state["scenario_points"]["9905"][:18]
        assert written["ordinary"][:2] == "03" and written["ordinary"][-4:-2] != "99"
        assert execute(stack.area_url, "SELECT s.retailer_code FROM supply_periods s WHERE s.spid = %s"
                       " AND s.valid_to IS NULL", (written["ordinary"],)) == [("M0300",)]
        assert sorted(state["scenario_points"]) == ["9901", "9902", "9903", "9904", "9905", "9906"]
        made = [state["scenario_points"][s] for s in ("9902", "9903", "9905")]
        rows = execute(
            stack.area_url, "SELECT spid FROM supply_points WHERE spid = ANY(%s) ORDER BY spid", (made,)
        )
        assert [r[0] for r in rows] == sorted(made)
        assert len({spid[:18] for spid in state["scenario_points"].values()}) == 1  # one source point
        assert snapshot.has_snapshot(stack.hub_url) and snapshot.has_snapshot(stack.area_url)
        snap_area = snapshot.snapshot_name(stack.area_url)
        from switchhub.db.urls import with_database

        copied = execute(
            with_database(stack.area_url, snap_area),
            "SELECT count(*) FROM supply_points WHERE spid = ANY(%s)",
            (made,),
        )
        assert copied == [(3,)]  # the snapshot holds the scenario points
    finally:
        asyncio.run(close_stack(stack))
        for url in (stack.hub_url, stack.area_url):
            snapshot.drop_snapshot(url)


async def test_the_worker_takes_the_offset_from_its_database(world, monkeypatch):
    from switchhub.sandbox.clock import SandboxClock, install
    from switchhub.sandbox.wiring import refresh_clock

    monkeypatch.setenv("SWITCHHUB_METERING_OPERATION_MODE", "0")
    previous = get_clock()
    stack = build_stack(world)
    try:
        clock = install()
        assert isinstance(get_clock(), SandboxClock)
        execute(stack.area_url, "UPDATE sandbox_clock SET offset_seconds = 3600 WHERE id = 1")
        await refresh_clock(stack.area_app.state.engine, Settings())  # not sandbox mode: left alone
        assert clock.offset_seconds == 0
        await refresh_clock(stack.area_app.state.engine, Settings(sandbox=True))
        assert clock.offset_seconds == 3600
    finally:
        await close_stack(stack)
        set_clock(previous)
