"""The relay bulk upload in Chromium: portal tile → choose a CP932 file → validation report →
choose "OKの行だけ登録" → 登録する → result with the relay numbers, and the result CSV downloaded."""

from __future__ import annotations

import csv
import io
import os

import pytest

from tests.bulk.helpers import RELAY_HEADER, csv_bytes, points_of, relay_row
from tests.ui.test_switch_ui_chromium import _login
from tests.ui.test_ui_chromium import ARGS, CHROMIUM

pytestmark = [pytest.mark.ui, pytest.mark.skipif(not os.path.exists(CHROMIUM) and not os.environ.get("CI"),
                                                 reason="Debian chromium not installed (CI installs it)")]


def test_relay_file_upload_with_the_confirmation_step(live):
    from playwright.sync_api import sync_playwright

    spids = points_of(live.world, "M0300", 2, offset=300)
    body = csv_bytes(RELAY_HEADER, [relay_row(spids[0], kanji="髙橋 ①"), relay_row(spids[1], current="Z9999")],
                     "cp932")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = _login(browser, live, "A0001")
        page.click("#tile-relays-bulk")
        page.set_input_files("input[name=file]", files=[{"name": "relays.csv", "mimeType": "text/csv",
                                                         "buffer": body}])
        page.click("button:has-text('検証する')")
        page.wait_for_selector("#bulk-issues")
        assert page.inner_text("#bulk-message") == "2 行を検証しました（OK 1 行、NG 1 行）。登録はしていません"
        ng = page.inner_text("#bulk-issues tr.ng")
        assert "3" in ng and "現小売事業者コード" in ng and "事業者コード Z9999 の小売電気事業者は登録されていません" in ng
        page.check("input[name=mode][value=valid_rows]")
        page.click("button:has-text('登録する')")
        page.wait_for_selector("#bulk-message:has-text('登録しました')")
        assert page.inner_text("#bulk-message") == "1 行を登録しました（NG 1 行は登録していません）"
        number = page.inner_text("#bulk-issues tr.ok td.number")
        assert number.startswith("R") and len(number) == 16
        with page.expect_download() as info:
            page.click("#download-utf8")
        with open(info.value.path(), encoding="utf-8-sig") as f:
            lines = list(csv.reader(io.StringIO(f.read())))
        assert lines[1][:3] == ["2", "登録済", number]
        page.goto(f"{live.hub_base}/relays/{number}")
        assert page.inner_text("#relay-status") == "判断待ち"
        browser.close()
