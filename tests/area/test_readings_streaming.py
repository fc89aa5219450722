"""Streaming ingestion of meter data files (issue 8): a file is read in chunks, staged with COPY and
checked in SQL, so a large file behaves like a small one — a correction raises the revision, one bad
row anywhere refuses the whole file with its line number, CP932 files are read as such, and a file
full of errors answers with the first 1,000 problems and their count."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from tests.hub.helpers import area_template_url, point_of
from tests.support import execute

DAY = "2030-11-30"  # beyond the generated readings of the test world (up to yesterday)


@pytest.fixture
def cli_env(stack, tmp_path, monkeypatch):
    monkeypatch.setenv("SWITCHHUB_AREA_DATABASE_URL", stack.area_url)
    monkeypatch.setenv("SWITCHHUB_HUB_DATABASE_URL", stack.hub_url)
    monkeypatch.setenv("SWITCHHUB_DATA_DIR", str(tmp_path))
    return tmp_path


async def _cli_ingest(path, area: str = "03"):
    from switchhub import cli

    return await asyncio.to_thread(CliRunner().invoke, cli.app, ["readings", "ingest", str(path), "--area", area])


def _stored(stack, where: str = "", params: tuple = ()) -> list[tuple]:
    return execute(stack.area_url, "SELECT spid, reading_date, revision, readings_kwh(kwh) FROM readings_30min"
                                   f" WHERE area = '03' AND reading_date >= '2030-01-01' {where} ORDER BY spid, reading_date", params)


def _area_points(world, n: int) -> list[str]:
    return [r[0] for r in execute(area_template_url(world), "SELECT spid FROM supply_points WHERE area = '03'"
                                                            " ORDER BY spid LIMIT %s", (n,))]


async def test_a_corrected_file_raises_the_revision_of_the_days_it_changes(stack, cli_env):
    a, b = _area_points(stack.world, 2)
    first = cli_env / "first.csv"
    first.write_text("spid,date,slot,kwh,status\n" + "".join(
        f"{p},{DAY},{s},0.{s:04d},0\n" for p in (a, b) for s in range(1, 49)))
    result = await _cli_ingest(first)
    assert result.exit_code == 0, result.output
    assert "96行 2地点日 (訂正 0)" in result.output
    assert [(r[0], r[2]) for r in _stored(stack)] == [(a, 1), (b, 1)]
    # the correction file: point a's slot 10 changed, point b's slot 10 sent again unchanged
    second = cli_env / "second.csv"
    second.write_text(f"{a},{DAY},10,1.5,0\n{b},{DAY},10,0.0010,0\n")
    result = await _cli_ingest(second)
    assert result.exit_code == 0, result.output
    assert "2行 2地点日 (訂正 1)" in result.output
    rows = _stored(stack)
    assert [(r[0], r[2]) for r in rows] == [(a, 2), (b, 1)]
    assert rows[0][3][9] == Decimal("1.5") and rows[0][3][8] == Decimal("0.0009") and rows[1][3][9] == Decimal("0.001")


async def test_one_bad_row_deep_in_a_large_file_refuses_all_of_it_with_its_line(stack, cli_env, monkeypatch):
    from switchhub.area.readings import service

    monkeypatch.setattr(service, "CHUNK_ROWS", 7_000)  # several COPY chunks before the bad line
    points = _area_points(stack.world, 600)
    assert len(points) == 600
    lines = ["供給地点特定番号,日付,コマ,電力量,状態"]
    for day in ("2030-11-29", DAY):
        lines += [f"{p},{day},{s},{(s % 7) / 10:.4f},0" for p in points for s in range(1, 49)]
    assert len(lines) == 57_601
    lines[49_999] = lines[49_999].rsplit(",", 2)[0] + ",0.12345,0"  # line 50,000: 5 decimals
    big = cli_env / "big.csv"
    big.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp932"))
    result = await _cli_ingest(big)
    assert result.exit_code == 1, result.output
    assert "50000行目 kwh: 電力量は小数点以下4桁までです" in result.output
    assert _stored(stack) == []
    # the same file without the bad line goes in whole: 1,200 point-days
    lines[49_999] = lines[49_999].replace(",0.12345,", ",0.1234,")
    big.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp932"))
    result = await _cli_ingest(big)
    assert result.exit_code == 0, result.output
    assert "57600行 1200地点日" in result.output
    assert execute(stack.area_url, "SELECT count(*), count(DISTINCT spid) FROM readings_30min"
                                  " WHERE reading_date >= '2030-01-01'") == [(1200, 600)]


async def test_a_repeated_slot_and_an_unknown_point_found_over_the_whole_file(stack, cli_env):
    a, b = _area_points(stack.world, 2)
    rows = [f"{a},{DAY},{s},1,0" for s in range(1, 49)] + [f"{b},{DAY},{s},1,0" for s in range(1, 49)]
    rows[60] = f"{a},{DAY},7,2,0"                 # line 61: same point/date/slot as line 7
    rows[70] = f"03{'8' * 20},{DAY},1,1,0"          # line 71: no such point
    path = cli_env / "mixed.csv"
    path.write_text("\n".join(rows) + "\n")
    result = await _cli_ingest(path)
    assert result.exit_code == 1, result.output
    assert "61行目 slot: 7行目と同じ地点・日付・コマです" in result.output
    assert "71行目 spid: 供給地点特定番号が登録されていません" in result.output
    assert _stored(stack) == []


async def test_a_cp932_file_with_japanese_header_and_full_width_digits(stack, cli_env):
    spid = point_of(stack.world, "M0300")
    wide = spid.translate(str.maketrans("0123456789", "０１２３４５６７８９"))  # IME input, normalised
    path = cli_env / "sjis.csv"
    path.write_bytes(("供給地点特定番号,日付,コマ,電力量,状態\r\n"
                      f"{wide},{DAY},1,0.5,0\r\n{spid},{DAY},2,0.25,1\r\n").encode("cp932"))
    result = await _cli_ingest(path)
    assert result.exit_code == 0, result.output
    rows = _stored(stack)
    assert [(r[0], r[3][:3]) for r in rows] == [(spid, [Decimal("0.5"), Decimal("0.25"), None])]
    # bytes that are neither UTF-8 nor CP932: a report line, nothing stored
    bad = cli_env / "binary.csv"
    bad.write_bytes(b"\x82\xa0\xff\xfe\x85\x00,x\n")
    result = await _cli_ingest(bad)
    assert result.exit_code == 1 and "1行目 file: 文字コードはUTF-8またはShift_JIS(CP932)にしてください" in result.output


async def test_a_file_of_errors_reports_the_first_thousand_and_counts_all(stack, cli_env):
    spid = point_of(stack.world, "M0300")
    path = cli_env / "errors.csv"
    path.write_text("".join(f"{spid},{DAY},{s % 48 + 1},x{s},0\n" for s in range(3_000)))
    result = await _cli_ingest(path)
    assert result.exit_code == 1
    assert "誤りが3,000件あります（最初の1,000件を表示）" in result.output
    assert "1000行目 kwh" in result.output and "1001行目" not in result.output
    assert _stored(stack) == []
