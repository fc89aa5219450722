"""Web pages at the HTTP interface: login with the FAQ messages, CSRF, facility and search pages."""

from __future__ import annotations

import re

from tests.hub.helpers import audit_rows, csrf_of, switched_point
from tests.hub.helpers import web_login as login

BAD_LOGIN = "ユーザIDもしくはパスワードが不正です"
UNAVAILABLE = "お使いのユーザIDは利用できません"
TERMINAL = "お使いの端末では当システムを利用できません"


async def _csrf(client) -> str:
    return csrf_of((await client.get("/login")).text)


async def test_login_portal_and_logout(stack):
    async with stack.client("M0300", "web", token=None) as c:
        assert (await c.get("/")).status_code == 303
        r = await login(c, "m0300-user1", stack.world.logins["m0300-user1"])
        assert r.status_code == 303 and r.headers["location"] == "/"
        portal = await c.get("/")
        assert portal.status_code == 200 and "設備情報照会" in portal.text and "東京電力エナジーパートナー" in portal.text
        assert "content-security-policy" in portal.headers
        for href in ('href="/facility"', 'href="/search"', 'href="/calendar"', 'href="/api/v1/docs"'):
            assert href in portal.text
        cookie = c.cookies.get("switchhub_session")
        token = csrf_of(portal.text)
        assert (await c.post("/logout", data={"csrf_token": "forged"})).status_code == 403
        assert (await c.get("/")).status_code == 200
        assert (await c.post("/logout", data={"csrf_token": token})).status_code == 303
        assert (await c.get("/")).status_code == 303
        # the old cookie, replayed, no longer opens a session (it ended server-side)
        c.cookies.set("switchhub_session", cookie, domain="hub.test")
        assert (await c.get("/search")).status_code == 303
    assert [r["outcome"] for r in audit_rows(stack.hub_url, "web.login")] == ["ok"]


async def test_wrong_password_then_frozen_after_five(stack):
    async with stack.client("M0300", "web", token=None) as c:
        for _ in range(5):
            r = await login(c, "m0300-user2", "wrong-password-123")
            assert r.status_code == 200 and BAD_LOGIN in r.text
        r = await login(c, "m0300-user2", stack.world.logins["m0300-user2"])
        assert UNAVAILABLE in r.text
        r = await login(c, "no-such-user", "whatever-password")
        assert BAD_LOGIN in r.text
    outcomes = [r["outcome"] for r in audit_rows(stack.hub_url, "web.login")]
    assert outcomes[:5] == ["bad_login"] * 4 + ["frozen_now"] and outcomes[5] == "user_unavailable"


async def test_terminal_messages_for_api_certificate_and_unregistered_certificate(stack):
    async with stack.client("M0300", "api", token=None) as c:
        r = await login(c, "m0300-user1", stack.world.logins["m0300-user1"])
        assert TERMINAL in r.text
    async with stack.client("A0001", cert=stack.world.foreign, token=None) as c:
        r = await c.get("/login")
        assert r.status_code == 403 and TERMINAL in r.text


async def test_login_without_csrf_is_refused(stack):
    async with stack.client("M0300", "web", token=None) as c:
        r = await c.post("/login", data={"login_id": "m0300-user1", "password": stack.world.logins["m0300-user1"]})
        assert r.status_code == 403 and "もう一度操作してください" in r.text
        await c.get("/login")  # sets the double-submit cookie; a different field value still fails
        r = await c.post("/login", data={"login_id": "m0300-user1", "password": stack.world.logins["m0300-user1"],
                                         "csrf_token": "not-the-cookie"})
        assert r.status_code == 403
        assert (await c.get("/")).status_code == 303


async def test_facility_page_shows_supplier_fields_only_to_the_supplier(stack):
    spid, current, former = switched_point(stack.world)
    async with stack.client(current, "web", token=None) as c:
        await login(c, f"{current.lower()}-user1", stack.world.logins[f"{current.lower()}-user1"])
        own = await c.get(f"/facility/{spid}")
        via_form = await c.get("/facility", params={"spid": spid})
        bad = await c.get("/facility", params={"spid": "12345"})
    async with stack.client(former, "web", token=None) as c:
        await login(c, f"{former.lower()}-user1", stack.world.logins[f"{former.lower()}-user1"])
        other = await c.get("/facility", params={"spid": spid})
    assert own.status_code == 200 and "需要者名（漢字）" in own.text and spid in own.text
    assert other.status_code == 200 and spid in other.text and "需要者名（漢字）" not in other.text
    assert via_form.status_code == 200 and "需要者名（漢字）" in via_form.text
    assert "22桁" in bad.text and bad.status_code == 200 and 'id="spid-error"' in bad.text
    # grouped with Japanese labels, codes shown by name
    for heading in ("基本", "住所", "契約", "計器", "検針", "需要者・供給者"):
        assert f"<h2>{heading}</h2>" in own.text
    assert "<h2>需要者・供給者</h2>" not in other.text
    assert "東京 (03)" in own.text


async def test_search_page_pages_and_validates(stack):
    from tests.hub.helpers import area_template_url
    from tests.support import execute

    pref, city = execute(area_template_url(stack.world),
                         "SELECT prefecture, city FROM supply_points GROUP BY 1, 2 ORDER BY count(*) DESC LIMIT 1")[0]
    async with stack.client("A0001", "web", token=None) as c:
        await login(c, "a0001-user1", stack.world.logins["a0001-user1"])
        r1 = await c.get("/search", params={"prefecture": pref, "city": city})
        r2 = await c.get("/search", params={"prefecture": pref, "city": city, "page": "2"})
        missing = await c.get("/search", params={"town": "西"})
    assert r1.status_code == 200 and "件" in r1.text
    spids1 = set(re.findall(r'href="/facility/(\d{22})"', r1.text))
    spids2 = set(re.findall(r'href="/facility/(\d{22})"', r2.text))
    assert len(spids1) == 20 and spids2 and not spids1 & spids2
    assert "都道府県を入力してください" in missing.text and "市区町村を入力してください" in missing.text


async def test_admin_needs_a_one_time_password(stack):
    import pyotp

    secret = stack.world.totp["m0300-admin"]
    password = stack.world.logins["m0300-admin"]

    async def attempt(c, otp: str | None):
        data = {"login_id": "m0300-admin", "password": password, "csrf_token": await _csrf(c)}
        if otp is not None:
            data["otp"] = otp
        return await c.post("/login", data=data)

    async with stack.client("M0300", "web", token=None) as c:
        missing = await attempt(c, None)
        assert missing.status_code == 200 and "ワンタイムパスワード" in missing.text
        wrong = await attempt(c, "000000" if pyotp.TOTP(secret).now() != "000000" else "111111")
        assert BAD_LOGIN in wrong.text
        ok = await attempt(c, pyotp.TOTP(secret).now())
        assert ok.status_code == 303 and (await c.get("/")).status_code == 200
    outcomes = [r["outcome"] for r in audit_rows(stack.hub_url, "web.login")]
    assert outcomes == ["otp_required", "bad_login", "ok"]


async def test_pages_need_a_session_and_english_switches_labels(stack):
    async with stack.client("M0300", "web", token=None) as c:
        for path in ("/", "/facility", "/facility/0310000000000000000000", "/search", "/calendar"):
            r = await c.get(path)
            assert r.status_code == 303 and r.headers["location"] == "/login", path
        page = await c.get("/login")
        assert '<html lang="ja">' in page.text and "ログイン" in page.text
        assert "<script>" not in page.text and "style=" not in page.text
        en = await c.get("/login", params={"lang": "en"})
        assert "Log in" in en.text and '<html lang="en">' in en.text
        assert "Log in" in (await c.get("/login")).text  # remembered
        await c.get("/login", params={"lang": "ja"})
        await login(c, "m0300-user1", stack.world.logins["m0300-user1"])
        cal = await c.get("/calendar", params={"area": "03", "year": "2025"})
        assert cal.status_code == 200 and 'id="calendar"' in cal.text and "基本検針日" in cal.text
        en_cal = await c.get("/calendar", params={"area": "03", "year": "2025"}, headers={"accept-language": "en"})
        assert "Reading-day code" not in en_cal.text  # the ja cookie wins over Accept-Language
        assert "Reading-day code" in (await c.get("/calendar", params={"lang": "en"})).text


async def test_area_down_gets_a_friendly_message_naming_the_area(stack):
    spid, current, _ = switched_point(stack.world)
    areas = stack.hub_app.state.areas
    async with stack.client(current, "web", token=None) as c:
        await login(c, f"{current.lower()}-user1", stack.world.logins[f"{current.lower()}-user1"])
        saved = areas.urls.pop("03")
        try:
            r = await c.get(f"/facility/{spid}")
            s = await c.get("/search", params={"area": "03", "prefecture": "東京都", "city": "千代田区"})
        finally:
            areas.urls["03"] = saved
    assert r.status_code == 503 and "東京" in r.text and "一般送配電事業者システム" in r.text
    assert s.status_code == 503 and "東京" in s.text and "一般送配電事業者システム" in s.text
