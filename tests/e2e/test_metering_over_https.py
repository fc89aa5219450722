"""A retailer fetches its metering files as its own system would (metering.md "delivery by pull"):
over mutual TLS with its API credential against real servers, the file published in the area and
delivered to the hub by the area worker's HTTPS poster is in its list from a cursor, and the ZIP it
downloads is byte for byte what the area stored; another retailer's credential gets 404."""

from __future__ import annotations

import hashlib
import io
import zipfile
from datetime import date

import pytest

from tests.files.helpers import LiveArea, build, deliver_events, reading_day, stored

pytestmark = pytest.mark.e2e


async def test_a_retailer_lists_and_downloads_its_file_over_mutual_tls(live):
    async with LiveArea(live) as area, live.client("A0001") as mine, live.client("A0002") as other:
        start = (await mine.get("/api/v1/metering/files", params={"per_page": 100})).json()
        cursor = start["next_cursor"]
        while start["has_more"]:  # the live servers are shared: begin after whatever is there
            start = (await mine.get("/api/v1/metering/files", params={"cursor": cursor, "per_page": 100})).json()
            cursor = start["next_cursor"]
        built = await build(area, await reading_day(area, date(2026, 10, 1)), kind="monthly")  # a reading day
        assert [f["type"] for f in built] == ["W51220"]
        file_id = built[0]["file_id"]
        assert await deliver_events(area) >= 1
        listed = await mine.get("/api/v1/metering/files", params={"cursor": cursor})
        assert listed.status_code == 200
        assert [(i["file_id"], i["type"], i["type_name"]) for i in listed.json()["items"]] == [
            (file_id, "W51220", "確定使用量（低圧）")]
        got = await mine.get(f"/api/v1/metering/files/{file_id}")
        refused = await other.get(f"/api/v1/metering/files/{file_id}")
        want = await stored(area, file_id)
    assert got.status_code == 200 and got.headers["content-type"] == "application/zip"
    assert hashlib.sha256(got.content).hexdigest() == hashlib.sha256(want["zip"]).hexdigest()
    with zipfile.ZipFile(io.BytesIO(got.content)) as z:
        [inner] = z.namelist()
    assert inner.endswith(".xml")
    assert refused.status_code == 404
