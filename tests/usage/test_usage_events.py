"""Usage password events: the review reminder and the overdue alert are emitted once each (keyed jobs),
and issued / rejected / due / overdue reach the right operator by e-mail (a real aiosmtpd server)
and by a signed webhook (a real HTTPS receiver), with no password in any event.

Expected from the issue: the review is decided by the next business day (Tue 24 → Wed 25 November
2026); the reminder comes on the deadline's morning, the alert once the deadline has passed.
"""

from __future__ import annotations

import email
import email.policy
import json
from datetime import datetime

from aiosmtpd.controller import Controller
from sqlalchemy import text

from switchhub.hub.notify.delivery import SmtpConfig, deliver_due, verify_signature
from tests.flow.helpers import frozen
from tests.flow.test_outbox_and_notify import (
    HOOK_HOST,
    HttpsReceiver,
    _free_port,
    _Mailbox,
    hooks_stack,  # noqa: F401 (fixture)
    make_admin,
    policy_of,
    trusting,
    webhook_certs,
)
from tests.usage.helpers import body, deliver_events, make_customer, points, rows, run_usage_jobs

NOW = datetime(2026, 11, 24, 10, 0)


def _outbox(stack) -> list[tuple[str, dict]]:
    return [(k, p) for k, p in rows(stack, "SELECT kind, payload FROM outbox_events WHERE kind LIKE 'usage.%%'"
                                           " ORDER BY id")]


async def test_reminder_and_overdue_alert_are_emitted_once(stack):
    spids = points(stack.world, 1, skip=30)
    make_customer(stack, spids)
    with frozen(NOW) as clock:
        async with stack.client("A0001") as a:
            r = await a.post("/api/v1/applications/usage-password", json=body(spids, customer_name_kana="ベツジン"))
            decided_r = await a.post("/api/v1/applications/usage-password",
                                     json=body(spids, customer_name_kana="ベツジン", validity_days=1))
        no, decided = r.json()["application_no"], decided_r.json()["application_no"]
        assert r.json()["review_deadline"] == "2026-11-25"
        async with stack.client("T0300") as tso:
            ok = await tso.post(f"/api/v1/usage-password-reviews/{decided}/decision",
                                json={"decision": "reject", "reason_code": "other"})
            assert ok.status_code == 200
        clock.set(datetime(2026, 11, 25, 8, 59))
        await run_usage_jobs(stack)
        assert [k for k, _ in _outbox(stack)] == ["usage.password_rejected"]
        clock.set(datetime(2026, 11, 25, 9, 0))
        await run_usage_jobs(stack)
        await run_usage_jobs(stack)
        assert [k for k, _ in _outbox(stack)] == ["usage.password_rejected", "usage.review_due"]
        assert _outbox(stack)[1][1] == {"application_no": no, "area": "03", "review_deadline": "2026-11-25"}
        clock.set(datetime(2026, 11, 25, 23, 59))
        await run_usage_jobs(stack)
        assert len(_outbox(stack)) == 2
        clock.set(datetime(2026, 11, 26, 0, 0))
        await run_usage_jobs(stack)
        clock.set(datetime(2026, 11, 27, 0, 0))
        await run_usage_jobs(stack)
        assert [k for k, _ in _outbox(stack)] == ["usage.password_rejected", "usage.review_due",
                                                  "usage.review_overdue"]
        async with stack.client("T0300") as tso:
            queue = (await tso.get("/api/v1/usage-password-reviews")).json()
        assert [(i["application_no"], i["overdue"]) for i in queue["items"]] == [(no, True)]
        assert await deliver_events(stack) == 3
    async with stack.hub_app.state.engine.connect() as conn:
        kinds = [tuple(r) for r in await conn.execute(text(
            "SELECT kind, count(*) FROM area_events WHERE kind LIKE 'usage.%' GROUP BY kind ORDER BY kind"))]
    assert kinds == [("usage.password_rejected", 1), ("usage.review_due", 1), ("usage.review_overdue", 1)]


async def test_issued_and_due_are_mailed_and_posted_to_the_right_operator(hooks_stack, tmp_path):  # noqa: F811
    stack = hooks_stack
    ca_cert, cert, _ = webhook_certs(tmp_path)
    mailbox, smtp_port = _Mailbox(), _free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    spids = points(stack.world, 2, skip=32)
    make_customer(stack, spids)
    await make_admin(stack, "a0001-api", "t0300-api")
    try:
        async with HttpsReceiver(cert) as receiver, trusting(ca_cert) as http:
            with frozen(NOW) as clock:
                async with stack.client("A0001") as a, stack.client("T0300") as tso:
                    assert (await a.post("/api/v1/subscriptions", json={
                        "email": "usage@a0001.example", "event_kind": "usage.password_issued"})).status_code == 201
                    url = f"https://{HOOK_HOST}:{receiver.port}/hook"
                    hook = await a.post("/api/v1/webhooks", json={"url": url, "event_kinds": ["usage.password_issued"]})
                    assert hook.status_code == 201, hook.text
                    secret = hook.json()["secret"]
                    assert (await tso.post("/api/v1/subscriptions", json={
                        "email": "review@t0300.example", "event_kind": "usage.review_due"})).status_code == 201
                    issued = (await a.post("/api/v1/applications/usage-password", json=body(spids))).json()
                    review = (await a.post("/api/v1/applications/usage-password",
                                           json=body(spids[:1], customer_name_kanji="別人"))).json()
                clock.set(datetime(2026, 11, 25, 9, 0))
                await run_usage_jobs(stack)
                assert await deliver_events(stack) == 2
                smtp = SmtpConfig("127.0.0.1", smtp_port, "switchhub@test")
                assert await deliver_due(stack.hub_app.state.engine, now=clock.now(), smtp=smtp, http_client=http,
                                         policy=policy_of(stack)) == 3
        mails = {tuple(e.rcpt_tos): email.message_from_bytes(e.content, policy=email.policy.default)
                 for e in mailbox.messages}
        assert set(mails) == {("usage@a0001.example",), ("review@t0300.example",)}
        to_applicant = mails[("usage@a0001.example",)]
        assert to_applicant["Subject"] == "【スイッチング支援システム】使用量照会パスワードの発行のお知らせ"
        assert f"申込番号: {issued['application_no']}" in to_applicant.get_body(("plain",)).get_content()
        to_tso = mails[("review@t0300.example",)]
        assert to_tso["Subject"] == "【スイッチング支援システム】本人確認審査の期限のお知らせ"
        assert f"申込番号: {review['application_no']}" in to_tso.get_body(("plain",)).get_content()
        [(line, headers, raw)] = receiver.requests
        assert headers["x-switchhub-event"] == "usage.password_issued"
        assert verify_signature(secret, headers["x-switchhub-timestamp"], raw, headers["x-switchhub-signature"])
        data = json.loads(raw)["data"]
        assert (data["application_no"], data["spids"], data["verification"]) == (issued["application_no"], spids,
                                                                                 "auto")
        assert "password" not in data
    finally:
        controller.stop()


async def test_an_unread_password_is_dropped_at_expiry(stack):
    spids = points(stack.world, 1, skip=34)
    make_customer(stack, spids)
    with frozen(NOW) as clock:
        async with stack.client("A0001") as a:
            no = (await a.post("/api/v1/applications/usage-password",
                               json=body(spids, validity_days=1))).json()["application_no"]
        held = "SELECT pickup_password IS NOT NULL FROM usage_requests WHERE application_no = %s"
        clock.set(datetime(2026, 11, 25, 9, 59))
        await run_usage_jobs(stack)
        assert rows(stack, held, (no,)) == [(True,)]
        clock.set(datetime(2026, 11, 25, 10, 0))
        await run_usage_jobs(stack)
        assert rows(stack, held, (no,)) == [(False,)]
