"""The whole switch at the HTTP interface: relay → OK → switch-start + switch-end → matched at once →
executed on the date, with the hub's relay following the area's events and the feed in order."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from switchhub.kernel.clock import JST
from tests.flow.helpers import frozen, settle, smart_point_of
from tests.hub.helpers import audit_rows
from tests.support import execute

NOW = datetime(2026, 11, 24, 10, 0)  # a Tuesday


def relay_body(spid: str, current: str = "M0300", **over) -> dict:
    body = {"spid": spid, "current_retailer_code": current, "contract_no": "K-123456",
            "customer_name_kana": "ヤマダ タロウ", "customer_name_kanji": "山田 太郎", "address": "東京都新宿区西新宿2-8-1",
            "building": "", "requested_switch_date": "2026-12-20", "contact_name": "切替 花子",
            "contact_phone": "03-1234-5678"}
    body.update(over)
    return body


def start_body(spid: str, relay_no: str | None = None, **over) -> dict:
    body = {"spid": spid, "service_menu": "01", "capacity_method": "1", "contract_current": 30,
            "customer_name_kana": "ヤマダ タロウ", "customer_name_kanji": "山田 太郎", "customer_phone": "090-1234-5678",
            "consent": True}
    if relay_no:
        body["relay_no"] = relay_no
    body.update(over)
    return body


async def test_complete_switch_with_relay(stack):
    spid = smart_point_of(stack.world, "M0300")
    with frozen(NOW) as clock:
        async with stack.client("A0001") as new, stack.client("M0300") as cur:
            r = await new.post("/api/v1/relays", json=relay_body(spid))
            assert r.status_code == 201, r.text
            relay_no = r.json()["relay_no"]
            assert r.json()["status"] == "01"
            listed = (await cur.get("/api/v1/relays", params={"role": "current", "area": "03"})).json()
            assert [i["relay_no"] for i in listed["items"]] == [relay_no]
            ok = await cur.post(f"/api/v1/relays/{relay_no}/decision", json={"decision": "01", "staff_name": "現 太郎"})
            assert ok.status_code == 200 and ok.json()["status"] == "02", ok.text

            s = await new.post("/api/v1/applications/switch-start", json=start_body(spid, relay_no))
            assert s.status_code == 201, s.text
            start = s.json()
            assert start["stage"] == "04" and start["switch_date"]
            e = await cur.post("/api/v1/applications/switch-end",
                               json={"spid": spid, "switch_date": start["switch_date"], "relay_no": relay_no})
            assert e.status_code == 201, e.text
            assert e.json()["stage"] == "05" and e.json()["matched_with"] == start["application_no"]
            start_now = (await new.get(f"/api/v1/applications/{start['application_no']}")).json()
            assert start_now["stage"] == "05"

            await settle(stack)
            relay = (await new.get(f"/api/v1/relays/{relay_no}")).json()
            assert relay["status"] == "04"

            switch_date = date.fromisoformat(start["switch_date"])
            clock.set(datetime.combine(switch_date, datetime.min.time()) + timedelta(minutes=5))
            await settle(stack)
            done = (await new.get(f"/api/v1/applications/{start['application_no']}")).json()
            assert done["stage"] == "06" and done["supply_start_date"] == start["switch_date"]
            end_done = (await cur.get(f"/api/v1/applications/{e.json()['application_no']}")).json()
            assert end_done["stage"] == "06"
            assert end_done["supply_end_date"] == str(switch_date - timedelta(days=1))

            after_new = (await new.get(f"/api/v1/supply-points/{spid}")).json()
            after_old = (await cur.get(f"/api/v1/supply-points/{spid}")).json()
            assert after_new["current_retailer_code"] == "A0001" and after_new["customer_name_kanji"] == "山田 太郎"
            assert "customer_name_kanji" not in after_old

            feed = (await new.get("/api/v1/applications")).json()
            stages = [(i["application_no"], i["to_stage"]) for i in feed["items"]]
            assert stages == [(start["application_no"], s) for s in ("01", "04", "05", "06")]
            again = (await new.get("/api/v1/applications", params={"cursor": feed["next_cursor"]})).json()
            assert again["items"] == []
    assert audit_rows(stack.hub_url, "api.relay.decide")[0]["operator_code"] == "M0300"


async def test_relay_rules_duplicate_ng_reasons_and_visibility(stack):
    spid = smart_point_of(stack.world, "M0300", skip=1)
    with frozen(NOW):
        async with stack.client("A0001") as a, stack.client("A0002") as b, stack.client("M0300") as cur:
            first = (await a.post("/api/v1/relays", json=relay_body(spid))).json()
            dup_own = await a.post("/api/v1/relays", json=relay_body(spid))
            dup_other = await b.post("/api/v1/relays", json=relay_body(spid))
            assert dup_own.status_code == 409 and first["relay_no"] in dup_own.json()["detail"]
            assert dup_other.status_code == 409 and first["relay_no"] not in dup_other.json()["detail"]
            assert "期限切れ" in dup_other.json()["detail"]
            assert (await b.get(f"/api/v1/relays/{first['relay_no']}")).status_code == 404
            bad = await cur.post(f"/api/v1/relays/{first['relay_no']}/decision",
                                 json={"decision": "02", "staff_name": "担当", "ng_reasons": ["1", "4"]})
            assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "ng_reasons"
            memo = await cur.post(f"/api/v1/relays/{first['relay_no']}/decision",
                                  json={"decision": "02", "staff_name": "担当", "ng_reasons": ["9"]})
            assert memo.status_code == 422 and memo.json()["errors"][0]["field"] == "memo"
            ng = await cur.post(f"/api/v1/relays/{first['relay_no']}/decision",
                                json={"decision": "02", "staff_name": "担当", "ng_reasons": ["2", "4"], "memo": "名義違い"})
            assert ng.status_code == 200 and ng.json()["status"] == "03"
            assert ng.json()["ng_reason_names"] == ["契約番号不一致", "契約名義不一致"]
            again = await b.post("/api/v1/relays", json=relay_body(spid))
            assert again.status_code == 201
            # an OK relay (02) is still open: one open relay per point means 01 and 02
            ok = await cur.post(f"/api/v1/relays/{again.json()['relay_no']}/decision",
                                json={"decision": "01", "staff_name": "担当"})
            assert ok.status_code == 200 and ok.json()["status"] == "02"
            third = await a.post("/api/v1/relays", json=relay_body(spid))
            assert third.status_code == 409 and third.json()["code"] == "relay_duplicate"
            assert "期限切れ" in third.json()["detail"] and third.json()["expires_on"] == "2026-12-20"


async def test_undecided_relay_expires_once_after_three_business_days(stack):
    spid = smart_point_of(stack.world, "M0300", skip=2)
    with frozen(NOW) as clock:
        async with stack.client("A0001") as a:
            relay = (await a.post("/api/v1/relays", json=relay_body(spid))).json()
            assert relay["decision_deadline"] == "2026-11-27"
            clock.set(datetime(2026, 11, 27, 23, 59))
            await settle(stack)
            assert (await a.get(f"/api/v1/relays/{relay['relay_no']}")).json()["status"] == "01"
            clock.set(datetime(2026, 11, 28, 0, 1))
            await settle(stack)
            await settle(stack)
            expired = (await a.get(f"/api/v1/relays/{relay['relay_no']}")).json()
    assert expired["status"] == "07"
    assert [h["to_status"] for h in expired["history"]] == ["01", "07"]


async def test_state_checks_name_the_conflicting_application(stack):
    spid = smart_point_of(stack.world, "M0300", skip=3)
    with frozen(NOW):
        async with stack.client("A0001") as a, stack.client("A0002") as b, stack.client("M0300") as cur:
            first = (await a.post("/api/v1/applications/switch-start", json=start_body(spid))).json()
            second = await b.post("/api/v1/applications/switch-start", json=start_body(spid))
            assert second.status_code == 409 and second.json()["code"] == "other_switch_pending"
            assert first["application_no"] in second.json()["detail"] and "受付日" in second.json()["detail"]
            not_supplier = await b.post("/api/v1/applications/switch-end", json={"spid": spid})
            assert not_supplier.status_code == 409 and not_supplier.json()["code"] == "not_current_supplier"
            early = await cur.post("/api/v1/applications/switch-end", json={"spid": spid, "switch_date": "2026-11-25"})
            assert early.status_code == 422 and early.json()["errors"][0]["field"] == "switch_date"
            assert "最短の受付可能日" in early.json()["errors"][0]["message"]
            fields = await a.post("/api/v1/applications/switch-start",
                                  json=start_body(spid, contract_current=33, consent=False, contract_power=80.0))
            assert fields.status_code == 422
            assert {e["field"] for e in fields.json()["errors"]} >= {"consent", "contract_current", "contract_power"}
            zero_date = await a.post("/api/v1/applications/switch-start", json=start_body(spid, switch_date=0))
            assert zero_date.status_code == 422


async def test_withdrawal_after_matching_rejects_both_and_records_who(stack):
    spid = smart_point_of(stack.world, "M0300", skip=4)
    with frozen(NOW):
        async with stack.client("A0001") as a, stack.client("M0300") as cur:
            start = (await a.post("/api/v1/applications/switch-start", json=start_body(spid))).json()
            end = (await cur.post("/api/v1/applications/switch-end",
                                  json={"spid": spid, "switch_date": start["switch_date"]})).json()
            assert end["stage"] == "05"
            w = await cur.post(f"/api/v1/applications/{end['application_no']}:withdraw", json={"reason": "需要者の申出"})
            assert w.status_code == 200, w.text
            s = (await a.get(f"/api/v1/applications/{start['application_no']}")).json()
    assert w.json()["stage"] == "09" and s["stage"] == "09"
    assert [h["to_stage"] for h in s["history"]][-2:] == ["10", "09"]
    assert s["messages"][-1]["requested_by"] == "M0300" and "需要者の申出" in s["messages"][-1]["message"]


async def test_idempotency_key_replays_and_rejects_other_body(stack):
    spid = smart_point_of(stack.world, "M0300", skip=5)
    with frozen(NOW):
        async with stack.client("A0001") as a:
            h = {"Idempotency-Key": "k-1"}
            one = await a.post("/api/v1/applications/switch-start", json=start_body(spid), headers=h)
            two = await a.post("/api/v1/applications/switch-start", json=start_body(spid), headers=h)
            other = await a.post("/api/v1/applications/switch-start", json=start_body(spid, contract_current=40),
                                 headers=h)
    assert one.status_code == two.status_code == 201
    assert one.json()["application_no"] == two.json()["application_no"]
    assert two.headers.get("idempotent-replayed") == "true"
    assert other.status_code == 422 and other.json()["errors"][0]["code"] == "idempotency_key_reused"


async def test_matching_deadline_rejects_and_relay_fails(stack):
    spid = smart_point_of(stack.world, "M0300", skip=8)
    with frozen(NOW) as clock:
        async with stack.client("A0001") as a, stack.client("M0300") as cur:
            relay = (await a.post("/api/v1/relays", json=relay_body(spid))).json()
            await cur.post(f"/api/v1/relays/{relay['relay_no']}/decision", json={"decision": "01", "staff_name": "x"})
            start = (await a.post("/api/v1/applications/switch-start", json=start_body(spid, relay["relay_no"]))).json()
            deadline = date.fromisoformat(start["matching_deadline"])
            clock.set(datetime.combine(deadline, datetime.min.time()) + timedelta(hours=23))
            await settle(stack)
            assert (await a.get(f"/api/v1/applications/{start['application_no']}")).json()["stage"] == "04"
            clock.set(datetime.combine(deadline + timedelta(days=1), datetime.min.time()) + timedelta(minutes=1))
            await settle(stack)
            rejected = (await a.get(f"/api/v1/applications/{start['application_no']}")).json()
            relay_now = (await a.get(f"/api/v1/relays/{relay['relay_no']}")).json()
    assert rejected["stage"] == "09" and rejected["reason_code"] == "matching_deadline"
    assert "マッチング期限" in rejected["messages"][-1]["message"]
    assert relay_now["status"] == "05"


async def test_withdrawal_before_matching_and_helpdesk_withdrawal(stack):
    spid = smart_point_of(stack.world, "M0300", skip=9)
    with frozen(NOW):
        async with stack.client("A0001") as a, stack.client("A0002") as b, stack.client("OC000") as occto:
            start = (await a.post("/api/v1/applications/switch-start", json=start_body(spid))).json()
            assert (await b.post(f"/api/v1/applications/{start['application_no']}:withdraw",
                                 json={"reason": "x"})).status_code == 404
            w = await a.post(f"/api/v1/applications/{start['application_no']}:withdraw", json={"reason": "顧客都合"})
            assert w.status_code == 200 and w.json()["stage"] == "07"
            again = await a.post(f"/api/v1/applications/{start['application_no']}:withdraw", json={"reason": "x"})
            assert again.status_code == 409
            relay = (await a.post("/api/v1/relays", json=relay_body(spid))).json()
            no_reason = await occto.post(f"/api/v1/relays/{relay['relay_no']}:withdraw", json={"reason": ""})
            assert no_reason.status_code == 422
            done = await occto.post(f"/api/v1/relays/{relay['relay_no']}:withdraw",
                                    json={"reason": "長期間放置のためヘルプデスクで取消"})
            assert done.status_code == 200 and done.json()["status"] == "06"
            seen_by_new = (await a.get(f"/api/v1/relays/{relay['relay_no']}")).json()
    assert seen_by_new["withdrawal_reason"] == "長期間放置のためヘルプデスクで取消" and seen_by_new["withdrawn_by"] == "OC000"


async def test_ok_relay_without_switch_start_expires_after_the_requested_date(stack):
    spid = smart_point_of(stack.world, "M0300", skip=10)
    with frozen(NOW) as clock:
        async with stack.client("A0001") as a, stack.client("M0300") as cur:
            relay = (await a.post("/api/v1/relays", json=relay_body(spid, requested_switch_date="2026-12-10"))).json()
            await cur.post(f"/api/v1/relays/{relay['relay_no']}/decision", json={"decision": "01", "staff_name": "x"})
            clock.set(datetime(2026, 12, 10, 23, 0))
            await settle(stack)
            assert (await a.get(f"/api/v1/relays/{relay['relay_no']}")).json()["status"] == "02"
            clock.set(datetime(2026, 12, 11, 0, 5))
            await settle(stack)
            final = (await a.get(f"/api/v1/relays/{relay['relay_no']}")).json()
    assert final["status"] == "07" and final["status_reason"] == "no_switch_start_by_date"


async def test_point_without_smart_meter_needs_meter_work_and_longer_lead(stack):
    from tests.hub.helpers import area_template_url
    from tests.support import execute

    spid = execute(area_template_url(stack.world),
                   "SELECT p.spid FROM supply_points p JOIN supply_periods s ON s.area = p.area AND s.spid = p.spid"
                   " AND s.valid_to IS NULL AND s.retailer_code = 'M0300' WHERE p.area = '03' AND p.channel = 'low'"
                   " AND p.capacity_method = '1' AND p.contract_status = '1'"
                   " AND NOT p.meters @> '[{\"smart\": true}]' ORDER BY p.spid LIMIT 1")[0][0]
    with frozen(NOW):
        async with stack.client("A0001") as a:
            start = (await a.post("/api/v1/applications/switch-start", json=start_body(spid))).json()
    assert start["stage"] == "03" and start["meter_work"] is True
    assert date.fromisoformat(start["switch_date"]) >= date(2026, 12, 6)


async def test_relay_correction_while_awaiting_and_list_filters(stack):
    spid = smart_point_of(stack.world, "M0300", skip=11)
    with frozen(NOW):
        async with stack.client("A0001") as a, stack.client("M0300") as cur:
            relay = (await a.post("/api/v1/relays", json=relay_body(spid))).json()
            fixed = await a.patch(f"/api/v1/relays/{relay['relay_no']}", json={"contract_no": "K-999",
                                                                                 "customer_name_kana": "やまだ はなこ"})
            assert fixed.status_code == 200 and fixed.json()["contract_no"] == "K-999"
            assert fixed.json()["customer_name_kana"] == "ヤマダハナコ"
            assert (await cur.patch(f"/api/v1/relays/{relay['relay_no']}", json={"contract_no": "x"})).status_code == 404
            bad = await a.patch(f"/api/v1/relays/{relay['relay_no']}", json={"requested_switch_date": "2026-13-01"})
            assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "requested_switch_date"
            by_name = (await cur.get("/api/v1/relays", params={"role": "current", "counterpart_name": "さくら",
                                                               "customer_name": "山田"})).json()
            assert [i["relay_no"] for i in by_name["items"]] == [relay["relay_no"]]
            none = (await cur.get("/api/v1/relays", params={"role": "current", "registered_from": "2026-11-25"})).json()
            assert none["total"] == 0
            day = (await cur.get("/api/v1/relays", params={"role": "current", "registered_from": "2026-11-24",
                                                           "registered_to": "2026-11-24", "status": "01"})).json()
            assert day["total"] == 1
            other_area = (await cur.get("/api/v1/relays", params={"role": "current", "area": "06"})).json()
            assert other_area["total"] == 0
            await cur.post(f"/api/v1/relays/{relay['relay_no']}/decision", json={"decision": "01", "staff_name": "x"})
            late = await a.patch(f"/api/v1/relays/{relay['relay_no']}", json={"contract_no": "K-1000"})
            assert late.status_code == 409


async def test_relay_refused_while_the_current_retailer_terminates(stack):
    spid = smart_point_of(stack.world, "M0300", skip=12)
    with frozen(NOW):
        async with stack.client("A0001") as a, stack.client("M0300") as cur:
            end = await cur.post("/api/v1/applications/switch-end", json={"spid": spid})
            assert end.status_code == 201
            r = await a.post("/api/v1/relays", json=relay_body(spid))
    assert r.status_code == 409 and r.json()["code"] == "termination_pending" and "廃止受付中" in r.json()["detail"]


async def test_customer_requested_date_other_than_a_reading_day(stack):
    from switchhub.kernel import calendar as cal

    spid = smart_point_of(stack.world, "M0300", skip=13)
    with frozen(NOW):
        async with stack.client("A0001") as a:
            default = (await a.post("/api/v1/applications/switch-start", json=start_body(spid))).json()
            await a.post(f"/api/v1/applications/{default['application_no']}:withdraw", json={"reason": "日付変更"})
            reading = date.fromisoformat(default["switch_date"])
            other = reading + timedelta(days=1)
            while other in cal.reading_dates_on_or_after("03", "01", other, 1) or not cal.is_business_day(other):
                other += timedelta(days=1)
            refused = await a.post("/api/v1/applications/switch-start",
                                   json=start_body(spid, switch_date=other.isoformat()))
            accepted = await a.post("/api/v1/applications/switch-start",
                                    json=start_body(spid, switch_date=other.isoformat(), customer_request=True))
    assert refused.status_code == 422 and refused.json()["errors"][0]["code"] == "not_reading_day"
    assert accepted.status_code == 201 and accepted.json()["switch_date"] == other.isoformat()
    assert accepted.json()["customer_request"] is True


async def test_an_ok_relay_whose_switch_start_was_withdrawn_still_expires(stack):
    """Found by the state machine: the withdrawn switch-start kept the relay 02 for good (No.78)."""
    spid = smart_point_of(stack.world, "M0300", skip=14)
    with frozen(NOW) as clock:
        async with stack.client("A0001") as a, stack.client("A0002") as b, stack.client("M0300") as cur:
            relay = (await a.post("/api/v1/relays", json=relay_body(spid, requested_switch_date="2026-12-10"))).json()
            await cur.post(f"/api/v1/relays/{relay['relay_no']}/decision", json={"decision": "01", "staff_name": "x"})
            start = (await a.post("/api/v1/applications/switch-start", json=start_body(spid, relay["relay_no"]))).json()
            await a.post(f"/api/v1/applications/{start['application_no']}:withdraw", json={"reason": "顧客都合"})
            await settle(stack)
            assert (await a.get(f"/api/v1/relays/{relay['relay_no']}")).json()["status"] == "02"
            clock.set(datetime(2026, 12, 11, 0, 5))
            await settle(stack)
            final = (await a.get(f"/api/v1/relays/{relay['relay_no']}")).json()
            rival = await b.post("/api/v1/relays", json=relay_body(spid, requested_switch_date="2027-01-20"))
    assert final["status"] == "07" and final["status_reason"] == "no_switch_start_by_date"
    assert final["switch_start_no"] is None
    assert rival.status_code == 201


async def test_another_retailers_switch_start_against_a_matched_pair(stack):
    spid = smart_point_of(stack.world, "M0300", skip=15)
    with frozen(NOW):
        async with stack.client("A0001") as a, stack.client("A0002") as b, stack.client("M0300") as cur:
            start = (await a.post("/api/v1/applications/switch-start", json=start_body(spid))).json()
            end = (await cur.post("/api/v1/applications/switch-end",
                                  json={"spid": spid, "switch_date": start["switch_date"]})).json()
            assert end["stage"] == "05"
            rival = await b.post("/api/v1/applications/switch-start", json=start_body(spid))
            again = await cur.post("/api/v1/applications/switch-end", json={"spid": spid})
    assert (rival.status_code, rival.json()["code"]) == (409, "other_switch_pending")
    assert start["application_no"] in rival.json()["detail"]
    assert (again.status_code, again.json()["code"]) == (409, "conflicting_application")


async def test_a_matched_pair_leaves_no_matching_deadline_pending_and_one_execution(stack):
    """Whichever of the pair comes second, matching ends both deadlines (a pending one would run for
    nothing on its day) and schedules the switch once, for its date."""
    first_start = smart_point_of(stack.world, "M0300", skip=11)
    first_end = smart_point_of(stack.world, "M0300", skip=12)
    numbers: dict[str, list[str]] = {}
    with frozen(NOW):
        async with stack.client("A0001") as new, stack.client("M0300") as cur:
            s = (await new.post("/api/v1/applications/switch-start", json=start_body(first_start))).json()
            e = (await cur.post("/api/v1/applications/switch-end",
                                json={"spid": first_start, "switch_date": s["switch_date"]})).json()
            numbers[first_start] = [s["application_no"], e["application_no"]]
            e = (await cur.post("/api/v1/applications/switch-end", json={"spid": first_end})).json()
            assert e["stage"] == "04"
            s = (await new.post("/api/v1/applications/switch-start",
                                json=start_body(first_end, switch_date=e["switch_date"]))).json()
            numbers[first_end] = [s["application_no"], e["application_no"]]
    assert s["stage"] == "05"
    for spid, (start_no, end_no) in numbers.items():
        pending = execute(stack.area_url, "SELECT kind, key, run_at FROM jobs WHERE done_at IS NULL"
                                          " AND key = ANY(%s) ORDER BY kind", ([start_no, end_no],))
        switch_date = _date_of(stack, start_no)
        assert [(k, key) for k, key, _ in pending] == [("switch.execute", start_no)], spid
        assert pending[0][2].astimezone(JST).date() == switch_date and pending[0][2].astimezone(JST).hour == 0


def _date_of(stack, application_no: str) -> date:
    return execute(stack.area_url, "SELECT requested_date FROM applications WHERE application_no = %s",
                   (application_no,))[0][0]


async def test_a_relay_names_a_registered_retailer_as_the_current_one(stack):
    """The current retailer must be a registered retailer (not an unknown code, not another kind of
    operator); the code is matched without regard to case."""
    spid = smart_point_of(stack.world, "M0300", skip=13)
    other_kind = execute(stack.hub_url,
                         "SELECT code FROM operators WHERE kind <> 'retailer' ORDER BY code LIMIT 1")[0][0]
    with frozen(NOW):
        async with stack.client("A0001") as new:
            for code in ("Z9999", other_kind):
                refused = await new.post("/api/v1/relays", json=relay_body(spid, current=code))
                assert refused.status_code == 422, refused.text
                assert [(e["field"], e["code"]) for e in refused.json()["errors"]] == [
                    ("current_retailer_code", "unknown_operator")]
                assert f"事業者コード {code} の小売電気事業者は登録されていません" in refused.json()["errors"][0]["message"]
            ok = await new.post("/api/v1/relays", json=relay_body(spid, current="m0300"))
    assert ok.status_code == 201, ok.text
    assert ok.json()["current_retailer"] == "M0300"
