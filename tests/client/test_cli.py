"""`switchhub-client` against the live hub (typer.testing.CliRunner): profiles from a client.toml
written as docs/client.md shows, JSON and table output, the relay → OK → switch-start journey,
status, feed, export with its progress bar, metering files, and errors as exit codes + messages."""

from __future__ import annotations

import gzip
import json
from datetime import date

import pytest
from typer.testing import CliRunner

from switchhub.client.cli import app
from tests.client.helpers import write_profiles
from tests.flow.helpers import smart_point_of
from tests.flow.test_switch_api import relay_body, start_body
from tests.hub.helpers import point_of

pytestmark = pytest.mark.e2e
ENV = {"COLUMNS": "250", "SWITCHHUB_CLIENT_PROFILE": "", "SWITCHHUB_CLIENT_BASE_URL": "",
       "SWITCHHUB_CLIENT_TOKEN": ""}


@pytest.fixture(scope="module")
def cli(live, tmp_path_factory):
    config = write_profiles(live, tmp_path_factory.mktemp("profiles"))
    runner = CliRunner()

    def run(*args: str, profile: str | None = None, ok: bool = True):
        argv = ["--config", str(config), *(["--profile", profile] if profile else []), *args]
        result = runner.invoke(app, argv, env=ENV, catch_exceptions=False)
        if ok:
            assert result.exit_code == 0, result.output
        return result

    return run


def _json(result) -> dict:
    return json.loads(result.stdout)


def test_lookup_and_batch_in_json_and_as_a_table(cli, live):
    spid = point_of(live.world, "A0001")
    point = _json(cli("-o", "json", "lookup", spid))
    table = cli("lookup", spid).stdout
    batch = _json(cli("-o", "json", "batch", spid, "0399999999999999999999"))
    batch_table = cli("batch", spid).stdout
    found = cli("search", "--area", "03", "--prefecture", point["prefecture"], "--city", point["city"],
                "--town", point["town"], "--block", point["block"], "--per-page", "100").stdout
    assert point["spid"] == spid and point["current_retailer_code"] == "A0001"
    assert "current_retailer_code" in table and "A0001" in table and spid in table and "項目" in table
    assert [p["spid"] for p in batch["items"]] == [spid] and batch["not_found"] == ["0399999999999999999999"]
    assert "供給地点特定番号" in batch_table and spid in batch_table and "該当なし: なし" in batch_table
    assert spid in found and "件中" in found


def test_relay_answer_switch_start_status_and_feed(cli, live, tmp_path):
    spid = smart_point_of(live.world, "M0300", skip=150)
    cursor = _end_cursor(cli)
    (tmp_path / "relay.json").write_text(json.dumps(relay_body(spid)), encoding="utf-8")
    relay = _json(cli("-o", "json", "relays", "create", "--file", str(tmp_path / "relay.json"),
                      "--set", "requested_switch_date=2030-01-31"))
    addressed = cli("relays", "list", "--role", "current", "--spid", spid, profile="m0300").stdout
    decided = _json(cli("-o", "json", "relays", "answer", relay["relay_no"], "--decision", "ok",
                        "--staff", "現 太郎", profile="m0300"))
    (tmp_path / "start.json").write_text(json.dumps(start_body(spid, relay["relay_no"])), encoding="utf-8")
    filed = _json(cli("-o", "json", "applications", "file", "switch-start",
                      "--file", str(tmp_path / "start.json")))
    status = cli("status", filed["application_no"]).stdout
    feed = cli("-o", "json", "feed", "--cursor", cursor)
    followed = cli("-o", "json", "feed", "--cursor", cursor, "--follow", "--interval", "0.05",
                   "--max-items", "1")
    assert relay["status"] == "01" and relay["requested_switch_date"] == "2030-01-31"
    assert relay["relay_no"] in addressed and "1 件" in addressed
    assert decided["status"] == "02"
    assert filed["type"] == "05" and filed["relay_no"] == relay["relay_no"]
    assert filed["application_no"] in status and "stage_name" in status
    lines = [json.loads(line) for line in feed.stdout.splitlines() if line.strip()]
    assert lines and {x["application_no"] for x in lines} == {filed["application_no"]}
    assert "next_cursor:" in feed.stderr
    assert json.loads(followed.stdout)["application_no"] == filed["application_no"]


def _end_cursor(cli) -> str:
    result = cli("-o", "json", "feed", "--limit", "1000")
    cursor = result.stderr.split("next_cursor:", 1)[1].strip()
    while True:
        more = cli("-o", "json", "feed", "--cursor", cursor, "--limit", "1000")
        nxt = more.stderr.split("next_cursor:", 1)[1].strip()
        if not more.stdout.strip():
            return nxt
        cursor = nxt


def test_applications_of_other_types_from_options(cli, live, tmp_path):
    """Ampere change and customer change with --set only (a spid keeps its leading zero, "40" becomes
    the integer the model wants), termination from a JSON file."""
    # A0001 has 13 such points in the session's data; the last three are used only here
    amp, cust, term = (smart_point_of(live.world, "A0001", skip=n) for n in (10, 11, 12))
    ampere = _json(cli("-o", "json", "applications", "file", "ampere-change", "--set", f"spid={amp}",
                       "--set", "contract_current=40"))
    customer = _json(cli("-o", "json", "applications", "file", "customer-change", "--set", f"spid={cust}",
                         "--set", "customer_name_kanji=山田 花子", "--set", "customer_name_kana=ヤマダ ハナコ"))
    (tmp_path / "term.json").write_text(json.dumps({"spid": term}), encoding="utf-8")
    ended = _json(cli("-o", "json", "applications", "file", "termination",
                      "--file", str(tmp_path / "term.json")))
    # domain.md application types: 06 ampere change, 07 customer change, 01 termination
    assert (ampere["type"], ampere["spid"]) == ("06", amp)
    assert (customer["type"], customer["spid"]) == ("07", cust)
    assert (ended["type"], ended["spid"]) == ("01", term)


def test_export_writes_the_gzip_file_and_reports_its_rows(cli, tmp_path):
    out = tmp_path / "points.ndjson.gz"
    result = cli("-o", "json", "export", str(out), "--fields", "full")
    summary = _json(result)
    rows = gzip.decompress(out.read_bytes()).decode().splitlines()
    assert summary["rows"] == len(rows) > 10 and json.loads(rows[0])["current_retailer_code"] == "A0001"
    assert summary["fields"] == "full"
    assert "エクスポート" in result.stderr  # the progress bar


def test_files_list_and_download_with_parse(cli, live, tmp_path):
    import asyncio

    from tests.files.helpers import LiveArea, build, deliver_events, reading_day

    async def publish():
        async with LiveArea(live) as area:
            built = await build(area, await reading_day(area, date(2026, 7, 1)), kind="monthly")
            await deliver_events(area)
            return built[0]["file_id"]

    file_id = asyncio.run(publish())
    listed = cli("files", "list", "--type", "W51220", "--revision", "all", "--per-page", "100")
    out = tmp_path / "f.zip"
    summary = _json(cli("-o", "json", "files", "download", file_id, "--out", str(out), "--parse"))
    assert "W51220" in listed.stdout and "ファイルID" in listed.stdout
    assert summary["type"] == "W51220" and summary["receiver"] == "A0001" and summary["points"] > 0
    assert out.read_bytes()[:2] == b"PK" and summary["bytes"] == out.stat().st_size


def test_errors_are_messages_and_exit_codes(cli, live, tmp_path):
    missing = cli("lookup", "0399999999999999999999", ok=False)
    spid = smart_point_of(live.world, "M0300", skip=151)
    (tmp_path / "bad.json").write_text(json.dumps(relay_body(spid, contact_phone="でんわ")), encoding="utf-8")
    bad = cli("relays", "create", "--file", str(tmp_path / "bad.json"), ok=False)
    kind = cli("applications", "file", "switch-everything", ok=False)
    english = cli("--lang", "en", "lookup", "0399999999999999999999", ok=False)
    assert missing.exit_code == 1 and "エラー 404 not_found" in missing.stderr
    assert "該当するデータがありません: 指定された供給地点特定番号の設備情報はありません" in missing.stderr
    assert missing.stdout == ""
    assert bad.exit_code == 1 and "エラー 422" in bad.stderr and "contact_phone" in bad.stderr
    assert kind.exit_code == 2 and "switch-start" in kind.output
    assert english.exit_code == 1 and "エラー 404 not_found: Not found" in english.stderr
    no_host = CliRunner().invoke(app, ["--config", str(tmp_path / "none.toml"), "lookup", spid], env=ENV)
    assert no_host.exit_code == 2 and "プロファイルファイルがありません" in no_host.stderr


def test_usage_password_status_and_inquiry(cli, live, tmp_path):
    from types import SimpleNamespace

    from switchhub.kernel.clock import get_clock
    from tests.usage.helpers import body, make_customer, points

    spids = points(live.world, 2, skip=114)
    make_customer(SimpleNamespace(area_url=live.area_db), spids)
    (tmp_path / "usage.json").write_text(json.dumps(body(spids, consent_date=str(get_clock().today()))),
                                         encoding="utf-8")
    filed = _json(cli("-o", "json", "usage", "password", "--file", str(tmp_path / "usage.json")))
    password = _json(cli("-o", "json", "usage", "status", filed["application_no"]))["password"]
    one = _json(cli("-o", "json", "usage", "inquiry", spids[1], "--password", password, "--purpose", "試算",
                    profile="m0300"))
    table = cli("usage", "batch", *spids, "--password", password, "--purpose", "試算", profile="m0300").stdout
    assert filed["stage"] == "06" and password
    assert one["spid"] == spids[1] and "months" in one
    assert table.count("answered") == 2 and spids[0] in table
