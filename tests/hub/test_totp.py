"""A user's own TOTP (security.md: admins and helpdesk must have it, retail general users may enable
it): enrolment shows the secret once and needs a correct current code, login then asks for the code,
disabling needs the password and a code, and admins cannot disable theirs."""

from __future__ import annotations

import pyotp

from tests.hub.helpers import audit_rows, csrf_of, issue_tokens, web_login
from tests.support import execute


def _totp_columns(stack, login_id: str) -> tuple:
    return execute(stack.hub_url, "SELECT totp_secret, totp_pending_secret FROM users WHERE login_id = %s",
                   (login_id,))[0]


async def test_a_general_user_enrols_on_the_web_and_is_asked_for_the_code_at_login(stack):
    login, password = "a0001-user1", stack.world.logins["a0001-user1"]
    async with stack.client("A0001", "web", token=None) as w:
        assert (await web_login(w, login, password)).status_code == 303
        page = await w.get("/me/totp")
        assert page.status_code == 200 and "設定されていません" in page.text
        r = await w.post("/me/totp/start", data={"csrf_token": csrf_of(page.text)})
        secret = r.text.split('id="totp-secret">')[1].split("<")[0]
        assert len(secret) == 32 and f"otpauth://totp/switchhub:{login}?secret={secret}" in r.text
        assert _totp_columns(stack, login) == (None, secret)  # pending: not yet asked at login
        r = await w.post("/me/totp/enable", data={"csrf_token": csrf_of(r.text), "code": "000000"
                                                  if pyotp.TOTP(secret).now() != "000000" else "111111"})
        assert r.status_code == 422 and 'id="code-error"' in r.text
        assert _totp_columns(stack, login) == (None, secret)
        r = await w.post("/me/totp/enable", data={"csrf_token": csrf_of(r.text), "code": pyotp.TOTP(secret).now()})
        assert r.status_code == 200 and "有効にしました" in r.text
        assert 'id="totp-secret"' not in (await w.get("/me/totp")).text  # shown once
    assert _totp_columns(stack, login) == (secret, None)
    async with stack.client("A0001", "web", token=None) as w:
        r = await web_login(w, login, password)
        assert r.status_code == 200 and "ワンタイムパスワード" in r.text
        assert (await web_login(w, login, password, "000000" if pyotp.TOTP(secret).now() != "000000"
                                else "111111")).status_code == 200
        assert (await web_login(w, login, password, pyotp.TOTP(secret).now())).status_code == 303
    outcomes = [r["outcome"] for r in audit_rows(stack.hub_url, "web.user.totp.enable")]
    assert outcomes == ["wrong_code", "ok"]


async def test_disabling_needs_password_and_code_and_admins_keep_theirs(stack):
    login, password = "a0001-user2", stack.world.logins["a0001-user2"]
    secret = pyotp.random_base32()
    execute(stack.hub_url, "UPDATE users SET totp_secret = %s WHERE login_id = %s", (secret, login))
    tokens = await issue_tokens(stack, login, "a0001-admin")
    async with stack.client("A0001", token=tokens[login]) as c:
        assert (await c.get("/api/v1/me/totp")).json() == {"enabled": True, "pending": False, "required": False}
        r = await c.post("/api/v1/me/totp:disable", json={"password": "wrong-password-1", "code": pyotp.TOTP(secret).now()})
        assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == ["password"]
        assert _totp_columns(stack, login)[0] == secret
        r = await c.post("/api/v1/me/totp:disable", json={"password": password, "code": pyotp.TOTP(secret).now()})
        assert r.status_code == 200 and r.json() == {"enabled": False}
    assert _totp_columns(stack, login) == (None, None)
    async with stack.client("A0001", token=tokens["a0001-admin"]) as c:
        r = await c.post("/api/v1/me/totp:disable", json={"password": stack.world.logins["a0001-admin"],
                                                          "code": pyotp.TOTP(stack.world.totp["a0001-admin"]).now()})
        assert r.status_code == 409 and r.json()["code"] == "totp_required"
        started = (await c.post("/api/v1/me/totp")).json()
        assert started["otpauth_uri"].startswith("otpauth://totp/switchhub:a0001-admin")
        r = await c.post("/api/v1/me/totp:enable", json={"code": pyotp.TOTP(started["secret"]).now()})
        assert r.status_code == 200 and r.json() == {"enabled": True}
    assert _totp_columns(stack, "a0001-admin") == (started["secret"], None)  # re-enrolled with the new secret
