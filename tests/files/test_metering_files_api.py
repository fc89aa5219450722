"""Metering files through the hub's API (metering.md "delivery by pull", api.md `/metering/files`):
files published in the area reach the hub's index through the outbox; a retailer lists its own
from a cursor (no gap, no repeat), filters them, and downloads exactly the bytes the area stored,
each download on record; anyone else gets "not found" for the same file id."""

from __future__ import annotations

import hashlib
import io
import zipfile
from datetime import date, timedelta

from lxml import etree
from sqlalchemy import text

from tests.files.helpers import BUILT_AT, build, deliver_events, reading_day, stored
from tests.hub.helpers import audit_rows
from tests.metering.helpers import ingest, supplied, xsd


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


def _ids(files: list[dict]) -> list[str]:
    return [f["file_id"] for f in files]


def _low(files: list[dict]) -> dict:
    [low] = [f for f in files if f["type"] in ("W41120", "W41110", "W51220")]
    return low


async def test_a_retailer_lists_its_files_from_a_cursor_without_gaps_or_repeats(stack):
    mine = []
    for day in range(20, 25):
        mine += await build(stack, date(2026, 11, day))
    others = await build(stack, date(2026, 11, 20), retailer="A0002")  # never listed for A0001
    assert len(mine) >= 5 and others
    assert await deliver_events(stack) == len(mine) + len(others)
    async with stack.client("A0001") as c:
        pages, cursor = await _all_pages(c, 2)
        assert all(len(p) <= 2 for p in pages) and len(pages) == (len(mine) + 1) // 2
        assert [i for p in pages for i in p] == _ids(mine)  # every file once, in publication order
        empty = (await c.get("/api/v1/metering/files", params={"cursor": cursor})).json()
        assert (empty["items"], empty["next_cursor"], empty["has_more"]) == ([], cursor, False)
        newer = await build(stack, date(2026, 11, 25))
        await deliver_events(stack)
        after = (await c.get("/api/v1/metering/files", params={"cursor": cursor})).json()
        assert _ids(after["items"]) == _ids(newer)
        listed = (await c.get("/api/v1/metering/files")).json()["items"]
    area = _low([f for f in mine if f["target_date"] == "2026-11-20"])
    first = next(i for i in listed if i["file_id"] == area["file_id"])
    zipped = (await stored(stack, area["file_id"]))["zip"]
    assert first == {
        "file_id": area["file_id"], "area": "03", "retailer_code": "A0001", "type": "W41120",
        "type_name": "30分電力量（低圧・過去日）", "target_date": "2026-11-20", "target_month": None,
        "slot_time": None, "sequence": 1, "revision": 1, "latest": True, "supersedes": None, "superseded_by": None,
        "name": "W41120_20261120_0000_001_r1.zip", "json_name": "W41120_20261120_0000_001_r1.json",
        "points": area["points"], "size_bytes": len(zipped), "sha256": hashlib.sha256(zipped).hexdigest(),
        "operation_mode": "1", "published_at": first["published_at"]}
    assert first["points"] > 0
    async with stack.client("A0002") as other:
        theirs = (await other.get("/api/v1/metering/files", params={"per_page": 100})).json()["items"]
    assert _ids(theirs) == _ids(others)


async def test_a_redelivered_event_is_indexed_and_announced_once(stack):
    built = await build(stack, date(2026, 11, 20))
    await deliver_events(stack)
    async with stack.area_app.state.engine.begin() as conn:
        await conn.execute(text("UPDATE outbox_events SET delivered_at = NULL"))
    await deliver_events(stack)
    async with stack.hub_app.state.engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM metering_files_index"))).scalar_one() == len(built)


async def _correct(stack, day: date) -> None:
    """A corrected reading of one of A0001's low-voltage points on `day` (ingested through the area's
    API, as the meter data source sends it): the day's next build is revision 2."""
    spid = supplied(stack, "A0001", day)[0]
    await ingest(stack, [{"spid": spid, "date": day.isoformat(), "slot": 10, "kwh": "7.2500", "status": "0"}])


async def test_filters_by_type_target_day_and_revision(stack):
    day28 = await build(stack, date(2026, 11, 28))
    await _correct(stack, date(2026, 11, 28))
    corrected = await build(stack, date(2026, 11, 28), now=BUILT_AT + timedelta(hours=1))
    day29 = await build(stack, date(2026, 11, 29))
    closes = await reading_day(stack, date(2026, 11, 1))
    month = await build(stack, closes, kind="monthly")
    await deliver_events(stack)
    r1, r2, low29, monthly = _low(day28), _low(corrected), _low(day29), _low(month)
    assert (r1["revision"], r2["revision"], r2["supersedes"]) == (1, 2, r1["file_id"])
    async with stack.client("A0001") as c:
        async def ids(**params) -> list[str]:
            r = await c.get("/api/v1/metering/files", params=params)
            assert r.status_code == 200, r.text
            return _ids(r.json()["items"])

        assert await ids(type="W41120") == [r2["file_id"], low29["file_id"]]  # latest revisions by default
        assert await ids(type="W41120", revision="all") == [r1["file_id"], r2["file_id"], low29["file_id"]]
        assert r1["file_id"] not in await ids(per_page=100)
        assert r1["file_id"] in await ids(per_page=100, revision="all")
        assert await ids(type="W41120", date_from="2026-11-29") == [low29["file_id"]]
        assert await ids(type="W41120", date_to="2026-11-28", revision="all") == [r1["file_id"], r2["file_id"]]
        assert await ids(type="W51220") == [monthly["file_id"]]
        # a monthly file's target day is its reading day
        day = closes.isoformat()
        assert await ids(type="W51220", date_from=day, date_to=day) == [monthly["file_id"]]
        assert await ids(type="W51220", date_from=(closes + timedelta(days=1)).isoformat()) == []
        both = (await c.get("/api/v1/metering/files", params={"revision": "all", "type": "W41120"})).json()["items"]
        assert [(i["revision"], i["latest"], i["supersedes"], i["superseded_by"]) for i in both[:2]] == [
            (1, False, None, r2["file_id"]), (2, True, r1["file_id"], None)]
        [m] = (await c.get("/api/v1/metering/files", params={"type": "W51220"})).json()["items"]
        assert (m["target_date"], m["target_month"], m["type_name"]) == (closes.isoformat(), "2026-11",
                                                                         "確定使用量（低圧）")
        bad = await c.get("/api/v1/metering/files", params={"date_from": "2026-11-29", "date_to": "2026-11-28"})
        assert bad.status_code == 422 and [e["field"] for e in bad.json()["errors"]] == ["date_to"]
        for params in ({"type": "W99999"}, {"revision": "newest"}, {"cursor": "not-a-cursor"},
                       {"date_from": "2026-02-31"}, {"per_page": "101"}):
            assert (await c.get("/api/v1/metering/files", params=params)).status_code == 422, params


async def test_a_revision_arriving_before_the_one_it_supersedes_still_hides_it(stack):
    """Events may arrive in any order (a replay, a catch-up); "latest" stays right."""
    r1 = _low(await build(stack, date(2026, 11, 27)))
    await _correct(stack, date(2026, 11, 27))
    r2 = _low(await build(stack, date(2026, 11, 27), now=BUILT_AT + timedelta(hours=1)))
    async with stack.area_app.state.engine.begin() as conn:  # deliver the later events first
        await conn.execute(text("UPDATE outbox_events SET id = -id"))
    await deliver_events(stack)
    async with stack.client("A0001") as c:
        latest = (await c.get("/api/v1/metering/files", params={"type": "W41120"})).json()["items"]
        every = (await c.get("/api/v1/metering/files", params={"type": "W41120", "revision": "all"})).json()["items"]
    assert _ids(latest) == [r2["file_id"]]
    assert sorted(_ids(every)) == sorted([r1["file_id"], r2["file_id"]])


async def test_download_is_the_stored_bytes_audited_and_invisible_to_others(stack):
    low = _low(await build(stack, date(2026, 11, 26)))
    file_id = low["file_id"]
    await deliver_events(stack)
    area = await stored(stack, file_id)
    async with stack.client("A0001") as c:
        z = await c.get(f"/api/v1/metering/files/{file_id}")
        j = await c.get(f"/api/v1/metering/files/{file_id}", params={"format": "json"})
    assert z.status_code == 200 and z.headers["content-type"] == "application/zip"
    assert hashlib.sha256(z.content).hexdigest() == hashlib.sha256(area["zip"]).hexdigest()
    assert z.headers["content-disposition"] == f'attachment; filename="{area["name"]}"'
    with zipfile.ZipFile(io.BytesIO(z.content)) as archive:
        [inner] = archive.namelist()
        assert inner == area["name"][:-4] + ".xml"
        assert xsd().validate(etree.fromstring(archive.read(inner)))
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
    assert rows[0]["item_count"] == low["points"] and rows[0]["cert_fingerprint"] == stack.world.clients["A0001-api"].fingerprint


async def test_the_published_xsd_is_the_one_the_area_validates_against(stack):
    """The hub serves the file the area's files are validated against (tests/metering), read as
    package data through the contract."""
    from importlib import resources

    async with stack.client("A0002") as c:
        r = await c.get("/api/v1/metering/schema.xsd")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/xml")
    area_copy = resources.files("switchhub.area.metering").joinpath("xsd/switchhub-metering.xsd").read_bytes()
    assert r.content == area_copy
    assert b"switchhub" in r.content  # it says whose rendering it is


async def test_an_event_outside_the_contract_is_refused_whole(stack):
    """A file type or operation mode the contract does not name would break every retailer's list:
    the batch is a 422, and nothing of it is indexed."""
    import httpx

    from tests.support import with_client_cert

    event = {"id": 1, "area": "03", "kind": "metering.file_published", "payload": {
        "file_id": "03-000001", "area": "03", "retailer_code": "A0001", "type": "W99999",
        "target_date": "2026-11-30", "revision": 1, "name": "W99999_20261130_0000_001_r1.zip", "position": 1}}
    transport = httpx.ASGITransport(app=with_client_cert(stack.hub_app, stack.world.area_client.pem))
    async with httpx.AsyncClient(transport=transport, base_url="https://hub.test") as client:
        r = await client.post("/internal/v1/area-events", json={"events": [event]})
        mode = {**event, "payload": {**event["payload"], "type": "W41120", "operation_mode": "7"}}
        bad_mode = await client.post("/internal/v1/area-events", json={"events": [mode]})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "events[1].payload", r.text
    assert bad_mode.status_code == 422 and bad_mode.json()["errors"][0]["code"] == "unknown_code", bad_mode.text
    async with stack.hub_app.state.engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM metering_files_index"))).scalar_one() == 0
        assert (await conn.execute(text("SELECT count(*) FROM area_events"))).scalar_one() == 0


async def test_the_list_answer_is_exactly_its_declared_model(stack):
    from tests.hub.test_response_models import declared_model, reserialised

    await build(stack, date(2026, 11, 20))
    await build(stack, await reading_day(stack, date(2026, 11, 1)), kind="monthly")
    await deliver_events(stack)
    model = declared_model(stack, "GET", "/api/v1/metering/files")
    for who in ("A0001", "T0300", "OC000", "A0002"):
        async with stack.client(who) as c:
            r = await c.get("/api/v1/metering/files")
        assert r.status_code == 200
        assert reserialised(model, r.content) == r.content, who
