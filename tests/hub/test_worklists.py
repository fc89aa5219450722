"""Worklists at the HTTP interface: "my applications" from the hub's index (API filters, paging,
visibility per caller, the index following area events), and the Web pages: the applications
list, the relay list's decision deadline, the portal and nav badge of relays awaiting my decision,
history with Japanese labels, and the decision form without a default choice.

Expected values are written here from the spec (processes.md P3/P7, domain.md's code lists).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import httpx
from sqlalchemy import text

from switchhub.kernel.clock import JST
from tests.flow.helpers import frozen, settle, smart_point_of
from tests.flow.test_switch_api import relay_body, start_body
from tests.hub.helpers import audit_rows, csrf_of, issue_tokens
from tests.hub.helpers import web_login as login
from tests.support import with_client_cert

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=JST)  # a Tuesday
ROW_FIELDS = {"application_no", "area", "area_name", "spid", "type", "type_name", "stage", "stage_name", "terminal",
              "applicant_code", "relay_no", "requested_date", "received_at", "updated_at"}


async def _post_events(stack, events: list[dict]) -> httpx.Response:
    """Area events as the area's worker posts them (with the area's certificate)."""
    transport = httpx.ASGITransport(app=with_client_cert(stack.hub_app, stack.world.area_client.pem))
    async with httpx.AsyncClient(transport=transport, base_url="https://hub.test") as client:
        return await client.post("/internal/v1/area-events", json={"events": events})


def _change(event_id: int, no: str, to_stage: str, *, applicant: str = "A0002", type_: str = "05",
            requested: str = "2026-12-20", from_stage: str | None = None) -> dict:
    area = no[:2]
    return {"id": event_id, "area": area, "kind": "application.stage_changed", "payload": {
        "application_no": no, "type": type_, "spid": area + "1" * 20, "applicant_code": applicant,
        "from_stage": from_stage, "to_stage": to_stage, "rule": "accept", "reason_code": "accepted",
        "relay_no": None, "requested_date": requested}}


async def _index_rows(stack, no: str) -> list[tuple[str, int]]:
    async with stack.hub_app.state.engine.connect() as conn:
        rows = await conn.execute(text("SELECT stage, last_event_id FROM applications_index WHERE application_no = :n"),
                                  {"n": no})
        return [(r.stage, r.last_event_id) for r in rows]


async def test_the_index_follows_events_once_and_never_backwards(stack):
    no = "0620261124000001"
    with frozen(NOW):
        first = await _post_events(stack, [_change(100, no, "01")])
        newer = await _post_events(stack, [_change(102, no, "05", from_stage="04")])
        late = await _post_events(stack, [_change(101, no, "04", from_stage="01")])  # older, delivered late
        again = await _post_events(stack, [_change(102, no, "05", from_stage="04")])  # redelivered
        async with stack.client("T0600") as tso, stack.client("A0002") as applicant:
            by_tso = (await tso.get("/api/v1/applications:search")).json()
            by_applicant = (await applicant.get("/api/v1/applications:search")).json()
    assert [r.json() for r in (first, newer, late)] == [{"accepted": 1, "duplicates": 0}] * 3
    assert again.json() == {"accepted": 0, "duplicates": 1}
    assert await _index_rows(stack, no) == [("05", 102)]
    assert by_tso["total"] == 1 and by_tso["items"][0]["stage"] == "05"
    assert by_tso["items"][0]["stage_name"] == "マッチング済み"
    assert [i["application_no"] for i in by_applicant["items"]] == [no]


async def test_search_filters_and_paging_with_totals(stack):
    """25 applications of A0002 in area 07, received one a day from 2026-11-01: i % 5 == 0 are
    switch-ends (5), the first ten are completed (06), the rest wait (04); dates 2026-12-01 + i."""
    numbers = []
    for i in range(25):
        no = f"07202611{i + 1:02d}{i:06d}"
        numbers.append(no)
        with frozen(datetime(2026, 11, 1, 9, 0, tzinfo=JST) + timedelta(days=i)):
            r = await _post_events(stack, [_change(1000 + i, no, "06" if i < 10 else "04",
                                                   type_="03" if i % 5 == 0 else "05",
                                                   requested=f"2026-12-{i + 1:02d}")])
            assert r.status_code == 200, r.text
    with frozen(NOW):
        async with stack.client("A0002") as c:
            async def get(**params):
                return await c.get("/api/v1/applications:search", params=params)

            page1, page2 = (await get()).json(), (await get(page=2)).json()
            assert (page1["total"], page1["per_page"], len(page1["items"])) == (25, 20, 20)
            assert (page2["total"], len(page2["items"])) == (25, 5)
            listed = [i["application_no"] for i in page1["items"] + page2["items"]]
            assert listed == numbers[::-1]  # newest received first, nothing twice
            assert set(page1["items"][0]) == ROW_FIELDS
            assert page1["items"][0]["received_at"].startswith("2026-11-25T09:00:00")
            assert len((await get(per_page=100)).json()["items"]) == 25
            assert (await get(per_page=101)).status_code == 422
            assert len((await get(per_page=7, page=4)).json()["items"]) == 4
            assert (await get(type="03")).json()["total"] == 5
            assert {i["type_name"] for i in (await get(type="03")).json()["items"]} == {"スイッチング廃止"}
            assert (await get(stage="06")).json()["total"] == 10
            assert (await get(stage="04", type="05")).json()["total"] == 12
            assert (await get(area="07")).json()["total"] == 25
            assert (await get(area="03")).json()["total"] == 0
            assert (await get(received_from="2026-11-05", received_to="2026-11-09")).json()["total"] == 5
            assert (await get(received_to="2026-11-01")).json()["total"] == 1
            assert (await get(date_from="2026-12-20", date_to="2026-12-22")).json()["total"] == 3
            assert (await get(spid="07" + "1" * 20)).json()["total"] == 25
            reversed_range = await get(received_from="2026-11-09", received_to="2026-11-05")
            bad_type = await get(type="99")
            bad_date = await get(date_from="2026-02-31")
            unknown = await get(status="01")
    assert reversed_range.status_code == 422 and reversed_range.json()["errors"][0]["field"] == "received_to"
    assert "受付日" in reversed_range.json()["errors"][0]["message"]
    assert bad_type.status_code == 422 and bad_date.status_code == 422
    assert bad_date.json()["errors"][0]["field"] == "date_from"
    assert unknown.status_code == 422  # a mistyped filter is refused, never ignored


async def test_each_caller_lists_only_the_applications_it_may_see(stack):
    tokens = await issue_tokens(stack, "oc000-user1")
    p1, p2 = smart_point_of(stack.world, "M0300", skip=50), smart_point_of(stack.world, "M0300", skip=51)
    with frozen(NOW):
        async with stack.client("A0001") as a, stack.client("A0002") as b:
            one = (await a.post("/api/v1/applications/switch-start", json=start_body(p1))).json()
            two = (await b.post("/api/v1/applications/switch-start", json=start_body(p2))).json()
        seen = {}
        for who, client in (("A0001", stack.client("A0001")), ("A0002", stack.client("A0002")),
                            ("M0300", stack.client("M0300")), ("T0300", stack.client("T0300")),
                            ("T0600", stack.client("T0600")), ("helpdesk", stack.client("OC000")),
                            ("occto_general", stack.client("OC000", token=tokens["oc000-user1"]))):
            async with client as c:
                r = await c.get("/api/v1/applications:search")
            seen[who] = (r.status_code, sorted(i["application_no"] for i in r.json()["items"])
                         if r.status_code == 200 else r.json()["code"])
            if who == "helpdesk":
                assert all(set(i) == ROW_FIELDS for i in r.json()["items"])  # no customer details
    n1, n2 = one["application_no"], two["application_no"]
    assert seen == {
        "A0001": (200, [n1]), "A0002": (200, [n2]), "M0300": (200, []),
        "T0300": (200, sorted([n1, n2])), "T0600": (200, []), "helpdesk": (200, sorted([n1, n2])),
        "occto_general": (403, "permission_denied"),
    }
    lists = audit_rows(stack.hub_url, "api.application.list")
    assert sorted((r["operator_code"], r["item_count"]) for r in lists) == [
        ("A0001", 1), ("A0002", 1), ("OC000", 2), ("T0300", 2)]  # empty lists name nothing: not audited


async def test_filing_then_events_then_withdrawal_keep_one_row_per_application(stack):
    spid = smart_point_of(stack.world, "M0300", skip=52)
    with frozen(NOW):
        async with stack.client("A0001") as a:
            filed = (await a.post("/api/v1/applications/switch-start", json=start_body(spid))).json()
            no = filed["application_no"]
            before = (await a.get("/api/v1/applications:search")).json()["items"]  # from the filing answer
            await settle(stack)  # the stage-changed events 01, 04
            after_events = (await a.get("/api/v1/applications:search")).json()["items"]
            assert (await a.post(f"/api/v1/applications/{no}:withdraw", json={"reason": "需要者の申出"})).status_code == 200
            await settle(stack)
            withdrawn = (await a.get("/api/v1/applications:search", params={"stage": "07"})).json()
            waiting = (await a.get("/api/v1/applications:search", params={"stage": "04"})).json()
    assert [(i["application_no"], i["stage"], i["requested_date"]) for i in before] == [
        (no, "04", filed["switch_date"])]
    assert before[0]["received_at"] == filed["received_at"]
    assert [(i["application_no"], i["stage"]) for i in after_events] == [(no, "04")]
    assert after_events[0]["received_at"] == filed["received_at"]  # the events do not move the received time
    assert [(i["application_no"], i["stage_name"], i["terminal"]) for i in withdrawn["items"]] == [
        (no, "取消済み", True)]
    assert waiting["total"] == 0
    assert [s for s, _ in await _index_rows(stack, no)] == ["07"]


async def _web(stack, operator: str):
    login_id = f"{operator.lower()}-user1"
    c = stack.client(operator, "web", token=None)
    await c.__aenter__()
    r = await login(c, login_id, stack.world.logins[login_id])
    assert r.status_code == 303, r.text
    return c


async def test_relay_worklist_pages_badge_deadline_labels_and_decision_without_default(stack):
    p1, p2 = smart_point_of(stack.world, "M0300", skip=53), smart_point_of(stack.world, "M0300", skip=54)
    with frozen(NOW):
        async with stack.client("A0001") as a:
            r1 = (await a.post("/api/v1/relays", json=relay_body(p1))).json()["relay_no"]
            r2 = (await a.post("/api/v1/relays", json=relay_body(p2))).json()["relay_no"]
        async with stack.client("M0300") as m:
            api_listing = (await m.get("/api/v1/relays", params={"role": "current", "status": "01"})).json()
        cur = await _web(stack, "M0300")
        try:
            portal = await cur.get("/")
            badge = await cur.get("/badge/relays-awaiting")
            listing = await cur.get("/relays", params={"role": "current"})
            page = await cur.get(f"/relays/{r1}")
            token = csrf_of(page.text)
            no_choice = await cur.post(f"/relays/{r1}/decision", data={"csrf_token": token, "staff_name": "現 太郎"})
            ng = await cur.post(f"/relays/{r1}/decision", data={"csrf_token": token, "staff_name": "現 太郎",
                                                                 "decision": "02", "ng_reasons": "4"})
            decided = await cur.get(f"/relays/{r1}")
            badge_after = await cur.get("/badge/relays-awaiting")
            portal_after = await cur.get("/")
        finally:
            await cur.__aexit__(None, None, None)
        new = await _web(stack, "A0001")
        try:
            new_portal = await new.get("/")
            new_badge = await new.get("/badge/relays-awaiting")
        finally:
            await new.__aexit__(None, None, None)
        tso = await _web(stack, "T0300")
        try:
            tso_portal = await tso.get("/")
        finally:
            await tso.__aexit__(None, None, None)

    # the portal tile and the nav badge count relays awaiting M0300's decision (two)
    assert re.search(r'id="awaiting-count">2<', portal.text)
    assert 'hx-get="/badge/relays-awaiting"' in portal.text
    assert badge.status_code == 200 and re.search(r'class="badge"[^>]*>2</a>', badge.text)
    assert re.search(r'id="awaiting-count">1<', portal_after.text) and ">1</a>" in badge_after.text
    assert re.search(r'id="awaiting-count">0<', new_portal.text)  # A0001 registered them; it decides none
    assert 'class="badge"' not in new_badge.text
    assert "awaiting-count" not in tso_portal.text and "/badge/relays-awaiting" not in tso_portal.text
    # the current retailer's list has the decision deadline: 3 business days after 2026-11-24
    head = re.search(r"<thead>(.*?)</thead>", listing.text, re.S).group(1)
    assert "判断期限" in head
    assert listing.text.count('<td class="deadline">2026-11-27</td>') == 2
    assert sorted((i["relay_no"], i["decision_deadline"]) for i in api_listing["items"]) == [
        (r1, "2026-11-27"), (r2, "2026-11-27")]
    # the decision form preselects nothing; without a choice the field says so and nothing changes
    form = re.search(r'<form[^>]*id="decision-form".*?</form>', page.text, re.S).group(0)
    assert 'name="decision" value="01"' in form and 'name="decision" value="02"' in form
    assert "checked" not in form
    assert no_choice.status_code == 200
    assert re.search(r'id="decision-error">判断を選択してください<', no_choice.text)
    assert re.search(r'id="relay-status">判断待ち<', no_choice.text)
    assert 'value="現 太郎"' in no_choice.text  # what was typed stays
    assert ng.status_code == 303
    # history in Japanese: status names, rule and reason names; no codes
    history = re.search(r'<table id="relay-history">(.*?)</table>', decided.text, re.S).group(1)
    rows = [re.findall(r"<td>(.*?)</td>", row) for row in re.findall(r"<tr><td>.*?</tr>", history)]
    assert [row[1:] for row in rows] == [
        [" → 判断待ち", "登録", "登録", "a0001-api"],
        ["判断待ち → 判断済み(NG)", "NG判断", "NG判断", "m0300-user1"],
    ]
    assert "decided_ng" not in decided.text and "registered" not in history
    assert re.search(r'id="relay-status">判断済み\(NG\)<', decided.text)
    assert r2 in listing.text


async def test_applications_page_lists_with_japanese_labels_and_links(stack):
    spid = smart_point_of(stack.world, "M0300", skip=55)
    with frozen(NOW):
        async with stack.client("A0001") as a:
            filed = (await a.post("/api/v1/applications/switch-start", json=start_body(spid))).json()
        await settle(stack)
        no = filed["application_no"]
        web = await _web(stack, "A0001")
        try:
            page = await web.get("/applications")
            by_stage = await web.get("/applications", params={"stage": "06"})
            bad = await web.get("/applications", params={"received_from": "2026-13-01", "type": "05"})
            detail = await web.get(f"/applications/{no}")
            portal = await web.get("/")
        finally:
            await web.__aexit__(None, None, None)
        other = await _web(stack, "A0002")
        try:
            other_page = await other.get("/applications")
        finally:
            await other.__aexit__(None, None, None)
    head = re.search(r"<thead>(.*?)</thead>", page.text, re.S).group(1)
    assert re.findall(r"<th>(.*?)</th>", head) == ["申込番号", "種別", "供給地点特定番号", "工程", "予定日", "受付日"]
    row = re.search(rf'<tr><td><a href="/applications/{no}">{no}</a></td>(.*?)</tr>', page.text, re.S).group(1)
    assert re.findall(r"<td>(.*?)</td>", row) == ["スイッチング開始", spid, "マッチング待ち", filed["switch_date"],
                                                 "2026-11-24"]
    assert '<option value="05" selected' not in page.text and "05 スイッチング開始" in page.text
    assert "1 件" in page.text and "0 件" in by_stage.text and no not in by_stage.text
    assert bad.status_code == 200 and re.search(r'id="received_from-error">[^<]*YYYY-MM-DD', bad.text)
    assert no not in other_page.text and "0 件" in other_page.text
    assert 'href="/applications"' in portal.text
    history = re.search(r'<table id="application-history">(.*?)</table>', detail.text, re.S).group(1)
    rows = [re.findall(r"<td>(.*?)</td>", r)[1:] for r in re.findall(r"<tr><td>.*?</tr>", history)]
    assert rows == [[" → 受付", "受付", "受付"], ["受付 → マッチング待ち", "受付完了", "受付完了"]]


async def test_the_search_is_published_with_its_filters_and_answer_model(stack):
    async with stack.client("A0001") as c:
        spec = (await c.get("/api/v1/openapi.json")).json()
    op = spec["paths"]["/api/v1/applications:search"]["get"]
    assert op["x-interface-ids"] == ["SH_APPLICATION_SEARCH"]
    assert {p["name"] for p in op["parameters"]} >= {"type", "stage", "area", "spid", "received_from", "received_to",
                                                    "date_from", "date_to", "page", "per_page"}
    per_page = next(p for p in op["parameters"] if p["name"] == "per_page")["schema"]
    assert (per_page["default"], per_page["maximum"]) == (20, 100)
    answer = op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    row = spec["components"]["schemas"][spec["components"]["schemas"][answer]["properties"]["items"]["items"]["$ref"]
                                        .rsplit("/", 1)[1]]
    assert set(row["properties"]) == ROW_FIELDS
