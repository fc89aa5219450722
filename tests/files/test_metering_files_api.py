"""Metering files through the hub's API (metering.md "delivery by pull", api.md `/metering/files`):
files published in the area reach the hub's index through the outbox; a retailer lists its own
from a cursor (no gap, no repeat), filters them, and downloads exactly the bytes the area stored,
each download on record; anyone else gets "not found" for the same file id."""

from __future__ import annotations

import hashlib
import io
import zipfile
from datetime import date

from sqlalchemy import text

from tests.files.helpers import deliver_events, publish, stored
from tests.hub.helpers import audit_rows


async def _all_pages(client, per_page: int, **params) -> tuple[list[list[str]], str]:
    pages, cursor = [], ""
    while True:
        r = await client.get("/api/v1/metering/files", params={**params, "per_page": per_page, "cursor": cursor})
        assert r.status_code == 200, r.text
        body = r.json()
        pages.append([i["file_id"] for i in body["items"]])
        cursor = body["next_cursor"]
        if not body["has_more"]:
            return pages, cursor


async def test_a_retailer_lists_its_files_from_a_cursor_without_gaps_or_repeats(stack):
    mine = [await publish(stack, target=date(2026, 11, d)) for d in range(20, 25)]
    await publish(stack, retailer="A0002")  # another retailer's: never listed for A0001
    assert await deliver_events(stack) == 6
    async with stack.client("A0001") as c:
        pages, cursor = await _all_pages(c, 2)
        assert pages == [mine[0:2], mine[2:4], mine[4:5]]
        empty = (await c.get("/api/v1/metering/files", params={"cursor": cursor})).json()
        assert (empty["items"], empty["next_cursor"], empty["has_more"]) == ([], cursor, False)
        newer = await publish(stack, target=date(2026, 11, 25))
        await deliver_events(stack)
        after = (await c.get("/api/v1/metering/files", params={"cursor": cursor})).json()
        assert [i["file_id"] for i in after["items"]] == [newer]
        first = (await c.get("/api/v1/metering/files")).json()["items"][0]
    assert first == {
        "file_id": mine[0], "area": "03", "retailer_code": "A0001", "type": "W41120",
        "type_name": "30分電力量（低圧・過去日）", "target_date": "2026-11-20", "target_month": None,
        "slot_time": None, "sequence": 1, "revision": 1, "latest": True, "supersedes": None, "superseded_by": None,
        "name": "W41120_20261120_0000_001_r1.zip", "json_name": "W41120_20261120_0000_001_r1.json", "points": 3,
        "size_bytes": len((await stored(stack, mine[0]))["zip"]),
        "sha256": hashlib.sha256((await stored(stack, mine[0]))["zip"]).hexdigest(), "operation_mode": "0",
        "published_at": first["published_at"]}
    async with stack.client("A0002") as other:
        assert [i["retailer_code"] for i in (await other.get("/api/v1/metering/files")).json()["items"]] == ["A0002"]


async def test_a_redelivered_event_is_indexed_and_announced_once(stack):
    await publish(stack)
    await deliver_events(stack)
    async with stack.area_app.state.engine.begin() as conn:
        await conn.execute(text("UPDATE outbox_events SET delivered_at = NULL"))
    await deliver_events(stack)
    async with stack.hub_app.state.engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM metering_files_index"))).scalar_one() == 1


async def test_filters_by_type_target_day_and_revision(stack):
    r1 = await publish(stack, target=date(2026, 11, 28))
    r2 = await publish(stack, target=date(2026, 11, 28), revision=2, supersedes=r1)
    other_day = await publish(stack, target=date(2026, 11, 29))
    high = await publish(stack, type_="W40120", target=date(2026, 11, 28))
    await deliver_events(stack)
    async with stack.client("A0001") as c:
        async def ids(**params) -> list[str]:
            r = await c.get("/api/v1/metering/files", params=params)
            assert r.status_code == 200, r.text
            return [i["file_id"] for i in r.json()["items"]]

        assert await ids() == [r2, other_day, high]  # latest revisions only, by default
        assert await ids(revision="all") == [r1, r2, other_day, high]
        assert await ids(type="W41120", revision="all") == [r1, r2, other_day]
        assert await ids(type="W40120") == [high]
        assert await ids(date_from="2026-11-29") == [other_day]
        assert await ids(date_to="2026-11-28", type="W41120") == [r2]
        assert await ids(date_from="2026-11-28", date_to="2026-11-28", revision="all") == [r1, r2, high]
        both = (await c.get("/api/v1/metering/files", params={"revision": "all", "type": "W41120"})).json()["items"]
        assert [(i["revision"], i["latest"], i["supersedes"], i["superseded_by"]) for i in both[:2]] == [
            (1, False, None, r2), (2, True, r1, None)]
        bad = await c.get("/api/v1/metering/files", params={"date_from": "2026-11-29", "date_to": "2026-11-28"})
        assert bad.status_code == 422 and [e["field"] for e in bad.json()["errors"]] == ["date_to"]
        for params in ({"type": "W99999"}, {"revision": "newest"}, {"cursor": "not-a-cursor"}):
            assert (await c.get("/api/v1/metering/files", params=params)).status_code == 422, params


async def test_a_revision_arriving_before_the_one_it_supersedes_still_hides_it(stack):
    """Events of two areas' outboxes or a replay may arrive in any order; "latest" stays right."""
    r1 = await publish(stack, target=date(2026, 11, 27))
    r2 = await publish(stack, target=date(2026, 11, 27), revision=2, supersedes=r1)
    async with stack.area_app.state.engine.begin() as conn:  # deliver the second event first
        await conn.execute(text("UPDATE outbox_events SET id = -id"))
    await deliver_events(stack)
    async with stack.client("A0001") as c:
        latest = (await c.get("/api/v1/metering/files")).json()["items"]
    assert [i["file_id"] for i in latest] == [r2]


async def test_download_is_the_stored_bytes_audited_and_invisible_to_others(stack):
    file_id = await publish(stack, points=7)
    await deliver_events(stack)
    area = await stored(stack, file_id)
    async with stack.client("A0001") as c:
        z = await c.get(f"/api/v1/metering/files/{file_id}")
        j = await c.get(f"/api/v1/metering/files/{file_id}", params={"format": "json"})
    assert z.status_code == 200 and z.headers["content-type"] == "application/zip"
    assert hashlib.sha256(z.content).hexdigest() == hashlib.sha256(area["zip"]).hexdigest()
    assert z.headers["content-disposition"] == f'attachment; filename="{area["name"]}"'
    with zipfile.ZipFile(io.BytesIO(z.content)) as archive:
        assert len(archive.namelist()) == 1 and archive.namelist()[0].endswith(".xml")
    assert j.status_code == 200 and j.headers["content-type"].startswith("application/json")
    assert j.json() == area["json"]
    assert j.headers["content-disposition"] == f'attachment; filename="{area["name"][:-4]}.json"'

    async with stack.client("A0002") as other, stack.client("T0600") as far, stack.client("T0300") as tso, \
            stack.client("OC000") as occto:
        refused = await other.get(f"/api/v1/metering/files/{file_id}")
        absent = await other.get("/api/v1/metering/files/03-999999")
        assert (refused.status_code, refused.json()["code"]) == (404, "not_found")
        same = ("status", "code", "title", "detail")
        assert {k: refused.json().get(k) for k in same} == {k: absent.json().get(k) for k in same}
        assert (await far.get(f"/api/v1/metering/files/{file_id}")).status_code == 404
        assert (await other.get("/api/v1/metering/files")).json()["items"] == []
        assert (await far.get("/api/v1/metering/files")).json()["items"] == []
        assert (await tso.get(f"/api/v1/metering/files/{file_id}")).status_code == 200
        assert [i["file_id"] for i in (await tso.get("/api/v1/metering/files")).json()["items"]] == [file_id]
        assert (await occto.get(f"/api/v1/metering/files/{file_id}")).status_code == 200

    rows = audit_rows(stack.hub_url, "api.metering_file.download")
    assert [(r["operator_code"], r["resource_type"], r["resource_ids"], r["purpose"], r["detail"]["format"])
            for r in rows] == [
        ("A0001", "metering_file", [file_id], "metering", "zip"),
        ("A0001", "metering_file", [file_id], "metering", "json"),
        ("T0300", "metering_file", [file_id], "metering", "zip"),
        ("OC000", "metering_file", [file_id], "metering", "zip")]
    assert rows[0]["item_count"] == 7 and rows[0]["cert_fingerprint"] == stack.world.clients["A0001-api"].fingerprint


async def test_the_published_xsd_is_the_one_the_area_validates_against(stack):
    """The hub serves the contract's copy; the area's files are validated against its own copy
    (tests/metering): the two must be the same bytes."""
    from importlib import resources

    async with stack.client("A0002") as c:
        r = await c.get("/api/v1/metering/schema.xsd")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/xml")
    area_copy = resources.files("switchhub.area.metering").joinpath("xsd/switchhub-metering.xsd").read_bytes()
    assert r.content == area_copy
    assert b"switchhub" in r.content  # it says whose rendering it is
