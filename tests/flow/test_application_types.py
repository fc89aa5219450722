"""Every application type at the HTTP interface: filing → stages → execution on the date by the area
worker's jobs (clock advanced), with the supply periods, contract status and customer periods after
it, the feed, the FIT and high-voltage channels, field and date validation.

Expected values come from processes.md P5/P6 and domain.md, written here: the lead times (next
business day; 3 business days for a removal or without a smart meter), the stages (01 → (03) →
05 → 06), the FIT type codes (12 13 15 17) and the type × channel table.
"""

from __future__ import annotations

from datetime import datetime

from tests.flow.helpers import frozen, settle
from tests.hub.helpers import area_template_url
from tests.support import execute

NOW = datetime(2026, 11, 24, 10, 0)  # Tuesday; Wed 25 is the next business day, Fri 27 the third
NEXT_BD, THIRD_BD = "2026-11-25", "2026-11-27"


def point(world, where: str, params: tuple = (), skip: int = 0, area: str = "03") -> str:
    """A generated point of `area` matching `where` (over p = supply_points, s = the open supply period)."""
    rows = execute(area_template_url(world),
                   "SELECT p.spid FROM supply_points p LEFT JOIN supply_periods s ON s.area = p.area"
                   " AND s.spid = p.spid AND s.valid_to IS NULL"
                   f" WHERE p.area = %s AND {where} ORDER BY p.spid OFFSET %s LIMIT 1", (area, *params, skip))
    assert rows, where
    return rows[0][0]


def supplied(world, retailer: str, channel: str = "low", smart: bool = True, extra: str = "", skip: int = 0,
             area: str = "03") -> str:
    smart_sql = "p.meters @> '[{\"smart\": true}]'" if smart else "NOT p.meters @> '[{\"smart\": true}]'"
    return point(world, f"s.retailer_code = %s AND p.contract_status = '1' AND p.channel = %s AND {smart_sql}"
                 + (f" AND {extra}" if extra else ""), (retailer, channel), skip, area)


def vacant(world, channel: str = "low", smart: bool = True, skip: int = 0) -> str:
    smart_sql = "p.meters @> '[{\"smart\": true}]'" if smart else "NOT p.meters @> '[{\"smart\": true}]'"
    return point(world, f"p.contract_status = '2' AND p.channel = %s AND {smart_sql} AND s.id IS NULL",
                 (channel,), skip)


def rows(stack, sql: str, params: tuple) -> list[tuple]:
    return execute(stack.area_url, sql, params)


def periods(stack, spid: str) -> list[tuple]:
    return [(r[0], str(r[1]), str(r[2]) if r[2] else None) for r in rows(
        stack, "SELECT retailer_code, valid_from, valid_to FROM supply_periods WHERE spid = %s ORDER BY valid_from",
        (spid,))]


def customers(stack, spid: str) -> list[tuple]:
    return [(r[0], r[1], str(r[2]), str(r[3]) if r[3] else None) for r in rows(
        stack, "SELECT name_kanji, phone, valid_from, valid_to FROM customer_periods WHERE spid = %s"
        " ORDER BY valid_from, id", (spid,))]


def status_of(stack, spid: str) -> str:
    return rows(stack, "SELECT contract_status FROM supply_points WHERE spid = %s", (spid,))[0][0]


async def at(stack, clock, when: str) -> None:
    clock.set(datetime.fromisoformat(when))
    await settle(stack)


def stages(answer: dict) -> list[str]:
    return [h["to_stage"] for h in answer["history"]]


NEW_CUSTOMER = {"service_menu": "01", "capacity_method": "1", "contract_current": 30,
                "customer_name_kana": "イリヤマ ハナコ", "customer_name_kanji": "入山 花子",
                "customer_phone": "090-2222-3333", "consent": True}


async def test_termination_ends_supply_on_the_date_and_leaves_the_point_vacant(stack):
    spid = supplied(stack.world, "M0300")
    with frozen(NOW) as clock:
        async with stack.client("M0300") as cur:
            r = await cur.post("/api/v1/applications/termination", json={"spid": spid, "reason_note": "転居"})
            assert r.status_code == 201, r.text
            app = r.json()
            assert (app["type"], app["stage"], app["requested_date"]) == ("01", "01", NEXT_BD)
            assert app["switch_date"] is None and app["effective_date"] is None
            await at(stack, clock, "2026-11-24T23:59:00")
            assert (await cur.get(f"/api/v1/applications/{app['application_no']}")).json()["stage"] == "01"
            await at(stack, clock, "2026-11-25T00:05:00")
            done = (await cur.get(f"/api/v1/applications/{app['application_no']}")).json()
            assert stages(done) == ["01", "05", "06"]
            assert (done["effective_date"], done["supply_end_date"]) == (NEXT_BD, "2026-11-24")
            feed = (await cur.get("/api/v1/applications")).json()
            assert [(i["application_no"], i["to_stage"], i["requested_date"]) for i in feed["items"]] == [
                (app["application_no"], s, NEXT_BD) for s in ("01", "05", "06")]
            facility = (await cur.get(f"/api/v1/supply-points/{spid}")).json()
    assert periods(stack, spid)[-1] == ("M0300", periods(stack, spid)[-1][1], "2026-11-24")
    assert status_of(stack, spid) == "2"  # 廃止中
    assert customers(stack, spid)[-1][3] == "2026-11-24"
    assert facility["contract_status"] == "2" and "customer_name_kanji" not in facility


async def test_termination_with_removal_needs_contacts_three_business_days_and_removes_the_meter(stack):
    spid = supplied(stack.world, "M0300", skip=1)
    with frozen(NOW) as clock:
        async with stack.client("M0300") as cur:
            missing = await cur.post("/api/v1/applications/termination", json={"spid": spid, "remove_meter": True})
            assert missing.status_code == 422
            assert {e["field"] for e in missing.json()["errors"]} == {"contact_name", "contact_phone"}
            assert "現地連絡先" in missing.json()["errors"][0]["message"]
            body = {"spid": spid, "remove_meter": True, "contact_name": "撤去 立会", "contact_phone": "03-1111-2222"}
            early = await cur.post("/api/v1/applications/termination", json={**body, "end_date": NEXT_BD})
            assert early.status_code == 422 and early.json()["errors"][0]["field"] == "end_date"
            assert f"最短の受付可能日は {THIRD_BD}" in early.json()["errors"][0]["message"]
            bad_phone = await cur.post("/api/v1/applications/termination", json={**body, "contact_phone": "12345"})
            assert bad_phone.status_code == 422 and bad_phone.json()["errors"][0]["field"] == "contact_phone"
            r = await cur.post("/api/v1/applications/termination", json=body)
            assert r.status_code == 201, r.text
            app = r.json()
            assert (app["type"], app["stage"], app["requested_date"], app["meter_work"]) == ("02", "03", THIRD_BD,
                                                                                             True)
            await at(stack, clock, "2026-11-27T00:01:00")
            done = (await cur.get(f"/api/v1/applications/{app['application_no']}")).json()
    assert stages(done) == ["01", "03", "05", "06"] and done["supply_end_date"] == "2026-11-26"
    assert status_of(stack, spid) == "3"  # 撤去
    meters = rows(stack, "SELECT meters FROM supply_points WHERE spid = %s", (spid,))[0][0]
    assert meters and all(m["removed"] is True and m["removed_date"] == THIRD_BD for m in meters)


async def test_reconnection_at_a_vacant_point_makes_the_applicant_supplier_with_a_new_customer(stack):
    spid = vacant(stack.world)
    active = supplied(stack.world, "M0300", skip=2)
    with frozen(NOW) as clock:
        async with stack.client("A0001") as new:
            refused = await new.post("/api/v1/applications/reconnection", json={"spid": active, **NEW_CUSTOMER})
            assert refused.status_code == 409 and refused.json()["code"] == "contract_status"
            fields = await new.post("/api/v1/applications/reconnection",
                                    json={"spid": spid, **NEW_CUSTOMER, "consent": False, "contract_current": 33,
                                          "customer_phone": "abc-defg-hijk"})
            assert fields.status_code == 422
            assert {e["field"] for e in fields.json()["errors"]} == {"consent", "contract_current", "customer_phone"}
            r = await new.post("/api/v1/applications/reconnection",
                               json={"spid": spid, **NEW_CUSTOMER, "move_in_time": "09:30"})
            assert r.status_code == 201, r.text
            app = r.json()
            assert (app["type"], app["stage"], app["requested_date"]) == ("04", "01", NEXT_BD)
            assert app["details"]["move_in_time"] == "09:30"
            await at(stack, clock, "2026-11-25T00:01:00")
            done = (await new.get(f"/api/v1/applications/{app['application_no']}")).json()
            facility = (await new.get(f"/api/v1/supply-points/{spid}")).json()
    assert stages(done) == ["01", "05", "06"] and done["supply_start_date"] == NEXT_BD
    assert periods(stack, spid)[-1] == ("A0001", NEXT_BD, None)
    assert customers(stack, spid)[-1] == ("入山 花子", "090-2222-3333", NEXT_BD, None)
    assert (facility["contract_status"], facility["current_retailer_code"], facility["customer_name_kanji"],
            facility["contract_current"]) == ("1", "A0001", "入山 花子", 30)


async def test_reconnection_without_a_smart_meter_takes_three_business_days_and_meter_work(stack):
    spid = vacant(stack.world, smart=False)
    with frozen(NOW) as clock:
        async with stack.client("A0002") as new:
            early = await new.post("/api/v1/applications/reconnection",
                                   json={"spid": spid, **NEW_CUSTOMER, "start_date": NEXT_BD})
            assert early.status_code == 422 and early.json()["errors"][0]["field"] == "start_date"
            assert THIRD_BD in early.json()["errors"][0]["message"]
            app = (await new.post("/api/v1/applications/reconnection", json={"spid": spid, **NEW_CUSTOMER})).json()
            assert (app["stage"], app["requested_date"]) == ("03", THIRD_BD)
            await at(stack, clock, "2026-11-27T00:01:00")
            done = (await new.get(f"/api/v1/applications/{app['application_no']}")).json()
    assert stages(done) == ["01", "03", "05", "06"] and done["meter_replaced_date"] == THIRD_BD


async def test_move_out_then_move_in_and_the_execution_rejects_what_it_made_impossible(stack):
    spid = supplied(stack.world, "M0300", skip=3, extra="p.capacity_method = '1'")
    with frozen(NOW) as clock:
        async with stack.client("M0300") as cur, stack.client("A0001") as new:
            end = (await cur.post("/api/v1/applications/termination",
                                  json={"spid": spid, "end_date": "2026-11-26"})).json()
            change = await cur.post("/api/v1/applications/customer-change",
                                    json={"spid": spid, "effective_date": THIRD_BD, "customer_phone": "03-9999-0000"})
            assert change.status_code == 201, change.text  # 07 while 01 is open: accepted (statechecks.md)
            same_day = await new.post("/api/v1/applications/reconnection",
                                      json={"spid": spid, **NEW_CUSTOMER, "start_date": "2026-11-26"})
            assert same_day.status_code == 409 and same_day.json()["code"] == "termination_pending"
            assert same_day.json()["conflicting_application"] == {
                "application_no": end["application_no"], "type": "01", "received_date": "2026-11-24"}
            assert end["application_no"] in same_day.json()["detail"] and "廃止" in same_day.json()["detail"]
            switch = await new.post("/api/v1/applications/switch-start",
                                    json={"spid": spid, **NEW_CUSTOMER})
            assert switch.status_code == 409 and switch.json()["code"] == "termination_pending"
            move_in = await new.post("/api/v1/applications/reconnection", json={"spid": spid, **NEW_CUSTOMER})
            assert move_in.status_code == 201, move_in.text
            assert move_in.json()["requested_date"] == THIRD_BD  # default: after the termination's date
            await at(stack, clock, "2026-11-26T00:01:00")
            superseded = (await cur.get(f"/api/v1/applications/{change.json()['application_no']}")).json()
            assert superseded["stage"] == "09" and superseded["reason_code"] == "superseded"
            assert end["application_no"] in superseded["messages"][-1]["message"]
            assert status_of(stack, spid) == "2"
            await at(stack, clock, "2026-11-27T00:01:00")
            done = (await new.get(f"/api/v1/applications/{move_in.json()['application_no']}")).json()
    assert done["stage"] == "06"
    assert periods(stack, spid)[-2:] == [("M0300", periods(stack, spid)[-2][1], "2026-11-25"),
                                         ("A0001", THIRD_BD, None)]
    assert status_of(stack, spid) == "1"


async def test_ampere_change_shows_the_current_value_and_changes_it_on_the_date(stack):
    spid = supplied(stack.world, "M0300", skip=4, extra="p.capacity_method = '1' AND p.contract_current <> 60")
    before = rows(stack, "SELECT contract_current FROM supply_points WHERE spid = %s", (spid,))[0][0]
    main_switch = supplied(stack.world, "M0300", extra="p.capacity_method = '2'")
    with frozen(NOW) as clock:
        async with stack.client("M0300") as cur, stack.client("OC000") as helpdesk, stack.client("A0001") as other:
            bad = await cur.post("/api/v1/applications/ampere-change", json={"spid": spid, "contract_current": 33})
            assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "contract_current"
            assert "10, 15, 20, 30, 40, 50, 60" in bad.json()["errors"][0]["message"]
            same = await cur.post("/api/v1/applications/ampere-change", json={"spid": spid, "contract_current": before})
            assert same.status_code == 422 and same.json()["errors"][0]["code"] == "unchanged"
            method = await cur.post("/api/v1/applications/ampere-change",
                                    json={"spid": main_switch, "contract_current": 40})
            assert method.status_code == 422 and method.json()["errors"][0]["field"] == "contract_current"
            stranger = await other.post("/api/v1/applications/ampere-change", json={"spid": spid, "contract_current": 60})
            assert stranger.status_code == 409 and stranger.json()["code"] == "not_current_supplier"
            r = await cur.post("/api/v1/applications/ampere-change", json={"spid": spid, "contract_current": 60})
            assert r.status_code == 201, r.text
            app = r.json()
            assert (app["type"], app["stage"], app["requested_date"]) == ("06", "01", NEXT_BD)
            assert app["previous"] == {"contract_current": before}
            again = await cur.post("/api/v1/applications/ampere-change", json={"spid": spid, "contract_current": 50})
            assert again.status_code == 409 and again.json()["code"] == "conflicting_application"
            seen = (await helpdesk.get(f"/api/v1/applications/{app['application_no']}")).json()
            assert "previous" not in seen and "details" not in seen
            await at(stack, clock, "2026-11-25T00:01:00")
            done = (await cur.get(f"/api/v1/applications/{app['application_no']}")).json()
            facility = (await cur.get(f"/api/v1/supply-points/{spid}")).json()
    assert done["stage"] == "06" and done["effective_date"] == NEXT_BD
    assert done["previous"] == {"contract_current": before} and facility["contract_current"] == 60


async def test_customer_change_name_starts_a_new_customer_period_and_phone_only_updates_it(stack):
    spid = supplied(stack.world, "M0300", skip=5)
    phone_only = supplied(stack.world, "M0300", skip=6)
    old_name, old_phone = rows(stack, "SELECT name_kanji, phone FROM customer_periods WHERE spid = %s"
                                      " AND valid_to IS NULL", (spid,))[0]
    with frozen(NOW) as clock:
        async with stack.client("M0300") as cur:
            empty = await cur.post("/api/v1/applications/customer-change", json={"spid": spid})
            assert empty.status_code == 422 and "一つ以上" in empty.json()["errors"][0]["message"]
            half = await cur.post("/api/v1/applications/customer-change",
                                  json={"spid": spid, "customer_name_kana": "アタラシ タロウ"})
            assert half.status_code == 422 and half.json()["errors"][0]["field"] == "customer_name_kanji"
            r = await cur.post("/api/v1/applications/customer-change",
                               json={"spid": spid, "customer_name_kana": "アタラシ タロウ",
                                     "customer_name_kanji": "新 太郎"})
            assert r.status_code == 201, r.text
            app = r.json()
            assert (app["type"], app["requested_date"]) == ("07", NEXT_BD)
            assert (app["previous"]["customer_name_kanji"], app["previous"]["customer_phone"]) == (old_name, old_phone)
            p = (await cur.post("/api/v1/applications/customer-change",
                                json={"spid": phone_only, "customer_phone": "080-1234-0000"})).json()
            n_before = len(customers(stack, phone_only))
            await at(stack, clock, "2026-11-25T00:01:00")
            done = (await cur.get(f"/api/v1/applications/{app['application_no']}")).json()
            facility = (await cur.get(f"/api/v1/supply-points/{spid}")).json()
            assert (await cur.get(f"/api/v1/applications/{p['application_no']}")).json()["stage"] == "06"
    assert done["stage"] == "06" and done["previous"]["customer_name_kanji"] == old_name
    assert customers(stack, spid)[-2][0] == old_name and customers(stack, spid)[-2][3] == "2026-11-24"
    assert customers(stack, spid)[-1] == ("新 太郎", old_phone, NEXT_BD, None)
    assert facility["customer_name_kanji"] == "新 太郎"
    assert len(customers(stack, phone_only)) == n_before and customers(stack, phone_only)[-1][1] == "080-1234-0000"


async def test_fit_points_get_the_fit_type_codes_and_refuse_the_types_fit_lacks(stack):
    spid = supplied(stack.world, "M0300", channel="low_fit", smart=True)
    with frozen(NOW) as clock:
        async with stack.client("M0300") as cur:
            amp = await cur.post("/api/v1/applications/ampere-change", json={"spid": spid, "contract_current": 30})
            assert amp.status_code == 422 and amp.json()["errors"][0]["field"] == "spid"
            assert "アンペア変更" in amp.json()["errors"][0]["message"]
            change = await cur.post("/api/v1/applications/customer-change",
                                    json={"spid": spid, "customer_phone": "03-5555-6666"})
            assert change.status_code == 201 and change.json()["type"] == "17", change.text
            assert change.json()["type_name"] == "受電者情報変更"
            end = await cur.post("/api/v1/applications/termination", json={"spid": spid, "end_date": THIRD_BD})
            assert end.status_code == 201 and end.json()["type"] == "12", end.text
            await at(stack, clock, "2026-11-27T00:01:00")
            assert (await cur.get(f"/api/v1/applications/{end.json()['application_no']}")).json()["stage"] == "06"
    assert status_of(stack, spid) == "2"


async def test_fit_switch_start_and_reconnection_types(stack):
    spid = supplied(stack.world, "M0300", channel="low_fit", smart=True, skip=1)
    body = {**NEW_CUSTOMER, "capacity_method": "2", "contract_current": None, "contract_capacity": 5.5}
    with frozen(NOW):
        async with stack.client("A0001") as new:
            r = await new.post("/api/v1/applications/switch-start", json={"spid": spid, **body})
            assert r.status_code == 201 and r.json()["type"] == "16", r.text
            move_in = await new.post("/api/v1/applications/reconnection", json={"spid": spid, **body})
            assert move_in.status_code == 409 and move_in.json()["code"] == "contract_status"


async def test_high_voltage_takes_removal_switches_and_customer_changes_only(stack):
    spid = supplied(stack.world, "M0300", channel="high", smart=True)
    with frozen(NOW):
        async with stack.client("M0300") as cur, stack.client("A0001") as new:
            plain = await cur.post("/api/v1/applications/termination", json={"spid": spid})
            assert plain.status_code == 422 and plain.json()["errors"][0]["field"] == "remove_meter"
            assert "計器撤去" in plain.json()["errors"][0]["message"]
            amp = await cur.post("/api/v1/applications/ampere-change", json={"spid": spid, "contract_current": 30})
            assert amp.status_code == 422 and amp.json()["errors"][0]["field"] == "spid"
            move_in = await new.post("/api/v1/applications/reconnection",
                                     json={"spid": spid, **NEW_CUSTOMER, "capacity_method": "3",
                                           "contract_current": None, "contract_power": 120.0})
            assert move_in.status_code == 422 and move_in.json()["errors"][0]["field"] == "spid"
            change = await cur.post("/api/v1/applications/customer-change",
                                    json={"spid": spid, "customer_phone": "03-7777-8888"})
            assert change.status_code == 201 and change.json()["type"] == "07", change.text
            removal = await cur.post("/api/v1/applications/termination",
                                     json={"spid": spid, "remove_meter": True, "contact_name": "現地 担当",
                                           "contact_phone": "03-1111-2222"})
            assert removal.status_code == 201 and removal.json()["type"] == "02", removal.text
            assert removal.json()["requested_date"] == THIRD_BD
