"""The current retailer's worklist in Chromium: the portal tile and the nav badge (loaded by htmx
under the CSP) count relays awaiting my decision; the relay list shows the decision deadline; the
decision form preselects nothing, says 判断を選択してください when sent without a choice, and an NG
with a reason shows the history in Japanese."""

from __future__ import annotations

import asyncio
import os

import pytest

from tests.flow.helpers import smart_point_of
from tests.flow.test_switch_api import relay_body
from tests.ui.test_switch_ui_chromium import _login
from tests.ui.test_ui_chromium import ARGS, CHROMIUM

pytestmark = [pytest.mark.ui, pytest.mark.skipif(not os.path.exists(CHROMIUM) and not os.environ.get("CI"),
                                                 reason="Debian chromium not installed (CI installs it)")]


def _register(live, spid: str) -> dict:
    async def go() -> dict:
        async with live.client("A0001") as c:
            r = await c.post("/api/v1/relays", json=relay_body(spid, requested_switch_date="2030-01-31"))
            assert r.status_code == 201, r.text
            return r.json()
    return asyncio.run(go())


def test_decision_form_without_default_badge_and_history_labels(live):
    from playwright.sync_api import sync_playwright

    relay = _register(live, smart_point_of(live.world, "M0300", skip=45))
    relay_no = relay["relay_no"]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = _login(browser, live, "M0300")
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)
        page.goto(f"{live.hub_base}/")
        waiting = int(page.inner_text("#awaiting-count"))
        assert waiting >= 1  # at least ours (the live hub is shared with other tests)
        page.wait_for_selector("a#relay-badge.badge")  # swapped in by htmx
        assert page.inner_text("a#relay-badge") == str(waiting)

        page.goto(f"{live.hub_base}/relays?role=current&status=01")
        assert "判断期限" in page.inner_text("#relay-table thead")
        row = page.locator(f"#relay-table tr:has(a:has-text('{relay_no}'))")
        assert row.locator("td.deadline").inner_text() == relay["decision_deadline"]
        row.locator(f"a:has-text('{relay_no}')").click()

        page.wait_for_selector("#decision-form")
        ok, ng = "#decision-form input[name=decision][value='01']", "#decision-form input[name=decision][value='02']"
        assert not page.is_checked(ok) and not page.is_checked(ng)
        page.fill("#decision-form input[name=staff_name]", "現 太郎")
        page.click("#decision-form button[type=submit]")
        page.wait_for_selector("#decision-error")
        assert page.inner_text("#decision-error") == "判断を選択してください"
        assert page.inner_text("#relay-status") == "判断待ち"
        assert not page.is_checked(ok) and not page.is_checked(ng)

        page.check(ng)
        page.check("#decision-form input[name=ng_reasons][value='4']")
        page.click("#decision-form button[type=submit]")
        page.wait_for_selector("#relay-history")
        assert page.inner_text("#relay-status") == "判断済み(NG)"
        assert "契約名義不一致" in page.inner_text("dl.fields")
        history = page.inner_text("#relay-history")
        assert "判断待ち → 判断済み(NG)" in history and "NG判断" in history and "登録" in history
        assert "decided_ng" not in history and "registered" not in history
        page.screenshot(path="/tmp/switchhub-worklist-relay.png", full_page=True)

        page.goto(f"{live.hub_base}/")
        assert int(page.inner_text("#awaiting-count")) == waiting - 1
        browser.close()
    assert problems == []
