"""The metering data page in Chromium: a retailer filters its files by type (種別) and downloads a
ZIP through the page's link (a real browser download), which holds exactly one XML and is the file
the area stored."""

from __future__ import annotations

import asyncio
import hashlib
import os
import zipfile
from datetime import date

import pytest

from tests.files.helpers import LiveArea, build, deliver_events, stored
from tests.ui.test_switch_ui_chromium import _login
from tests.ui.test_ui_chromium import ARGS, CHROMIUM

pytestmark = [pytest.mark.ui, pytest.mark.skipif(not os.path.exists(CHROMIUM) and not os.environ.get("CI"),
                                                 reason="Debian chromium not installed (CI installs it)")]


def _download(page, link):
    """The file behind a link (the server's Content-Disposition makes it a download; the link has no
    `download` attribute, so a refusal is shown as the page it is rather than saved as a file)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        with page.expect_download(timeout=20_000) as info:
            link.click()
    except PlaywrightTimeout:
        pytest.fail(f"no download; the browser shows {page.url}: {page.inner_text('main')[:500]}")
    download = info.value
    assert download.failure() is None, download.failure()
    return download


def _build_two(live) -> tuple[dict, dict, bytes]:
    """A0001's past-day file and one today file (slot 20) of the same day, built by the area."""
    async def go() -> tuple[dict, dict, bytes]:
        async with LiveArea(live) as area:
            [past] = await build(area, date(2026, 9, 14))
            [today] = await build(area, date(2026, 9, 14), kind="today", slot=20)
            await deliver_events(area)
            return past, today, (await stored(area, today["file_id"]))["zip"]
    return asyncio.run(go())


def test_filter_by_type_and_download_a_zip(live, tmp_path):
    from playwright.sync_api import sync_playwright

    past, today, today_zip = _build_two(live)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = _login(browser, live, "A0001")
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.click("nav a[href='/metering']")
        page.wait_for_selector("#metering-table")
        assert page.locator(f"tr[data-file-id='{past['file_id']}']").count() == 1
        page.select_option("#filter-type", "W41110")
        page.fill("#metering-filter input[name=date_from]", "2026-09-14")
        page.fill("#metering-filter input[name=date_to]", "2026-09-14")
        page.click("#metering-submit")
        page.wait_for_url("**/metering?type=W41110*")
        rows = page.locator("#metering-table tr.metering-row")
        assert rows.count() == 1
        row = page.locator(f"tr[data-file-id='{today['file_id']}']")
        cells = row.locator("td").all_inner_texts()
        slot = f"{today['slot_time'][:2]}:{today['slot_time'][2:]}"
        assert cells[1:5] == ["30分電力量（低圧・当日）", f"2026-09-14 {slot}", "1", str(today["points"])]
        download = _download(page, row.locator("a.download-zip"))
        assert download.suggested_filename == today["name"]
        saved = tmp_path / download.suggested_filename
        download.save_as(saved)
        page.screenshot(path="/tmp/switchhub-metering.png", full_page=True)
        browser.close()
    with zipfile.ZipFile(saved) as z:
        [inner] = z.namelist()
        assert inner.endswith(".xml") and z.read(inner).startswith(b"<?xml")
    assert hashlib.sha256(saved.read_bytes()).hexdigest() == hashlib.sha256(today_zip).hexdigest()
    assert problems == []
