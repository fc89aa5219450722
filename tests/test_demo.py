"""The README's first command: `switchhub demo` prepares everything a new user needs (here on the
test server instead of the embedded one, with few points), and its banner says it consistently with
the data (issue 10): the operators' names as the API gives them, where the tokens are, a psql
command that reaches the database, and how to raise the rate limit."""

from __future__ import annotations

import io
import json
import shlex
import subprocess
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from rich.console import Console
from sqlalchemy import text

from switchhub.config import Settings
from switchhub.db.engine import make_engine
from switchhub.demo import prepare_demo, print_banner
from tests.support import create_database, drop_database, execute


@pytest.fixture(scope="module")
def demo(world, tmp_path_factory):
    """One prepared demo for the tests of this module (preparing is the slow part)."""
    tmp_path = tmp_path_factory.mktemp("demo")
    names = [f"demo_{kind}_{uuid.uuid4().hex[:6]}" for kind in ("hub", "area")]
    hub_url, area_url = (create_database(world.admin, n) for n in names)
    settings = Settings(data_dir=tmp_path, certs_dir=tmp_path / "certs", hub_database_url=hub_url,
                        area_database_url=area_url)
    try:
        yield settings, prepare_demo(settings, points=300, seed=3, console=Console(quiet=True))
    finally:
        for n in names:
            drop_database(world.admin, n)


async def test_prepare_demo_sets_up_logins_certificates_credentials_and_desks(demo):
    settings, state = demo
    hub_url = settings.hub_database_url
    assert sorted(state["tokens"]) == ["A0001", "M0300", "T0300"]
    assert {(x["login_id"], x["role"]) for x in state["logins"]} >= {
        ("m0300-admin", "admin"), ("m0300-user1", "general"), ("m0300-api", "api"),
        ("oc000-helpdesk", "helpdesk")}
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


def _banner(settings: Settings, state: dict) -> str:
    console = Console(record=True, width=400, color_system=None, file=io.StringIO())
    print_banner(console, settings, state, 8443)
    return console.export_text()


def test_the_banner_names_the_operators_as_the_hub_does_and_says_where_things_are(demo):
    settings, state = demo
    banner = _banner(settings, state)
    names = dict(execute(settings.hub_database_url, "SELECT code, name FROM operators"
                                                    " WHERE code IN ('M0300', 'A0001', 'T0300', 'OC000')"))
    assert len(names) == 4
    for code, name in names.items():
        [line] = [ln for ln in banner.splitlines() if ln.strip().startswith(f"{code} ")]
        assert line.strip().startswith(f"{code} {name}: "), line
    assert "新電力デモ" not in banner  # the old hard-coded label, which the API never answered

    # the tokens: the file the banner names holds the credentials of the demo's API users
    state_file = Path(settings.data_dir).absolute() / "demo-state.json"
    assert str(state_file) in banner
    assert json.loads(state_file.read_text())["tokens"] == state["tokens"]
    assert str(Path(settings.data_dir).absolute() / "demo-logins.json") in banner

    # psql: host (the socket directory), port, user and database of the server, and it connects
    [hub_line] = [ln for ln in banner.splitlines() if "psql" in ln and "ハブ" in ln]
    command = shlex.split(hub_line.split(":", 1)[1].strip())
    url = urlsplit(settings.hub_database_url)
    query = {k: v[-1] for k, v in parse_qs(url.query).items()}
    expected_host = query.get("host") or url.hostname
    expected_port = query.get("port") or str(url.port or 5432)
    assert command[0].endswith("psql")
    assert command[1:] == ["-h", expected_host, "-p", expected_port, "-U", url.username or "postgres",
                           "-d", url.path.lstrip("/")]
    done = subprocess.run([*command, "-At", "-c", "SELECT count(*) FROM operators"], capture_output=True,
                          text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    [(count,)] = execute(settings.hub_database_url, "SELECT count(*) FROM operators")
    assert int(done.stdout.strip()) == count
    assert any("psql" in ln and "エリア" in ln for ln in banner.splitlines())

    # the rate limit: the settings' variables (config.py reads SWITCHHUB_RATE_PER_SECOND / _BURST)
    assert "SWITCHHUB_RATE_PER_SECOND=" in banner and "SWITCHHUB_RATE_BURST=" in banner
    assert "毎秒 1 件" in banner and "バースト 10 件" in banner  # the defaults in force
