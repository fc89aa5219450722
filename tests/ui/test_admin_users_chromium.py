"""Retailer admin in Debian's Chromium (issue 9 D): log in with TOTP, re-authenticate for the admin
pages, create a user and see its one-time password once; the new user logs in with it and must
change the password first. Screenshots: /tmp/switchhub-admin-users-*.png (test artifacts)."""

from __future__ import annotations

import os
import uuid

import pyotp
import pytest

CHROMIUM = "/usr/bin/chromium"
pytestmark = [pytest.mark.ui, pytest.mark.skipif(not os.path.exists(CHROMIUM) and not os.environ.get("CI"),
                                                 reason="Debian chromium not installed (CI installs it)")]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
SHOTS = "/tmp/switchhub-admin-users-{}.png"


def _context(browser, live, ident):
    return browser.new_context(ignore_https_errors=True, locale="ja-JP", client_certificates=[
        {"origin": live.hub_base, "certPath": str(ident.cert), "keyPath": str(ident.key)}])


def _watch(page, problems: list[str]) -> None:
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))


def _login(page, live, login_id: str, password: str, otp: str = "") -> None:
    page.goto(f"{live.hub_base}/login")
    page.fill("input[name=login_id]", login_id)
    page.fill("input[name=password]", password)
    if otp:
        page.fill("input[name=otp]", otp)
    page.click("button[type=submit]")


def test_retailer_admin_creates_a_user_who_must_change_the_password(live):
    from playwright.sync_api import sync_playwright

    world = live.world
    admin, secret = "a0001-admin", world.totp["a0001-admin"]
    new_id = f"a0001-ui{uuid.uuid4().hex[:6]}"  # the live hub is shared by the session's UI tests
    ident = world.clients["A0001-web"]
    problems: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = _context(browser, live, ident).new_page()
        _watch(page, problems)
        _login(page, live, admin, world.logins[admin], pyotp.TOTP(secret).now())
        page.wait_for_url(f"{live.hub_base}/")
        page.click("#nav-users")
        page.wait_for_url(f"{live.hub_base}/reauth?next=/admin/users")  # admin pages ask for the password again
        page.fill("input[name=password]", world.logins[admin])
        page.fill("input[name=otp]", pyotp.TOTP(secret).now())
        page.screenshot(path=SHOTS.format("reauth"), full_page=True)
        page.click("#reauth-form button[type=submit]")
        page.wait_for_url(f"{live.hub_base}/admin/users")
        assert "a0001-user1" in page.inner_text("#user-table")
        page.screenshot(path=SHOTS.format("list"), full_page=True)
        page.click("#user-new-link")
        page.fill("#login_id", new_id)
        page.fill("#display_name", "画面 試験")
        page.fill("#email", "ui@a0001.example")
        page.select_option("#role", "general")
        page.click("#user-create")
        page.wait_for_selector("#initial-password")
        password = page.inner_text("#initial-password").strip()
        assert len(password) >= 12 and "二度と表示されません" in page.inner_text("#shown-once")
        page.screenshot(path=SHOTS.format("created"), full_page=True)
        page.click("#to-user")
        page.wait_for_url(f"{live.hub_base}/admin/users/{new_id}")
        assert page.locator("#initial-password").count() == 0 and password not in page.content()
        page.screenshot(path=SHOTS.format("detail"), full_page=True)

        page2 = _context(browser, live, ident).new_page()
        _watch(page2, problems)
        _login(page2, live, new_id, password)
        page2.wait_for_url(f"{live.hub_base}/password")  # the one-time password must be changed first
        page2.goto(f"{live.hub_base}/facility")
        assert page2.url == f"{live.hub_base}/password"
        page2.wait_for_load_state("networkidle")
        assert page2.locator("form[action='/password']").count() == 1  # no page swapped into the nav badge
        assert "ワンタイムパスワードでログインしました" in page2.inner_text("#password-one-time")
        page2.screenshot(path=SHOTS.format("must-change"), full_page=True)
        page2.fill("input[name=current_password]", password)
        page2.fill("input[name=new_password]", "Gamen-Shiken-2026!")
        page2.fill("input[name=new_password_again]", "Gamen-Shiken-2026!")
        page2.click("form[action='/password'] button[type=submit]")
        page2.wait_for_selector("#password-changed")
        page2.screenshot(path=SHOTS.format("password-changed"), full_page=True)
        page2.goto(f"{live.hub_base}/facility")
        assert page2.url == f"{live.hub_base}/facility"
        assert not problems, problems
        browser.close()
