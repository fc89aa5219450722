"""Small helpers for hub tests: find generated points by relationship, read audit rows."""

from __future__ import annotations

import re

from switchhub.db.urls import with_database
from tests.support import World, execute


def area_template_url(world: World) -> str:
    return with_database(world.admin, world.area_template)


def switched_point(world: World, area: str = "03") -> tuple[str, str, str]:
    """(spid, current retailer, former retailer) of a point that switched from the incumbent."""
    rows = execute(area_template_url(world),
                   "SELECT cur.spid, cur.retailer_code, old.retailer_code FROM supply_periods cur"
                   " JOIN supply_periods old ON old.area = cur.area AND old.spid = cur.spid"
                   " AND old.valid_to IS NOT NULL AND old.retailer_code <> cur.retailer_code"
                   " WHERE cur.valid_to IS NULL AND cur.area = %s AND cur.retailer_code IN ('A0001', 'A0002')"
                   " AND old.retailer_code = 'M0300' ORDER BY cur.spid LIMIT 1", (area,))
    spid, cur, old = rows[0]
    return spid, cur, old


def point_of(world: World, retailer: str, area: str = "03") -> str:
    rows = execute(area_template_url(world),
                   "SELECT spid FROM supply_periods WHERE retailer_code = %s AND valid_to IS NULL AND area = %s"
                   " ORDER BY spid LIMIT 1", (retailer, area))
    return rows[0][0]


def own_point_count(world: World, retailer: str) -> int:
    return execute(area_template_url(world),
                   "SELECT count(*) FROM supply_periods WHERE retailer_code = %s AND valid_to IS NULL"
                   " AND valid_from <= current_date", (retailer,))[0][0]


def audit_rows(hub_url: str, action: str | None = None) -> list[dict]:
    import psycopg
    from psycopg.rows import dict_row

    from switchhub.db.urls import plain_url

    with psycopg.connect(plain_url(hub_url), row_factory=dict_row) as conn:
        if action:
            return conn.execute("SELECT * FROM audit_records WHERE action = %s ORDER BY id", (action,)).fetchall()
        return conn.execute("SELECT * FROM audit_records ORDER BY id").fetchall()


def csrf_of(page_text: str) -> str:
    """The CSRF token of the first form on a page."""
    return re.search(r'name="csrf_token" value="([^"]+)"', page_text).group(1)


async def web_login(client, login_id: str, password: str, otp: str | None = None):
    """Log in through the login form (its CSRF token first); otp: the six digits, or None to leave it out."""
    page = await client.get("/login")
    data = {"login_id": login_id, "password": password, "csrf_token": csrf_of(page.text)}
    if otp is not None:
        data["otp"] = otp
    return await client.post("/login", data=data)


async def web_reauth(client, password: str, otp: str | None = None):
    """Re-enter the password (+ TOTP) so admin pages (`web_admin`) open for the next 10 minutes."""
    page = await client.get("/reauth?next=/")
    return await client.post("/reauth", data={"csrf_token": csrf_of(page.text), "next": "/", "password": password,
                                              "otp": otp or ""})


async def web_login_reauthenticated(stack, client, login_id: str):
    """Log in as `login_id` of the test world (with its TOTP where it has one) and re-authenticate,
    as an admin does before admin pages; returns the CSRF token of the session."""
    import pyotp

    world = stack.world
    otp = pyotp.TOTP(world.totp[login_id]).now() if login_id in world.totp else None
    r = await web_login(client, login_id, world.logins[login_id], otp)
    assert r.status_code == 303, r.text[:300]
    r = await web_reauth(client, world.logins[login_id], otp)
    assert r.status_code == 303, r.text[:300]
    return csrf_of((await client.get("/")).text)


async def issue_tokens(stack, *logins: str) -> dict[str, str]:
    """API credentials for named users of any role (to show that the role, not the credential, limits them)."""
    from sqlalchemy import text

    from switchhub.hub.accounts.service import issue_credential

    out = {}
    async with stack.hub_app.state.engine.begin() as conn:
        for login_id in logins:
            uid = (await conn.execute(text("SELECT id FROM users WHERE login_id = :l"), {"l": login_id})).scalar_one()
            out[login_id] = await issue_credential(conn, uid)
    return out
