"""Notices (インフォメーション, issue 9) over HTTP: the OCCTO admin writes, changes and withdraws them;
each user sees those of its audience (all / retailers / T&Ds / one operator) during the period, with
per-user read marks and an unread count; `notice.published` is fanned out once, when the notice
becomes visible (at once, or by the keyed job at a future start); the body's Markdown is rendered
safely. Expected values are written from the issue, not read from the module.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import text

from switchhub.db.jobs import run_due
from switchhub.hub.notices.markdown import render_markdown
from switchhub.hub.notices.tasks import HANDLERS
from switchhub.kernel.clock import JST
from tests.flow.helpers import frozen
from tests.hub.helpers import audit_rows, issue_tokens, web_login, web_login_reauthenticated

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=JST)
ADMIN, HELPDESK = "oc000-admin", "oc000-helpdesk"
PEOPLE = ("a0001-user1", "a0001-user2", "m0300-user1", "t0300-user1", "oc000-user1")


def notice(title: str, **kw) -> dict:
    return {"title": title, "body": "本文", "audience": "all", "starts_at": NOW.isoformat(), **kw}


def test_markdown_is_rendered_safely():
    src = ("# お知らせ\n\n<script>alert(1)</script> と <b>太字</b>\n**重要** *注意* `code`\n\n"
           "- [仕様書](https://example.jp/a?x=1&y=2)\n- [危険](javascript:alert(1))\n\n"
           "1. 一\n2. 二\n\n```\n<img src=x onerror=alert(1)>\n```\n[画像](data:text/html,<b>)")
    assert str(render_markdown(src)) == (
        "<h2>お知らせ</h2>\n"
        "<p>&lt;script&gt;alert(1)&lt;/script&gt; と &lt;b&gt;太字&lt;/b&gt;<br>"
        "<strong>重要</strong> <em>注意</em> <code>code</code></p>\n"
        '<ul><li><a href="https://example.jp/a?x=1&amp;y=2" rel="noopener noreferrer">仕様書</a></li>'
        "<li>[危険](javascript:alert(1))</li></ul>\n"
        "<ol><li>一</li><li>二</li></ol>\n"
        "<pre><code>&lt;img src=x onerror=alert(1)&gt;</code></pre>\n"
        "<p>[画像](data:text/html,&lt;b&gt;)</p>")
    assert str(render_markdown('[x](https://a.example/"onmouseover="1)')) == (
        '<p>[x](https://a.example/&#34;onmouseover=&#34;1)</p>')


async def _visible(stack, tokens, login, operator) -> dict:
    async with stack.client(operator, token=tokens[login]) as c:
        r = await c.get("/api/v1/notices")
    assert r.status_code == 200, r.text
    return r.json()


async def test_audience_period_read_marks_and_the_published_event(stack):
    tokens = await issue_tokens(stack, ADMIN, HELPDESK, *PEOPLE)
    async with stack.client("A0001") as api:  # A0001's system wants notices by webhook-less e-mail
        assert (await api.post("/api/v1/subscriptions", json={"email": "desk@a0001.example",
                                                              "event_kind": "notice.published"})).status_code == 201
    async with stack.client("T0300") as api:
        assert (await api.post("/api/v1/subscriptions", json={"email": "desk@t0300.example",
                                                              "event_kind": "notice.published"})).status_code == 201
    with frozen(NOW) as clock:
        async with stack.client("OC000", token=tokens[ADMIN]) as admin:
            for body in (notice("全体"), notice("小売向け", audience="retailer"), notice("送配電向け", audience="tso"),
                         notice("M0300向け", audience="operator", operator_code="M0300"),
                         notice("来週", starts_at=(NOW + timedelta(days=7)).isoformat()),
                         notice("終了済み", starts_at=(NOW - timedelta(days=3)).isoformat(),
                                ends_at=(NOW - timedelta(days=1)).isoformat())):
                r = await admin.post("/api/v1/notices", json=body)
                assert r.status_code == 201, r.text
            ids = {n["title"]: n["id"] for n in (await admin.get("/api/v1/notices:all")).json()["items"]}
            assert len(ids) == 6
        seen = {login: [n["title"] for n in (await _visible(stack, tokens, login, login[:5].upper()))["items"]]
                for login in PEOPLE}
        assert {k: sorted(v) for k, v in seen.items()} == {
            "a0001-user1": ["全体", "小売向け"], "a0001-user2": ["全体", "小売向け"],
            "m0300-user1": ["M0300向け", "全体", "小売向け"], "t0300-user1": ["全体", "送配電向け"],
            "oc000-user1": ["全体"]}
        # e-mail to the subscribed operators of each visible notice's audience, once each
        async with stack.hub_app.state.engine.connect() as conn:
            mails = (await conn.execute(text("SELECT target, event_id FROM deliveries"
                                             " WHERE event_kind = 'notice.published' ORDER BY event_id, target"))).all()
        assert sorted(tuple(m) for m in mails) == sorted([
            ("desk@a0001.example", f"notice:{ids['全体']}"), ("desk@t0300.example", f"notice:{ids['全体']}"),
            ("desk@a0001.example", f"notice:{ids['小売向け']}"), ("desk@t0300.example", f"notice:{ids['送配電向け']}")])

        # per-user read marks
        async with stack.client("A0001", token=tokens["a0001-user1"]) as c:
            r = await c.post(f"/api/v1/notices/{ids['全体']}:read")
            assert (r.status_code, r.json()["read"]) == (200, True)
            assert (await c.post(f"/api/v1/notices/{ids['送配電向け']}:read")).status_code == 404  # not for them
            assert (await c.post(f"/api/v1/notices/{ids['来週']}:read")).status_code == 404  # not yet
        one = await _visible(stack, tokens, "a0001-user1", "A0001")
        two = await _visible(stack, tokens, "a0001-user2", "A0001")
        assert (one["unread"], two["unread"]) == (1, 2)
        assert {n["title"]: n["read"] for n in one["items"]} == {"全体": True, "小売向け": False}

        # the future notice: visible and announced at its start, by the keyed job
        clock.set(NOW + timedelta(days=7))
        assert await run_due(stack.hub_app.state.engine, HANDLERS, clock.now()) == 1
        assert "来週" in [n["title"] for n in (await _visible(stack, tokens, "t0300-user1", "T0300"))["items"]]
        async with stack.hub_app.state.engine.connect() as conn:
            later = (await conn.execute(text("SELECT target FROM deliveries WHERE event_id = :e ORDER BY target"),
                                        {"e": f"notice:{ids['来週']}"})).scalars().all()
        assert later == ["desk@a0001.example", "desk@t0300.example"]

        # withdrawn: gone at once, and only the admin sees it (as withdrawn)
        async with stack.client("OC000", token=tokens[ADMIN]) as admin:
            assert (await admin.post(f"/api/v1/notices/{ids['全体']}:withdraw")).status_code == 204
            assert (await admin.post(f"/api/v1/notices/{ids['全体']}:withdraw")).status_code == 404
            assert (await admin.get(f"/api/v1/notices/{ids['全体']}")).json()["status"] == "withdrawn"
        assert "全体" not in [n["title"] for n in (await _visible(stack, tokens, "a0001-user2", "A0001"))["items"]]
    actions = [r["action"] for r in audit_rows(stack.hub_url) if r["action"].startswith("api.notice.")]
    assert actions == ["api.notice.create"] * 6 + ["api.notice.read", "api.notice.withdraw"]


async def test_only_occtos_admin_writes_notices_and_bad_input_is_field_errors(stack):
    tokens = await issue_tokens(stack, ADMIN, HELPDESK, "a0001-admin")
    with frozen(NOW):
        for login, operator in ((HELPDESK, "OC000"), ("a0001-admin", "A0001")):
            async with stack.client(operator, token=tokens[login]) as c:
                r = await c.post("/api/v1/notices", json=notice("x"))
                assert (r.status_code, r.json()["permission"]) == (403, "hub:notices:manage")
                assert (await c.get("/api/v1/notices:all")).status_code == 403
                assert (await c.get("/api/v1/notices")).status_code == 200
        async with stack.client("OC000", token=tokens[ADMIN]) as admin:
            r = await admin.post("/api/v1/notices", json=notice(
                "x", audience="operator", operator_code="ZZ999", ends_at=(NOW - timedelta(hours=1)).isoformat()))
            assert r.status_code == 422
            assert [e["field"] for e in r.json()["errors"]] == ["operator_code", "ends_at"]
            r = await admin.post("/api/v1/notices", json=notice("x", starts_at="2026-12-01T09:00"))  # no offset
            assert r.status_code == 422 and r.json()["errors"][0]["field"] == "starts_at"
            created = (await admin.post("/api/v1/notices", json=notice("元の件名"))).json()
            changed = await admin.put(f"/api/v1/notices/{created['id']}", json=notice(
                "新しい件名", body="**太字**", audience="tso"))
            assert changed.status_code == 200, changed.text
            assert (changed.json()["title"], changed.json()["audience"], changed.json()["body_html"]) == (
                "新しい件名", "tso", "<p><strong>太字</strong></p>")
    async with stack.hub_app.state.engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM notices"))).scalar_one() == 1


async def test_web_admin_publishes_and_a_retailer_user_sees_it_on_the_portal_with_the_unread_count(stack):
    with frozen(NOW):
        async with stack.client("OC000", "web", token=None) as c:
            csrf = await web_login_reauthenticated(stack, c, ADMIN)
            page = (await c.get("/admin/notices")).text
            assert 'id="nav-notices-admin"' in page
            r = await c.post("/admin/notices", data={"csrf_token": csrf, "title": "", "body": "b", "audience": "all",
                                                     "starts_at": "2026-12-01T08:00", "ends_at": "2026-11-30T08:00"})
            assert r.status_code == 422
            assert 'id="title-error">件名を入力してください' in r.text
            assert 'id="ends_at-error">掲載終了は掲載開始より後' in r.text
            body = "## 定期メンテナンス\n\n12月5日 **22:00〜24:00** は停止します。<script>x()</script>\n\n" + "あ" * 600
            r = await c.post("/admin/notices", data={"csrf_token": csrf, "title": "メンテナンスのお知らせ", "body": body,
                                                     "audience": "retailer", "operator_code": "",
                                                     "starts_at": "2026-12-01T08:00", "ends_at": ""})
            assert r.status_code == 303, r.text[:300]
            admin_page = (await c.get(r.headers["location"])).text
            assert "インフォメーションを登録しました" in admin_page
            assert "<h3>定期メンテナンス</h3>" in admin_page and "&lt;script&gt;x()&lt;/script&gt;" in admin_page
            notice_id = int(r.headers["location"].split("/")[3].split("?")[0])
        async with stack.hub_app.state.engine.connect() as conn:
            stored, starts = (await conn.execute(text("SELECT body, starts_at FROM notices"))).one()
        assert stored == body  # whole, not cut at the form field limit
        assert starts == datetime(2026, 12, 1, 8, 0, tzinfo=JST)  # the form's time is JST
        async with stack.client("A0001", "web", token=None) as c:
            world = stack.world
            assert (await web_login(c, "a0001-user1", world.logins["a0001-user1"])).status_code == 303
            portal = (await c.get("/")).text
            assert 'id="portal-unread">未読 1 件' in portal and "メンテナンスのお知らせ" in portal
            assert (await c.get("/badge/notices-unread")).text == (
                '<a id="notice-badge" class="badge" href="/notices" title="未読のインフォメーション">1</a>')
            page = (await c.get(f"/notices/{notice_id}")).text
            assert "<strong>22:00〜24:00</strong>" in page and "<script>x()" not in page
            assert (await c.get("/badge/notices-unread")).text == '<span id="notice-badge"></span>'
            assert re.search(r"未読 0 件", (await c.get("/notices")).text)
            english = (await c.get("/notices?lang=en")).text
            assert "<h1>Notices <small" in english and "0 unread" in english
        async with stack.client("T0300", "web", token=None) as c:
            assert (await web_login(c, "t0300-user1", world.logins["t0300-user1"])).status_code == 303
            assert "メンテナンスのお知らせ" not in (await c.get("/")).text
            assert (await c.get(f"/notices/{notice_id}")).status_code == 404
        async with stack.client("OC000", "web", token=None) as c:
            csrf = await web_login_reauthenticated(stack, c, ADMIN)
            r = await c.post(f"/admin/notices/{notice_id}/withdraw", data={"csrf_token": csrf})
            assert r.status_code == 303
    assert [r["action"] for r in audit_rows(stack.hub_url) if r["action"].startswith("web.notice.")] == [
        "web.notice.create", "web.notice.read", "web.notice.withdraw"]
