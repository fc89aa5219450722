"""Refusals of security.md at the HTTP interface: each refused and logged."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from tests.hub.helpers import audit_rows, point_of


async def _run(stack, sql: str, **params) -> None:
    async with stack.hub_app.state.engine.begin() as conn:
        await conn.execute(text(sql), params)


async def _lookup(client, stack) -> int:
    spid = point_of(stack.world, "M0300")
    return (await client.get(f"/api/v1/supply-points/{spid}")).status_code


async def test_no_certificate_refused_and_logged(stack):
    async with stack.client(None, token=stack.world.token("A0001")) as c:
        r = await c.get("/api/v1/me")
    assert r.status_code == 403 and r.json()["code"] == "certificate_required"
    assert audit_rows(stack.hub_url, "auth.certificate.refused")[0]["outcome"] == "certificate_required"


async def test_unknown_certificate_refused_and_logged(stack):
    async with stack.client("A0001", cert=stack.world.foreign) as c:
        r = await c.get("/api/v1/me")
    assert r.status_code == 403 and r.json()["code"] == "certificate_not_registered"
    assert "お使いの端末" in r.json()["title"]
    row = audit_rows(stack.hub_url, "auth.certificate.refused")[0]
    assert row["cert_fingerprint"] == stack.world.foreign.fingerprint


async def test_suspended_certificate_refused_on_next_request(stack):
    async with stack.client("A0001") as c:
        assert (await c.get("/api/v1/me")).status_code == 200
        await _run(stack, "UPDATE client_certificates SET status = 'suspended' WHERE fingerprint = :f",
                   f=stack.world.clients["A0001-api"].fingerprint)
        r = await c.get("/api/v1/me")
    assert r.status_code == 403 and r.json()["code"] == "certificate_suspended"
    assert audit_rows(stack.hub_url, "auth.certificate.refused")[0]["outcome"] == "certificate_suspended"


async def test_suspended_operator_refused(stack):
    await _run(stack, "UPDATE operators SET status = 'suspended' WHERE code = 'A0001'")
    async with stack.client("A0001") as c:
        r = await c.get("/api/v1/me")
    assert r.status_code == 403 and r.json()["code"] == "operator_suspended"


async def test_suspended_and_frozen_user_refused(stack):
    for status in ("suspended", "frozen"):
        await _run(stack, "UPDATE users SET status = :s WHERE login_id = 'a0001-api'", s=status)
        async with stack.client("A0001") as c:
            r = await c.get("/api/v1/me")
        assert r.status_code == 403 and r.json()["code"] == "user_unavailable"
    assert [(r["outcome"], r["user_login"]) for r in audit_rows(stack.hub_url, "auth.refused")] == [
        ("user_unavailable", "a0001-api")] * 2


async def test_certificate_and_credential_of_different_operators_refused(stack):
    async with stack.client("A0001", token=stack.world.token("A0002")) as c:
        r = await c.get("/api/v1/me")
    assert r.status_code == 403 and r.json()["code"] == "certificate_operator_mismatch"
    rows = audit_rows(stack.hub_url, "auth.refused")
    assert [(r["outcome"], r["operator_code"], r["user_login"], r["cert_fingerprint"], r["detail"]) for r in rows] == [
        ("certificate_operator_mismatch", "A0001", "a0002-api", stack.world.clients["A0001-api"].fingerprint,
         {"path": "/api/v1/me", "certificate_operator": "A0001", "credential_operator": "A0002"})]


async def test_web_certificate_cannot_call_api(stack):
    async with stack.client("A0001", "web", token=stack.world.token("A0001")) as c:
        r = await c.get("/api/v1/me")
    assert r.status_code == 403 and r.json()["code"] == "certificate_purpose"


async def test_missing_malformed_and_revoked_credentials(stack):
    async with stack.client("A0001", token=None) as c:
        assert (await c.get("/api/v1/me")).status_code == 401
    async with stack.client("A0001", token="shk_nope.nope") as c:
        assert (await c.get("/api/v1/me")).status_code == 401
    token = stack.world.token("A0001")
    key_id = token[4:].split(".")[0]
    async with stack.client("A0001") as c:
        r = await c.post(f"/api/v1/me/credentials/{key_id}:revoke")
        assert r.status_code == 200, r.text
        r = await c.get("/api/v1/me")
    assert r.status_code == 403 and r.json()["code"] == "credential_revoked"


async def test_rate_limit_token_bucket_with_retry_after(world):
    from tests.support import build_stack, close_stack

    stack = build_stack(world, settings_changes={"rate_per_second": 1.0, "rate_burst": 3})
    try:
        async with stack.client("A0001") as c:
            codes = [(await c.get("/api/v1/me")).status_code for _ in range(3)]
            r = await c.get("/api/v1/me")
            other = await stack.client("A0002").__aenter__()
            other_status = (await other.get("/api/v1/me")).status_code
            await other.aclose()
            # a batch counts once
            await asyncio.sleep(1.05)
            spid = point_of(world, "A0001")
            batch = await c.post("/api/v1/supply-points:batch-get", json={"spids": [spid] * 50})
        assert codes == [200, 200, 200]
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
        assert r.headers["ratelimit-limit"] == "3"
        assert other_status == 200
        assert batch.status_code == 200
    finally:
        await close_stack(stack)


async def test_the_lookup_path_refuses_each_suspension_on_the_very_next_request(stack):
    """Each change below, made by SQL as another hub process would make it, refuses the next lookup on
    the same kept-alive connection, and undoing it admits the one after; the first lookup has filled
    the hub's identity cache, so each refusal is the database's confirmation of a cached identity
    failing (hub/accounts/identity_cache.py)."""
    fingerprint = stack.world.clients["M0300-api"].fingerprint
    changes = [  # (suspend, restore, code answered)
        ("UPDATE client_certificates SET status = 'suspended' WHERE fingerprint = :f",
         "UPDATE client_certificates SET status = 'active' WHERE fingerprint = :f", "certificate_suspended"),
        ("UPDATE operators SET status = 'suspended' WHERE code = 'M0300'",
         "UPDATE operators SET status = 'active' WHERE code = 'M0300'", "operator_suspended"),
        ("UPDATE users SET status = 'suspended' WHERE login_id = 'm0300-api'",
         "UPDATE users SET status = 'active' WHERE login_id = 'm0300-api'", "user_unavailable"),
        ("UPDATE api_credentials SET revoked_at = now() WHERE user_id = (SELECT id FROM users"
         " WHERE login_id = 'm0300-api')",
         "UPDATE api_credentials SET revoked_at = NULL WHERE user_id = (SELECT id FROM users"
         " WHERE login_id = 'm0300-api')", "credential_revoked"),
    ]
    spid = point_of(stack.world, "M0300")
    async with stack.client("M0300") as c:
        assert (await c.get(f"/api/v1/supply-points/{spid}")).status_code == 200
        for suspend, restore, code in changes:
            await _run(stack, suspend, f=fingerprint)
            r = await c.get(f"/api/v1/supply-points/{spid}")
            assert (r.status_code, r.json()["code"]) == (403, code)
            await _run(stack, restore, f=fingerprint)
            r = await c.get(f"/api/v1/supply-points/{spid}")
            assert r.status_code == 200, (code, r.text)
