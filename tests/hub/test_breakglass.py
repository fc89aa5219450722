"""Break-glass access (seed 004 type B) at the HTTP interface of the hub, real PostgreSQL, hub → area.

A grant names users of one operator, field classes and areas, approved by an OCCTO admin who did not
request it; while in force (clock), a lookup by a named user of a point in a named area shows the
named classes — decided by the area and accepted by the hub's re-check — and is audited with the
grant id. Field sets are written out in tests/expected_fields.py (not taken from the code).
"""

from __future__ import annotations

from datetime import timedelta

from switchhub.db.engine import make_engine
from switchhub.hub.accounts.admin import issue_api_credential
from switchhub.kernel.clock import JST, get_clock
from tests.expected_fields import PUBLIC, SUPPLIER, TSO_ONLY
from tests.flow.helpers import frozen
from tests.hub.helpers import audit_rows, point_of

USERS = (("OC000", "oc000-approver1", "admin"), ("OC000", "oc000-approver2", "admin"),
         ("A0001", "a0001-api2", "api"))


async def api_users(stack) -> dict[str, str]:
    """Extra API users for the test (OCCTO admins through the API, a second API user of A0001):
    login → bearer token."""
    from sqlalchemy import text

    engine = make_engine(stack.hub_url, pool_size=1)
    tokens = {}
    async with engine.begin() as conn:
        for code, login, role in USERS:
            await conn.execute(text("INSERT INTO users (login_id, operator_code, role, display_name, is_api_user)"
                                    " VALUES (:l, :c, :r, :l, true)"), {"l": login, "c": code, "r": role})
            tokens[login] = await issue_api_credential(conn, login)
    await engine.dispose()
    tokens["a0001-api"] = stack.world.token("A0001")
    tokens["oc000-api"] = stack.world.token("OC000")
    return tokens


def grant_body(now, **changes):
    body = {"operator_code": "A0001", "users": ["a0001-api"], "field_classes": ["supplier"], "areas": ["03"],
            "disaster_title": "令和8年 東北地方大雪", "reason": "停電復旧の連絡先確認のため",
            "starts_at": (now - timedelta(hours=1)).isoformat(), "ends_at": (now + timedelta(days=2)).isoformat()}
    return {**body, **changes}


async def lookup(stack, tokens, login, spid):
    code = login[:5].upper()
    async with stack.client(code, token=tokens[login]) as c:
        r = await c.get(f"/api/v1/supply-points/{spid}")
    assert r.status_code == 200, r.text
    return r.json()


async def post(stack, tokens, login, path, body):
    async with stack.client(login[:5].upper(), token=tokens[login]) as c:
        return await c.post(path, json=body)


def sensitive_reads(stack) -> list[dict]:
    """The lookup records that name sensitive fields (every lookup is recorded; public-only ones name none)."""
    return [r for r in audit_rows(stack.hub_url, "api.supply_point.lookup") if r["fields"]]


async def requested_and_approved(stack, tokens, now, **changes) -> str:
    r = await post(stack, tokens, "oc000-approver1", "/api/v1/breakglass-grants", grant_body(now, **changes))
    assert r.status_code == 201, r.text
    gid = r.json()["grant_id"]
    r = await post(stack, tokens, "oc000-approver2", f"/api/v1/breakglass-grants/{gid}:approve", {"note": "承認"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "approved" and r.json()["in_force"] is True
    return gid


async def test_before_during_after_and_audit(stack):
    tokens = await api_users(stack)
    spid = point_of(stack.world, "M0300", "03")
    now = get_clock().now().astimezone(JST)
    r = await post(stack, tokens, "oc000-approver1", "/api/v1/breakglass-grants", grant_body(now))
    assert r.status_code == 201, r.text
    grant = r.json()
    gid = grant["grant_id"]
    assert grant["status"] == "requested" and grant["in_force"] is False and grant["requested_by"] == "oc000-approver1"

    before = await lookup(stack, tokens, "a0001-api", spid)
    assert set(before) <= PUBLIC and not SUPPLIER & set(before)

    r = await post(stack, tokens, "oc000-approver2", f"/api/v1/breakglass-grants/{gid}:approve", {"note": "確認済"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "approved" and r.json()["decided_by"] == "oc000-approver2"

    during = await lookup(stack, tokens, "a0001-api", spid)
    assert SUPPLIER - {"current_retailer_name"} <= set(during) or SUPPLIER <= set(during)
    assert during["customer_name_kanji"] and during["current_retailer_code"] == "M0300"
    assert not TSO_ONLY & set(during)
    reads = sensitive_reads(stack)
    assert len(reads) == 1 and reads[0]["operator_code"] == "A0001" and reads[0]["user_login"] == "a0001-api"
    assert reads[0]["detail"] == {"breakglass_grants": [gid]} and "customer_name_kanji" in reads[0]["fields"]
    assert not audit_rows(stack.hub_url, "alert.visibility.restricted_field")

    with frozen(now + timedelta(days=2, minutes=1)):
        after = await lookup(stack, tokens, "a0001-api", spid)
        async with stack.client("OC000", token=tokens["oc000-api"]) as c:
            listed = (await c.get(f"/api/v1/breakglass-grants/{gid}")).json()
    assert not SUPPLIER & set(after)
    assert listed["status"] == "approved" and listed["in_force"] is False
    assert len(sensitive_reads(stack)) == 1
    assert [r["detail"] for r in audit_rows(stack.hub_url, "api.supply_point.lookup")] == [
        {}, {"breakglass_grants": [gid]}, {}]  # before, during, after: every lookup recorded


async def test_outside_named_areas_and_other_user_withheld(stack):
    tokens = await api_users(stack)
    now = get_clock().now().astimezone(JST)
    await requested_and_approved(stack, tokens, now, areas=["06"], field_classes=["supplier", "tso_only"])
    in_03 = point_of(stack.world, "M0300", "03")
    assert not SUPPLIER & set(await lookup(stack, tokens, "a0001-api", in_03))
    gid = await requested_and_approved(stack, tokens, now, areas=["03"], field_classes=["supplier", "tso_only"])
    assert not SUPPLIER & set(await lookup(stack, tokens, "a0001-api2", in_03))  # same operator, not named
    shown = await lookup(stack, tokens, "a0001-api", in_03)
    assert SUPPLIER - {"current_retailer_name"} <= set(shown) and TSO_ONLY <= set(shown)
    reads = sensitive_reads(stack)
    assert [r["detail"] for r in reads] == [{"breakglass_grants": [gid]}]
    assert set(reads[0]["fields"]) >= {"load_equipment", "tso_notes", "customer_name_kanji"}


async def test_self_approval_refused_and_rules(stack):
    tokens = await api_users(stack)
    now = get_clock().now().astimezone(JST)
    r = await post(stack, tokens, "oc000-approver1", "/api/v1/breakglass-grants", grant_body(now))
    gid = r.json()["grant_id"]
    r = await post(stack, tokens, "oc000-approver1", f"/api/v1/breakglass-grants/{gid}:approve", {})
    assert r.status_code == 403 and r.json()["code"] == "breakglass_self_approval", r.text
    async with stack.client("OC000", token=tokens["oc000-api"]) as c:
        assert (await c.get(f"/api/v1/breakglass-grants/{gid}")).json()["status"] == "requested"
    # the helpdesk may request but not approve
    r = await post(stack, tokens, "oc000-api", f"/api/v1/breakglass-grants/{gid}:approve", {})
    assert r.status_code == 403 and r.json()["code"] == "permission_denied"
    r = await post(stack, tokens, "oc000-approver2", f"/api/v1/breakglass-grants/{gid}:reject", {"note": "不要"})
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    r = await post(stack, tokens, "oc000-approver2", f"/api/v1/breakglass-grants/{gid}:approve", {})
    assert r.status_code == 409 and r.json()["code"] == "breakglass_status_conflict"
    actions = [a["action"] for a in audit_rows(stack.hub_url) if a["action"].startswith("api.breakglass.")]
    assert actions == ["api.breakglass.request", "api.breakglass.reject"]


async def test_revoked_grant_withholds_and_bad_input_is_field_errors(stack):
    tokens = await api_users(stack)
    now = get_clock().now().astimezone(JST)
    gid = await requested_and_approved(stack, tokens, now)
    spid = point_of(stack.world, "M0300", "03")
    assert "customer_name_kanji" in await lookup(stack, tokens, "a0001-api", spid)
    r = await post(stack, tokens, "oc000-approver1", f"/api/v1/breakglass-grants/{gid}:revoke", {"note": "復旧"})
    assert r.status_code == 200 and r.json()["status"] == "revoked"
    assert not SUPPLIER & set(await lookup(stack, tokens, "a0001-api", spid))
    bad = grant_body(now, users=["m0300-admin"], ends_at=(now + timedelta(days=8)).isoformat())
    r = await post(stack, tokens, "oc000-approver1", "/api/v1/breakglass-grants", bad)
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {"users"}
    r = await post(stack, tokens, "oc000-approver1", "/api/v1/breakglass-grants",
                   grant_body(now, ends_at=(now + timedelta(days=8)).isoformat()))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "ends_at"
    r = await post(stack, tokens, "oc000-approver1", "/api/v1/breakglass-grants", grant_body(now, operator_code="OC000",
                                                                                           users=["oc000-api"]))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "operator_code"


async def test_a_request_whose_end_passed_cannot_be_approved(stack):
    tokens = await api_users(stack)
    now = get_clock().now().astimezone(JST)
    r = await post(stack, tokens, "oc000-approver1", "/api/v1/breakglass-grants",
                   grant_body(now, ends_at=(now + timedelta(hours=2)).isoformat()))
    gid = r.json()["grant_id"]
    with frozen(now + timedelta(hours=3)):
        r = await post(stack, tokens, "oc000-approver2", f"/api/v1/breakglass-grants/{gid}:approve", {})
    assert r.status_code == 409 and r.json()["code"] == "breakglass_period_ended"


async def test_expiry_job_marks_ended_grants(stack):
    from switchhub.hub.breakglass.service import expire_ended

    tokens = await api_users(stack)
    now = get_clock().now().astimezone(JST)
    gid = await requested_and_approved(stack, tokens, now)
    engine = stack.hub_app.state.engine
    async with engine.begin() as conn:
        assert await expire_ended(conn, now) == []
    async with engine.begin() as conn:
        assert await expire_ended(conn, now + timedelta(days=3)) == [gid]
    async with stack.client("OC000", token=tokens["oc000-api"]) as c:
        body = (await c.get(f"/api/v1/breakglass-grants/{gid}")).json()
    assert body["status"] == "expired" and body["status_reason"] == "breakglass_period_ended"
