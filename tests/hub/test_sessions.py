"""Web sessions (security.md): idle timeout 30 min, absolute 12 h, bound to the client certificate
that created them, CSRF tokens on every form (relay, application, logout)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import text

from switchhub import devca
from switchhub.hub.accounts.admin import register_certificate
from switchhub.kernel.clock import JST
from tests.flow.helpers import frozen, smart_point_of
from tests.flow.test_switch_api import relay_body
from tests.hub.helpers import csrf_of
from tests.hub.helpers import web_login as login
from tests.support import ClientIdentity

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=JST)


async def test_idle_timeout_is_thirty_minutes_of_inactivity(stack):
    with frozen(NOW) as clock:
        async with stack.client("M0300", "web", token=None) as c:
            await login(c, "m0300-user1", stack.world.logins["m0300-user1"])
            clock.advance(minutes=29)
            assert (await c.get("/")).status_code == 200  # activity moves the idle window
            clock.advance(minutes=29)
            assert (await c.get("/")).status_code == 200
            clock.advance(minutes=31)
            r = await c.get("/")
            assert r.status_code == 303 and r.headers["location"] == "/login"
            clock.advance(minutes=1)
            assert (await c.get("/")).status_code == 303  # ended for good, not only refused once


async def test_absolute_timeout_is_twelve_hours_however_active(stack):
    with frozen(NOW) as clock:
        async with stack.client("M0300", "web", token=None) as c:
            await login(c, "m0300-user1", stack.world.logins["m0300-user1"])
            for _ in range(35):  # every 20 minutes for 11 h 40 min
                clock.advance(minutes=20)
                assert (await c.get("/")).status_code == 200, clock.now()
            clock.advance(minutes=19)
            assert (await c.get("/")).status_code == 200  # 11 h 59 min
            clock.advance(minutes=2)
            r = await c.get("/")
            assert r.status_code == 303 and r.headers["location"] == "/login"


async def _second_web_certificate(stack, operator: str) -> ClientIdentity:
    certs = stack.world.certs_dir
    issued = devca.issue_client_cert(certs / "ca", certs, f"{operator.lower()}-web-2", operator_code=operator,
                                     purpose="web", common_name=f"{operator.lower()}-web-2")
    pem = Path(issued.cert_path).read_text()
    async with stack.hub_app.state.engine.begin() as conn:
        await register_certificate(conn, fingerprint=issued.fingerprint_sha256, subject=f"CN={operator}-2",
                                   operator_code=operator, purpose="web", not_before=None, not_after=None)
    return ClientIdentity(operator, "web", issued.cert_path, issued.key_path, pem, issued.fingerprint_sha256)


async def test_a_session_belongs_to_the_certificate_that_created_it(stack):
    other_machine = await _second_web_certificate(stack, "M0300")
    async with stack.client("M0300", "web", token=None) as c:
        await login(c, "m0300-user1", stack.world.logins["m0300-user1"])
        cookie = c.cookies.get("switchhub_session")
        assert (await c.get("/")).status_code == 200
    async with stack.client("M0300", "web", token=None, cert=other_machine) as thief:
        thief.cookies.set("switchhub_session", cookie, domain="hub.test")
        for path in ("/", "/relays", "/facility"):
            r = await thief.get(path)
            assert r.status_code == 303 and r.headers["location"] == "/login", path
    async with stack.client("M0300", "web", token=None) as c:  # the real session is untouched
        c.cookies.set("switchhub_session", cookie, domain="hub.test")
        assert (await c.get("/")).status_code == 200


async def _relay_count(stack) -> int:
    async with stack.hub_app.state.engine.connect() as conn:
        return (await conn.execute(text("SELECT count(*) FROM relays"))).scalar_one()


async def test_forms_without_the_sessions_csrf_token_are_refused_and_change_nothing(stack):
    spid = smart_point_of(stack.world, "M0300", skip=30)
    body = {k: str(v) for k, v in relay_body(spid, requested_switch_date="2026-12-20").items()}
    with frozen(NOW):
        async with stack.client("A0001", "web", token=None) as c:
            await login(c, "a0001-user1", stack.world.logins["a0001-user1"])
            token = csrf_of((await c.get("/")).text)
            for forged in ({}, {"csrf_token": "forged"}):
                r = await c.post("/relays/new", data={**body, **forged})
                assert r.status_code == 403 and "もう一度操作してください" in r.text
            assert await _relay_count(stack) == 0
            for url, form in (("/applications/new", {"kind": "switch-end", "spid": spid}),
                              ("/applications/03X/withdraw", {"reason": "x"}),
                              ("/relays/R1/decision", {"decision": "01", "staff_name": "x"}),
                              ("/relays/R1/withdraw", {"reason": "x"}),
                              ("/password", {"current_password": "x", "new_password": "y", "new_password_again": "y"}),
                              ("/logout", {})):
                r = await c.post(url, data={**form, "csrf_token": "forged"})
                assert r.status_code == 403 and "もう一度操作してください" in r.text, url
            assert (await c.get("/")).status_code == 200  # the forged logout did not end the session
            ok = await c.post("/relays/new", data={**body, "csrf_token": token})
            assert ok.status_code == 303 and await _relay_count(stack) == 1
            assert (await c.post("/logout", data={"csrf_token": token})).status_code == 303
            assert (await c.get("/")).status_code == 303
