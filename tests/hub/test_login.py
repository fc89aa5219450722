"""Login rules of security.md at the HTTP interface: the terminal before the password, no oracle,
no freezing from foreign terminals, equal time for unknown IDs, the counter, the second factor,
the password policy and its expiry."""

from __future__ import annotations

import re
import statistics
import time
from datetime import timedelta

import pyotp
from sqlalchemy import text

from switchhub.kernel.clock import get_clock
from tests.hub.helpers import audit_rows, csrf_of, issue_tokens
from tests.hub.helpers import web_login as login

BAD_LOGIN = "ユーザIDもしくはパスワードが不正です"
UNAVAILABLE = "お使いのユーザIDは利用できません"
OTP_NEEDED = "ワンタイムパスワード（認証アプリの6桁）も入力してください"


def _error(page) -> str:
    found = re.search(r'id="login-error">([^<]+)<', page.text)
    return found.group(1) if found else ""


async def _user(stack, login_id: str) -> dict:
    async with stack.hub_app.state.engine.connect() as conn:
        row = (await conn.execute(text("SELECT status, failed_logins, password_changed_at FROM users"
                                       " WHERE login_id = :l"), {"l": login_id})).first()
    return dict(row._mapping)


async def test_foreign_terminal_reveals_nothing_counts_nothing_and_is_logged_for_both(stack):
    right = stack.world.logins["m0300-user1"]
    async with stack.client("A0001", "web", token=None) as c:
        answers = [_error(await login(c, "m0300-user1", pw)) for pw in ["wrong-password-1", right] * 3]
        unknown = _error(await login(c, "no-such-user-9", right))
    assert set(answers) == {BAD_LOGIN} and unknown == BAD_LOGIN
    assert await _user(stack, "m0300-user1") == {**await _user(stack, "m0300-user1"), "status": "active",
                                                 "failed_logins": 0}
    async with stack.client("M0300", "web", token=None) as c:  # the real user still gets in from its own terminal
        assert (await login(c, "m0300-user1", right)).status_code == 303
    rows = [r for r in audit_rows(stack.hub_url, "web.login") if r["outcome"] == "foreign_terminal"]
    assert len(rows) == 12  # six attempts, one record for each of the two operators
    assert {r["operator_code"] for r in rows} == {"A0001", "M0300"}
    assert all(r["detail"] == {"terminal_operator": "A0001", "user_operator": "M0300"} for r in rows)
    assert all(r["user_login"] == "m0300-user1" for r in rows)
    assert {r["cert_fingerprint"] for r in rows} == {stack.world.clients["A0001-web"].fingerprint}


async def test_unknown_ids_take_as_long_as_known_ones(stack):
    """An unknown ID is checked against a dummy hash: without it the answer is several times faster."""
    async def timed(c, login_id: str) -> float:
        token = csrf_of((await c.get("/login")).text)
        start = time.perf_counter()
        await c.post("/login", data={"login_id": login_id, "password": "wrong-password-xyz", "csrf_token": token})
        return time.perf_counter() - start

    async with stack.client("M0300", "web", token=None) as c:
        known, unknown = [], []
        for _ in range(4):  # four failures: below the freezing limit
            known.append(await timed(c, "m0300-user2"))
            unknown.append(await timed(c, "m0300-nobody"))
    assert statistics.median(unknown) > 0.6 * statistics.median(known), (known, unknown)


async def test_failure_counter_resets_after_a_successful_login(stack):
    right = stack.world.logins["m0300-user2"]
    async with stack.client("M0300", "web", token=None) as c:
        for _ in range(4):
            assert _error(await login(c, "m0300-user2", "wrong-password-1")) == BAD_LOGIN
        assert (await _user(stack, "m0300-user2"))["failed_logins"] == 4
        assert (await login(c, "m0300-user2", right)).status_code == 303
        assert (await _user(stack, "m0300-user2"))["failed_logins"] == 0
        for _ in range(4):
            assert _error(await login(c, "m0300-user2", "wrong-password-1")) == BAD_LOGIN
        assert (await login(c, "m0300-user2", right)).status_code == 303
        for _ in range(5):
            await login(c, "m0300-user2", "wrong-password-1")
        assert _error(await login(c, "m0300-user2", right)) == UNAVAILABLE
    assert (await _user(stack, "m0300-user2"))["status"] == "frozen"


async def test_second_factor_is_asked_before_the_password_is_judged(stack):
    secret, right = stack.world.totp["m0300-admin"], stack.world.logins["m0300-admin"]
    async with stack.client("M0300", "web", token=None) as c:
        wrong_no_otp = _error(await login(c, "m0300-admin", "wrong-password-1"))
        right_no_otp = _error(await login(c, "m0300-admin", right))
        assert wrong_no_otp == right_no_otp and OTP_NEEDED in wrong_no_otp  # no password oracle
        assert (await _user(stack, "m0300-admin"))["failed_logins"] == 0
        assert _error(await login(c, "m0300-admin", right, "000000" if pyotp.TOTP(secret).now() != "000000"
                                  else "111111")) == BAD_LOGIN
        assert (await _user(stack, "m0300-admin"))["failed_logins"] == 1
        assert (await login(c, "m0300-admin", right, pyotp.TOTP(secret).now())).status_code == 303
    assert (await _user(stack, "m0300-admin"))["failed_logins"] == 0


async def _change_on_page(c, current: str, new: str, again: str | None = None):
    return await c.post("/password", data={"current_password": current, "new_password": new,
                                           "new_password_again": again if again is not None else new,
                                           "csrf_token": csrf_of((await c.get("/password")).text)})


def _field_errors(page) -> dict[str, str]:
    return dict(re.findall(r'id="([a-z_]+)-error">([^<]+)<', page.text))


async def test_password_policy_on_the_change_page(stack):
    login_id, current = "m0300-user1", stack.world.logins["m0300-user1"]
    async with stack.client("M0300", "web", token=None) as c:
        await login(c, login_id, current)
        assert _field_errors(await _change_on_page(c, current, "Short-1")) == {
            "new_password": "パスワードは12文字以上で入力してください"}
        assert _field_errors(await _change_on_page(c, current, "M0300-USER1")) == {  # eleven characters
            "new_password": "パスワードは12文字以上で入力してください / ユーザIDと同じパスワードは使用できません"}
        assert _field_errors(await _change_on_page(c, current, "m0300-user1-x", "m0300-user1-y")) == {
            "new_password_again": "確認用のパスワードが一致しません"}
        assert _field_errors(await _change_on_page(c, "not-the-password", "A-fine-new-pass-1")) == {
            "current_password": "現在のパスワードが正しくありません"}
        assert _field_errors(await _change_on_page(c, current, current)) == {
            "new_password": "過去5回以内に使用したパスワードは使用できません"}
        passwords = [current] + [f"Rotation-pass-{i:02d}" for i in range(1, 6)]
        for old, new in zip(passwords, passwords[1:]):
            done = await _change_on_page(c, old, new)
            assert 'id="password-changed"' in done.text, _field_errors(done)
        # the current and the four before it are refused; the sixth-last is allowed again
        for reused in passwords[1:]:
            assert "new_password" in _field_errors(await _change_on_page(c, passwords[-1], reused)), reused
        assert 'id="password-changed"' in (await _change_on_page(c, passwords[-1], passwords[0])).text
    async with stack.client("M0300", "web", token=None) as c:
        assert (await login(c, login_id, passwords[0])).status_code == 303
    assert len(audit_rows(stack.hub_url, "web.user.password.change")) == 6


async def test_password_equal_to_the_user_id_is_refused(stack):
    """The ID rule is checked on its own (a twelve-character ID)."""
    async with stack.hub_app.state.engine.begin() as conn:
        await conn.execute(text("UPDATE users SET login_id = 'm0300-clerk1' WHERE login_id = 'm0300-user1'"))
    async with stack.client("M0300", "web", token=None) as c:
        await login(c, "m0300-clerk1", stack.world.logins["m0300-user1"])
        errors = _field_errors(await _change_on_page(c, stack.world.logins["m0300-user1"], "M0300-Clerk1"))
    assert errors == {"new_password": "ユーザIDと同じパスワードは使用できません"}


async def test_password_change_through_the_api(stack):
    token = (await issue_tokens(stack, "m0300-user1"))["m0300-user1"]
    current = stack.world.logins["m0300-user1"]
    async with stack.client("M0300", token=token) as c:
        short = await c.post("/api/v1/me/password", json={"current_password": current, "new_password": "short"})
        ok = await c.post("/api/v1/me/password", json={"current_password": current,
                                                        "new_password": "Through-the-API-1"})
    async with stack.client("M0300") as api_user:  # the API user has no password to change
        refused = await api_user.post("/api/v1/me/password", json={"current_password": "x", "new_password": "y"})
    assert short.status_code == 422 and short.json()["errors"] == [
        {"field": "new_password", "code": "password_too_short", "message": "パスワードは12文字以上で入力してください"}]
    assert ok.status_code == 200 and ok.json() == {"changed": True}
    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"
    assert [r["operator_code"] for r in audit_rows(stack.hub_url, "api.user.password.change")] == ["M0300"]


async def test_expired_password_forces_a_change(stack):
    async with stack.hub_app.state.engine.begin() as conn:
        await conn.execute(text("UPDATE users SET password_changed_at = :t WHERE login_id = 'm0300-user1'"),
                           {"t": get_clock().now() - timedelta(days=91)})
    current = stack.world.logins["m0300-user1"]
    async with stack.client("M0300", "web", token=None) as c:
        assert (await login(c, "m0300-user1", current)).status_code == 303
        for path in ("/", "/facility", "/relays", "/search"):
            r = await c.get(path)
            assert r.status_code == 303 and r.headers["location"] == "/password", path
        page = await c.get("/password")
        assert page.status_code == 200 and 'id="password-expired"' in page.text
        assert 'id="password-changed"' in (await _change_on_page(c, current, "After-expiry-pass-1")).text
        assert (await c.get("/")).status_code == 200
    assert (await _user(stack, "m0300-user1"))["password_changed_at"] > get_clock().now() - timedelta(minutes=5)
