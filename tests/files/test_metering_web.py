"""The 計量データ page over HTTP: the same files, filters and checks as the API (it calls the same
service), the revision history visible with 全版, downloads audited as web.metering_file.download,
and another retailer's file "not found" on the Web too."""

from __future__ import annotations

import hashlib
import re
from contextlib import asynccontextmanager
from datetime import date, timedelta

from tests.files.helpers import BUILT_AT, build, deliver_events, reading_day, stored
from tests.files.test_metering_files_api import _correct, _low
from tests.hub.helpers import audit_rows, web_login


@asynccontextmanager
async def _logged_in(stack, code: str):
    async with stack.client(code, "web", token=None) as client:
        login = f"{code.lower()}-user1"
        r = await web_login(client, login, stack.world.logins[login])
        assert r.status_code == 303, r.text[:200]
        yield client


def _rows(page: str) -> list[str]:
    return re.findall(r'data-file-id="([^"]+)"', page)


async def test_the_page_lists_filters_and_downloads_like_the_api(stack):
    r1 = _low(await build(stack, date(2026, 11, 28)))
    await _correct(stack, date(2026, 11, 28))
    r2 = _low(await build(stack, date(2026, 11, 28), now=BUILT_AT + timedelta(hours=1)))
    month = _low(await build(stack, await reading_day(stack, date(2026, 11, 1)), kind="monthly"))
    await deliver_events(stack)
    async with _logged_in(stack, "A0001") as c:
        page = await c.get("/metering")
        assert page.status_code == 200 and "計量データ一覧" in page.text and 'href="/metering"' in page.text
        assert _rows(page.text) == [month["file_id"], r2["file_id"]]  # newest first, latest revisions
        every = (await c.get("/metering", params={"revision": "all"})).text
        assert _rows(every) == [month["file_id"], r2["file_id"], r1["file_id"]]
        assert "（訂正済み）" in every and "30分電力量（低圧・過去日）" in every and "確定使用量（低圧）" in every
        only = (await c.get("/metering", params={"type": "W51220"})).text
        assert _rows(only) == [month["file_id"]] and "2026-11" in only
        by_day = (await c.get("/metering", params={"date_from": "2026-11-28", "date_to": "2026-11-28",
                                                   "revision": "all"})).text
        assert _rows(by_day) == [r2["file_id"], r1["file_id"]]
        reversed_range = await c.get("/metering", params={"date_from": "2026-11-29", "date_to": "2026-11-28"})
        assert reversed_range.status_code == 200 and 'id="date_to-error"' in reversed_range.text
        assert _rows(reversed_range.text) == []
        got = await c.get(f"/metering/files/{r2['file_id']}", params={"format": "zip"})
        js = await c.get(f"/metering/files/{r2['file_id']}", params={"format": "json"})
    area = await stored(stack, r2["file_id"])
    assert got.status_code == 200 and hashlib.sha256(got.content).digest() == hashlib.sha256(area["zip"]).digest()
    assert js.status_code == 200 and js.json() == area["json"]
    rows = audit_rows(stack.hub_url, "web.metering_file.download")
    assert [(r["user_login"], r["resource_ids"], r["purpose"], r["detail"]["format"]) for r in rows] == [
        ("a0001-user1", [r2["file_id"]], "metering", "zip"), ("a0001-user1", [r2["file_id"]], "metering", "json")]

    async with _logged_in(stack, "A0002") as other:
        assert _rows((await other.get("/metering", params={"revision": "all"})).text) == []
        refused = await other.get(f"/metering/files/{r2['file_id']}")
    assert refused.status_code == 404 and "指定された計量データファイルはありません" in refused.text
    async with _logged_in(stack, "T0300") as tso:
        seen = (await tso.get("/metering", params={"type": "W51220"})).text
    assert month["file_id"] in _rows(seen) and "<th>小売電気事業者</th>" in seen


async def test_older_files_page_back_without_gaps(stack, monkeypatch):
    from switchhub.hub.web import metering_views

    built = []
    for day in (20, 21, 22):
        built += await build(stack, date(2026, 11, day))
    await deliver_events(stack)
    monkeypatch.setattr(metering_views, "PER_PAGE", 1)
    seen, url = [], "/metering?type=W41120"
    async with _logged_in(stack, "A0001") as c:
        while url:
            page = (await c.get(url)).text
            seen += _rows(page)
            more = re.search(r'id="metering-older" href="([^"]+)"', page)
            url = "/metering" + more.group(1).replace("&amp;", "&") if more else ""
    assert seen == [f["file_id"] for f in reversed(built)]
