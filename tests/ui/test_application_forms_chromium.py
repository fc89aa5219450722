"""One filing form per channel in Chromium: a customer change at a low-voltage point (the current
values shown first, No.43/52), a termination at a high-voltage point (removal only: the field error,
then the removal with its site contact), and a generator change (受電者情報変更) at a FIT point."""

from __future__ import annotations

import os

import pytest

from tests.flow.test_application_types import supplied
from tests.hub.helpers import area_template_url
from tests.support import execute
from tests.ui.test_switch_ui_chromium import _login
from tests.ui.test_ui_chromium import ARGS, CHROMIUM

pytestmark = [pytest.mark.ui, pytest.mark.skipif(not os.path.exists(CHROMIUM) and not os.environ.get("CI"),
                                                 reason="Debian chromium not installed (CI installs it)")]


def test_one_form_per_channel(live):
    from playwright.sync_api import sync_playwright

    low = supplied(live.world, "M0300", skip=310)
    high = supplied(live.world, "M0300", channel="high", skip=3)
    fit = supplied(live.world, "M0300", channel="low_fit", skip=3)
    name = execute(area_template_url(live.world),
                   "SELECT name_kanji FROM customer_periods WHERE spid = %s AND valid_to IS NULL", (low,))[0][0]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = _login(browser, live, "M0300")

        # low voltage: the customer change shows the current values, then files the new phone
        page.goto(f"{live.hub_base}/applications/new?kind=customer-change")
        page.fill("form.inline-form input[name=spid]", low)
        page.click("button:has-text('現在の値を表示')")
        page.wait_for_selector("#current-values")
        assert page.inner_text("#current-customer_name_kanji") == name
        page.fill("#application-form input[name=customer_phone]", "03-5555-6666")
        page.click("#application-form button:has-text('申し込む')")
        page.wait_for_selector("#stage")
        assert page.inner_text("h1").startswith("需要者情報変更")

        # high voltage: a termination without removal is refused on its field, then filed as 廃止・撤去
        page.goto(f"{live.hub_base}/applications/new?kind=termination")
        page.fill("#application-form input[name=spid]", high)
        page.click("#application-form button:has-text('申し込む')")
        assert "計器撤去" in page.inner_text("#remove_meter-error")
        page.check("#application-form input[name=remove_meter]")
        page.fill("#application-form input[name=contact_name]", "現地 太郎")
        page.fill("#application-form input[name=contact_phone]", "03-1234-5678")
        page.click("#application-form button:has-text('申し込む')")
        page.wait_for_selector("#stage")
        assert page.inner_text("h1").startswith("廃止・撤去")

        # FIT: the generator change is type 17 受電者情報変更
        page.goto(f"{live.hub_base}/applications/new?kind=customer-change")
        page.fill("#application-form input[name=spid]", fit)
        page.fill("#application-form input[name=customer_phone]", "03-7777-8888")
        page.click("#application-form button:has-text('申し込む')")
        page.wait_for_selector("#stage")
        assert page.inner_text("h1").startswith("受電者情報変更")
        browser.close()
