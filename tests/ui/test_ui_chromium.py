"""Login → search → lookup in Debian's Chromium, against the hub served over mutual TLS."""

from __future__ import annotations

import os

import pytest

from tests.hub.helpers import area_template_url
from tests.support import execute

CHROMIUM = "/usr/bin/chromium"
pytestmark = [pytest.mark.ui, pytest.mark.skipif(not os.path.exists(CHROMIUM) and not os.environ.get("CI"),
                                                 reason="Debian chromium not installed (CI installs it)")]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def test_login_search_and_lookup_in_chromium(live):
    from playwright.sync_api import sync_playwright

    world = live.world
    spid, pref, city, town, name = execute(
        area_template_url(world),
        "SELECT p.spid, p.prefecture, p.city, p.town, c.name_kanji FROM supply_points p"
        " JOIN supply_periods s ON s.area = p.area AND s.spid = p.spid AND s.valid_to IS NULL"
        " JOIN customer_periods c ON c.area = p.area AND c.spid = p.spid AND c.valid_to IS NULL"
        " WHERE p.area = '03' AND s.retailer_code = 'M0300' ORDER BY p.spid LIMIT 1")[0]
    ident = world.clients["M0300-web"]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(ignore_https_errors=True, locale="ja-JP", client_certificates=[
            {"origin": live.hub_base, "certPath": str(ident.cert), "keyPath": str(ident.key)}])
        page = context.new_page()
        problems: list[str] = []  # CSP violations and script errors surface as console errors
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)
        page.goto(f"{live.hub_base}/")
        assert page.url.endswith("/login")
        page.fill("input[name=login_id]", "m0300-user1")
        page.fill("input[name=password]", "wrong-password-123")
        page.click("button[type=submit]")
        assert page.locator("#login-error").inner_text() == "ユーザIDもしくはパスワードが不正です"
        page.fill("input[name=login_id]", "m0300-user1")
        page.fill("input[name=password]", world.logins["m0300-user1"])
        page.click("button[type=submit]")
        page.wait_for_url(f"{live.hub_base}/")
        assert "東京電力エナジーパートナー" in page.content()
        page.click("text=供給地点特定番号検索")
        page.fill("input[name=prefecture]", pref)
        page.fill("input[name=city]", city)
        page.fill("input[name=town]", town)
        page.click("button:has-text('検索')")
        page.wait_for_selector("#search-result")
        assert page.locator("#count").inner_text().split()[0].isdigit()
        page.screenshot(path="/tmp/switchhub-ui-search.png", full_page=True)
        link = page.locator(f"a[href='/facility/{spid}']")
        assert link.count() == 1, "searched point not listed on the first page"
        link.first.click()
        page.wait_for_selector("#facility-result")
        body = page.inner_text("#facility-result")
        assert spid in body and name in body
        assert page.url == f"{live.hub_base}/facility/{spid}"
        assert page.evaluate("typeof window.htmx") == "object"  # the vendored htmx loaded under the CSP
        assert page.evaluate("document.fonts.check('16px \"Noto Sans CJK JP\"', '需要者')")
        page.screenshot(path="/tmp/switchhub-ui.png", full_page=True)
        assert not problems, problems
        browser.close()
