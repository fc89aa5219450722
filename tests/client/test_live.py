"""The client against a real hub and reference area over mutual TLS (the session's `live` servers):
lookup, batch, search, streamed export, a relay decided by its counterpart, an application and its
status, typed errors with the hub's problem fields, the Idempotency-Key reused after a lost answer,
the feed from a cursor (and in follow mode), and a metering file downloaded and parsed.

The live servers are shared by the session: each test uses its own points (offsets not used
elsewhere) and starts cursors after whatever is already there."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import io
import json
from datetime import date

import httpx
import pytest
import zstandard

from switchhub.client import Forbidden, InputError, NotFound, SwitchhubClient
from switchhub.client.metering import parse_metering
from switchhub.client.transport import ssl_context
from tests.client.helpers import client_for, credentials
from tests.flow.helpers import smart_point_of
from tests.flow.test_switch_api import relay_body, start_body
from tests.hub.helpers import point_of

pytestmark = pytest.mark.e2e
UNKNOWN = "0399999999999999999999"  # a valid spid (area 03, 22 digits) that the generator never makes


async def test_lookup_batch_and_search_answer_typed_points(live):
    spid = point_of(live.world, "A0001")
    async with client_for(live, "A0001") as c:
        point = await c.lookup(spid)
        both = await c.batch_lookup([spid, UNKNOWN])
        where = {"area": point.area, "prefecture": point.prefecture, "city": point.city, "town": point.town}
        found = await c.search(**where, block=point.block, per_page=5)
        whole = await c.search(**where, per_page=100)
        per_page = max(1, -(-whole.total // 3))  # three pages or more (the hub answers at most five)
        paged = [p.spid async for p in c.iter_search(**where, per_page=per_page)]
    assert point.spid == spid and point.area == "03" and point.current_retailer_code == "A0001"
    assert isinstance(point.next_reading_date, date)
    assert [p.spid for p in both.items] == [spid] and both.not_found == [UNKNOWN] and both.failed == []
    assert spid in [p.spid for p in found.items]
    # page by page: the same points as one page of 100 (the town has fewer than 100)
    assert 2 < whole.total < 100 and paged == [p.spid for p in whole.items]


async def test_export_streams_every_own_point_with_progress(live):
    seen: list[tuple[int, int | None]] = []
    async with client_for(live, "A0001") as c:
        rows = [row async for row in c.iter_export(fields="full",
                                                   progress=lambda done, total: seen.append((done, total)))]
        standard = [row async for row in c.iter_export(compression="small")]
        raw = io.BytesIO()
        written = await c.export(raw, format="ndjson")
        csv_buf = io.BytesIO()
        csv_rows = await c.export(csv_buf, format="csv")
        zstd_rows = [row async for row in c.iter_export(compression="zstd")]
        zst = io.BytesIO()
        zst_written = await c.export(zst, format="csv", compression="zstd")
    total = seen[-1][1]
    assert total is not None and total > 10 and len(rows) == total and seen[-1][0] == total
    assert len({r["spid"] for r in rows}) == total
    assert all(r["current_retailer_code"] == "A0001" for r in rows)
    # the default column set: no retailer code, the customer's name in kana only (docs/api)
    assert {r["spid"] for r in standard} == {r["spid"] for r in rows}
    assert "customer_name_kana" in standard[0] and "current_retailer_code" not in standard[0]
    lines = gzip.decompress(raw.getvalue()).decode().splitlines()
    assert written == len(lines) == total
    csv_lines = gzip.decompress(csv_buf.getvalue()).decode("utf-8-sig").splitlines()
    assert csv_rows == total and csv_lines[0].startswith("spid") and len(csv_lines) == total + 1
    # zstd: the same rows, and the file as sent (a zstd stream of one frame per area, read across them)
    assert zstd_rows == standard
    zst_lines = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(zst.getvalue()), read_across_frames=True
                                                           ).read().decode("utf-8-sig").splitlines()
    assert zst_written == total and zst_lines == csv_lines


async def test_a_relay_decided_by_the_counterpart_and_a_switch_start_with_its_status(live):
    spid = smart_point_of(live.world, "M0300", skip=140)
    async with client_for(live, "A0001") as new, client_for(live, "M0300") as cur:
        relay = await new.register_relay(relay_body(spid, requested_switch_date="2030-01-31"))
        addressed = [r.relay_no async for r in cur.iter_relays(role="current", spid=spid)]
        decided = await cur.decide_relay(relay.relay_no, "01", "現 太郎")
        filed = await new.switch_start(start_body(spid, relay.relay_no))
        ended = await cur.switch_end({"spid": spid, "switch_date": filed.switch_date})
        status = await new.application(filed.application_no)
        listed = (await new.search_applications(spid=spid)).items
    assert relay.status == "01" and relay.spid == spid and relay.current_retailer == "M0300"
    assert addressed == [relay.relay_no]
    assert decided.status == "02" and decided.decision == "01"
    assert filed.type == "05" and filed.spid == spid and filed.relay_no == relay.relay_no
    assert filed.switch_date == "2030-01-31"
    assert ended.type == "03" and ended.stage == "05"  # domain.md: 03 switch-end; matched at once (05)
    assert status.application_no == filed.application_no and status.stage == "05"
    assert status.matched_with == ended.application_no
    assert filed.application_no in [a.application_no for a in listed]


async def test_typed_errors_carry_the_hubs_problem_fields(live):
    spid = smart_point_of(live.world, "M0300", skip=141)
    async with client_for(live, "A0001") as c, client_for(live, "T0300") as tso:
        with pytest.raises(NotFound) as missing:
            await c.lookup(UNKNOWN)
        with pytest.raises(InputError) as bad:
            await c.register_relay(relay_body(spid, contact_phone="でんわ", requested_switch_date="2030-01-31"))
        with pytest.raises(Forbidden) as refused:
            await tso.register_relay(relay_body(spid, requested_switch_date="2030-01-31"))
    assert missing.value.status == 404 and missing.value.code == "not_found"
    assert missing.value.title == "該当するデータがありません" and missing.value.request_id
    assert bad.value.status == 422 and bad.value.type.endswith("/" + bad.value.code)
    issue = next(e for e in bad.value.errors if e.field.endswith("contact_phone"))
    assert issue.code and issue.message
    assert refused.value.status == 403 and refused.value.code


class LoseFirstAnswer(httpx.AsyncBaseTransport):
    """A real TLS transport whose first POST reaches the hub but whose answer is lost on the way back
    (read timeout), as on a flaky line: the hub has filed it, the client does not know."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner, self.keys, self.lost = inner, [], False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.method == "POST":
            self.keys.append(request.headers["idempotency-key"])
            if not self.lost:
                self.lost = True
                await response.aread()
                await response.aclose()
                raise httpx.ReadTimeout("answer lost", request=request)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_a_retry_after_a_lost_answer_reuses_the_key_and_files_once(live):
    spid = smart_point_of(live.world, "M0300", skip=142)
    cred = credentials(live, "A0001")
    lossy = LoseFirstAnswer(httpx.AsyncHTTPTransport(verify=ssl_context(ca=cred["ca"], cert=cred["cert"],
                                                                        key=cred["key"])))
    async with client_for(live, "A0001", transport=lossy) as c:
        relay = await c.register_relay(relay_body(spid, requested_switch_date="2030-01-31"))
    async with client_for(live, "A0001") as c:
        mine = [r.relay_no async for r in c.iter_relays(role="new", spid=spid)]
    assert len(lossy.keys) == 2 and lossy.keys[0] == lossy.keys[1]
    assert mine == [relay.relay_no]  # filed once: the retry got the first answer back


async def _end_cursor(c) -> str:
    cursor = ""
    while True:
        page = await c.feed_page(cursor, limit=1000)
        cursor = page.next_cursor
        if not page.items:
            return cursor


async def test_the_feed_continues_from_its_cursor_and_follows(live):
    spid = smart_point_of(live.world, "M0300", skip=143)
    other = smart_point_of(live.world, "M0300", skip=144)
    async with client_for(live, "A0001") as c:
        cursor = await _end_cursor(c)
        filed = await c.switch_start(start_body(spid, switch_date="2030-02-28", customer_request=True))
        feed = c.feed(cursor)
        items = [i async for i in feed]
        again = [i async for i in c.feed(feed.cursor)]

        follower = c.feed(feed.cursor, follow=True, poll_interval=0.05)
        waiting = asyncio.ensure_future(follower.__anext__())
        await asyncio.sleep(0.3)
        assert not waiting.done()  # caught up: it waits instead of ending
        later = await c.switch_start(start_body(other, switch_date="2030-02-28", customer_request=True))
        arrived = await asyncio.wait_for(waiting, timeout=10)
    assert [(i.application_no, i.spid, i.type) for i in items][:1] == [(filed.application_no, spid, "05")]
    assert {i.application_no for i in items} == {filed.application_no}
    assert again == []
    assert arrived.application_no == later.application_no


async def test_a_metering_file_is_listed_downloaded_and_parsed(live):
    from tests.files.helpers import LiveArea, build, deliver_events, reading_day, stored

    async with LiveArea(live) as area, client_for(live, "A0001") as c:
        cursor = ""
        while True:
            page = await c.list_files(cursor, per_page=100)
            cursor = page.next_cursor
            if not page.has_more:
                break
        built = await build(area, await reading_day(area, date(2026, 8, 1)), kind="monthly")
        assert await deliver_events(area) >= 1
        listed = [f async for f in c.iter_files(cursor)]
        got = await c.download_file(built[0]["file_id"])
        as_json = await c.download_file(built[0]["file_id"], format="json")
        want = await stored(area, built[0]["file_id"])
    assert [(f.file_id, f.type) for f in listed] == [(built[0]["file_id"], "W51220")]
    assert got.sha256 == hashlib.sha256(want["zip"]).hexdigest() == listed[0].sha256
    assert got.name == listed[0].name and got.revision == listed[0].revision
    doc = got.parse()
    assert str(doc.header.type) == "W51220" and doc.header.receiver_code == "A0001"
    assert doc.header.operation_mode == "1" and len(doc.points) == listed[0].points > 0
    assert all(len(p.spid) == 22 and p.total_kwh >= 0 for p in doc.points)
    assert parse_metering(as_json.content, "json") == want["json"]


def test_the_sync_client_answers_like_the_async_one(live):
    spid = point_of(live.world, "A0001")
    with SwitchhubClient(live.hub_base, **credentials(live, "A0001")) as c:
        point = c.lookup(spid)
        with pytest.raises(NotFound):
            c.lookup(UNKNOWN)
        relays = list(c.iter_relays(role="new", per_page=5))
    assert point.spid == spid and point.current_retailer_code == "A0001"
    assert all(r.new_retailer == "A0001" for r in relays)
    assert json.loads(point.model_dump_json())["spid"] == spid


async def test_usage_password_issued_picked_up_once_and_used_per_point_and_in_batch(live):
    from types import SimpleNamespace

    from switchhub.kernel.clock import get_clock
    from tests.usage.helpers import body, make_customer, points, put_month

    spids = points(live.world, 2, skip=110)
    area = SimpleNamespace(area_url=live.area_db)
    make_customer(area, spids)
    month = get_clock().today().replace(day=1)
    put_month(area, spids[0], month, "210.5000")
    async with client_for(live, "A0001") as applicant, client_for(live, "A0002") as other:
        filed = await applicant.request_usage_password(body(spids, consent_date=str(get_clock().today())))
        first = await applicant.usage_password_status(filed.application_no)
        second = await applicant.usage_password_status(filed.application_no)
        usage = await other.query_usage(spids[0], first.password, "切替提案のための料金試算")
        batch = await other.query_usage_batch(spids, first.password, "試算")
        with pytest.raises(Forbidden) as wrong:
            await other.query_usage(spids[0], "WRONG-PASSWORD-123", "試算")
    # usage.md: issued at once when name and address match (stage 06, verification auto); shown once
    assert (filed.stage, filed.verification, filed.points) == ("06", "auto", spids)
    assert first.password and second.password is None
    assert usage.spid == spids[0] and [(m.billing_month, m.kwh) for m in usage.months] == [
        (f"{month:%Y-%m}", "210.5000")]
    assert [(i.spid, i.outcome) for i in batch.items] == [(spids[0], "answered"), (spids[1], "answered")]
    assert batch.items[0].usage == usage
    assert wrong.value.status == 403 and wrong.value.code


async def test_an_application_corrected_then_withdrawn(live):
    spid = smart_point_of(live.world, "M0300", skip=145)
    async with client_for(live, "A0001") as c:
        filed = await c.switch_start(start_body(spid, switch_date="2030-02-28", customer_request=True))
        corrected = await c.correct_application(filed.application_no, {"switch_date": "2030-02-27"})
        withdrawn = await c.withdraw_application(filed.application_no, "お客さまの申し出")
        status = await c.application(filed.application_no)
    assert filed.switch_date == "2030-02-28" and corrected.switch_date == "2030-02-27"
    assert corrected.application_no == filed.application_no
    assert withdrawn.stage == status.stage == "07" and status.terminal  # domain.md: 07 withdrawn
