"""C02 制限中止割引 from a real source: curtailment / interruption events (制限・中止) ingested through
/area/v1 and the CLI with the readings' all-or-nothing per-row report, and the month's form per
retailer with exactly its points' events, clipped to the days it supplied them (a switch mid-event
splits the event between the two retailers' forms), built by the forms job within 5 business days."""

from __future__ import annotations

import asyncio
import calendar
from datetime import date, datetime, timedelta
from decimal import Decimal

from typer.testing import CliRunner

from switchhub.area.metering import forms
from switchhub.area.metering import tasks as metering_tasks
from switchhub.kernel.calendar import business_days_between
from switchhub.kernel.clock import JST
from tests.flow.helpers import frozen, settle, smart_point_of
from tests.metering.helpers import T0300, acting, area_client, files, run_metering_jobs
from tests.metering.test_supplier_split import NOW, _switch, _zip
from tests.support import execute

PATH = "/area/v1/curtailment-events:ingest"
HEADER = ["供給地点特定番号", "対象年月", "区分", "開始日時", "終了日時", "割引対象時間(h)", "割引率(%)", "事由"]


def _events(stack, spid: str) -> list[tuple]:
    return execute(stack.area_url, "SELECT kind, starts_at, ends_at, reason, discount_rate FROM curtailment_events"
                                   " WHERE area = '03' AND spid = %s ORDER BY starts_at", (spid,))


def _event(spid: str, kind: str, starts: str, ends: str, rate: str = "10", reason: str = "系統工事") -> dict:
    return {"spid": spid, "kind": kind, "starts_at": starts, "ends_at": ends, "reason": reason, "discount_rate": rate}


async def _post(stack, rows: list[dict], headers: dict | None = None):
    async with area_client(stack) as c:
        return await c.post(PATH, json={"area": "03", "rows": rows}, headers=headers or T0300)


async def test_bad_rows_refuse_the_whole_batch_with_a_report_per_row(stack):
    spid = smart_point_of(stack.world, "M0300")
    good = _event(spid, "制限", "2030-05-10 13:00", "2030-05-10 15:30", "12.5")
    bad = [good,                                                            # 1: fine alone
           _event(spid, "停止", "2030-05-11 13:00", "2030-05-11 14:00"),    # 2: no such kind
           _event(spid, "中止", "2030-05-12 13:15", "2030-05-12 14:00"),    # 3: not on a half hour
           _event(spid, "中止", "2030-05-13 14:00", "2030-05-13 14:00"),    # 4: ends at its start
           _event(spid, "中止", "2030-05-14 14:00", "2030-05-14 15:00", "0"),    # 5: rate 0
           _event(spid, "中止", "2030-05-15 14:00", "2030-05-15 15:00", "10.125"),  # 6: 3 decimals
           _event(spid, "制限", "2030-05-10 13:00", "2030-05-10 14:00"),    # 7: same point and start as row 1
           _event("03" + "9" * 20, "制限", "2030-05-16 13:00", "2030-05-16 14:00"),  # 8: unknown point
           _event(spid, "制限", "2030-05-17 13:00", "2030-05-17 14:00", reason="")]  # 9: no reason
    r = await _post(stack, bad)
    assert r.status_code == 422 and r.json()["code"] == "readings_rejected"
    assert [(x["row"], x["field"]) for x in r.json()["report"]] == [
        (2, "kind"), (3, "starts_at"), (4, "ends_at"), (5, "discount_rate"), (6, "discount_rate"),
        (7, "starts_at"), (8, "spid"), (9, "reason")]
    messages = {x["row"]: x["message"] for x in r.json()["report"]}
    assert messages[2] == "区分は「制限」または「中止」です（入力値: 停止）"
    assert messages[4] == "終了日時は開始日時より後にしてください"
    assert messages[7] == "1行目と同じ地点・開始日時です"
    assert messages[8] == "供給地点特定番号が登録されていません"
    assert _events(stack, spid) == []  # nothing of the batch was written

    r = await _post(stack, [good])
    assert r.status_code == 200 and r.json() == {"area": "03", "rows": 1, "written": 1}
    assert _events(stack, spid) == [("制限", datetime(2030, 5, 10, 13, 0, tzinfo=JST),
                                     datetime(2030, 5, 10, 15, 30, tzinfo=JST), "系統工事", Decimal("12.50"))]
    assert (await _post(stack, [good])).json()["written"] == 0  # the same event again changes nothing
    fixed = {**good, "ends_at": "2030-05-10 16:00", "discount_rate": "15"}
    assert (await _post(stack, [fixed])).json()["written"] == 1  # a correction replaces the event
    assert _events(stack, spid)[0][2:] == (datetime(2030, 5, 10, 16, 0, tzinfo=JST), "系統工事", Decimal("15.00"))

    # only the area's T&D ingests: a retailer is refused and nothing changes
    r = await _post(stack, [{**good, "discount_rate": "20"}], headers=acting("M0300"))
    assert r.status_code == 403
    assert _events(stack, spid)[0][4] == Decimal("15.00")


async def test_the_cli_ingests_a_cp932_file(stack, tmp_path, monkeypatch):
    from switchhub import cli

    spid = smart_point_of(stack.world, "M0300", skip=1)
    monkeypatch.setenv("SWITCHHUB_AREA_DATABASE_URL", stack.area_url)
    monkeypatch.setenv("SWITCHHUB_HUB_DATABASE_URL", stack.hub_url)
    monkeypatch.setenv("SWITCHHUB_DATA_DIR", str(tmp_path))
    path = tmp_path / "events.csv"
    head = "供給地点特定番号,区分,開始日時,終了日時,事由,割引率\r\n"
    path.write_bytes((head + f"{spid},中止,2030-06-01 09:00,2030-06-01 12:00,需給ひっ迫,8\r\n"
                      f"{spid},中止,2030-06-02 09:00,2030-06-01 12:00,需給ひっ迫,8\r\n").encode("cp932"))
    result = await asyncio.to_thread(CliRunner().invoke, cli.app,
                                     ["readings", "ingest-curtailment", str(path), "--area", "03"])
    assert result.exit_code == 1
    assert "3行目 ends_at: 終了日時は開始日時より後にしてください" in result.output and _events(stack, spid) == []
    path.write_bytes((head + f"{spid},中止,2030-06-01 09:00,2030-06-01 12:00,需給ひっ迫,8\r\n").encode("cp932"))
    result = await asyncio.to_thread(CliRunner().invoke, cli.app,
                                     ["readings", "ingest-curtailment", str(path), "--area", "03"])
    assert result.exit_code == 0, result.output
    assert _events(stack, spid) == [("中止", datetime(2030, 6, 1, 9, 0, tzinfo=JST),
                                     datetime(2030, 6, 1, 12, 0, tzinfo=JST), "需給ひっ迫", Decimal("8.00"))]


def _c02(stack, retailer: str, month: date) -> list[list[str]]:
    made = files(stack, retailer_code=retailer, target=month, type="C02")
    assert made, f"no C02 for {retailer}"
    latest = max(made, key=lambda f: f["revision"])
    columns, rows = forms.read_csv(forms_csv(_zip(stack, latest["id"])))
    assert columns == HEADER
    return rows


def forms_csv(data: bytes) -> bytes:
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return zf.read(zf.namelist()[0])


async def test_the_month_form_has_each_retailers_points_events_split_at_a_switch(stack):
    moved = smart_point_of(stack.world, "M0300")        # switched from M0300 to A0001 during the month
    kept = smart_point_of(stack.world, "M0300", skip=2)  # stays with M0300
    other = smart_point_of(stack.world, "A0001")        # A0001's all month
    with frozen(NOW) as clock:
        switch = await _switch(stack, moved)
        await settle(stack)
        clock.set(datetime.combine(switch, datetime.min.time()) + timedelta(minutes=5))
        await settle(stack)
    m0 = switch.replace(day=1)
    m1 = m0.replace(day=calendar.monthrange(m0.year, m0.month)[1])
    assert m0 < switch <= m1
    eve, nxt = switch - timedelta(days=1), m1 + timedelta(days=1)
    prev = m0 - timedelta(days=3)
    r = await _post(stack, [
        _event(moved, "中止", f"{eve} 22:00", f"{switch} 02:00", "10", "配電線工事"),  # over the switch
        _event(kept, "制限", f"{m1} 23:00", f"{nxt} 01:30", "7.5", "需給ひっ迫"),      # over the month's end
        _event(kept, "制限", f"{prev} 10:00", f"{prev} 11:00", "7.5", "需給ひっ迫"),   # last month: not in it
        _event(other, "制限", f"{m0 + timedelta(days=2)} 10:00", f"{m0 + timedelta(days=2)} 12:30", "12.5",
               "系統事故")])
    assert r.status_code == 200, r.text

    run_at = metering_tasks.forms_run_at(m0, "03")
    assert 0 < business_days_between(nxt, run_at.date(), "03") <= 5
    async with stack.area_app.state.engine.begin() as conn:
        await metering_tasks.schedule(conn, run_at, ["03"])
    await run_metering_jobs(stack, run_at)

    month, ymd = f"{m0:%Y%m}", lambda d: f"{d:%Y%m%d}"
    mine = [row for row in _c02(stack, "M0300", m0) if row[0] in (moved, kept, other)]
    assert mine == [
        [moved, month, "中止", f"{ymd(eve)} 22:00", f"{ymd(switch)} 00:00", "2.00", "10.00", "配電線工事"],
        [kept, month, "制限", f"{ymd(m1)} 23:00", f"{ymd(nxt)} 00:00", "1.00", "7.50", "需給ひっ迫"],
    ] if moved < kept else [
        [kept, month, "制限", f"{ymd(m1)} 23:00", f"{ymd(nxt)} 00:00", "1.00", "7.50", "需給ひっ迫"],
        [moved, month, "中止", f"{ymd(eve)} 22:00", f"{ymd(switch)} 00:00", "2.00", "10.00", "配電線工事"],
    ]
    theirs = [row for row in _c02(stack, "A0001", m0) if row[0] in (moved, kept, other)]
    expected = {moved: [moved, month, "中止", f"{ymd(switch)} 00:00", f"{ymd(switch)} 02:00", "2.00", "10.00",
                        "配電線工事"],
                other: [other, month, "制限", f"{ymd(m0 + timedelta(days=2))} 10:00",
                        f"{ymd(m0 + timedelta(days=2))} 12:30", "2.50", "12.50", "系統事故"]}
    assert theirs == [expected[s] for s in sorted(expected)]
    # every row of a retailer's form is one of the points it supplied that month
    for retailer in ("M0300", "A0001"):
        supplied = {r[0] for r in execute(stack.area_url, "SELECT trim(spid) FROM supply_periods WHERE area = '03'"
                                                          " AND retailer_code = %s AND valid_from <= %s AND"
                                                          " (valid_to IS NULL OR valid_to >= %s)", (retailer, m1, m0))}
        assert {row[0] for row in _c02(stack, retailer, m0)} <= supplied
