"""Who sees which relays and applications, and which of their fields (security.md, docs/security.md).

Relays: their new and current retailer see everything; OCCTO's helpdesk and admins see every
relay without the customer's name and the current retailer's contract number and memo; other
retailers get 404, T&Ds and OCCTO's general users are refused. Applications: the applicant and
the area's T&D see everything, OCCTO's helpdesk and admins everything but the customer details,
other retailers and other areas' T&Ds get 404, OCCTO's general users are refused. The expected
field sets are written here, not taken from the policy module.
"""

from __future__ import annotations

import re
from datetime import datetime

from switchhub.kernel.clock import JST
from tests.flow.helpers import frozen, smart_point_of
from tests.flow.test_switch_api import relay_body, start_body
from tests.hub.helpers import audit_rows, issue_tokens
from tests.hub.helpers import web_login as login

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=JST)
RELAY_HELPDESK_FIELDS = {
    "relay_no", "spid", "area", "new_retailer", "new_retailer_name", "current_retailer", "current_retailer_name",
    "address", "building", "requested_switch_date", "contact_name", "contact_phone", "status", "status_name",
    "status_reason", "decision", "decision_staff", "ng_reasons", "ng_reason_names", "decided_at", "withdrawn_by",
    "withdrawal_reason", "decision_deadline", "switch_start_no", "registered_by", "registered_at", "updated_at",
    "history",
}
RELAY_PARTY_ONLY = {"customer_name_kana", "customer_name_kanji", "contract_no", "ng_memo"}
RELAY_PARTY_FIELDS = RELAY_HELPDESK_FIELDS | RELAY_PARTY_ONLY
APPLICATION_STATUS_FIELDS = {
    "application_no", "type", "type_name", "spid", "stage", "stage_name", "terminal", "applicant_code",
    "received_at", "switch_date", "customer_request", "meter_work", "matching_deadline", "matched_with", "relay_no",
    "supply_start_date", "supply_end_date", "meter_replaced_date", "reason_code", "notes", "messages", "history",
    "requested_date", "effective_date",  # issue 7: every type's date, and the date it took effect
}
APPLICATION_FIELDS = APPLICATION_STATUS_FIELDS | {"details"}


async def _relay(stack, skip: int) -> str:
    spid = smart_point_of(stack.world, "M0300", skip=skip)
    async with stack.client("A0001") as a, stack.client("M0300") as m:
        relay = (await a.post("/api/v1/relays", json=relay_body(spid))).json()
        ng = await m.post(f"/api/v1/relays/{relay['relay_no']}/decision",
                          json={"decision": "02", "staff_name": "現 太郎", "ng_reasons": ["4"], "memo": "名義が違う"})
        assert ng.status_code == 200, ng.text
    return relay["relay_no"]


async def test_relay_rows_and_fields_per_caller(stack):
    tokens = await issue_tokens(stack, "oc000-admin", "oc000-user1")
    with frozen(NOW):
        relay_no = await _relay(stack, 40)
        seen = {}
        for who, client in (("new", stack.client("A0001")), ("current", stack.client("M0300")),
                            ("other_retailer", stack.client("A0002")), ("tso", stack.client("T0300")),
                            ("helpdesk", stack.client("OC000")),
                            ("occto_admin", stack.client("OC000", token=tokens["oc000-admin"])),
                            ("occto_general", stack.client("OC000", token=tokens["oc000-user1"]))):
            async with client as c:
                one = await c.get(f"/api/v1/relays/{relay_no}")
                listed = await c.get("/api/v1/relays", params={"role": "current"})
            seen[who] = (one.status_code, set(one.json()) if one.status_code == 200 else one.json()["code"],
                         listed.status_code,
                         [set(i) for i in listed.json()["items"]] if listed.status_code == 200 else None)
    assert seen["new"][:2] == (200, RELAY_PARTY_FIELDS)
    assert seen["current"][:2] == (200, RELAY_PARTY_FIELDS)
    assert seen["current"][3] == [RELAY_PARTY_FIELDS - {"history"}]  # listings carry no history
    assert seen["other_retailer"] == (404, "not_found", 200, [])
    assert seen["tso"] == (403, "permission_denied", 403, None)
    assert seen["helpdesk"] == (200, RELAY_HELPDESK_FIELDS, 200, [RELAY_HELPDESK_FIELDS - {"history"}])
    assert seen["occto_admin"] == (200, RELAY_HELPDESK_FIELDS, 200, [RELAY_HELPDESK_FIELDS - {"history"}])
    assert seen["occto_general"] == (403, "permission_denied", 403, None)


async def test_relay_pages_show_the_helpdesk_no_customer_name_or_contract(stack):
    with frozen(NOW):
        relay_no = await _relay(stack, 41)
        pages = {}
        for operator, login_id in (("A0001", "a0001-user1"), ("OC000", "oc000-helpdesk")):
            async with stack.client(operator, "web", token=None) as c:
                import pyotp

                secret = stack.world.totp.get(login_id)
                r = await login(c, login_id, stack.world.logins[login_id],
                                pyotp.TOTP(secret).now() if secret else None)
                assert r.status_code == 303, r.text
                pages[operator] = (await c.get(f"/relays/{relay_no}")).text
    for secret in ("山田 太郎", "ヤマダタロウ", "K-123456", "名義が違う"):
        assert secret in pages["A0001"] and secret not in pages["OC000"], secret
    assert relay_no in pages["OC000"] and "契約名義不一致" in pages["OC000"]


async def test_only_the_helpdesk_or_admin_of_occto_withdraws_a_relay(stack):
    tokens = await issue_tokens(stack, "oc000-admin", "oc000-user1")
    with frozen(NOW):
        spid = smart_point_of(stack.world, "M0300", skip=42)
        async with stack.client("A0001") as a:
            open_relay = (await a.post("/api/v1/relays", json=relay_body(spid))).json()["relay_no"]
        async with stack.client("OC000", token=tokens["oc000-user1"]) as general:
            refused = await general.post(f"/api/v1/relays/{open_relay}:withdraw", json={"reason": "放置"})
        async with stack.client("T0300") as tso:
            tso_refused = await tso.post(f"/api/v1/relays/{open_relay}:withdraw", json={"reason": "放置"})
        async with stack.client("OC000", token=tokens["oc000-admin"]) as admin:
            done = await admin.post(f"/api/v1/relays/{open_relay}:withdraw", json={"reason": "長期放置"})
    assert (refused.status_code, refused.json()["code"]) == (403, "permission_denied")
    assert (tso_refused.status_code, tso_refused.json()["code"]) == (403, "permission_denied")
    assert done.status_code == 200 and done.json()["status"] == "06" and done.json()["withdrawn_by"] == "OC000"
    assert set(done.json()) == RELAY_HELPDESK_FIELDS
    rows = audit_rows(stack.hub_url, "api.relay.withdraw")
    assert [(r["operator_code"], r["user_login"], r["outcome"]) for r in rows] == [("OC000", "oc000-admin", "ok")]


async def test_application_rows_and_fields_per_caller(stack):
    tokens = await issue_tokens(stack, "oc000-user1")
    with frozen(NOW):
        spid = smart_point_of(stack.world, "M0300", skip=43)
        async with stack.client("A0001") as a:
            filed = await a.post("/api/v1/applications/switch-start", json=start_body(spid))
        assert filed.status_code == 201, filed.text
        number = filed.json()["application_no"]
        seen = {}
        for who, client in (("applicant", stack.client("A0001")), ("current_retailer", stack.client("M0300")),
                            ("other_retailer", stack.client("A0002")), ("tso_own_area", stack.client("T0300")),
                            ("tso_other_area", stack.client("T0600")), ("helpdesk", stack.client("OC000")),
                            ("occto_general", stack.client("OC000", token=tokens["oc000-user1"]))):
            async with client as c:
                r = await c.get(f"/api/v1/applications/{number}")
            seen[who] = (r.status_code, set(r.json()) if r.status_code == 200 else r.json()["code"])
    assert filed.json().keys() == APPLICATION_FIELDS | {"warnings"}  # the filing's answer only
    assert seen == {
        "applicant": (200, APPLICATION_FIELDS),
        "current_retailer": (404, "not_found"),
        "other_retailer": (404, "not_found"),
        "tso_own_area": (200, APPLICATION_FIELDS),
        "tso_other_area": (404, "not_found"),
        "helpdesk": (200, APPLICATION_STATUS_FIELDS),
        "occto_general": (403, "permission_denied"),
    }
    reads = audit_rows(stack.hub_url, "api.application.read")
    assert sorted(r["operator_code"] for r in reads) == ["A0001", "T0300"]  # the answers with customer details
    assert all(r["fields"] == ["details"] and r["resource_ids"] == [number] for r in reads)


async def test_application_pages_for_the_tso_of_another_area(stack):
    with frozen(NOW):
        spid = smart_point_of(stack.world, "M0300", skip=44)
        async with stack.client("A0001") as a:
            number = (await a.post("/api/v1/applications/switch-start", json=start_body(spid))).json()["application_no"]
        pages = {}
        for operator in ("T0300", "T0600"):
            login_id = f"{operator.lower()}-user1"
            async with stack.client(operator, "web", token=None) as c:
                await login(c, login_id, stack.world.logins[login_id])
                r = await c.get(f"/applications/{number}")
                pages[operator] = (r.status_code, re.search(r'id="stage">([^<]+)<', r.text))
    assert pages["T0300"][0] == 200 and pages["T0300"][1].group(1).startswith("04")
    assert pages["T0600"][0] == 404 and pages["T0600"][1] is None


async def test_the_helpdesk_cannot_search_relays_by_the_customer_name_it_does_not_see(stack):
    """A search by a hidden field would reveal it one prefix at a time."""
    with frozen(NOW):
        await _relay(stack, 46)
        async with stack.client("OC000") as helpdesk, stack.client("M0300") as party:
            refused = await helpdesk.get("/api/v1/relays", params={"role": "current", "customer_name": "山田"})
            allowed = await party.get("/api/v1/relays", params={"role": "current", "customer_name": "山田"})
    assert refused.status_code == 422 and refused.json()["errors"] == [
        {"field": "customer_name", "code": "not_searchable", "message": "需要者名では検索できません（表示されない項目です）"}]
    assert allowed.status_code == 200 and allowed.json()["total"] == 1


async def test_relay_reads_that_name_the_customer_are_audited(stack):
    with frozen(NOW):
        relay_no = await _relay(stack, 47)
        async with stack.client("M0300") as party, stack.client("OC000") as helpdesk:
            await party.get(f"/api/v1/relays/{relay_no}")
            await party.get("/api/v1/relays", params={"role": "current"})
            await helpdesk.get(f"/api/v1/relays/{relay_no}")  # no customer name: nothing personal read
            await helpdesk.get("/api/v1/relays", params={"role": "current"})
    reads = [(r["action"], r["operator_code"], r["resource_ids"], r["fields"], r["item_count"])
             for r in audit_rows(stack.hub_url) if r["action"] in ("api.relay.read", "api.relay.list")]
    assert reads == [("api.relay.read", "M0300", [relay_no], ["customer_name_kana", "customer_name_kanji"], 1),
                     ("api.relay.list", "M0300", [relay_no], ["customer_name_kana", "customer_name_kanji"], 1)]


async def test_the_helpdesk_relay_page_names_the_unsearchable_field(stack):
    import pyotp

    async with stack.client("OC000", "web", token=None) as c:
        await login(c, "oc000-helpdesk", stack.world.logins["oc000-helpdesk"],
                    pyotp.TOTP(stack.world.totp["oc000-helpdesk"]).now())
        page = await c.get("/relays", params={"role": "current", "customer_name": "山田"})
    assert page.status_code == 200
    assert re.search(r'id="customer_name-error">([^<]+)<', page.text).group(1) == "需要者名では検索できません（表示されない項目です）"
