"""The README's first command: `switchhub demo` prepares everything a new user needs (here on the
test server instead of the embedded one, with few points)."""

from __future__ import annotations

import uuid

from rich.console import Console
from sqlalchemy import text

from switchhub.config import Settings
from switchhub.db.engine import make_engine
from switchhub.demo import prepare_demo
from tests.support import create_database, drop_database


async def test_prepare_demo_sets_up_logins_certificates_credentials_and_desks(world, tmp_path):
    names = [f"demo_{kind}_{uuid.uuid4().hex[:6]}" for kind in ("hub", "area")]
    hub_url, area_url = (create_database(world.admin, n) for n in names)
    settings = Settings(data_dir=tmp_path, certs_dir=tmp_path / "certs", hub_database_url=hub_url,
                        area_database_url=area_url)
    try:
        import asyncio

        state = await asyncio.to_thread(prepare_demo, settings, points=300, seed=3, console=Console(quiet=True))
        assert sorted(state["tokens"]) == ["A0001", "M0300", "T0300"]
        assert {(x["login_id"], x["role"]) for x in state["logins"]} >= {
            ("m0300-admin", "admin"), ("m0300-user1", "general"), ("m0300-api", "api"), ("oc000-helpdesk", "helpdesk")}
        engine = make_engine(hub_url, pool_size=1)
        try:
            async with engine.connect() as conn:
                desks = (await conn.execute(text(
                    "SELECT operator_code, count(*) FROM subscriptions GROUP BY 1 ORDER BY 1"))).all()
                audited = (await conn.execute(text(
                    "SELECT count(*) FROM audit_records WHERE action = 'cli.subscription.create'"))).scalar_one()
        finally:
            await engine.dispose()
        assert [(code, n) for code, n in desks] == [("A0001", 6), ("M0300", 6)]
        assert audited == 12
    finally:
        for n in names:
            drop_database(world.admin, n)
