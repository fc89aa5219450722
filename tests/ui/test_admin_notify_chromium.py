"""Issue 9 (E) in Debian's Chromium against the hub served over mutual TLS: a retailer admin sets up a
webhook to a local HTTPS receiver started here, presses the test button and sees the test delivery
arrive (a correctly signed POST) and listed as delivered in the log; an OCCTO admin publishes a notice
and a retailer user sees it on the portal with the unread count. Screenshots: /tmp/switchhub-admin-notify-*.png.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import uuid

import pyotp
import pytest

from switchhub.hub.notify.delivery import SmtpConfig, deliver_due, verify_signature
from switchhub.hub.notify.urlpolicy import WebhookPolicy
from tests.flow.test_outbox_and_notify import (
    HOOK_HOST,
    HttpsReceiver,
    ScriptedResolver,
    trusting,
    webhook_certs,
)
from tests.ui.test_ui_chromium import ARGS, CHROMIUM

pytestmark = [pytest.mark.ui, pytest.mark.skipif(not os.path.exists(CHROMIUM) and not os.environ.get("CI"),
                                                 reason="Debian chromium not installed (CI installs it)")]
SHOTS = "/tmp/switchhub-admin-notify-{}.png"


@pytest.fixture
def hooks_live(world):
    """A live hub with hooks.test on the webhook allow-list (→ 127.0.0.1 by the injected resolver)."""
    from tests.live import start_live, stop_live

    live = start_live(world, tag=f"notify_ui_{uuid.uuid4().hex[:6]}",
                      settings_changes={"webhook_allowed_hosts": frozenset({HOOK_HOST})})
    live.hub_app.state.webhook_resolver = ScriptedResolver({HOOK_HOST: [["127.0.0.1"]]})
    yield live
    stop_live(live)


class ThreadedReceiver:
    """The flow tests' HTTPS receiver on its own event loop (the browser drives the main thread)."""

    def __init__(self, cert) -> None:
        self.loop = asyncio.new_event_loop()
        self.receiver = HttpsReceiver(cert)
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> HttpsReceiver:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.receiver.__aenter__(), self.loop).result(10)
        return self.receiver

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.receiver.__aexit__(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


def _browser_page(pw, live, operator: str, problems: list[str]):
    ident = live.world.clients[f"{operator}-web"]
    browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
    context = browser.new_context(ignore_https_errors=True, locale="ja-JP", client_certificates=[
        {"origin": live.hub_base, "certPath": str(ident.cert), "keyPath": str(ident.key)}])
    page = context.new_page()
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    return browser, page


def _login(page, live, login_id: str) -> None:
    world = live.world
    page.goto(f"{live.hub_base}/login")
    page.fill("input[name=login_id]", login_id)
    page.fill("input[name=password]", world.logins[login_id])
    if login_id in world.totp:
        page.fill("input[name=otp]", pyotp.TOTP(world.totp[login_id]).now())
    page.click("button[type=submit]")
    page.wait_for_url(f"{live.hub_base}/")


def _reauth(page, live, login_id: str) -> None:
    """The admin page sent us to /reauth: password and TOTP again, then back to the page."""
    world = live.world
    assert "/reauth?next=" in page.url
    page.fill("#reauth-form input[name=password]", world.logins[login_id])
    page.fill("#reauth-form input[name=otp]", pyotp.TOTP(world.totp[login_id]).now())
    page.click("#reauth-form button[type=submit]")


def _deliver(live, ca_cert) -> int:
    """What the worker does: send due deliveries (own engine and loop; the server's are its thread's)."""
    from switchhub.db.engine import make_engine
    from switchhub.kernel.clock import get_clock

    async def run() -> int:
        engine = make_engine(live.hub_db, pool_size=1)
        try:
            async with trusting(ca_cert) as http:
                policy = WebhookPolicy.from_settings(live.hub_app.state.settings, live.hub_app.state.webhook_resolver)
                return await deliver_due(engine, smtp=SmtpConfig("127.0.0.1", 9), now=get_clock().now(),
                                         http_client=http, policy=policy)
        finally:
            await engine.dispose()

    out: list[int] = []  # on a thread of its own: Playwright's sync API holds this thread's loop
    worker = threading.Thread(target=lambda: out.append(asyncio.run(run())))
    worker.start()
    worker.join(60)
    return out[0]


def test_retailer_admin_sets_up_a_webhook_and_sees_the_test_delivery_arrive(hooks_live, tmp_path):
    from playwright.sync_api import sync_playwright

    live = hooks_live
    ca_cert, cert, _ = webhook_certs(tmp_path)
    problems: list[str] = []
    with ThreadedReceiver(cert) as receiver, sync_playwright() as pw:
        browser, page = _browser_page(pw, live, "A0001", problems)
        _login(page, live, "a0001-admin")
        page.click("#nav-notify")
        _reauth(page, live, "a0001-admin")
        page.wait_for_url(f"{live.hub_base}/notify")
        url = f"https://{HOOK_HOST}:{receiver.port}/switchhub"
        page.fill("#hook-url", url)
        page.check("#webhook-form input[value='relay.registered']")
        page.click("#add-webhook")
        page.wait_for_selector("#webhook-created")
        secret = page.input_value("#webhook-secret")
        assert len(secret) >= 40
        page.screenshot(path=SHOTS.format("webhook-created"), full_page=True)
        page.locator("#webhook-table button:has-text('テスト配信')").first.click()
        page.wait_for_url("**/notify/deliveries?event_kind=webhook.test*")
        assert page.locator("#delivery-table .delivery-status").first.inner_text() == "配信待ち"
        assert _deliver(live, ca_cert) == 1
        [(line, headers, body)] = receiver.requests
        assert line == "POST /switchhub HTTP/1.1" and headers["x-switchhub-event"] == "webhook.test"
        assert verify_signature(secret, headers["x-switchhub-timestamp"], body, headers["x-switchhub-signature"])
        assert json.loads(body)["kind"] == "webhook.test"
        page.select_option("#delivery-filter select[name=status]", "delivered")
        page.click("#delivery-filter button[type=submit]")
        page.wait_for_url("**status=delivered*")
        row = page.locator("#delivery-table tbody tr").first
        assert row.locator(".delivery-status").inner_text() == "配信済み"
        assert url in row.inner_text() and "Webhookのテスト配信" in row.inner_text()
        page.screenshot(path=SHOTS.format("delivery-log"), full_page=True)
        assert not problems, problems
        browser.close()


def test_occto_admin_publishes_a_notice_and_a_retailer_user_sees_it_with_the_unread_count(hooks_live):
    from playwright.sync_api import sync_playwright

    live = hooks_live
    problems: list[str] = []
    title = "システムメンテナンスのお知らせ"
    with sync_playwright() as pw:
        browser, page = _browser_page(pw, live, "OC000", problems)
        _login(page, live, "oc000-admin")
        page.click("#nav-notices-admin")
        _reauth(page, live, "oc000-admin")
        page.wait_for_url(f"{live.hub_base}/admin/notices")
        page.fill("#notice-title", title)
        page.fill("#notice-body", "## 停止時間\n\n- 12月5日 **22:00〜24:00**\n\n詳細は[API仕様](https://example.jp/api)を参照。")
        page.select_option("#notice-audience", "retailer")
        page.click("#notice-save")
        page.wait_for_selector("#notice[role=status]")
        assert page.locator("#notice-preview h3").inner_text() == "停止時間"
        page.screenshot(path=SHOTS.format("notice-published"), full_page=True)
        browser.close()

        browser, page = _browser_page(pw, live, "A0001", problems)
        _login(page, live, "a0001-user2")
        page.wait_for_selector("#notice-badge.badge")
        assert page.locator("#notice-badge").inner_text() == "1"
        assert page.locator("#portal-unread").inner_text() == "未読 1 件"
        assert title in page.locator("#portal-notices").inner_text()
        page.screenshot(path=SHOTS.format("portal-unread"), full_page=True)
        page.click(f"#portal-notices a:has-text('{title}')")
        page.wait_for_selector(".notice-body")
        assert page.locator(".markdown strong").inner_text() == "22:00〜24:00"
        page.wait_for_selector("#notice-badge:not(.badge)", state="attached")
        page.screenshot(path=SHOTS.format("notice-read"), full_page=True)
        assert not problems, problems
        browser.close()
