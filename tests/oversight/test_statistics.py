"""Statistics: the refresh job computes per area and JST month / ISO week by SQL; the API answers JSON and
CSV (UTF-8 with BOM); the page shows SVG charts with a table; bad filters are field errors.

The figures expected are counted by hand from the rows written here (not from the module).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import text

from switchhub.hub.statistics import tasks
from switchhub.kernel.clock import JST
from tests.flow.helpers import frozen
from tests.hub.helpers import web_login
from tests.oversight.history import APP_INSERT, AUDIT_INSERT, fp

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=JST)


def _app(no: str, spid: str, type_: str, at: datetime) -> dict:
    return {"application_no": no, "area": spid[:2], "spid": spid, "type": type_, "stage": "01",
            "applicant_code": "A0001", "received_at": at, "updated_at": at}


def _audit(action: str, spids: list[str], at: datetime, outcome: str = "ok") -> dict:
    return {"at": at, "operator_code": "A0001", "user_login": "a0001-user1", "cert_fingerprint": fp("x"),
            "action": action, "resource_type": "supply_point", "resource_ids": spids, "item_count": len(spids),
            "outcome": outcome, "purpose": "switching", "detail": "{}"}


S03, S04 = "03" + "1" * 20, "04" + "2" * 20
NOV = datetime(2026, 11, 10, 12, 0, tzinfo=JST)
LATE_NOV = datetime(2026, 11, 30, 23, 30, tzinfo=JST)  # 14:30 UTC: November, week of 11-30
EARLY_DEC = datetime(2026, 12, 1, 0, 10, tzinfo=JST)  # 11-30 15:10 UTC, but December in Japan


async def _seed(engine) -> None:
    apps = [_app("03A1", S03, "05", NOV), _app("03A2", S03, "05", NOV), _app("03A3", S03, "05", LATE_NOV),
            _app("03A4", S03, "04", NOV), _app("03A5", S03, "01", NOV), _app("04A1", S04, "05", NOV),
            _app("03A6", S03, "05", EARLY_DEC)]
    audit = [_audit("web.supply_point.lookup", [S03], NOV), _audit("api.supply_point.batch_get", [S03, S03, S04], NOV),
             _audit("api.usage.query", [S03], NOV), _audit("web.usage.query", [S03], NOV, outcome="not_found"),
             _audit("web.relay.read", [S03], NOV)]  # not a lookup
    async with engine.begin() as conn:
        await conn.execute(APP_INSERT, apps)
        await conn.execute(AUDIT_INSERT, audit)
        await conn.execute(text(
            "INSERT INTO relays (relay_no, spid, area, new_retailer, current_retailer, contract_no, customer_name_kana,"
            " customer_name_kanji, address, requested_switch_date, contact_name, contact_phone, status,"
            " decision_deadline, registered_by, registered_at) VALUES ('R1', :s, '03', 'A0001', 'A0002', 'K', 'カ',"
            " '漢', '東京都', '2026-12-20', '担当', '03', '07', '2026-11-20', 'a0001-user1', :at)"),
            {"s": S03, "at": NOV})
        await conn.execute(text(
            "INSERT INTO relay_history (relay_no, from_status, to_status, rule, actor, at) VALUES"
            " ('R1', NULL, '01', 'register', 'a0001-user1', :a), ('R1', '01', '07', 'expire', 'system', :b)"),
            {"a": NOV, "b": LATE_NOV})


async def _refresh(engine) -> None:
    with frozen(NOW):
        for key in tasks.keys_due(NOW):
            async with engine.begin() as conn:
                await tasks.refresh(conn, {"_key": key}, NOW)


def test_the_refresh_recomputes_only_the_open_and_the_previous_period():
    assert tasks.keys_due(NOW) == ["month:2026-11-01@2026-12-01T10", "month:2026-12-01@2026-12-01T10",
                                   "week:2026-11-23@2026-12-01T10", "week:2026-11-30@2026-12-01T10"]


async def test_figures_per_area_and_jst_month_and_week_through_the_api_and_csv(stack):
    engine = stack.hub_app.state.engine
    await _seed(engine)
    await _refresh(engine)
    with frozen(NOW):
        async with stack.client("A0002") as c:  # any operator reads the published figures
            month = await c.get("/api/v1/statistics", params={"period": "month", "from": "2026-11-01",
                                                               "to": "2026-12-31"})
            week = await c.get("/api/v1/statistics", params={"period": "week", "from": "2026-11-30",
                                                              "to": "2026-11-30", "area": "03"})
            csv_ = await c.get("/api/v1/statistics", params={"from": "2026-11-01", "to": "2026-11-30", "area": "03",
                                                              "format": "csv"})
            accept = await c.get("/api/v1/statistics", params={"from": "2026-11-01", "to": "2026-11-30",
                                                                "area": "04"}, headers={"accept": "text/csv"})
            bad = await c.get("/api/v1/statistics", params={"from": "2026-13-01", "area": "99"})
            wrong_period = await c.get("/api/v1/statistics", params={"period": "year"})
    assert month.status_code == 200, month.text
    rows = {(i["period_start"], i["area"]): i["values"] for i in month.json()["items"]}
    assert len(rows) == 20  # 2 months × 10 areas, zeros included
    nov03, dec03, nov04 = rows[("2026-11-01", "03")], rows[("2026-12-01", "03")], rows[("2026-11-01", "04")]
    assert (nov03["application:05"], nov03["application:04"], nov03["application:01"]) == (3, 1, 1)
    assert dec03["application:05"] == 1 and nov04["application:05"] == 1
    assert (nov03["relay:01"], nov03["relay:07"]) == (1, 1)
    assert (nov03["lookup"], nov04["lookup"]) == (3, 1)  # one lookup + two of the batch's three points
    assert nov03["usage_inquiry"] == 1  # the refused inquiry is not an answered one
    assert rows[("2026-11-01", "01")]["application:05"] == 0
    items = week.json()["items"]
    assert [(i["period_start"], i["area"]) for i in items] == [("2026-11-30", "03")]
    assert items[0]["values"]["application:05"] == 2 and items[0]["values"]["relay:07"] == 1
    assert csv_.status_code == 200 and csv_.headers["content-type"].startswith("text/csv")
    assert csv_.content.startswith(b"\xef\xbb\xbf")
    lines = csv_.content.decode("utf-8-sig").splitlines()
    header = lines[0].split(",")
    assert header[:2] == ["期間開始", "エリア"] and "スイッチング開始" in header and "設備情報照会" in header
    assert lines[1].split(",")[:2] == ["2026-11-01", "03"]
    assert lines[1].split(",")[header.index("スイッチング開始")] == "3"
    lines.pop(0)
    assert len(lines) == 1
    assert accept.status_code == 200 and accept.content.decode("utf-8-sig").splitlines()[1].startswith("2026-11-01,04,")
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} >= {"from", "area"}
    assert wrong_period.status_code == 422


async def test_a_second_refresh_replaces_the_figures_of_its_period(stack):
    engine = stack.hub_app.state.engine
    await _seed(engine)
    await _refresh(engine)
    async with engine.begin() as conn:
        await conn.execute(APP_INSERT, [_app("03A9", S03, "05", NOV)])
    later = datetime(2026, 12, 1, 11, 0, tzinfo=JST)
    for key in tasks.keys_due(later):
        async with engine.begin() as conn:
            await tasks.refresh(conn, {"_key": key}, later)
    async with engine.connect() as conn:
        value = (await conn.execute(text("SELECT value FROM statistics WHERE period_kind = 'month' AND period_start"
                                         " = :d AND area = '03' AND metric = 'application:05'"),
                                    {"d": date(2026, 11, 1)})).scalar_one()
        rows = (await conn.execute(text("SELECT count(*) FROM statistics WHERE metric = 'application:05'"
                                        " AND period_kind = 'month' AND area = '03' AND period_start = :d"),
                                   {"d": date(2026, 11, 1)})).scalar_one()
    assert (value, rows) == (4, 1)


async def test_the_page_shows_svg_charts_a_table_and_field_errors(stack):
    engine = stack.hub_app.state.engine
    await _seed(engine)
    await _refresh(engine)
    with frozen(NOW):
        async with stack.client("A0002", "web", token=None) as c:
            await web_login(c, "a0002-user1", stack.world.logins["a0002-user1"])
            page = await c.get("/statistics", params={"period": "month", "from": "2026-11-01", "to": "2026-12-01"})
            bad = await c.get("/statistics", params={"from": "2026/11/01"})
            csv_ = await c.get("/statistics/download", params={"from": "2026-11-01", "to": "2026-11-30", "area": "03"})
    assert page.status_code == 200
    html = page.text
    assert html.count("<svg") == 2 and 'role="img"' in html and "<title id=\"chart-trend-title\">" in html
    assert "スイッチング開始（エリア別推移）" in html and 'id="statistics-table"' in html
    assert "<script" not in html.split("</head>")[1] and "onclick" not in html and "style=" not in html
    assert 'id="nav-statistics"' in html
    assert bad.status_code == 200 and 'id="from-error"' in bad.text and "YYYY-MM-DD" in bad.text
    assert csv_.status_code == 200 and csv_.content.startswith(b"\xef\xbb\xbf")


async def test_dates_outside_the_range_are_field_errors_not_errors_of_the_server(stack):
    with frozen(NOW):
        async with stack.client("A0001") as c:
            far = await c.get("/api/v1/statistics", params={"to": "9999-12-31"})
            early = await c.get("/api/v1/statistics", params={"period": "week", "to": "0001-01-05"})
            wide = await c.get("/api/v1/statistics", params={"from": "2000-01-01", "to": "2026-11-30"})
    assert [far.status_code, early.status_code, wide.status_code] == [422, 422, 422]
    assert [e["field"] for e in far.json()["errors"]] == ["to"]
    assert [e["field"] for e in wide.json()["errors"]] == ["from"]


async def test_the_worker_schedules_each_refresh_once_an_hour_and_the_analysis_once_a_day(stack):
    from switchhub.db.jobs import run_due
    from switchhub.hub.anomaly import tasks as anomaly_tasks

    engine = stack.hub_app.state.engine
    await _seed(engine)
    handlers = tasks.HANDLERS | anomaly_tasks.HANDLERS
    early = datetime(2026, 12, 1, 2, 30, tzinfo=JST)
    with frozen(early):
        for _ in range(2):  # two rounds of the worker in the same hour
            async with engine.begin() as conn:
                await tasks.schedule(conn, early)
                await anomaly_tasks.schedule(conn, early)
        assert await run_due(engine, handlers, early) == 4  # the four refreshes; the analysis is due at 03:00
        assert await run_due(engine, handlers, early) == 0
    at_three = datetime(2026, 12, 1, 3, 0, tzinfo=JST)
    with frozen(at_three):
        async with engine.begin() as conn:
            await tasks.schedule(conn, at_three)
            await anomaly_tasks.schedule(conn, at_three)
        assert await run_due(engine, handlers, at_three) == 5  # a new hour's four, and the day's analysis
    async with engine.connect() as conn:
        kinds = (await conn.execute(text("SELECT kind, count(*) FROM jobs WHERE done_at IS NOT NULL"
                                         " AND kind IN ('statistics.refresh', 'anomaly.analyse') GROUP BY kind"
                                         " ORDER BY kind"))).all()
        nov = (await conn.execute(text("SELECT value FROM statistics WHERE period_kind = 'month' AND area = '03'"
                                       " AND period_start = '2026-11-01' AND metric = 'application:05'"))).scalar_one()
    assert [tuple(k) for k in kinds] == [("anomaly.analyse", 1), ("statistics.refresh", 8)]
    assert nov == 3
