"""A published metering file is announced to its retailer (metering.md, issue 8: "new-file events to
webhooks"): an e-mail over a real SMTP server and a signed webhook to a real HTTPS receiver, both of
kind `metering.file_published`; once per file however often the area delivers the event, and never
to another retailer."""

from __future__ import annotations

import email
import email.policy
import json
from datetime import date, datetime

from aiosmtpd.controller import Controller
from sqlalchemy import text

from switchhub.hub.notify.delivery import SmtpConfig, deliver_due, verify_signature
from switchhub.kernel.clock import JST
from tests.files.helpers import build, deliver_events
from tests.flow.helpers import frozen
from tests.flow.test_outbox_and_notify import (
    HOOK_HOST,
    HttpsReceiver,
    _free_port,
    _Mailbox,
    hooks_stack,
    make_admin,
    policy_of,
    trusting,
    webhook_certs,
)

__all__ = ["hooks_stack"]  # the fixture, shared with the flow test
NOW = datetime(2026, 12, 1, 7, 0, tzinfo=JST)


async def test_a_published_file_reaches_the_retailers_mail_and_webhook_once(hooks_stack, tmp_path):
    stack = hooks_stack
    ca_cert, cert, _ = webhook_certs(tmp_path)
    mailbox, smtp_port = _Mailbox(), _free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    await make_admin(stack, "a0001-api", "a0002-api")
    try:
        async with HttpsReceiver(cert) as receiver, trusting(ca_cert) as http:
            with frozen(NOW) as clock:
                url = f"https://{HOOK_HOST}:{receiver.port}/metering"
                async with stack.client("A0001") as mine, stack.client("A0002") as other:
                    sub = await mine.post("/api/v1/subscriptions", json={"email": "data@a0001.example",
                                                                          "event_kind": "metering.file_published"})
                    assert sub.status_code == 201, sub.text
                    hook = await mine.post("/api/v1/webhooks", json={"url": url,
                                                                      "event_kinds": ["metering.file_published"]})
                    assert hook.status_code == 201, hook.text
                    secret = hook.json()["secret"]
                    assert (await other.post("/api/v1/subscriptions", json={
                        "email": "data@a0002.example", "event_kind": "metering.file_published"})).status_code == 201
                [built] = await build(stack, date(2026, 11, 30))  # A0001's low-voltage past-day file
                file_id = built["file_id"]
                assert await deliver_events(stack) == 1
                async with stack.area_app.state.engine.begin() as conn:  # delivered again: nothing new
                    await conn.execute(text("UPDATE outbox_events SET delivered_at = NULL"))
                await deliver_events(stack)
                smtp = SmtpConfig("127.0.0.1", smtp_port, "switchhub@test")
                assert await deliver_due(stack.hub_app.state.engine, smtp=smtp, now=clock.now(), http_client=http,
                                         policy=policy_of(stack)) == 2
        [envelope] = mailbox.messages
        assert envelope.rcpt_tos == ["data@a0001.example"]
        mail = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert mail["Subject"] == "【スイッチング支援システム】計量データの公開のお知らせ"
        assert mail.get_body(("plain",)).get_content().splitlines() == [
            "計量データの公開がありました。", "", "種別: 30分電力量（低圧・過去日）", "対象日: 2026-11-30", "版: 1",
            "ファイル名: W41120_20261130_0000_001_r1.zip", "", "詳細はスイッチング支援システムでご確認ください。"]
        [(line, headers, body)] = receiver.requests
        assert line == "POST /metering HTTP/1.1"
        assert headers["x-switchhub-event"] == "metering.file_published"
        assert verify_signature(secret, headers["x-switchhub-timestamp"], body, headers["x-switchhub-signature"])
        sent = json.loads(body)
        assert sent["kind"] == "metering.file_published"
        assert sent["data"] == {
            "file_id": file_id, "area": "03", "retailer_code": "A0001", "type": "W41120",
            "type_name": "30分電力量（低圧・過去日）", "target_date": "2026-11-30", "target_month": None,
            "slot_time": None, "revision": 1, "name": "W41120_20261130_0000_001_r1.zip", "supersedes": None}
    finally:
        controller.stop()
