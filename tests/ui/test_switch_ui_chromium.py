"""The relay and switch pages in Chromium: A0001 registers a relay, M0300 decides OK, both file
their applications through the forms, and the status page shows the match."""

from __future__ import annotations

import os

import pytest

from tests.flow.helpers import smart_point_of
from tests.ui.test_ui_chromium import ARGS, CHROMIUM

pytestmark = [pytest.mark.ui, pytest.mark.skipif(not os.path.exists(CHROMIUM) and not os.environ.get("CI"),
                                                 reason="Debian chromium not installed (CI installs it)")]


def _login(browser, live, code: str):
    ident = live.world.clients[f"{code}-web"]
    context = browser.new_context(ignore_https_errors=True, locale="ja-JP", client_certificates=[
        {"origin": live.hub_base, "certPath": str(ident.cert), "keyPath": str(ident.key)}])
    page = context.new_page()
    page.goto(f"{live.hub_base}/login")
    page.fill("input[name=login_id]", f"{code.lower()}-user1")
    page.fill("input[name=password]", live.world.logins[f"{code.lower()}-user1"])
    page.click("button[type=submit]")
    page.wait_for_url(f"{live.hub_base}/")
    return page


def test_relay_and_switch_through_the_web_pages(live):
    from playwright.sync_api import sync_playwright

    spid = smart_point_of(live.world, "M0300", skip=40)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        new = _login(browser, live, "A0001")
        new.goto(f"{live.hub_base}/relays/new")
        new.fill("input[name=spid]", "123")
        new.click("button:has-text('登録')")
        assert "22桁" in new.inner_text("#spid-error")
        values = {"spid": spid, "current_retailer_code": "M0300", "contract_no": "K-1", "customer_name_kana": "ヤマダ タロウ",
                  "customer_name_kanji": "山田 太郎", "address": "東京都新宿区", "contact_name": "切替 花子",
                  "contact_phone": "03-1234-5678"}
        for name, value in values.items():
            new.fill(f"input[name={name}]", value)
        new.fill("input[name=requested_switch_date]", "2030-01-31")
        new.click("button:has-text('登録')")
        new.wait_for_selector("#relay-status")
        assert new.inner_text("#relay-status") == "判断待ち"
        relay_no = new.url.rsplit("/", 1)[1]

        cur = _login(browser, live, "M0300")
        cur.goto(f"{live.hub_base}/relays?role=current&area=03")
        cur.click(f"a:has-text('{relay_no}')")
        cur.fill("#decision-form input[name=staff_name]", "現 太郎")
        cur.check("#decision-form input[name=decision][value='01']")  # the form preselects nothing
        cur.click("#decision-form button[type=submit]")
        cur.wait_for_selector("#relay-status")
        assert cur.inner_text("#relay-status") == "判断済み(OK)"

        new.goto(f"{live.hub_base}/relays/{relay_no}")
        new.click("text=スイッチング開始申請へ")
        new.fill("input[name=contract_current]", "30")
        new.fill("input[name=customer_name_kana]", "ヤマダ タロウ")
        new.fill("input[name=customer_name_kanji]", "山田 太郎")
        new.fill("input[name=customer_phone]", "090-1234-5678")
        new.click("button:has-text('申し込む')")
        assert "同意" in new.inner_text("#consent-error")
        new.fill("input[name=contract_current]", "30")
        new.fill("input[name=customer_name_kana]", "ヤマダ タロウ")
        new.fill("input[name=customer_name_kanji]", "山田 太郎")
        new.fill("input[name=customer_phone]", "090-1234-5678")
        new.check("input[name=consent]")
        new.click("button:has-text('申し込む')")
        new.wait_for_selector("#stage")
        assert new.inner_text("#stage") == "04 マッチング待ち"
        start_no = new.url.rsplit("/", 1)[1]
        switch_date = new.locator("dt:has-text('スイッチング予定日') + dd").inner_text()

        cur.goto(f"{live.hub_base}/relays/{relay_no}")
        cur.click("text=スイッチング廃止申請へ")
        cur.fill("input[name=switch_date]", switch_date)
        cur.click("button:has-text('申し込む')")
        cur.wait_for_selector("#stage")
        assert cur.inner_text("#stage") == "05 マッチング済み"
        new.goto(f"{live.hub_base}/applications/{start_no}")
        assert new.inner_text("#stage") == "05 マッチング済み"
        new.screenshot(path="/tmp/switchhub-switch-ui.png", full_page=True)
        browser.close()
