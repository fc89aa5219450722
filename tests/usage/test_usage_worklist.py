"""Usage password requests (type 08) in the hub's worklists, at the HTTP interface.

Expected from processes.md P2 / P7 and domain.md, written here: a retailer's request is listed in
its own "my applications" as type 08 under the first point it names, at 06 処理完了 when issued at
once (name and address match) or 02 審査中 when the T&D reviews it, and moves to 06 / 09 却下 when
the decision's event arrives; another retailer does not see it; the Web list links it to its own
status page (/usage/password-requests/{no}), not to the switching applications' page.
"""

from __future__ import annotations

import re
from datetime import datetime

from tests.flow.helpers import frozen
from tests.hub.test_worklists import ROW_FIELDS, _index_rows, _post_events, _web
from tests.usage.helpers import body, deliver_events, make_customer, points

NOW = datetime(2026, 11, 24, 10, 0)
SEARCH = "/api/v1/applications:search"


async def _file(stack, spids: list[str], **over) -> dict:
    async with stack.client("A0001") as a:
        r = await a.post("/api/v1/applications/usage-password", json=body(spids, **over))
    assert r.status_code == 201, r.text
    return r.json()


async def _rows(stack, operator: str, **params) -> dict[str, dict]:
    async with stack.client(operator) as c:
        r = await c.get(SEARCH, params=params)
    assert r.status_code == 200, r.text
    return {i["application_no"]: i for i in r.json()["items"]}


async def _decide(stack, no: str, decision: dict) -> None:
    async with stack.client("T0300") as tso:
        r = await tso.post(f"/api/v1/usage-password-reviews/{no}/decision", json=decision)
    assert r.status_code == 200, r.text


async def test_filed_requests_are_listed_for_the_applicant_and_follow_the_decision(stack):
    auto_points = points(stack.world, 2, skip=70)
    review_points = points(stack.world, 1, skip=72)
    rejected_points = points(stack.world, 1, skip=73)
    make_customer(stack, auto_points + review_points + rejected_points)
    with frozen(NOW):
        auto = await _file(stack, auto_points)
        review = await _file(stack, review_points, customer_name_kana="ベツジン")
        rejected = await _file(stack, rejected_points, customer_name_kana="ベツジン")
        mine = await _rows(stack, "A0001", type="08")
        assert {no: (r["type"], r["stage"], r["spid"], r["area"], r["applicant_code"]) for no, r in mine.items()} == {
            auto["application_no"]: ("08", "06", auto_points[0], "03", "A0001"),
            review["application_no"]: ("08", "02", review_points[0], "03", "A0001"),
            rejected["application_no"]: ("08", "02", rejected_points[0], "03", "A0001")}
        assert mine[auto["application_no"]]["type_name"] == "使用量情報照会申請"
        assert all(set(r) == ROW_FIELDS for r in mine.values())  # the worklist row as for any application
        assert not set(await _rows(stack, "A0002")) & set(mine)

        await _decide(stack, review["application_no"], {"decision": "issue"})
        await _decide(stack, rejected["application_no"], {"decision": "reject", "reason_code": "other"})
        assert (await _rows(stack, "A0001", type="08"))[review["application_no"]]["stage"] == "02"  # no event yet
        await deliver_events(stack)
        after = await _rows(stack, "A0001", type="08")
        assert {no: r["stage"] for no, r in after.items()} == {
            auto["application_no"]: "06", review["application_no"]: "06", rejected["application_no"]: "09"}
        assert after[rejected["application_no"]]["terminal"] is True
        assert set(await _rows(stack, "A0001", stage="02", type="08")) == set()
        assert not set(await _rows(stack, "A0002")) & set(after)


async def test_the_web_list_links_a_usage_request_to_its_status_page(stack):
    spids = points(stack.world, 1, skip=74)
    make_customer(stack, spids)
    with frozen(NOW):
        no = (await _file(stack, spids))["application_no"]
        web = await _web(stack, "A0001")
        try:
            page = await web.get("/applications", params={"type": "08"})
            status = await web.get(f"/usage/password-requests/{no}")
        finally:
            await web.__aexit__(None, None, None)
        other = await _web(stack, "A0002")
        try:
            other_page = await other.get("/applications")
        finally:
            await other.__aexit__(None, None, None)
    row = re.search(rf'<tr><td><a href="/usage/password-requests/{no}">{no}</a></td>(.*?)</tr>', page.text, re.S)
    assert row is not None, page.text
    assert re.findall(r"<td>(.*?)</td>", row.group(1))[:3] == ["使用量情報照会申請", spids[0], "処理完了"]
    assert f'href="/applications/{no}"' not in page.text
    assert status.status_code == 200 and no in status.text
    assert no not in other_page.text


async def test_the_customers_own_request_is_in_no_worklist(stack):
    """A public-page request reaches the hub only as its decision's event (no applicant code)."""
    issued = {"application_no": "0320261124U0000901", "applicant_code": None, "spids": ["03" + "1" * 20],
              "verification": "auto", "issued_at": "2026-11-24T10:00:00+09:00",
              "expires_at": "2026-12-01T10:00:00+09:00"}
    rejected = {"application_no": "0320261124U0000902", "applicant_code": None, "spids": ["03" + "2" * 20],
                "reason_code": "other"}
    with frozen(NOW):
        r = await _post_events(stack, [
            {"id": 901, "area": "03", "kind": "usage.password_issued", "payload": issued},
            {"id": 902, "area": "03", "kind": "usage.password_rejected", "payload": rejected}])
        assert r.json() == {"accepted": 2, "duplicates": 0}, r.text
        seen = await _rows(stack, "OC000")
    assert await _index_rows(stack, issued["application_no"]) == []
    assert await _index_rows(stack, rejected["application_no"]) == []
    assert not {issued["application_no"], rejected["application_no"]} & set(seen)
