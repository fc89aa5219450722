"""Correction (update flag 2), withdrawal (3), area-side idempotency, the filing area check and the
relay's date for a switch-start (issue 7), at the HTTP interface.

Rules from processes.md / the brief: a correction only by the applicant, only before the dates are
fixed (05), only fields of the application's own type, checked again as a new filing; a withdrawal
before 05 → 07, at 05 → 10 → 09; the same Idempotency-Key after a lost answer returns the first
answer, with another body 422; a retailer files only in its registered areas.
"""

from __future__ import annotations

import httpx

from tests.flow.helpers import frozen, settle, smart_point_of
from tests.flow.test_application_types import NEXT_BD, NOW, THIRD_BD, at, point, stages, supplied
from tests.flow.test_switch_api import relay_body, start_body
from tests.hub.helpers import audit_rows
from tests.support import execute, with_client_cert


async def test_correction_by_the_applicant_before_the_date_is_fixed(stack):
    spid = supplied(stack.world, "M0300", skip=10)
    with frozen(NOW) as clock:
        async with stack.client("M0300") as cur, stack.client("A0001") as other:
            app = (await cur.post("/api/v1/applications/termination", json={"spid": spid})).json()
            no = app["application_no"]
            foreign = await cur.patch(f"/api/v1/applications/{no}", json={"switch_date": THIRD_BD,
                                                                         "contract_current": 30})
            assert foreign.status_code == 422
            assert {e["field"] for e in foreign.json()["errors"]} == {"switch_date", "contract_current"}
            assert "訂正できません" in foreign.json()["errors"][0]["message"]
            empty = await cur.patch(f"/api/v1/applications/{no}", json={})
            assert empty.status_code == 422
            early = await cur.patch(f"/api/v1/applications/{no}", json={"end_date": "2026-11-24"})
            assert early.status_code == 422 and early.json()["errors"][0]["field"] == "end_date"
            assert f"最短の受付可能日は {NEXT_BD}" in early.json()["errors"][0]["message"]
            assert (await other.patch(f"/api/v1/applications/{no}", json={"end_date": THIRD_BD})).status_code == 404
            ok = await cur.patch(f"/api/v1/applications/{no}", json={"end_date": THIRD_BD, "reason_note": "訂正"})
            assert ok.status_code == 200, ok.text
            assert (ok.json()["requested_date"], ok.json()["stage"]) == (THIRD_BD, "01")
            assert [(h["to_stage"], h["rule"]) for h in ok.json()["history"]] == [("01", "receive"), ("01", "correct")]
            assert ok.json()["details"]["reason_note"] == "訂正"
            # to removal: the type follows (02), with its own lead time and meter work
            removal = await cur.patch(f"/api/v1/applications/{no}", json={
                "remove_meter": True, "contact_name": "現地", "contact_phone": "03-1111-2222"})
            assert removal.status_code == 200, removal.text
            assert (removal.json()["type"], removal.json()["stage"]) == ("02", "03")
            # the date is fixed at the end of the last day a new filing could still take it (the 24th for a
            # removal on the 27th: three business days); the old date (25th) no longer executes it
            await at(stack, clock, "2026-11-25T00:01:00")
            fixed = (await cur.get(f"/api/v1/applications/{no}")).json()
            assert stages(fixed)[-1] == "05" and fixed["effective_date"] is None
            late = await cur.patch(f"/api/v1/applications/{no}", json={"reason_note": "遅い"})
            assert late.status_code == 409 and late.json()["code"] == "stage_transition_not_allowed"
            await at(stack, clock, "2026-11-27T00:01:00")
            assert (await cur.get(f"/api/v1/applications/{no}")).json()["stage"] == "06"
    assert [r["resource_ids"] for r in audit_rows(stack.hub_url, "api.application.correct")] == [[no], [no]]


async def test_a_corrections_stage_event_is_the_contracts_and_reaches_the_hub(stack):
    """A correction writes the application's new payload in the statement that records its stage
    change and queues its event: the event carries the change (the contract's StageChanged), not the
    application's payload, and the hub takes it (a refused batch would hold back every later event)."""
    spid = supplied(stack.world, "M0300", skip=12)
    with frozen(NOW):
        async with stack.client("M0300") as cur:
            no = (await cur.post("/api/v1/applications/termination", json={"spid": spid})).json()["application_no"]
            ok = await cur.patch(f"/api/v1/applications/{no}", json={"end_date": THIRD_BD, "reason_note": "訂正"})
            assert ok.status_code == 200, ok.text
        await settle(stack)
    events = execute(stack.area_url, "SELECT payload->>'application_no', payload->>'rule', payload ? 'reason_note',"
                                     " delivered_at IS NOT NULL FROM outbox_events"
                                     " WHERE payload->>'application_no' = %s OR payload ? 'reason_note' ORDER BY id", (no,))
    assert events == [(no, "receive", False, True), (no, "correct", False, True)]


async def test_correction_is_checked_as_a_new_filing_excluding_itself(stack):
    spid = smart_point_of(stack.world, "M0300", skip=20)
    with frozen(NOW):
        async with stack.client("A0001") as a, stack.client("M0300") as cur:
            start = (await a.post("/api/v1/applications/switch-start", json=start_body(spid))).json()
            fields = await a.patch(f"/api/v1/applications/{start['application_no']}", json={"contract_current": 33})
            assert fields.status_code == 422 and fields.json()["errors"][0]["field"] == "contract_current"
            name = await a.patch(f"/api/v1/applications/{start['application_no']}",
                                 json={"customer_name_kanji": "訂正 太郎", "customer_name_kana": "テイセイ タロウ"})
            assert name.status_code == 200 and name.json()["stage"] == "04", name.text
            end = (await cur.post("/api/v1/applications/switch-end",
                                  json={"spid": spid, "switch_date": start["switch_date"]})).json()
            assert end["stage"] == "05"
            locked = await a.patch(f"/api/v1/applications/{start['application_no']}", json={"customer_phone":
                                                                                           "090-0000-1111"})
    assert locked.status_code == 409


async def test_withdrawal_before_the_date_is_fixed(stack):
    spid = supplied(stack.world, "M0300", skip=11)
    with frozen(NOW) as clock:
        async with stack.client("M0300") as cur, stack.client("A0001") as other:
            a = (await cur.post("/api/v1/applications/customer-change",
                                json={"spid": spid, "customer_phone": "03-1212-3434"})).json()
            no = a["application_no"]
            assert (await other.post(f"/api/v1/applications/{no}:withdraw", json={"reason": "x"})).status_code == 404
            w = await cur.post(f"/api/v1/applications/{no}:withdraw", json={"reason": "誤り"})
            assert w.status_code == 200 and stages(w.json()) == ["01", "07"]
            await at(stack, clock, "2026-11-25T00:01:00")  # its jobs were cancelled
            assert (await cur.get(f"/api/v1/applications/{no}")).json()["stage"] == "07"
            again = await cur.post("/api/v1/applications/customer-change",
                                   json={"spid": spid, "customer_phone": "03-1212-3434", "effective_date": THIRD_BD})
    assert again.status_code == 201  # a withdrawn application no longer blocks its group


async def test_withdrawal_at_stage_05_is_requested_then_rejected(stack):
    spid = supplied(stack.world, "M0300", skip=13)
    with frozen(NOW) as clock:
        async with stack.client("M0300") as cur:
            b = (await cur.post("/api/v1/applications/termination",
                                json={"spid": spid, "remove_meter": True, "contact_name": "現地",
                                      "contact_phone": "03-1111-2222"})).json()
            assert b["requested_date"] == THIRD_BD
            await at(stack, clock, "2026-11-26T12:00:00")  # fixed at the end of the 24th
            assert (await cur.get(f"/api/v1/applications/{b['application_no']}")).json()["stage"] == "05"
            w = await cur.post(f"/api/v1/applications/{b['application_no']}:withdraw", json={"reason": "需要者の申出"})
            assert w.status_code == 200, w.text
            assert stages(w.json())[-3:] == ["05", "10", "09"]
            assert w.json()["messages"][-1]["requested_by"] == "M0300"
            await at(stack, clock, "2026-11-27T00:01:00")  # nothing executes
            assert (await cur.get(f"/api/v1/applications/{b['application_no']}")).json()["stage"] == "09"
    assert execute(stack.area_url, "SELECT contract_status FROM supply_points WHERE spid = %s", (spid,))[0][0] == "1"


def _area_headers(caller: str, kind: str = "retailer", areas: str = "03") -> dict:
    return {"X-Switchhub-Operator": caller, "X-Switchhub-Operator-Kind": kind, "X-Switchhub-Operator-Areas": areas,
            "X-Switchhub-User": f"{caller.lower()}-api", "X-Switchhub-Role": "general"}


async def test_the_area_returns_the_first_answer_for_a_repeated_key(stack):
    spid = supplied(stack.world, "M0300", skip=14)
    transport = httpx.ASGITransport(app=with_client_cert(stack.area_app, stack.world.hub_client.pem))
    with frozen(NOW):
        async with httpx.AsyncClient(transport=transport, base_url="https://area.test") as area:
            h = {**_area_headers("M0300"), "Idempotency-Key": "area-key-1"}
            body = {"spid": spid, "customer_phone": "03-4545-6767"}
            one = await area.post("/area/v1/applications/customer-change", json=body, headers=h)
            two = await area.post("/area/v1/applications/customer-change", json=body, headers=h)
            other = await area.post("/area/v1/applications/customer-change",
                                    json={**body, "customer_phone": "03-4545-0000"}, headers=h)
            plain = await area.post("/area/v1/applications/customer-change", json=body, headers=_area_headers("M0300"))
    assert one.status_code == two.status_code == 201, (one.text, two.text)
    assert two.json() == one.json() and two.headers.get("idempotent-replayed") == "true"
    assert other.status_code == 422 and other.json()["errors"][0]["code"] == "idempotency_key_reused"
    assert plain.status_code == 409 and plain.json()["code"] == "conflicting_application"  # it exists once
    assert execute(stack.area_url, "SELECT count(*) FROM applications WHERE spid = %s", (spid,))[0][0] == 1


class LosesFirstAnswer(httpx.AsyncBaseTransport):
    """The area commits, then the answer never reaches the hub (the hub died or the line broke)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner, self.lost = inner, 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.method == "POST" and "/applications/" in request.url.path and not self.lost:
            self.lost += 1
            await response.aread()
            raise httpx.ReadTimeout("answer lost", request=request)
        return response


async def test_a_retry_through_the_hub_after_a_lost_answer_gets_the_first_answer(stack):
    spid = supplied(stack.world, "M0300", skip=15)
    areas = stack.hub_app.state.areas
    lossy = LosesFirstAnswer(areas._transports["https://area.test"])
    await areas.aclose()
    areas._transports["https://area.test"] = lossy
    with frozen(NOW):
        async with stack.client("M0300") as cur:
            h = {"Idempotency-Key": "hub-key-1"}
            body = {"spid": spid, "end_date": THIRD_BD}
            first = await cur.post("/api/v1/applications/termination", json=body, headers=h)
            assert first.status_code == 504, first.text
            retry = await cur.post("/api/v1/applications/termination", json=body, headers=h)
            again = await cur.post("/api/v1/applications/termination", json=body, headers=h)
    assert lossy.lost == 1
    assert retry.status_code == 201, retry.text
    assert again.json()["application_no"] == retry.json()["application_no"]
    assert execute(stack.area_url, "SELECT count(*) FROM applications WHERE spid = %s", (spid,))[0][0] == 1


async def test_a_retailer_files_only_in_its_registered_areas(stack):
    kansai = point(stack.world, "p.contract_status = '1'", area="06")
    with frozen(NOW):
        async with stack.client("M0300") as tokyo_incumbent:
            r = await tokyo_incumbent.post("/api/v1/applications/switch-start", json=start_body(kansai))
            t = await tokyo_incumbent.post("/api/v1/applications/termination", json={"spid": kansai})
    for answer in (r, t):
        assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "spid"
        assert "関西" in answer.json()["errors"][0]["message"]
    assert execute(stack.area_url, "SELECT count(*) FROM applications")[0][0] == 0


async def test_a_switch_start_for_a_relay_takes_the_relays_date_and_a_differing_end_is_warned(stack):
    spid, far = smart_point_of(stack.world, "M0300", skip=21), smart_point_of(stack.world, "M0300", skip=22)
    with frozen(NOW):
        async with stack.client("A0001") as new, stack.client("M0300") as cur:
            relay = (await new.post("/api/v1/relays", json=relay_body(spid, requested_switch_date="2027-01-15"))
                     ).json()
            await cur.post(f"/api/v1/relays/{relay['relay_no']}/decision", json={"decision": "01", "staff_name": "x"})
            start = await new.post("/api/v1/applications/switch-start", json=start_body(spid, relay["relay_no"]))
            assert start.status_code == 201, start.text
            assert (start.json()["switch_date"], start.json()["customer_request"]) == ("2027-01-15", True)
            assert start.json()["warnings"] == []
            end = await cur.post("/api/v1/applications/switch-end",
                                 json={"spid": spid, "relay_no": relay["relay_no"]})
            assert end.status_code == 201 and end.json()["stage"] == "04", end.text
            codes = {w["code"] for w in end.json()["warnings"]}
            assert codes == {"counterpart_date_differs", "relay_date_differs"}
            assert any("2027-01-15" in w["message"] for w in end.json()["warnings"])
            # a relay whose date the lead time no longer reaches: the earliest reading day, with a warning
            soon = (await new.post("/api/v1/relays", json=relay_body(far, requested_switch_date="2026-11-25"))).json()
            await cur.post(f"/api/v1/relays/{soon['relay_no']}/decision", json={"decision": "01", "staff_name": "x"})
            fallback = await new.post("/api/v1/applications/switch-start", json=start_body(far, soon["relay_no"]))
            assert fallback.status_code == 201, fallback.text
            assert fallback.json()["switch_date"] != "2026-11-25"
            assert [w["code"] for w in fallback.json()["warnings"]] == ["relay_date_not_allowed"]
            await settle(stack)
            seen = (await cur.get(f"/api/v1/relays/{relay['relay_no']}")).json()  # the current retailer
    assert (seen["switch_start_no"], seen["switch_start_date"]) == (start.json()["application_no"], "2027-01-15")
