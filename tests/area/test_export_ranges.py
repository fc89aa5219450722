"""The own-point export copied in spid ranges on two backends with one snapshot
(area/points/export_stream.py), at the hub's HTTP interface, real PostgreSQL: the same rows as one
COPY, the CSV header once, one gzip member per range, and a change committed while the export runs
is not seen by either backend."""

from __future__ import annotations

import asyncio
import zlib

import pytest
from sqlalchemy import text

from switchhub.area.points import export_stream
from tests.hub.helpers import own_point_count


def members(body: bytes) -> list[bytes]:
    """The decompressed gzip members of `body`, in order."""
    out = []
    while body:
        z = zlib.decompressobj(wbits=31)
        out.append(z.decompress(body))
        assert z.eof, "a member ends"
        body = z.unused_data
    return out


async def _export(stack, fmt: str = "csv") -> bytes:
    async with stack.client("M0300") as c:
        r = await c.get("/api/v1/supply-points:export", params={"format": fmt})
    assert r.status_code == 200, r.text
    return r.content


@pytest.fixture
def small_ranges(monkeypatch):
    monkeypatch.setattr(export_stream, "PART_ROWS", 7)  # every area of the test world in several ranges


async def test_ranges_give_the_rows_of_one_copy_with_one_header(stack, monkeypatch):
    whole = await _export(stack)
    monkeypatch.setattr(export_stream, "PART_ROWS", 7)
    ranged = await _export(stack)
    one = b"".join(members(whole)).decode().splitlines()
    parts = members(ranged)
    lines = b"".join(parts).decode().splitlines()
    expected = own_point_count(stack.world, "M0300")
    assert len(one) == expected + 1 and len(lines) == expected + 1
    assert lines[0] == one[0] and lines[0].startswith("spid,area,") and lines.count(one[0]) == 1
    assert sorted(lines[1:]) == sorted(one[1:])
    assert len(parts) > len(members(whole))  # several members per area
    spids = [line.split(",", 1)[0] for line in lines[1:]]
    assert spids == sorted(spids) == sorted(set(spids))  # ranges in order (one area here), none twice


async def test_ndjson_in_ranges_is_the_same_objects(stack, small_ranges):
    ranged = b"".join(members(await _export(stack, "ndjson"))).decode().splitlines()
    assert len(ranged) == own_point_count(stack.world, "M0300")
    assert all(line.startswith("{") for line in ranged)


async def test_both_backends_read_the_snapshot_of_the_start(stack, small_ranges, monkeypatch):
    """After the first backend planned the ranges, every point of the retailer changes supplier and
    commits, before the second backend starts: the export still lists each of them, once (without
    the imported snapshot the second backend's ranges would be empty)."""
    before = b"".join(members(await _export(stack))).decode().splitlines()
    original = export_stream.export_part_bounds

    async def then_switch(raw, args, part_rows):
        ranges = await original(raw, args, part_rows)
        async with stack.area_app.state.engine.begin() as conn:
            await conn.execute(text("UPDATE supply_periods SET retailer_code = 'A0001'"
                                    " WHERE retailer_code = 'M0300' AND valid_to IS NULL"))
        return ranges

    monkeypatch.setattr(export_stream, "export_part_bounds", then_switch)
    during = b"".join(members(await _export(stack))).decode().splitlines()
    assert len(before) > 2 * 7
    assert sorted(during) == sorted(before)
    monkeypatch.setattr(export_stream, "export_part_bounds", original)
    after = b"".join(members(await _export(stack))).decode().splitlines()
    assert after == [before[0]]  # only the header: the change is there for the next export


async def test_a_range_that_fails_ends_the_answer_unfinished_and_leaves_nothing_waiting(stack, small_ranges,
                                                                                       monkeypatch):
    original = export_stream._copy_member
    calls = []

    async def failing(raw, query, args, fmt, header, level, put):
        calls.append(args[3])
        if len(calls) == 3:
            raise RuntimeError("the backend went away")
        await original(raw, query, args, fmt, header, level, put)

    monkeypatch.setattr(export_stream, "_copy_member", failing)
    async with stack.client("M0300") as c:
        with pytest.raises(RuntimeError, match="went away"):
            await asyncio.wait_for(c.get("/api/v1/supply-points:export"), 30)
