"""OCCTO admin walk in Debian's Chromium over mutual TLS (issue 9 C): log in with TOTP, re-authenticate
for the admin pages, register an operator and its first admin, upload a client certificate (facts
shown before the confirm step) and suspend it. Screenshots: /tmp/switchhub-admin-occto-*.png."""

from __future__ import annotations

import os

import pytest

from tests.hub.admin_helpers import make_cert

CHROMIUM = "/usr/bin/chromium"
pytestmark = [pytest.mark.ui, pytest.mark.skipif(not os.path.exists(CHROMIUM) and not os.environ.get("CI"),
                                                 reason="Debian chromium not installed (CI installs it)")]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
SHOTS = "/tmp/switchhub-admin-occto-{}.png"


def test_occto_admin_registers_an_operator_and_a_certificate_then_suspends_it(live, tmp_path):
    import pyotp
    from playwright.sync_api import sync_playwright

    world = live.world
    password, totp = world.logins["oc000-admin"], pyotp.TOTP(world.totp["oc000-admin"])
    pem, fingerprint, subject = make_cert(world, "a0998-web", operator="A0998")
    pem_file = tmp_path / "a0998-web.pem"
    pem_file.write_text(pem)
    ident = world.clients["OC000-web"]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(ignore_https_errors=True, locale="ja-JP", client_certificates=[
            {"origin": live.hub_base, "certPath": str(ident.cert), "keyPath": str(ident.key)}])
        page = context.new_page()
        problems: list[str] = []  # CSP violations and script errors surface as console errors
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)

        page.goto(f"{live.hub_base}/login")
        page.fill("input[name=login_id]", "oc000-admin")
        page.fill("input[name=password]", password)
        page.fill("input[name=otp]", totp.now())
        page.click("button[type=submit]")
        page.wait_for_url(f"{live.hub_base}/")

        page.click("#nav-admin-operators")  # admin pages ask for the password again
        page.wait_for_url("**/reauth?next=/admin/operators")
        page.fill("input[name=password]", password)
        page.fill("input[name=otp]", totp.now())
        page.click("main button[type=submit]")  # not the header's log-out button
        page.wait_for_url(f"{live.hub_base}/admin/operators")
        assert page.locator("#operators tbody tr").count() >= 4
        page.screenshot(path=SHOTS.format("operators"), full_page=True)

        page.click("#operator-new")
        page.fill("input[name=code]", "A0998")
        page.select_option("select[name=kind]", "retailer")
        page.fill("input[name=name]", "ブラウザ電力株式会社")
        page.fill("input[name=name_kana]", "ブラウザデンリョク")
        page.fill("input[name=contact_name]", "佐藤花子")
        page.fill("input[name=contact_phone]", "03-5555-0000")
        page.fill("input[name=email]", "info@localhost")  # the browser takes it, the hub wants a domain
        page.check("#areas-field input[value='03']")
        page.click("#operator-submit")
        assert "メールアドレスの形式が正しくありません" in page.locator("#email-error").inner_text()
        page.screenshot(path=SHOTS.format("operator-error"), full_page=True)
        page.fill("input[name=email]", "info@browser-denryoku.example")
        page.click("#operator-submit")
        page.wait_for_url("**/admin/operators/A0998?done=registered")
        assert page.locator("#done").inner_text() == "事業者を登録しました"

        page.fill("#admin-user-form input[name=login_id]", "a0998-admin")
        page.fill("#admin-user-form input[name=display_name]", "ブラウザ管理者")
        page.fill("#admin-user-form input[name=email]", "admin@browser-denryoku.example")
        page.click("#admin-user-submit")
        page.wait_for_selector("#admin-created")
        assert page.locator("#created-login").inner_text() == "a0998-admin"
        assert len(page.locator("#created-password").inner_text()) >= 12
        assert page.locator("#created-totp").inner_text().startswith("otpauth://totp/")
        page.screenshot(path=SHOTS.format("first-admin"), full_page=True)

        page.click("text=証明書を登録")
        page.wait_for_url("**/admin/certificates/new?operator_code=A0998")
        page.set_input_files("input[name=file]", str(pem_file))
        page.select_option("select[name=purpose]", "web")
        page.click("#certificate-inspect")
        page.wait_for_selector("#certificate-facts")
        assert page.locator("#facts-fingerprint").inner_text() == fingerprint
        assert page.locator("#facts-subject").inner_text() == subject
        page.screenshot(path=SHOTS.format("certificate-confirm"), full_page=True)
        page.click("#certificate-register")
        page.wait_for_url("**/admin/certificates?operator_code=A0998&done=registered")
        row = page.locator(f"tr[data-fingerprint='{fingerprint}']")
        assert row.locator(".cert-status").inner_text() == "有効"
        page.screenshot(path=SHOTS.format("certificates"), full_page=True)

        row.locator("button.cert-suspend").click()
        page.wait_for_url("**done=suspended")
        row = page.locator(f"tr[data-fingerprint='{fingerprint}']")
        assert row.locator(".cert-status").inner_text() == "利用停止"
        page.screenshot(path=SHOTS.format("certificate-suspended"), full_page=True)
        assert page.evaluate("typeof window.htmx") == "object"  # the vendored htmx loaded under the CSP
        browser.close()
    # the one 4xx of the walk is the form sent back with its field error (422), on purpose
    assert [p for p in problems if "/admin/operators/new" not in p and "422" not in p] == [], problems
