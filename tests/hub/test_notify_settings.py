"""Notification settings (issue 9, P8) over HTTP: who may manage them (each role), the webhook test
delivery through the signed delivery path to a real HTTPS receiver, the delivery log's filters, and
the admin's Web pages (subscriptions per user and kind, webhook with its secret shown once, the test
button, the log). Expected values are written from the issue and security.md, not read from the code.

The issue reported "403 hub:notify:manage for the API user": on main the API user role (`<kind>.api`,
migration 0004) holds the permission; the first test pins that for retailer and T&D API users with
their own credentials, and that general users and OCCTO's helpdesk stay refused.
"""

from __future__ import annotations

import json
import re
from datetime import datetime

import pyotp
from sqlalchemy import text

from switchhub.hub.notify.delivery import SmtpConfig, deliver_due, verify_signature
from switchhub.kernel.clock import JST
from tests.flow.helpers import frozen
from tests.flow.test_outbox_and_notify import (
    HOOK_HOST,
    HttpsReceiver,
    hooks_stack,
    policy_of,
    trusting,
    webhook_certs,
)
from tests.hub.helpers import audit_rows, issue_tokens, web_login, web_login_reauthenticated

__all__ = ["hooks_stack"]  # the fixture, shared with the flow test
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=JST)
#: security.md / permissions decision: notification settings belong to admins and API users
MAY_MANAGE = {"retailer.admin": ("A0001", "a0001-admin"), "retailer.api": ("A0001", "a0001-api"),
              "tso.admin": ("T0300", "t0300-admin"), "tso.api": ("T0300", "t0300-api"),
              "occto.admin": ("OC000", "oc000-admin")}
REFUSED = {"retailer.general": ("A0001", "a0001-user1"), "tso.staff": ("T0300", "t0300-user1"),
           "occto.helpdesk": ("OC000", "oc000-helpdesk"), "occto.general": ("OC000", "oc000-user1")}
SMTP = SmtpConfig("127.0.0.1", 9, "switchhub@test")  # no e-mail in these tests; never contacted


async def test_api_users_and_admins_manage_their_operators_settings_others_are_refused(stack):
    # the API users with the credentials the operators were given (world tokens), not fresh ones
    for operator in ("A0001", "T0300"):
        async with stack.client(operator) as c:
            for url in ("/api/v1/webhooks", "/api/v1/subscriptions", "/api/v1/notifications/deliveries"):
                r = await c.get(url)
                assert r.status_code == 200, (operator, url, r.text)
    tokens = await issue_tokens(stack, *(login for _, login in (*MAY_MANAGE.values(), *REFUSED.values())))
    for role, (operator, login) in {**MAY_MANAGE, **REFUSED}.items():
        async with stack.client(operator, token=tokens[login]) as c:
            r = await c.post("/api/v1/subscriptions", json={"email": f"{login}@example.jp",
                                                            "event_kind": "relay.registered"})
            listed = await c.get("/api/v1/subscriptions")
            tested = await c.post("/api/v1/webhooks/999999:test")
        if role in MAY_MANAGE:
            assert (r.status_code, listed.status_code, tested.status_code) == (201, 200, 404), (role, r.text)
            assert f"{login}@example.jp" in [s["email"] for s in listed.json()["items"]]
        else:
            assert (r.status_code, listed.status_code, tested.status_code) == (403, 403, 403), role
            assert r.json()["permission"] == "hub:notify:manage"
    # each operator sees its own subscriptions only
    async with stack.client("A0001", token=tokens["a0001-api"]) as c:
        emails = {s["email"] for s in (await c.get("/api/v1/subscriptions")).json()["items"]}
    assert emails == {"a0001-admin@example.jp", "a0001-api@example.jp"}


async def test_api_test_delivery_is_signed_and_logged_and_the_log_filters(hooks_stack, tmp_path):
    stack = hooks_stack
    ca_cert, cert, _ = webhook_certs(tmp_path)
    async with HttpsReceiver(cert) as receiver, trusting(ca_cert) as http:
        with frozen(NOW) as clock:
            async with stack.client("A0001") as c, stack.client("M0300") as other:
                hook = await c.post("/api/v1/webhooks", json={"url": f"https://{HOOK_HOST}:{receiver.port}/in",
                                                              "event_kinds": ["relay.decided"]})
                assert hook.status_code == 201, hook.text
                hook_id, secret = hook.json()["id"], hook.json()["secret"]
                assert (await other.post(f"/api/v1/webhooks/{hook_id}:test")).status_code == 404  # not theirs
                queued = await c.post(f"/api/v1/webhooks/{hook_id}:test")
                assert queued.status_code == 202, queued.text
                assert queued.json()["status"] == "pending"
                delivery_id = queued.json()["delivery_id"]
                log = (await c.get("/api/v1/notifications/deliveries?status=pending")).json()
                assert [(i["id"], i["event_kind"], i["status"], i["attempts"]) for i in log["items"]] == [
                    (delivery_id, "webhook.test", "pending", 0)]
                assert await deliver_due(stack.hub_app.state.engine, smtp=SMTP, now=clock.now(), http_client=http,
                                         policy=policy_of(stack)) == 1
                [(line, headers, body)] = receiver.requests
                assert line == "POST /in HTTP/1.1"
                assert headers["x-switchhub-event"] == "webhook.test"
                assert headers["x-switchhub-delivery"] == str(delivery_id)
                assert verify_signature(secret, headers["x-switchhub-timestamp"], body,
                                        headers["x-switchhub-signature"])
                sent = json.loads(body)
                assert (sent["kind"], sent["data"]["webhook_id"]) == ("webhook.test", hook_id)
                delivered = (await c.get("/api/v1/notifications/deliveries?status=delivered"
                                         "&event_kind=webhook.test")).json()
                assert [(i["id"], i["status"], i["attempts"], i["last_error"]) for i in delivered["items"]] == [
                    (delivery_id, "delivered", 1, "")]
                assert (await c.get("/api/v1/notifications/deliveries?status=pending")).json()["total"] == 0
                assert (await c.get("/api/v1/notifications/deliveries?event_kind=relay.decided")).json()[
                    "total"] == 0
                bad = await c.get("/api/v1/notifications/deliveries?status=lost&event_kind=nope")
                assert bad.status_code == 422
                assert [e["field"] for e in bad.json()["errors"]] == ["status", "event_kind"]
                assert (await other.get("/api/v1/notifications/deliveries")).json()["total"] == 0
                # a stopped webhook gets no test delivery
                assert (await c.delete(f"/api/v1/webhooks/{hook_id}")).status_code == 204
                assert (await c.post(f"/api/v1/webhooks/{hook_id}:test")).status_code == 404
    [record] = audit_rows(stack.hub_url, "api.webhook.test")
    assert (record["operator_code"].strip(), record["resource_ids"]) == ("A0001", [str(hook_id)])


async def _page(c, url):
    r = await c.get(url)
    assert r.status_code == 200, (url, r.status_code, r.text[:300])
    return r.text


async def test_admin_web_pages_subscriptions_webhook_secret_once_test_button_and_log(hooks_stack, tmp_path):
    stack = hooks_stack
    ca_cert, cert, _ = webhook_certs(tmp_path)
    async with HttpsReceiver(cert) as receiver, trusting(ca_cert) as http:
        with frozen(NOW) as clock:
            async with stack.client("A0001", "web", token=None) as c:
                # before re-authenticating the admin page sends the admin to /reauth
                world = stack.world
                await web_login(c, "a0001-admin", world.logins["a0001-admin"],
                                pyotp.TOTP(world.totp["a0001-admin"]).now())
                r = await c.get("/notify")
                assert (r.status_code, r.headers["location"]) == (303, "/reauth?next=/notify")
                csrf = await web_login_reauthenticated(stack, c, "a0001-admin")
                page = await _page(c, "/notify")
                assert 'id="nav-notify"' in page and "a0001-user1@example.jp" in page
                assert "m0300-user1" not in page  # only the operator's own people are offered
                # subscriptions per user and kind; another operator's user is refused at the field
                r = await c.post("/notify/subscriptions", data={"csrf_token": csrf, "login_id": "m0300-user1",
                                                                "event_kinds": ["relay.registered"]})
                assert r.status_code == 422
                assert re.search(r'id="login_id-error">自社の利用者', r.text)
                r = await c.post("/notify/subscriptions", data={"csrf_token": csrf, "login_id": "a0001-user1",
                                                                "event_kinds": ["relay.registered", "relay.decided"]})
                assert r.status_code == 303
                async with stack.hub_app.state.engine.connect() as conn:
                    subs = sorted((await conn.execute(text(
                        "SELECT operator_code, email, event_kind FROM subscriptions ORDER BY event_kind"))).all())
                assert [tuple(s) for s in subs] == [("A0001", "a0001-user1@example.jp", "relay.decided"),
                                                    ("A0001", "a0001-user1@example.jp", "relay.registered")]
                # a URL to an internal address: a field error on the page, nothing stored
                r = await c.post("/notify/webhooks", data={"csrf_token": csrf, "url": "https://127.0.0.1/x"})
                assert r.status_code == 422
                assert re.search(r'id="hook_url-error">Webhook の URL は内部向けのアドレス', r.text)
                url = f"https://{HOOK_HOST}:{receiver.port}/hook"
                r = await c.post("/notify/webhooks", data={"csrf_token": csrf, "url": url})
                assert r.status_code == 200
                secret = re.search(r'id="webhook-secret" class="secret" readonly value="([^"]+)"', r.text).group(1)
                async with stack.hub_app.state.engine.connect() as conn:
                    hook_id, stored = (await conn.execute(text("SELECT id, secret FROM webhooks"))).one()
                assert stored == secret
                assert secret not in await _page(c, "/notify")  # shown once
                # the test button → queued, on to the log; the worker sends it, the log says delivered
                r = await c.post(f"/notify/webhooks/{hook_id}/test", data={"csrf_token": csrf})
                assert r.status_code == 303 and r.headers["location"].startswith(
                    "/notify/deliveries?event_kind=webhook.test&queued=")
                log = await _page(c, r.headers["location"])
                assert re.search(r'class="delivery-status">配信待ち<', log)
                assert await deliver_due(stack.hub_app.state.engine, smtp=SMTP, now=clock.now(), http_client=http,
                                         policy=policy_of(stack)) == 1
                [(_, headers, body)] = receiver.requests
                assert verify_signature(secret, headers["x-switchhub-timestamp"], body,
                                        headers["x-switchhub-signature"])
                log = await _page(c, "/notify/deliveries?status=delivered")
                assert re.search(r'class="delivery-status">配信済み<', log)
                assert "2026-12-01 10:00:00" in log  # JST
                assert 'id="delivery-count">0 件' in await _page(c, "/notify/deliveries?status=pending")
                bad = await _page(c, "/notify/deliveries?status=lost")
                assert 'id="status-error"' in bad
                r = await c.post(f"/notify/webhooks/{hook_id}/disable", data={"csrf_token": csrf})
                assert r.status_code == 303
                assert f'id="test-webhook-{hook_id}"' not in await _page(c, "/notify")
                english = await _page(c, "/notify/deliveries?lang=en")
                assert "<h1>Delivery log" in english and 'class="delivery-status">Delivered<' in english
    actions = [r["action"] for r in audit_rows(stack.hub_url) if r["action"].startswith(
        ("web.webhook", "web.subscription"))]
    assert actions == ["web.subscription.create", "web.subscription.create", "web.webhook.create",
                       "web.webhook.test", "web.webhook.delete"]
