"""Usage password (type 08) and usage inquiry at the hub's HTTP interface, on real PostgreSQL.

Expected values come from the issue and processes.md P2, written here: stages 01 → 06 (issued at
once when the name and address match) or 01 → 02 → 06 / 09 after the T&D's review, the review
deadline is the next business day, the password appears once, the latest 13 months (monthly always,
30-minute days for smart meters), nothing before the current customer's period.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime

from tests.flow.helpers import frozen
from tests.hub.helpers import audit_rows
from tests.usage.helpers import (
    PDF,
    PNG,
    b64,
    body,
    make_customer,
    new_period,
    points,
    put_day,
    put_month,
    rows,
)

NOW = datetime(2026, 11, 24, 10, 0)  # Tuesday; the review deadline is Wed 25
PASSWORD = re.compile(r"^[2-9A-HJKMNP-Z]{6}-[2-9A-HJKMNP-Z]{6}-[2-9A-HJKMNP-Z]{6}$")
INQUIRY = "/api/v1/supply-points/{}/usage:query"


async def _issue(stack, spids: list[str], applicant: str = "A0001", **over) -> tuple[str, str]:
    async with stack.client(applicant) as c:
        r = await c.post("/api/v1/applications/usage-password", json=body(spids, **over))
        assert r.status_code == 201, r.text
        no = r.json()["application_no"]
        first = (await c.get(f"/api/v1/applications/usage-password/{no}")).json()
    return no, first["password"]


async def test_auto_issue_shows_the_password_once_and_any_retailer_inquires(stack):
    spids = points(stack.world, 3)
    make_customer(stack, spids)
    put_month(stack, spids[0], date(2025, 10, 1), "999.0000")  # 14 months back: outside the window
    put_month(stack, spids[0], date(2025, 11, 1), "301.5000", "2.5000", 95, date(2025, 12, 4))
    put_month(stack, spids[0], date(2026, 11, 1), "288.1230")
    put_day(stack, spids[0], date(2026, 11, 20), ["0.1230"] * 47 + [None], [0] * 47 + [9])
    with frozen(NOW):
        async with stack.client("A0001") as a, stack.client("M0300") as other, stack.client("T0300") as tso:
            r = await a.post("/api/v1/applications/usage-password",
                             json=body(spids, address="東京都新宿区西新宿二丁目８番１号"))
            assert r.status_code == 201, r.text
            filed = r.json()
            assert (filed["type"], filed["stage"], filed["verification"], filed["channel"]) == (
                "08", "06", "auto", "low")
            assert filed["points"] == spids and filed["review_deadline"] == "2026-11-25"
            assert filed["password"] is None  # the status answer shows it, not the filing's
            no = filed["application_no"]
            url = f"/api/v1/applications/usage-password/{no}"
            assert (await tso.get(url)).json()["password"] is None  # the T&D never gets it
            first = (await a.get(url)).json()
            assert PASSWORD.match(first["password"]), first["password"]
            assert first["expires_at"] == "2026-12-01T10:00:00+09:00"
            assert (await a.get(url)).json()["password"] is None  # once
            stored = rows(stack, "SELECT pickup_password, password_hash IS NOT NULL, octet_length(password_salt)"
                                 " FROM usage_requests WHERE application_no = %s", (no,))
            assert stored == [(None, True, 16)]  # only the salted hash is kept

            q = await other.post(INQUIRY.format(spids[0]),
                                 json={"password": first["password"].lower().replace("-", " "),
                                       "purpose": "料金試算"})
            assert q.status_code == 200, q.text
            usage = q.json()
            assert (usage["spid"], usage["interval_data"], usage["window_start"]) == (spids[0], True, "2025-11-01")
            # the latest 13 billing months: November 2025 … November 2026
            assert [m["billing_month"] for m in usage["months"]] == ["2025-11", "2026-11"]
            assert usage["months"][0] == {"billing_month": "2025-11", "kwh": "301.5000", "max_demand_kw": "2.5000",
                                          "power_factor": 95, "next_reading_date": "2025-12-04"}
            assert usage["months"][1] == {"billing_month": "2026-11", "kwh": "288.1230", "max_demand_kw": None,
                                          "power_factor": None, "next_reading_date": None}
            assert usage["days"] == [{"date": "2026-11-20", "kwh": ",".join(["0.1230"] * 47) + ",",
                                      "status": "0" * 47 + "9"}]
            refused = [await other.post(INQUIRY.format(s), json={"password": p, "purpose": "料金試算"}) for s, p in (
                (points(stack.world, 1, skip=5)[0], first["password"]),  # another spid, same password
                (spids[1], "AAAAAA-AAAAAA-AAAAAA"),  # wrong password
                ("0399999999999999999999", first["password"]))]  # no such point
            assert {r.status_code for r in refused} == {403}
            assert len({(r.json()["code"], r.json()["detail"]) for r in refused}) == 1  # the same answer
            assert refused[0].json()["code"] == "usage_password_invalid"
            tso_query = await tso.post(INQUIRY.format(spids[0]), json={"password": first["password"],
                                                                        "purpose": "x"})
            assert tso_query.status_code == 403
    audits = audit_rows(stack.hub_url, "api.usage.query")
    assert [(a["operator_code"], a["purpose"], a["outcome"], a["detail"]["purpose_text"]) for a in audits] == [
        ("M0300", "usage_inquiry", "ok", "料金試算")] + [("M0300", "usage_inquiry", "usage_password_invalid",
                                                        "料金試算")] * 3
    assert [a["action"] for a in audit_rows(stack.hub_url) if a["action"].startswith("api.usage_password")] == [
        "api.usage_password.request", "api.usage_password.status", "api.usage_password.status",
        "api.usage_password.status"]


async def test_high_voltage_point_is_its_own_channel(stack):
    [spid] = points(stack.world, 1, channel="high", smart=None)
    make_customer(stack, [spid])
    with frozen(NOW):
        async with stack.client("A0001") as a:
            r = await a.post("/api/v1/applications/usage-password", json=body([spid]))
    assert r.status_code == 201, r.text
    assert (r.json()["channel"], r.json()["stage"]) == ("high", "06")


async def test_expiry_is_enforced(stack):
    spids = points(stack.world, 1, skip=3)
    make_customer(stack, spids)
    with frozen(NOW) as clock:
        no, password = await _issue(stack, spids, validity_days=1)
        async with stack.client("A0001") as a:  # issued, never picked up
            unread = (await a.post("/api/v1/applications/usage-password", json=body(spids, validity_days=1))).json()
        async with stack.client("A0002") as other:
            ok = await other.post(INQUIRY.format(spids[0]), json={"password": password, "purpose": "試算"})
            assert ok.status_code == 200
            clock.advance(hours=23, minutes=59)
            assert (await other.post(INQUIRY.format(spids[0]), json={"password": password,
                                                                      "purpose": "試算"})).status_code == 200
            clock.advance(minutes=1)
            late = await other.post(INQUIRY.format(spids[0]), json={"password": password, "purpose": "試算"})
            assert late.status_code == 403 and late.json()["code"] == "usage_password_invalid"
        async with stack.client("A0001") as a:
            status = (await a.get(f"/api/v1/applications/usage-password/{no}")).json()
            late_pickup = (await a.get(f"/api/v1/applications/usage-password/{unread['application_no']}")).json()
    assert (status["stage"], status["expired"], status["password"]) == ("06", True, None)
    assert (late_pickup["expired"], late_pickup["password"]) == (True, None)  # not after expiry either


async def test_months_before_the_current_customers_period_are_withheld(stack):
    [spid] = points(stack.world, 1, skip=4)
    make_customer(stack, [spid], kanji="前住 一郎", kana="マエズミ イチロウ")
    new_period(stack, spid, date(2026, 8, 15))  # a move-in: 用量 太郎 from 15 August
    for m in (6, 7, 8, 9, 10):
        put_month(stack, spid, date(2026, m, 1), f"{m}00.0000")
    put_day(stack, spid, date(2026, 8, 14), ["1.0000"] * 48)
    put_day(stack, spid, date(2026, 8, 15), ["2.0000"] * 48)
    with frozen(NOW):
        no, password = await _issue(stack, [spid])
        async with stack.client("A0002") as other:
            usage = (await other.post(INQUIRY.format(spid), json={"password": password, "purpose": "試算"})).json()
    assert usage["period_start"] == "2026-08-15" and usage["withheld_before"] == "2026-08-15"
    # August began with the previous customer: only months that start inside the period
    assert [m["billing_month"] for m in usage["months"]] == ["2026-09", "2026-10"]
    assert [d["date"] for d in usage["days"]] == ["2026-08-15"]

    new_period(stack, spid, date(2026, 11, 24), kanji="次住 花子", kana="ツギズミ ハナコ")  # another customer
    with frozen(NOW):
        async with stack.client("A0002") as other:
            after = await other.post(INQUIRY.format(spid), json={"password": password, "purpose": "試算"})
    assert after.status_code == 403  # the new customer did not consent


async def test_a_point_without_a_smart_meter_has_months_but_no_days(stack):
    [spid] = points(stack.world, 1, smart=False)
    make_customer(stack, [spid])
    put_month(stack, spid, date(2026, 10, 1), "120.0000")
    put_day(stack, spid, date(2026, 10, 5), ["0.5000"] * 48)  # whatever is stored, it is not answered
    with frozen(NOW):
        _, password = await _issue(stack, [spid])
        async with stack.client("A0002") as other:
            usage = (await other.post(INQUIRY.format(spid), json={"password": password, "purpose": "試算"})).json()
    assert usage["interval_data"] is False and usage["days"] == []
    assert [m["kwh"] for m in usage["months"]] == ["120.0000"]


def _errors(r) -> list[tuple[str, str]]:
    assert r.status_code == 422, r.text
    return [(e["field"], e["code"]) for e in r.json()["errors"]]


async def test_validation_names_each_field_in_japanese_and_stores_nothing(stack):
    spids = points(stack.world, 3, skip=10)
    make_customer(stack, spids)
    [fit] = points(stack.world, 1, channel="low_fit", smart=None)
    [kansai] = points(stack.world, 1, area="06")
    with frozen(NOW):
        async with stack.client("A0001") as a:
            post = lambda b: a.post("/api/v1/applications/usage-password", json=b)  # noqa: E731
            assert _errors(await post(body([]))) == [("spids", "too_short")]
            assert _errors(await post(body([spids[0]] * 21)))[0] == ("spids", "too_long")
            r = await post(body([spids[0], spids[1], spids[0]]))
            assert _errors(r) == [("spids[2]", "duplicate")]
            assert "1件目と同じ" in r.json()["errors"][0]["message"]
            assert _errors(await post(body([spids[0], kansai]))) == [("spids[1]", "area_mismatch")]
            r = await post(body([spids[0], fit]))
            assert _errors(r) == [("spids[1]", "channel_not_allowed")]
            assert "低圧FIT電源" in r.json()["errors"][0]["message"]
            assert _errors(await post(body([spids[0], "03123"]))) == [("spids[1]", "spid_format")]
            assert _errors(await post(body(spids, validity_days=3)))[0][0] == "validity_days"
            assert _errors(await post(body(spids, customer_name_kana="")))[0][0] == "customer_name_kana"
            assert _errors(await post(body(spids, customer_name_kanji="　")))[0] == ("customer_name_kanji", "required")
            assert _errors(await post(body(spids, address="x" * 201)))[0][0] == "address"
            r = await post(body(spids, phone="12-345-67890"))
            assert _errors(r) == [("phone", "phone_format")] and "電話番号" in r.json()["errors"][0]["message"]
            r = await post(body(spids, consent_date="2026-11-25"))
            assert _errors(r) == [("consent_date", "date_in_future")] and "未来" in r.json()["errors"][0]["message"]
            assert _errors(await post(body(spids, consent_date="20261120")))[0][0] == "consent_date"
            docs = [{"filename": "text.png", "content_base64": b64(b"just some text, not an image")}]
            r = await post(body(spids, documents=docs))
            assert _errors(r) == [("documents[0].content_base64", "document_type")]
            assert "内容で判定" in r.json()["errors"][0]["message"]
            big = [{"filename": "big.pdf", "content_base64": b64(PDF + b"0" * 1_048_577)}]
            r = await post(body(spids, documents=big))
            assert _errors(r) == [("documents[0].content_base64", "document_too_large")]
            assert "1MB以下" in r.json()["errors"][0]["message"]
            six = [{"filename": f"{i}.pdf", "content_base64": b64(PDF)} for i in range(6)]
            assert _errors(await post(body(spids, documents=six)))[0][0] == "documents"
            r = await post(body(spids, documents=[{"filename": "x.pdf", "content_base64": "!!notbase64"}]))
            assert _errors(r) == [("documents[0].content_base64", "document_encoding")]
            en = await a.post("/api/v1/applications/usage-password", json=body(spids, phone="1"),
                              headers={"Accept-Language": "en"})
            assert en.status_code == 422 and "phone" in en.json()["errors"][0]["message"]
            assert rows(stack, "SELECT count(*) FROM usage_requests") == [(0,)]
            assert rows(stack, "SELECT count(*) FROM usage_documents") == [(0,)]
            # a .pdf that really is a PNG is accepted, as a PNG
            r = await post(body(spids, documents=[{"filename": "scan.pdf", "content_base64": b64(PNG)},
                                                  {"filename": "id.pdf", "content_base64": b64(PDF)}]))
            assert r.status_code == 201, r.text
    assert rows(stack, "SELECT filename, content_type FROM usage_documents ORDER BY n") == [
        ("scan.pdf", "image/png"), ("id.pdf", "application/pdf")]


async def test_review_on_mismatch_and_the_areas_tso_decides(stack):
    name_off = points(stack.world, 2, skip=20)
    make_customer(stack, name_off)
    [addr_off] = points(stack.world, 1, skip=22)
    make_customer(stack, [addr_off], address={"block": "3丁目1番1号"})
    docs = [{"filename": "license.jpg", "content_base64": b64(b"\xff\xd8\xff\xe0" + b"JFIF" + b"\x00" * 20)}]
    with frozen(NOW) as clock:
        async with stack.client("A0001") as a, stack.client("T0300") as tso, stack.client("T0600") as far, \
                stack.client("A0002") as other, stack.client("OC000") as occto:
            r = await a.post("/api/v1/applications/usage-password",
                             json=body(name_off, customer_name_kanji="用量 次郎", documents=docs))
            assert r.status_code == 201
            assert (r.json()["stage"], r.json()["verification"]) == ("02", "review")
            by_name = r.json()["application_no"]
            r = await a.post("/api/v1/applications/usage-password", json=body([addr_off]))
            by_address = r.json()["application_no"]
            assert r.json()["stage"] == "02"

            queue = (await tso.get("/api/v1/usage-password-reviews")).json()
            assert [i["application_no"] for i in queue["items"]] == [by_name, by_address]
            assert (queue["total"], queue["items"][0]["point_count"], queue["items"][0]["documents"]) == (2, 2, 1)
            second = (await tso.get("/api/v1/usage-password-reviews?per_page=1&page=2")).json()
            assert ([i["application_no"] for i in second["items"]], second["total"]) == ([by_address], 2)
            detail = (await tso.get(f"/api/v1/usage-password-reviews/{by_name}")).json()
            assert [p["mismatches"] for p in detail["points"]] == [["name"], ["name"]]
            assert detail["points"][0]["current_name_kanji"] == "用量 太郎"
            assert detail["customer_name_kanji"] == "用量 次郎"
            assert detail["documents"] == [{"n": 1, "filename": "license.jpg", "content_type": "image/jpeg",
                                            "size": 28}]
            doc = await tso.get(f"/api/v1/usage-password-reviews/{by_name}/documents/1")
            assert (doc.status_code, doc.headers["content-type"], doc.content[:3]) == (200, "image/jpeg",
                                                                                        b"\xff\xd8\xff")
            assert (await tso.get(f"/api/v1/usage-password-reviews/{by_address}")).json()["points"][0][
                "mismatches"] == ["address"]
            seen_by_occto = (await occto.get(f"/api/v1/usage-password-reviews/{by_name}")).json()
            assert seen_by_occto["customer_name_kanji"] is None and seen_by_occto["points"][0][
                "current_name_kanji"] is None
            assert (await occto.get(f"/api/v1/usage-password-reviews/{by_name}/documents/1")).status_code == 403

            # another area's T&D: not found; a retailer: no permission
            assert (await far.get(f"/api/v1/usage-password-reviews/{by_name}")).status_code == 404
            assert (await far.post(f"/api/v1/usage-password-reviews/{by_name}/decision",
                                   json={"decision": "issue"})).status_code == 404
            assert (await far.get("/api/v1/usage-password-reviews")).json()["items"] == []
            for who in (a, other):
                assert (await who.get("/api/v1/usage-password-reviews")).status_code == 403
                assert (await who.post(f"/api/v1/usage-password-reviews/{by_name}/decision",
                                       json={"decision": "issue"})).status_code == 403
            assert (await other.get(f"/api/v1/applications/usage-password/{by_name}")).status_code == 404

            decision = f"/api/v1/usage-password-reviews/{by_name}/decision"
            r = await tso.post(decision, json={"decision": "reject"})
            assert _errors(r) == [("reason_code", "required")] and "却下理由" in r.json()["errors"][0]["message"]
            assert (await tso.post(decision, json={"decision": "reject", "reason_code": "nope"})).status_code == 422
            r = await tso.post(decision, json={"decision": "reject", "reason_code": "identity_mismatch",
                                               "note": "氏名が一致しません"})
            assert r.status_code == 200 and r.json()["stage"] == "09"
            again = await tso.post(decision, json={"decision": "issue"})
            assert again.status_code == 409 and again.json()["code"] == "stage_transition_not_allowed"
            status = (await a.get(f"/api/v1/applications/usage-password/{by_name}")).json()
            assert (status["stage"], status["reason_code"], status["note"], status["password"]) == (
                "09", "identity_mismatch", "氏名が一致しません", None)

            clock.advance(hours=3)
            r = await tso.post(f"/api/v1/usage-password-reviews/{by_address}/decision", json={"decision": "issue"})
            assert r.status_code == 200 and r.json()["stage"] == "06"
            status = (await a.get(f"/api/v1/applications/usage-password/{by_address}")).json()
            assert status["stage"] == "06" and PASSWORD.match(status["password"])
            assert status["issued_at"] == "2026-11-24T13:00:00+09:00"
            decided = (await tso.get("/api/v1/usage-password-reviews?state=decided")).json()
            assert {i["application_no"]: i["stage"] for i in decided["items"]} == {by_name: "09", by_address: "06"}
            assert (await tso.get("/api/v1/usage-password-reviews")).json()["total"] == 0
    history = rows(stack, "SELECT application_no, from_stage, to_stage, rule, reason_code FROM usage_request_history"
                          " ORDER BY seq")
    assert history == [
        (by_name, None, "01", "receive", "received"), (by_name, "01", "02", "review", "review_required"),
        (by_address, None, "01", "receive", "received"), (by_address, "01", "02", "review", "review_required"),
        (by_name, "02", "09", "reject", "identity_mismatch"),
        (by_address, "02", "06", "issue", "issued_after_review")]
    decisions = audit_rows(stack.hub_url, "api.usage_password.decision")
    assert [(d["operator_code"], d["detail"]["decision"]) for d in decisions] == [("T0300", "reject"),
                                                                                 ("T0300", "issue")]


async def _inquired_through_a_tampering_area(stack, tampered: dict):
    """A0002's inquiry answered by an area that sends `tampered` (its own statements forbid parts)."""

    async def query_usage(caller, spid_, body):
        return json.dumps(tampered).encode()

    stack.hub_app.state.areas.query_usage = query_usage
    async with stack.client("A0002") as other:
        r = await other.post(INQUIRY.format(tampered["spid"]), json={"password": "x", "purpose": "試算"})
    assert r.status_code == 200
    return r


async def test_the_hub_strips_days_before_the_customers_period_and_keeps_the_others(stack):
    """Interval data, but one day before the period's first day (2026-08-15): that day alone goes."""
    spid = "0310000000000000000000"
    day = {"kwh": ",".join(["0.1000"] * 48), "status": "0" * 48}
    tampered = {"spid": spid, "interval_data": True, "period_start": "2026-08-15", "window_start": "2025-11-01",
                "withheld_before": "2026-08-15", "months": [],
                "days": [{"date": d, **day} for d in ("2026-08-20", "2026-08-14", "2026-08-15")]}
    r = await _inquired_through_a_tampering_area(stack, tampered)
    assert [d["date"] for d in r.json()["days"]] == ["2026-08-20", "2026-08-15"]
    [alert] = audit_rows(stack.hub_url, "alert.visibility.usage_outside_grant")
    assert alert["fields"] == ["days:2026-08-14"] and alert["outcome"] == "stripped"


async def test_the_hub_strips_usage_the_answer_itself_forbids_and_raises_an_alert(stack):
    """An area that answers days for a point without interval data, or months and days before the
    current customer's period, has them dropped by the hub, with an alert record."""
    spid = "0310000000000000000000"
    tampered = {"spid": spid, "interval_data": False, "period_start": "2026-08-15", "window_start": "2025-11-01",
                "withheld_before": "2026-08-15",
                "months": [{"billing_month": m, "kwh": "1.0000", "max_demand_kw": None, "power_factor": None,
                            "next_reading_date": None} for m in ("2026-08", "2026-09")],
                "days": [{"date": "2026-08-20", "kwh": ",".join(["0.1000"] * 48), "status": "0" * 48}]}
    r = await _inquired_through_a_tampering_area(stack, tampered)
    assert ([m["billing_month"] for m in r.json()["months"]], r.json()["days"]) == (["2026-09"], [])
    [alert] = audit_rows(stack.hub_url, "alert.visibility.usage_outside_grant")
    assert alert["fields"] == sorted(["days", "months:2026-08"]) and alert["outcome"] == "stripped"
