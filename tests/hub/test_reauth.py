"""Re-authentication for admin actions (security.md § Web sessions): an admin page needs the password
(and the TOTP code where the user has one) entered in this session within the last 10 minutes; a
wrong answer counts towards freezing the ID like a failed login; every attempt is audited."""

from __future__ import annotations

from datetime import datetime

import pyotp
from fastapi import Depends

from switchhub.hub.web.session import web_admin
from switchhub.kernel.clock import JST
from tests.flow.helpers import frozen
from tests.hub.helpers import audit_rows, csrf_of, web_login

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=JST)


def _add_admin_page(app) -> None:
    """A stand-in admin page on this test's app (the real ones use the same dependency)."""
    @app.get("/_test/admin-page")
    async def page(user=Depends(web_admin("hub:notify:manage"))) -> dict:
        return {"ok": user.caller.user_login}


async def _login_admin(stack, c) -> None:
    secret = stack.world.totp["m0300-admin"]
    r = await web_login(c, "m0300-admin", stack.world.logins["m0300-admin"], pyotp.TOTP(secret).now())
    assert r.status_code == 303


async def _reauth(c, password: str, otp: str, next_path: str = "/_test/admin-page"):
    page = await c.get(f"/reauth?next={next_path}")
    assert page.status_code == 200
    return await c.post("/reauth", data={"csrf_token": csrf_of(page.text), "next": next_path,
                                         "password": password, "otp": otp})


async def test_admin_page_asks_for_the_password_again_and_returns_to_the_page(stack):
    _add_admin_page(stack.hub_app)
    secret, password = stack.world.totp["m0300-admin"], stack.world.logins["m0300-admin"]
    with frozen(NOW) as clock:
        async with stack.client("M0300", "web", token=None) as c:
            await _login_admin(stack, c)
            r = await c.get("/_test/admin-page")
            assert r.status_code == 303 and r.headers["location"] == "/reauth?next=/_test/admin-page"
            r = await _reauth(c, password, pyotp.TOTP(secret).now())
            assert r.status_code == 303 and r.headers["location"] == "/_test/admin-page"
            assert (await c.get("/_test/admin-page")).json() == {"ok": "m0300-admin"}
            clock.advance(minutes=9)
            assert (await c.get("/_test/admin-page")).status_code == 200
            clock.advance(minutes=2)  # 11 minutes after re-entering the password
            assert (await c.get("/_test/admin-page")).status_code == 303
    assert [r["outcome"] for r in audit_rows(stack.hub_url, "web.session.reauth")] == ["ok"]


async def test_totp_is_required_where_the_user_has_it_and_failures_freeze_the_id(stack):
    _add_admin_page(stack.hub_app)
    password = stack.world.logins["m0300-admin"]
    with frozen(NOW):
        async with stack.client("M0300", "web", token=None) as c:
            await _login_admin(stack, c)
            r = await _reauth(c, password, "")
            assert r.status_code == 422 and "ワンタイムパスワードを入力してください" in r.text
            assert (await c.get("/_test/admin-page")).status_code == 303
            for _ in range(4):
                r = await _reauth(c, "wrong-password-123", "123456")
                assert r.status_code == 422 and "ユーザIDもしくはパスワードが不正です" in r.text
            assert (await c.get("/_test/admin-page")).status_code == 303
            await _reauth(c, "wrong-password-123", "123456")  # the fifth in a row freezes the ID
            assert (await c.get("/")).status_code == 303  # a frozen user's session ends
    outcomes = [r["outcome"] for r in audit_rows(stack.hub_url, "web.session.reauth")]
    assert outcomes == ["bad_login"] * 4 + ["frozen_now"]


async def test_next_never_leaves_the_site(stack):
    _add_admin_page(stack.hub_app)
    secret, password = stack.world.totp["m0300-admin"], stack.world.logins["m0300-admin"]
    with frozen(NOW):
        async with stack.client("M0300", "web", token=None) as c:
            await _login_admin(stack, c)
            r = await _reauth(c, password, pyotp.TOTP(secret).now(), next_path="//evil.example/x")
            assert r.status_code == 303 and r.headers["location"] == "/"
