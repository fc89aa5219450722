"""The daily access-log analysis over a generated history (tests/oversight/history.py): each planted case
is found, no normal user is flagged (the exact set), a rerun finds nothing new, the findings are
announced to OCCTO's subscribed users, and OCCTO acknowledges one with a note through the API (audited).
"""

from __future__ import annotations

from datetime import datetime, time

import pyotp
from sqlalchemy import text

from switchhub.hub.anomaly import tasks
from switchhub.kernel.clock import JST
from tests.flow.helpers import frozen
from tests.hub.helpers import audit_rows, issue_tokens
from tests.oversight.history import DAY, PLANTED, generate, load

NOW = datetime.combine(DAY, time(3, 0), JST)


async def _findings(engine) -> list[dict]:
    async with engine.connect() as conn:
        return [dict(r._mapping) for r in await conn.execute(text(
            "SELECT id, kind, operator_code, user_login, window_start, window_end, figures, status"
            " FROM anomaly_findings ORDER BY id"))]


async def test_each_planted_case_is_found_and_no_normal_user_is_flagged(stack):
    engine = stack.hub_app.state.engine
    history = generate()
    assert len(history.audit) > 8_000 and len(history.apps) > 2_000
    await load(engine, history)
    async with engine.begin() as conn:
        await conn.execute(text("INSERT INTO subscriptions (operator_code, email, event_kind, created_by)"
                                " VALUES ('OC000', 'helpdesk@occto.test', 'anomaly.found', 'oc000-admin')"))
    with frozen(NOW):
        async with engine.begin() as conn:
            await tasks.analyse(conn, {"_key": DAY.isoformat()}, NOW)
    found = await _findings(engine)
    assert {(f["kind"], f["operator_code"], f["user_login"]) for f in found} == PLANTED
    assert len(found) == 5
    by_kind = {f["kind"]: f for f in found}
    # the figures behind each (written from the history: 15 batches of 100; 120 points; 6 + 4; 5 certs; 1 refusal)
    assert by_kind["lookup_volume"]["figures"]["lookups"] == 1500
    assert by_kind["lookup_without_application"]["figures"]["without_application"] == 120
    assert by_kind["lookup_without_application"]["window_start"] == datetime(2026, 11, 3, tzinfo=JST)
    assert by_kind["usage_off_hours"]["figures"]["inquiries_off_hours"] == 10
    assert by_kind["many_certificates"]["figures"]["certificates"] == 5
    assert by_kind["retail_tso_access"]["figures"]["records"] == 1
    assert by_kind["lookup_volume"]["window_start"] == datetime(2026, 11, 17, tzinfo=JST)
    assert by_kind["lookup_volume"]["window_end"] == datetime(2026, 11, 24, tzinfo=JST)
    assert {f["status"] for f in found} == {"open"}

    async with engine.connect() as conn:
        mails = (await conn.execute(text("SELECT count(*) FROM deliveries WHERE event_kind = 'anomaly.found'"
                                         " AND operator_code = 'OC000'"))).scalar_one()
    assert mails == 5

    with frozen(NOW):  # the same day again: nothing new, nothing announced twice
        async with engine.begin() as conn:
            await tasks.analyse(conn, {"_key": DAY.isoformat()}, NOW)
    assert len(await _findings(engine)) == 5
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM deliveries WHERE event_kind = 'anomaly.found'"))
                ).scalar_one() == 5


async def test_occto_reads_and_acknowledges_findings_through_the_api(stack):
    engine = stack.hub_app.state.engine
    await load(engine, generate())
    with frozen(NOW):
        async with engine.begin() as conn:
            await tasks.analyse(conn, {"_key": DAY.isoformat()}, NOW)
    token = (await issue_tokens(stack, "oc000-helpdesk"))["oc000-helpdesk"]
    async with stack.client("OC000", token=token) as c:
        listed = await c.get("/api/v1/anomalies", params={"status": "open"})
        assert listed.status_code == 200, listed.text
        assert listed.json()["total"] == 5
        first = listed.json()["items"][0]["id"]
        empty = await c.post(f"/api/v1/anomalies/{first}:acknowledge", json={"note": ""})
        ok = await c.post(f"/api/v1/anomalies/{first}:acknowledge", json={"note": "確認済み: 業務上の一括照会"})
        again = await c.post(f"/api/v1/anomalies/{first}:acknowledge", json={"note": "二回目"})
        missing = await c.post("/api/v1/anomalies/999999:acknowledge", json={"note": "なし"})
        still_open = await c.get("/api/v1/anomalies", params={"status": "open"})
    assert empty.status_code == 422
    assert ok.status_code == 200, ok.text
    assert ok.json()["status"] == "acknowledged" and ok.json()["acknowledged_by"] == "oc000-helpdesk"
    assert ok.json()["ack_note"] == "確認済み: 業務上の一括照会"
    assert again.status_code == 409 and missing.status_code == 404
    assert still_open.json()["total"] == 4
    record, = audit_rows(stack.hub_url, "api.anomaly.acknowledge")
    assert record["resource_ids"] == [str(first)] and record["user_login"] == "oc000-helpdesk"
    async with stack.client("A0001") as c:  # a retailer's API user: refused
        assert (await c.get("/api/v1/anomalies")).status_code == 403


async def test_new_findings_are_mailed_to_the_subscribed_helpdesk_over_smtp(stack):
    import email
    import email.policy

    from aiosmtpd.controller import Controller

    from switchhub.hub.notify.delivery import SmtpConfig, deliver_due
    from tests.flow.test_outbox_and_notify import _free_port, _Mailbox

    engine = stack.hub_app.state.engine
    await load(engine, generate())
    async with engine.begin() as conn:
        await conn.execute(text("INSERT INTO subscriptions (operator_code, email, event_kind, created_by)"
                                " VALUES ('OC000', 'helpdesk@occto.test', 'anomaly.found', 'oc000-admin')"))
    mailbox, port = _Mailbox(), _free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with frozen(NOW) as clock:
            async with engine.begin() as conn:
                await tasks.analyse(conn, {"_key": DAY.isoformat()}, NOW)
            sent = await deliver_due(engine, smtp=SmtpConfig("127.0.0.1", port, "switchhub@test"), now=clock.now())
    finally:
        controller.stop()
    assert sent == 5 and len(mailbox.messages) == 5
    assert {m.rcpt_tos[0] for m in mailbox.messages} == {"helpdesk@occto.test"}
    bodies = [email.message_from_bytes(m.content, policy=email.policy.default) for m in mailbox.messages]
    assert {b["Subject"] for b in bodies} == {"【スイッチング支援システム】アクセスログ分析の検出のお知らせ"}
    texts = [b.get_body(("plain",)).get_content() for b in bodies]
    peek, = [t for t in texts if "a0002-peek" in t]
    assert "検出内容: 小売側からの送配電専用情報へのアクセス" in peek and "対象事業者: A0002" in peek
    assert "対象期間: 2026-11-17〜2026-11-23" in peek


async def test_the_report_page_needs_reauthentication_and_acknowledges_with_a_note(stack):
    from tests.hub.helpers import web_login, web_login_reauthenticated

    engine = stack.hub_app.state.engine
    await load(engine, generate())
    with frozen(NOW):
        async with engine.begin() as conn:
            await tasks.analyse(conn, {"_key": DAY.isoformat()}, NOW)
    found = await _findings(engine)
    target = next(f["id"] for f in found if f["kind"] == "usage_off_hours")
    login = "oc000-helpdesk"
    async with stack.client("OC000", "web", token=None) as c:
        otp = pyotp.TOTP(stack.world.totp[login]).now() if login in stack.world.totp else None
        await web_login(c, login, stack.world.logins[login], otp)
        before = await c.get("/anomalies")
        assert before.status_code == 303 and before.headers["location"].startswith("/reauth")
    async with stack.client("OC000", "web", token=None) as c:
        csrf = await web_login_reauthenticated(stack, c, login)
        page = await c.get("/anomalies")
        assert page.status_code == 200 and page.text.count('class="finding finding-open"') == 5
        assert "営業時間外の使用量照会" in page.text and 'id="nav-anomalies"' in page.text
        assert page.text.count('<td class="window">2026-11-17 〜 2026-11-23</td>') == 4  # JST days, last included
        assert page.text.count('<td class="window">2026-11-03 〜 2026-11-09</td>') == 1  # the follow-up window
        empty = await c.post(f"/anomalies/{target}/acknowledge", data={"csrf_token": csrf, "note": "  "})
        assert empty.status_code == 422 and f'id="note-{target}-error"' in empty.text
        assert "確認メモを入力してください" in empty.text
        done = await c.post(f"/anomalies/{target}/acknowledge", data={"csrf_token": csrf, "note": "夜間バッチと確認"})
        assert done.status_code == 303
        english = await c.get("/anomalies", params={"status": "acknowledged", "lang": "en"})
    assert "Usage inquiries outside business hours" in english.text and "夜間バッチと確認" in english.text
    record, = audit_rows(stack.hub_url, "web.anomaly.acknowledge")
    assert record["resource_ids"] == [str(target)] and record["detail"]["note"] == "夜間バッチと確認"
