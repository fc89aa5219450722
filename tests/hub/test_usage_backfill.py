"""Usage password requests (type 08) filed before the hub's applications index held them (hub
migrations 0006/0007) are backfilled: the hub worker's one-off keyed job per area pages the area's
list of retailer requests (/area/v1/usage-passwords, OCCTO only, no customer data) and indexes each
as its filing would have; running it again changes nothing, and a row an event already moved keeps
its stage."""

from __future__ import annotations

from datetime import datetime

import httpx

from switchhub.hub.applications import list_service
from switchhub.hub.applications import tasks as applications_tasks
from switchhub.hub.notify.delivery import SmtpConfig
from switchhub.kernel.clock import JST
from switchhub.worker import hub_round
from tests.flow.helpers import frozen
from tests.support import execute, with_client_cert
from tests.usage.helpers import body, make_customer, points

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=JST)


def _index(stack) -> list[tuple]:
    return execute(stack.hub_url, "SELECT application_no, area, spid, type, stage, applicant_code, received_at"
                                  " FROM applications_index WHERE type = '08' ORDER BY application_no")


async def _file(stack, retailer: str, spids: list[str], **over) -> dict:
    async with stack.client(retailer) as c:
        r = await c.post("/api/v1/applications/usage-password", json=body(spids, **over))
    assert r.status_code == 201, r.text
    return r.json()


async def _round(stack) -> None:
    await hub_round(stack.hub_app.state.engine, SmtpConfig("127.0.0.1", 1, "x@test"), None,
                    stack.hub_app.state.areas, ["03"])


async def test_requests_missing_from_the_index_are_backfilled_once_by_the_worker(stack):
    issued_pts = points(stack.world, 2, skip=30)
    make_customer(stack, issued_pts)
    review_pts = points(stack.world, 1, skip=33)
    make_customer(stack, review_pts)
    with frozen(NOW):
        issued = await _file(stack, "A0001", issued_pts)                                # auto-issued: 06
        review = await _file(stack, "A0002", review_pts, customer_name_kanji="別人 太郎")  # review: 02
    assert (issued["stage"], review["stage"]) == ("06", "02")
    expected = sorted([
        (issued["application_no"], "03", issued_pts[0], "08", "06", "A0001",
         datetime.fromisoformat(issued["received_at"])),
        (review["application_no"], "03", review_pts[0], "08", "02", "A0002",
         datetime.fromisoformat(review["received_at"]))])
    assert _index(stack) == expected  # indexed by their filing
    # as before hub migrations 0006/0007: the index does not know them
    execute(stack.hub_url, "DELETE FROM applications_index WHERE type = '08'")
    async with stack.client("A0001") as c:
        assert (await c.get("/api/v1/applications:search", params={"type": "08"})).json()["total"] == 0

    with frozen(NOW):
        await _round(stack)  # the worker enqueues the backfill of each area and runs it
    assert _index(stack) == expected
    assert execute(stack.hub_url, "SELECT key, done_at IS NOT NULL, attempts FROM jobs"
                                  " WHERE kind = 'applications.usage_backfill'") == [("03:v1", True, 1)]
    async with stack.client("A0001") as c:
        listed = (await c.get("/api/v1/applications:search", params={"type": "08"})).json()
    assert [(i["application_no"], i["stage"]) for i in listed["items"]] == [(issued["application_no"], "06")]

    # once per area: later rounds do not run it again; run by hand it changes nothing
    with frozen(NOW):
        await _round(stack)
    assert execute(stack.hub_url, "SELECT count(*), max(attempts) FROM jobs"
                                  " WHERE kind = 'applications.usage_backfill'") == [(1, 1)]
    # an event moved the review row on (rejected: 09); the backfill leaves that stage alone
    execute(stack.hub_url, "UPDATE applications_index SET stage = '09', last_event_id = 7 WHERE application_no = %s",
            (review["application_no"],))
    async with stack.hub_app.state.engine.begin() as conn:
        seen = await list_service.backfill_usage(conn, stack.hub_app.state.areas, applications_tasks.SYSTEM, "03",
                                                 NOW, per_page=1)  # one a page: the paging too
    assert seen == 2
    assert [r[4] for r in _index(stack)] == [e[4] if e[0] == issued["application_no"] else "09" for e in expected]


async def test_the_areas_list_answers_only_occto(stack):
    transport = httpx.ASGITransport(app=with_client_cert(stack.area_app, stack.world.hub_client.pem))
    async with httpx.AsyncClient(transport=transport, base_url="https://area.test") as c:
        for code, kind in (("A0001", "retailer"), ("T0300", "tso")):
            r = await c.get("/area/v1/usage-passwords", params={"area": "03"},
                            headers={"X-Switchhub-Operator": code, "X-Switchhub-Operator-Kind": kind,
                                     "X-Switchhub-Operator-Areas": "03"})
            assert r.status_code == 404, (code, r.text)
        r = await c.get("/area/v1/usage-passwords", params={"area": "03"},
                        headers={"X-Switchhub-Operator": "HUB00", "X-Switchhub-Operator-Kind": "occto"})
    assert r.status_code == 200 and r.json() == {"items": [], "next_after": None}
