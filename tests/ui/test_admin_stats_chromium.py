"""Statistics and the anomaly report in Chromium (issue 9 F): a retailer's user opens the statistics page
from the nav, changes the filters with the keyboard-usable form and sees the SVG charts and the table;
OCCTO's helpdesk opens the anomaly report (re-authenticating first), is refused an empty note next to
the field, and acknowledges a finding with a note. No CSP violation or script error on the way.
Screenshots: /tmp/switchhub-admin-stats-*.png."""

from __future__ import annotations

import json
import os
from datetime import date

import pyotp
import pytest

from tests.support import execute
from tests.ui.test_ui_chromium import ARGS, CHROMIUM

pytestmark = [pytest.mark.ui, pytest.mark.skipif(not os.path.exists(CHROMIUM) and not os.environ.get("CI"),
                                                 reason="Debian chromium not installed (CI installs it)")]
MONTHS = [date(2025, m, 1) for m in range(1, 13)]


def _seed(live) -> list[int]:
    """Published figures for 2025 (a closed year: no refresh job touches it) and two open findings."""
    rows = []
    for i, month in enumerate(MONTHS):
        for area, base in (("03", 120), ("06", 70), ("09", 40)):
            rows.append(f"('month', '{month}', '{area}', 'application:05', {base + 7 * i}, now())")
            rows.append(f"('month', '{month}', '{area}', 'lookup', {base * 5 + i}, now())")
    execute(live.hub_db, "DELETE FROM statistics WHERE period_start BETWEEN '2025-01-01' AND '2025-12-31'")
    execute(live.hub_db, "INSERT INTO statistics (period_kind, period_start, area, metric, value, refreshed_at)"
                          " VALUES " + ", ".join(rows))
    ids = []
    for n, (kind, user, figures) in enumerate((
            ("lookup_volume", "a0001-ui-heavy", {"lookups": 1500, "operator_median": 35.0}),
            ("many_certificates", "a0002-ui-shared", {"certificates": 5}))):
        ids += [r[0] for r in execute(
            live.hub_db, "INSERT INTO anomaly_findings (kind, operator_code, user_login, window_start, window_end,"
                          " figures, found_at) VALUES (%s, %s, %s, %s, %s, %s, now()) RETURNING id",
            (kind, user[:5].upper(), user, f"2025-11-{10 + n}T00:00+09:00", f"2025-11-{17 + n}T00:00+09:00",
             json.dumps(figures)))]
    return ids


def _context(browser, live, code: str):
    ident = live.world.clients[f"{code}-web"]
    return browser.new_context(ignore_https_errors=True, locale="ja-JP", client_certificates=[
        {"origin": live.hub_base, "certPath": str(ident.cert), "keyPath": str(ident.key)}])


def _login(page, live, login: str) -> None:
    page.goto(f"{live.hub_base}/login")
    page.fill("input[name=login_id]", login)
    page.fill("input[name=password]", live.world.logins[login])
    if login in live.world.totp:
        page.fill("input[name=otp]", pyotp.TOTP(live.world.totp[login]).now())
    page.click("button[type=submit]")
    page.wait_for_url(f"{live.hub_base}/")


def test_statistics_page_and_anomaly_acknowledgement(live):
    from playwright.sync_api import sync_playwright

    finding_id, _ = _seed(live)
    problems: list[str] = []

    def watch(m) -> None:  # noqa: ANN001
        if m.type == "error" and "status of 422" not in m.text:
            problems.append(m.text)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        retailer = _context(browser, live, "A0001").new_page()
        retailer.on("console", watch)
        _login(retailer, live, "a0001-user1")
        retailer.click("#nav-statistics")
        retailer.wait_for_selector("#statistics-filter")
        retailer.fill("#stat-from", "2025-01-01")
        retailer.fill("#stat-to", "2025-12-31")
        retailer.focus("#stat-metric")
        retailer.select_option("#stat-metric", "application:05")
        retailer.keyboard.press("Tab")
        retailer.press("#stat-to", "Enter")  # the form submits from the keyboard
        retailer.wait_for_selector("#chart-trend")
        assert retailer.locator("svg.chart").count() == 2
        assert retailer.locator("#chart-trend polyline").count() == 10  # one line per area
        assert retailer.locator("#chart-areas g.bar").count() == 10
        tokyo_total = sum(120 + 7 * i for i in range(12))
        assert f"東京: {tokyo_total}" in retailer.locator("#chart-areas").inner_html()
        first_row = retailer.locator("#statistics-table tbody tr").first.inner_text()
        assert first_row.startswith("2025-01-01") and retailer.locator("#statistics-table tbody tr").count() == 20
        retailer.screenshot(path="/tmp/switchhub-admin-stats-statistics.png", full_page=True)

        helpdesk = _context(browser, live, "OC000").new_page()
        helpdesk.on("console", watch)
        _login(helpdesk, live, "oc000-helpdesk")
        helpdesk.click("#nav-anomalies")
        helpdesk.wait_for_url("**/reauth**")  # the report is an admin page: password (+ TOTP) again
        helpdesk.fill("input[name=password]", live.world.logins["oc000-helpdesk"])
        if "oc000-helpdesk" in live.world.totp:
            helpdesk.fill("input[name=otp]", pyotp.TOTP(live.world.totp["oc000-helpdesk"]).now())
        helpdesk.click("#reauth-form button[type=submit]")
        helpdesk.wait_for_selector(f"#finding-{finding_id}")
        assert "照会件数が事業者の通常を大きく超過" in helpdesk.inner_text(f"#finding-{finding_id}")
        helpdesk.click(f"#ack-{finding_id}")  # an empty note: the field's message next to it
        helpdesk.wait_for_selector(f"#note-{finding_id}-error")
        assert "確認メモを入力してください" in helpdesk.inner_text(f"#note-{finding_id}-error")
        helpdesk.fill(f"#note-{finding_id}", "業務委託先の一括照会と確認（電話で確認済み）")
        helpdesk.click(f"#ack-{finding_id}")
        helpdesk.wait_for_url("**/anomalies?status=all**")
        row = helpdesk.inner_text(f"#finding-{finding_id}")
        assert "確認済み" in row and "oc000-helpdesk" in row and "業務委託先の一括照会" in row
        helpdesk.screenshot(path="/tmp/switchhub-admin-stats-anomalies.png", full_page=True)
        browser.close()
    assert problems == []
    acked = execute(live.hub_db, "SELECT status, acknowledged_by FROM anomaly_findings WHERE id = %s", (finding_id,))
    assert acked == [("acknowledged", "oc000-helpdesk")]
