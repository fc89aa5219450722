"""`switchhub conformance` (issue 10, the area contract): the suite passes against the reference area
system served over real TLS with the hub's certificate, and against a deliberately broken one it
fails exactly the checks of what was broken, with a readable report (Japanese, English, JSON) and
exit code 1. Expected check ids are written here from the brief, not read from the suite."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from switchhub import cli
from switchhub.conformance import Options, run_conformance
from tests.conformance.broken_area import LEAKED, hub_tls, served_area
from tests.flow.helpers import smart_point_of

#: every behaviour the brief names: every operation family, the refusals, visibility per
#: relationship, the feed (monotonic, no duplicates, same cursor same events) and the deadline
CHECKS = {
    "export.current_supplier",
    "export.zstd",
    "lookup.current_supplier",
    "lookup.other_retailer",
    "lookup.tso_own_area",
    "lookup.tso_other_area",
    "lookup.occto",
    "batch_get.other_retailer",
    "search.by_pole_no",
    "search.by_meter_no",
    "refusal.unknown_spid",
    "refusal.malformed_spid",
    "refusal.no_acting_operator",
    "refusal.export_by_tso",
    "refusal.bad_search_area",
    "refusal.bad_batch_spid",
    "feed.head",
    "application.switch_start",
    "application.idempotent_replay",
    "refusal.idempotency_key_reused",
    "refusal.second_switch_start_same_retailer",
    "refusal.second_switch_start_other_retailer",
    "refusal.switch_start_by_supplier",
    "refusal.switch_start_body",
    "refusal.switch_start_json",
    "application.status",
    "application.status_by_tso",
    "refusal.status_by_other_retailer",
    "refusal.withdraw_unknown",
    "refusal.withdraw_empty_reason",
    "application.withdraw",
    "refusal.withdraw_twice",
    "feed.order",
    "feed.replay",
    "feed.paging",
    "feed.events",
    "deadline",
}
#: what BrokenArea breaks → the one check each breakage must fail
BROKEN = {
    "lookup.other_retailer",  # a supplier field leaked to another retailer
    "refusal.unknown_spid",  # 404 with a code the contract does not name
    "search.by_pole_no",  # an answer without a required member
    "feed.order",  # a change sent twice in the feed
    "export.zstd",  # compression=zstd answered as gzip
    "deadline",
}  # the batch lookup answered after the deadline
DEADLINE = 3.0


@pytest.fixture(scope="module")
def reference(world):
    with served_area(world, "reference") as area:
        yield area


@pytest.fixture(scope="module")
def broken(world):
    with served_area(world, "broken", broken=True, slow_s=DEADLINE + 0.5) as area:
        yield area


def test_the_reference_area_passes_every_check(world, reference):
    report = run_conformance(reference.base_url, Options(**hub_tls(world), area="03"))
    assert report.failed == [], report.to_json()
    assert {r.check for r in report.results} == CHECKS
    assert report.ok
    # the fixture points were found through the supplier's export and a switch-start was filed
    assert report.result("application.switch_start").detail_en.startswith("application 03")


def test_the_sandbox_stubs_pass_every_check(world, monkeypatch):
    """The sandbox's area (the reference system behind the scenario layer, its clock and markers)
    speaks the same contract: ordinary points are answered as by the reference system."""
    monkeypatch.setenv("SWITCHHUB_METERING_OPERATION_MODE", "0")  # sandbox mode sets it for the process
    with served_area(world, "sandbox", settings_changes={"sandbox": True}) as area:
        report = run_conformance(area.base_url, Options(**hub_tls(world), area="03"))
    assert report.failed == [], report.to_json()
    assert {r.check for r in report.results} == CHECKS


def test_a_broken_area_fails_exactly_the_broken_checks(world, broken):
    spid, switch_spid = smart_point_of(world, "M0300", skip=2), smart_point_of(world, "M0300", skip=3)
    report = run_conformance(
        broken.base_url, Options(**hub_tls(world), spid=spid, switch_spid=switch_spid, deadline_s=DEADLINE)
    )
    assert set(report.failed) == BROKEN, report.to_json()
    assert not report.ok
    assert LEAKED in report.result("lookup.other_retailer").detail_ja
    assert "見せてはならない項目" in report.result("lookup.other_retailer").detail_ja
    assert "no_such_point" in report.result("refusal.unknown_spid").detail_en
    assert "truncated" in report.result("search.by_pole_no").detail_en
    assert "duplicated" in report.result("feed.order").detail_en
    assert "supply-points:batch-get" in report.result("deadline").detail_en


def test_the_cli_reports_as_json_with_exit_code_0_on_the_reference(world, reference):
    tls = hub_tls(world)
    result = CliRunner().invoke(
        cli.app,
        [
            "conformance",
            reference.base_url,
            "--cert",
            tls["cert"],
            "--key",
            tls["key"],
            "--ca",
            tls["ca"],
            "--area",
            "03",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["ok"] is True and report["failed"] == 0 and len(report["checks"]) == len(CHECKS)


def test_the_cli_prints_a_readable_failing_report_with_exit_code_1(world, broken):
    tls = hub_tls(world)
    args = [
        "conformance",
        broken.base_url,
        "--cert",
        tls["cert"],
        "--key",
        tls["key"],
        "--ca",
        tls["ca"],
        "--deadline",
        str(DEADLINE),
    ]
    ja = CliRunner().invoke(cli.app, args)
    assert ja.exit_code == 1, ja.output
    assert "不合格" in ja.output and "lookup.other_retailer" in ja.output and LEAKED in ja.output
    assert f"不合格 {len(BROKEN)} 件" in ja.output
    en = CliRunner().invoke(cli.app, [*args, "--lang", "en"])
    assert en.exit_code == 1 and "FAIL" in en.output and f"{len(BROKEN)} failed" in en.output


def test_a_retailer_certificate_is_refused_and_reported(world, reference):
    """The area accepts the hub's certificate only: run with a retailer's, the suite reports the
    area's 403 on each check instead of crashing, and the run fails."""
    retailer = world.clients["A0001-api"]
    report = run_conformance(
        reference.base_url, Options(cert=str(retailer.cert), key=str(retailer.key), ca=hub_tls(world)["ca"])
    )
    assert not report.ok
    assert "ステータス 403" in report.result("export.current_supplier").detail_ja
    assert "403 hub_certificate_required" in report.result("refusal.unknown_spid").detail_en


def test_bad_options_are_one_japanese_line_and_exit_code_2():
    runner = CliRunner()
    area = runner.invoke(cli.app, ["conformance", "https://127.0.0.1:9", "--area", "11"])
    assert area.exit_code == 2 and "エリアコードは 01〜10" in area.output
    receiver = runner.invoke(cli.app, ["conformance", "https://127.0.0.1:9", "--receiver", "127.0.0.1:9"])
    assert receiver.exit_code == 2 and "--receiver-cert" in receiver.output
