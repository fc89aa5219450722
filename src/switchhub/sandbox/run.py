"""`switchhub sandbox [--tenant NAME]`: the demo in sandbox mode, one tenant per data directory.

Like `switchhub demo` (embedded PostgreSQL, generated data, certificates, hub + area + worker) but
the processes run with SWITCHHUB_SANDBOX=1 (movable clock, reset, test markers, the areas behind
the scenario stubs) in `<data dir>/sandbox/<tenant>`, so a sandbox runs next to a demo (on other
ports: `--port`). At creation the scenario points are added and each database is snapshotted
(`<db>_snap`), which `POST /api/v1/sandbox/reset` restores; a restarted sandbox keeps its state
and its snapshot.
"""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

from rich.console import Console

from switchhub.config import Settings
from switchhub.db.engine import make_engine
from switchhub.sandbox import snapshot
from switchhub.sandbox.scenarios import SCENARIOS

POINTS_FILE = "sandbox-points.json"
TENANT_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


def tenant_settings(settings: Settings, tenant: str) -> Settings:
    """The tenant's own data directory, certificates and embedded databases (never a configured URL:
    a sandbox must not write into the databases of the deployment it runs next to)."""
    data_dir = Path(settings.data_dir) / "sandbox" / tenant
    return settings.with_(
        data_dir=data_dir,
        certs_dir=data_dir / "certs",
        hub_database_url=None,
        area_database_url=None,
        sandbox=True,
        area_backend="sandbox",
        sandbox_tenant=tenant,
        area_urls={},
        hub_fingerprints=frozenset(),
        area_certificates={},
    )


async def _scenario_points(area_url: str) -> tuple[str | None, dict[str, str]]:
    from switchhub.sandbox.points import SOURCE_AREA, SOURCE_RETAILER, create_scenario_points, scenario_points
    from switchhub.sandbox.repository import source_point

    engine = make_engine(area_url, pool_size=1)
    try:
        async with engine.begin() as conn:
            await create_scenario_points(conn)
            return await source_point(conn, SOURCE_AREA, SOURCE_RETAILER), await scenario_points(conn)
    finally:
        await engine.dispose()


def prepare_tenant(state: dict[str, Any], data_dir: Path) -> dict[str, Any]:
    """After the demo's preparation, before any server connects: scenario points, then snapshots.
    The points are also written to `sandbox-points.json` for scripts (docs/integration.md): the
    scenario points and an ordinary one (M0300's in area 03, the scenarios' source), which behaves
    exactly as in production."""
    ordinary, state["scenario_points"] = asyncio.run(_scenario_points(state["area_url"]))
    points_file = Path(data_dir) / POINTS_FILE
    points_file.write_text(json.dumps({"ordinary": ordinary, "scenarios": state["scenario_points"]}, indent=1))
    for url in (state["hub_url"], state["area_url"]):
        if not snapshot.has_snapshot(url):
            snapshot.take_snapshot(url)
    return state


def print_sandbox_banner(console: Console, state: dict[str, Any], port: int, tenant: str) -> None:
    console.rule(f"switchhub sandbox — テナント {tenant}")
    console.print(
        "この環境はサンドボックスです。応答には X-Switchhub-Sandbox: 1、計量データファイルには運用モード 1（テスト）が付きます。"
    )
    console.print("シナリオ（供給地点特定番号の下4桁、docs/sandbox.md）:")
    points = state.get("scenario_points") or {}
    for s in SCENARIOS:
        console.print(
            f"  {s.suffix}  {points.get(s.suffix, '(任意の …' + s.suffix + ')')}  {s.ja}", highlight=False
        )
    base = f"https://localhost:{port}/api/v1/sandbox"
    examples = " / ".join(
        ('{"advance": "P3D"}', '{"to": "2027-01-05T09:00:00+09:00"}', '{"to_next_reading_day": true}')
    )
    console.print(f"時計: GET/POST {base}/clock  本文の例 {examples}", highlight=False, markup=False)
    console.print(
        f"リセット（作成時の状態に戻す）: POST {base}/reset  (実行中のジョブは中断され、次の周回でやり直します)",
        highlight=False,
    )


def run_sandbox(
    settings: Settings, *, tenant: str, points: int, seed: int, port: int, console: Console
) -> None:
    from switchhub.demo import run_demo

    sandbox_settings = tenant_settings(settings, tenant)
    Path(sandbox_settings.data_dir).mkdir(parents=True, exist_ok=True)
    env = {"SWITCHHUB_SANDBOX": "1", "SWITCHHUB_SANDBOX_TENANT": tenant, "SWITCHHUB_AREA_BACKEND": "sandbox"}
    run_demo(
        sandbox_settings,
        points=points,
        seed=seed,
        port=port,
        console=console,
        extra_env=env,
        prepared=lambda state: prepare_tenant(state, sandbox_settings.data_dir),
        banner=lambda c, state, p: print_sandbox_banner(c, state, p, tenant),
    )
