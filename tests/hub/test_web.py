"""Web pages at the HTTP interface: login with the FAQ messages, CSRF, facility and search pages."""

from __future__ import annotations

import re

from tests.hub.helpers import audit_rows, switched_point

BAD_LOGIN = "ユーザIDもしくはパスワードが不正です"
UNAVAILABLE = "お使いのユーザIDは利用できません"
TERMINAL = "お使いの端末では当システムを利用できません"


async def _csrf(client) -> str:
    page = await client.get("/login")
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


async def login(client, login_id: str, password: str):
    return await client.post("/login", data={"login_id": login_id, "password": password,
                                             "csrf_token": await _csrf(client)})


async def test_login_portal_and_logout(stack):
    async with stack.client("M0300", "web", token=None) as c:
        assert (await c.get("/")).status_code == 303
        r = await login(c, "m0300-user1", stack.world.logins["m0300-user1"])
        assert r.status_code == 303 and r.headers["location"] == "/"
        portal = await c.get("/")
        assert portal.status_code == 200 and "設備情報照会" in portal.text and "東京電力エナジーパートナー" in portal.text
        assert "content-security-policy" in portal.headers
        token = re.search(r'name="csrf_token" value="([^"]+)"', portal.text).group(1)
        assert (await c.post("/logout", data={"csrf_token": token})).status_code == 303
        assert (await c.get("/")).status_code == 303
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


async def test_terminal_messages_for_api_certificate_and_other_operator(stack):
    async with stack.client("M0300", "api", token=None) as c:
        r = await login(c, "m0300-user1", stack.world.logins["m0300-user1"])
        assert TERMINAL in r.text
    async with stack.client("A0001", "web", token=None) as c:
        r = await login(c, "m0300-user1", stack.world.logins["m0300-user1"])
        assert TERMINAL in r.text
    async with stack.client("A0001", cert=stack.world.foreign, token=None) as c:
        r = await c.get("/login")
        assert r.status_code == 403 and TERMINAL in r.text


async def test_login_without_csrf_is_refused(stack):
    async with stack.client("M0300", "web", token=None) as c:
        r = await c.post("/login", data={"login_id": "m0300-user1", "password": stack.world.logins["m0300-user1"]})
        assert r.status_code == 403
        assert (await c.get("/")).status_code == 303


async def test_facility_page_shows_supplier_fields_only_to_the_supplier(stack):
    spid, current, former = switched_point(stack.world)
    async with stack.client(current, "web", token=None) as c:
        await login(c, f"{current.lower()}-user1", stack.world.logins[f"{current.lower()}-user1"])
        own = await c.get("/facility", params={"spid": spid})
        bad = await c.get("/facility", params={"spid": "12345"})
    async with stack.client(former, "web", token=None) as c:
        await login(c, f"{former.lower()}-user1", stack.world.logins[f"{former.lower()}-user1"])
        other = await c.get("/facility", params={"spid": spid})
    assert own.status_code == 200 and "需要者名（漢字）" in own.text and spid in own.text
    assert other.status_code == 200 and spid in other.text and "需要者名（漢字）" not in other.text
    assert "22桁" in bad.text and bad.status_code == 200


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
    spids1 = set(re.findall(r"spid=(\d{22})", r1.text))
    spids2 = set(re.findall(r"spid=(\d{22})", r2.text))
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
