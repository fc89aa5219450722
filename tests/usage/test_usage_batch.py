"""The batch usage inquiry (`POST /api/v1/usage:query`, docs/usage.md) at the hub's HTTP interface, on
real PostgreSQL: one item per point in the request's order; a point the password does not open is
refused on its own (code usage_password_invalid, as the per-point 403) and the others answered; each
point audited as a per-point inquiry; the hub's contract check and visibility re-check apply to each
point of the area's answer."""

from __future__ import annotations

import json
from datetime import date, datetime

from tests.flow.helpers import frozen
from tests.hub.helpers import audit_rows
from tests.usage.helpers import body, make_customer, points, put_day, put_month

NOW = datetime(2026, 11, 24, 10, 0)
BATCH = "/api/v1/usage:query"


async def _password(stack, spids: list[str]) -> str:
    async with stack.client("A0001") as a:
        r = await a.post("/api/v1/applications/usage-password", json=body(spids))
        assert r.status_code == 201, r.text
        return (await a.get(f"/api/v1/applications/usage-password/{r.json()['application_no']}")).json()["password"]


async def test_each_point_answered_or_refused_on_its_own_in_the_requests_order(stack):
    spids = points(stack.world, 3)
    outside = points(stack.world, 1, skip=5)[0]  # not a point of the password
    make_customer(stack, spids)
    put_month(stack, spids[0], date(2026, 11, 1), "288.1230")
    put_month(stack, spids[2], date(2026, 10, 1), "12.5000", "1.5000", 90, date(2026, 11, 5))
    put_day(stack, spids[2], date(2026, 11, 20), ["0.1230"] * 47 + [None], [0] * 47 + [9])
    with frozen(NOW):
        password = await _password(stack, spids)
        async with stack.client("M0300") as other:
            asked = [spids[2], outside, spids[0], spids[1]]
            r = await other.post(BATCH, json={"spids": asked, "password": password, "purpose": "料金試算"})
            assert r.status_code == 200, r.text
            items = r.json()["items"]
            assert [(i["spid"], i["outcome"], i["code"]) for i in items] == [
                (spids[2], "answered", None), (outside, "refused", "usage_password_invalid"),
                (spids[0], "answered", None), (spids[1], "answered", None)]
            assert items[1]["usage"] is None
            assert items[0]["usage"]["months"] == [{"billing_month": "2026-10", "kwh": "12.5000",
                                                    "max_demand_kw": "1.5000", "power_factor": 90,
                                                    "next_reading_date": "2026-11-05"}]
            assert items[0]["usage"]["days"] == [{"date": "2026-11-20", "kwh": ",".join(["0.1230"] * 47) + ",",
                                                  "status": "0" * 47 + "9"}]
            assert [m["billing_month"] for m in items[2]["usage"]["months"]] == ["2026-11"]
            assert (items[3]["usage"]["months"], items[3]["usage"]["days"]) == ([], [])
            # by default the hub asks the area for plain JSON and answers plain (gzip costs more than it
            # saves on a LAN); with gzip on (SWITCHHUB_AREA_GZIP) the area's gzip stream is passed on as
            # it came (nothing stripped), and plain to who does not take gzip
            assert "content-encoding" not in r.headers
            stack.hub_app.state.areas.gzip = True
            try:
                zipped = await other.post(BATCH, json={"spids": asked, "password": password, "purpose": "料金試算"})
                plain = await other.post(BATCH, headers={"Accept-Encoding": "identity"},
                                         json={"spids": asked, "password": password, "purpose": "料金試算"})
            finally:
                stack.hub_app.state.areas.gzip = False
            assert zipped.headers.get("content-encoding") == "gzip" and zipped.json() == r.json()
            assert "content-encoding" not in plain.headers and plain.json() == r.json()
            single = await other.post(f"/api/v1/supply-points/{spids[2]}/usage:query",
                                      json={"password": password, "purpose": "料金試算"})
            assert single.json() == items[0]["usage"]  # the same answer as the per-point route

            wrong = await other.post(BATCH, json={"spids": spids, "password": "AAAAAA-AAAAAA-AAAAAA",
                                                  "purpose": "料金試算"})
            assert wrong.status_code == 200
            assert {(i["outcome"], i["code"]) for i in wrong.json()["items"]} == {("refused", "usage_password_invalid")}
    audits = [(a["resource_ids"], a["operator_code"], a["purpose"], a["outcome"], a["detail"]["purpose_text"])
              for a in audit_rows(stack.hub_url, "api.usage.query")]
    ok, refused = "ok", "usage_password_invalid"
    assert audits[:13] == [([s], "M0300", "usage_inquiry", o, "料金試算") for s, o in (
        (spids[2], ok), (outside, refused), (spids[0], ok), (spids[1], ok)) * 3] + [
        ([spids[2]], "M0300", "usage_inquiry", ok, "料金試算")]
    assert audits[13:] == [([s], "M0300", "usage_inquiry", refused, "料金試算") for s in spids]


async def test_batch_input_is_checked_field_by_field_and_only_retailers_inquire(stack):
    spid = points(stack.world, 1)[0]
    async with stack.client("A0002") as a, stack.client("T0300") as tso:
        r = await a.post(BATCH, json={"spids": [spid, "03-bad", spid], "password": "x", "purpose": "試算"})
        assert r.status_code == 422
        assert {(e["field"], e["code"]) for e in r.json()["errors"]} >= {("spids[2]", "duplicate")}
        assert any(e["field"] == "spids[1]" for e in r.json()["errors"])
        assert (await a.post(BATCH, json={"spids": [], "password": "x", "purpose": "試算"})).status_code == 422
        too_many = [f"03{n:020d}" for n in range(21)]
        assert (await a.post(BATCH, json={"spids": too_many, "password": "x", "purpose": "試算"})).status_code == 422
        assert (await tso.post(BATCH, json={"spids": [spid], "password": "x", "purpose": "試算"})).status_code == 403
    assert audit_rows(stack.hub_url, "api.usage.query") == []


def _usage(spid: str, **over) -> dict:
    return {"spid": spid, "interval_data": False, "period_start": "2026-08-15", "window_start": "2025-11-01",
            "withheld_before": "2026-08-15",
            "months": [{"billing_month": m, "kwh": "1.0000", "max_demand_kw": None, "power_factor": None,
                        "next_reading_date": None} for m in ("2026-08", "2026-09")],
            "days": [{"date": "2026-08-20", "kwh": ",".join(["0.1000"] * 48), "status": "0" * 48}], **over}


async def test_the_hub_rechecks_each_point_of_an_area_batch_answer(stack):
    """Days for a point without interval data and a month before the period are stripped from that
    point (with an alert); the clean point goes out as the area sent it."""
    a, b = "0310000000000000000000", "0310000000000000000001"
    clean = _usage(b, months=[], days=[])

    async def query_usage_batch(area, caller, req):
        assert (area, req.spids) == ("03", [a, b])
        return json.dumps({"items": [{"spid": a, "outcome": "answered", "code": None, "usage": _usage(a)},
                                     {"spid": b, "outcome": "answered", "code": None, "usage": clean}]}).encode(), None

    stack.hub_app.state.areas.query_usage_batch = query_usage_batch
    async with stack.client("A0002") as other:
        r = await other.post(BATCH, json={"spids": [a, b], "password": "x", "purpose": "試算"})
    assert r.status_code == 200, r.text
    first, second = r.json()["items"]
    assert ([m["billing_month"] for m in first["usage"]["months"]], first["usage"]["days"]) == (["2026-09"], [])
    assert second["usage"] == clean
    [alert] = audit_rows(stack.hub_url, "alert.visibility.usage_outside_grant")
    assert (alert["resource_ids"], alert["fields"]) == ([a], sorted(["days", "months:2026-08"]))


async def test_an_area_batch_answer_outside_the_contract_is_the_areas_failure(stack):
    """Another point than the one asked, a refusal with an unknown code, a day of 47 values, a day's
    value or status that is not a decimal text or a digit, 49 statuses: 503
    area_contract_violation, nothing forwarded, every point audited as refused."""
    a = "0310000000000000000000"
    short_day = _usage(a, interval_data=True, period_start="2025-01-01", withheld_before=None, months=[],
                       days=[{"date": "2026-09-01", "kwh": ",".join(["0.1000"] * 47), "status": "0" * 47}])
    def day(kwh: str, status: str) -> dict:
        return _usage(a, interval_data=True, period_start="2025-01-01", withheld_before=None, months=[],
                      days=[{"date": "2026-09-01", "kwh": kwh, "status": status}])

    good_kwh = ",".join(["0.1000"] * 48)
    odd_days = [day(good_kwh.replace("0.1000", "1e-04", 1), "0" * 48),  # not a decimal text
                day(good_kwh, "0" * 47 + "x"),  # a status that is not a digit
                day(good_kwh, "0" * 49),  # 49 statuses
                day(good_kwh.replace("0.1000", "０.1000", 1), "0" * 48)]  # a full-width digit
    answers = [
        {"items": [{"spid": "0310000000000000000009", "outcome": "answered", "code": None,
                    "usage": _usage("0310000000000000000009")}]},
        {"items": [{"spid": a, "outcome": "refused", "code": "something_else", "usage": None}]},
        {"items": [{"spid": a, "outcome": "answered", "code": None, "usage": short_day}]},
        {"items": []},
        *({"items": [{"spid": a, "outcome": "answered", "code": None, "usage": u}]} for u in odd_days),
    ]

    async def query_usage_batch(area, caller, req):
        return json.dumps(answers.pop(0)).encode(), None

    stack.hub_app.state.areas.query_usage_batch = query_usage_batch
    async with stack.client("A0002") as other:
        for _ in range(8):
            r = await other.post(BATCH, json={"spids": [a], "password": "x", "purpose": "試算"})
            assert (r.status_code, r.json()["code"]) == (503, "area_contract_violation")
    assert [(x["resource_ids"], x["outcome"]) for x in audit_rows(stack.hub_url, "api.usage.query")] == [
        ([a], "area_contract_violation")] * 8


async def test_points_of_two_areas_ask_each_area_once_and_keep_the_requests_order(stack):
    a1, b1, a2 = "0310000000000000000000", "0410000000000000000000", "0310000000000000000001"
    calls = []

    async def query_usage_batch(area, caller, req):
        calls.append((area, req.spids))
        return json.dumps({"items": [{"spid": s, "outcome": "answered", "code": None,
                                      "usage": _usage(s, months=[], days=[])} for s in req.spids]}).encode(), None

    stack.hub_app.state.areas.query_usage_batch = query_usage_batch
    async with stack.client("A0002") as other:
        r = await other.post(BATCH, json={"spids": [a1, b1, a2], "password": "x", "purpose": "試算"})
    assert r.status_code == 200, r.text
    assert [i["spid"] for i in r.json()["items"]] == [a1, b1, a2]
    assert sorted(calls) == [("03", [a1, a2]), ("04", [b1])]
    assert [x["resource_ids"] for x in audit_rows(stack.hub_url, "api.usage.query")] == [[a1], [b1], [a2]]


async def test_each_points_days_come_back_to_it_when_the_area_reads_them_on_two_connections(world):
    """The area reads a batch's days half on each of two connections (the second from a pool of its
    own): five points with days of their own each get exactly theirs; and more batches at once than
    either pool has connections all finish (a batch never waits for a second connection of the pool it
    holds one of: with one pool of 2, three batches would hold all and wait for each other)."""
    import asyncio

    from tests.support import build_stack, close_stack

    stack = build_stack(world, settings_changes={"db_pool_size": 2})
    try:
        spids = points(stack.world, 5)
        make_customer(stack, spids)
        for n, spid in enumerate(spids):
            put_day(stack, spid, date(2026, 11, 20), [f"0.{n + 1}000"] * 48)
            put_day(stack, spid, date(2026, 11, 21), [f"{n + 1}.0000"] * 48)
        with frozen(NOW):
            password = await _password(stack, spids)
            async with stack.client("M0300") as other:
                async def batch() -> list[dict]:
                    r = await other.post(BATCH, json={"spids": spids, "password": password, "purpose": "料金試算"})
                    assert r.status_code == 200, r.text
                    return r.json()["items"]

                answers = await asyncio.wait_for(asyncio.gather(*(batch() for _ in range(6))), timeout=60)
        for items in answers:
            assert [(i["spid"], [d["kwh"] for d in i["usage"]["days"]]) for i in items] == [
                (spid, [",".join([f"0.{n + 1}000"] * 48), ",".join([f"{n + 1}.0000"] * 48)])
                for n, spid in enumerate(spids)]
    finally:
        await close_stack(stack)
