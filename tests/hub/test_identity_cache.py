"""The hub's API identity cache (hub/accounts/identity_cache.py) at the HTTP interface, real PostgreSQL:
an identity read from the cache is a claim that the database confirms before anything it allowed
leaves, so a change committed anywhere (here: by SQL, as another hub process or the admin CLI would)
counts from the very next request, and from a request already in flight.

The test_auth.py test of each suspension on the lookup path runs with the cache warm, too.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from switchhub.db.engine import make_engine
from switchhub.hub.accounts import repository
from switchhub.hub.accounts.identity_cache import IdentityClaim, StaleIdentity
from switchhub.hub.audit.group_commit import group_commit
from switchhub.hub.audit.repository import AuditEntry
from switchhub.kernel.clock import get_clock
from tests.hub.helpers import audit_rows, point_of

SUSPEND_CERT = "UPDATE client_certificates SET status = 'suspended' WHERE fingerprint = :f"


async def _run(stack, sql: str, **params) -> None:
    async with stack.hub_app.state.engine.begin() as conn:
        await conn.execute(text(sql), params)


def _count_reads(stack) -> list[str]:
    """The identity statements the hub runs (each a read of the database, not of the cache)."""
    identities = stack.hub_app.state.identities
    reads: list[str] = []
    original = identities.read

    async def counted(fingerprint, key_id):
        reads.append(key_id)
        return await original(fingerprint, key_id)

    identities.read = counted
    return reads


def _lookups(stack) -> list[dict]:
    return audit_rows(stack.hub_url, "api.supply_point.lookup")


async def test_a_warm_cache_serves_lookups_without_the_identity_statement(stack):
    reads = _count_reads(stack)
    spid = point_of(stack.world, "M0300")
    async with stack.client("M0300") as c:
        codes = [(await c.get(f"/api/v1/supply-points/{spid}")).status_code for _ in range(5)]
    assert codes == [200] * 5
    assert len(reads) == 1  # the first request read it; the other four were confirmed by their audit writes
    assert len(_lookups(stack)) == 5


async def test_a_suspension_committed_while_a_lookup_is_in_flight_refuses_that_lookup(stack):
    """The certificate is suspended after the gate took the identity from the cache and before the
    audit write: the answer (with supplier fields) never leaves, no lookup record is written, the
    refusal is recorded, and the request is answered as a suspended certificate's."""
    fingerprint = stack.world.clients["M0300-api"].fingerprint
    spid = point_of(stack.world, "M0300")
    areas = stack.hub_app.state.areas
    original = areas.lookup
    in_flight = {"suspend": False}

    async def suspending(caller, wanted):
        answer = await original(caller, wanted)
        if in_flight["suspend"]:
            await _run(stack, SUSPEND_CERT, f=fingerprint)
        return answer

    areas.lookup = suspending
    async with stack.client("M0300") as c:
        assert (await c.get(f"/api/v1/supply-points/{spid}")).status_code == 200  # fills the cache
        in_flight["suspend"] = True
        r = await c.get(f"/api/v1/supply-points/{spid}")
    assert (r.status_code, r.json()["code"]) == (403, "certificate_suspended")
    assert "customer_name_kanji" not in r.text
    assert len(_lookups(stack)) == 1  # only the first lookup's record
    assert [row["outcome"] for row in audit_rows(stack.hub_url, "auth.certificate.refused")] == [
        "certificate_suspended"]


async def test_a_change_that_still_admits_serves_the_request_again_under_the_new_identity(stack):
    """A change in flight that does not refuse (the user's role, API user → admin, both may look up):
    the lookup is served once more under the database's identity and answered."""
    spid = point_of(stack.world, "M0300")
    areas = stack.hub_app.state.areas
    original = areas.lookup
    calls: list[str] = []

    async def changing(caller, wanted):
        calls.append(caller.role)
        answer = await original(caller, wanted)
        if len(calls) == 2:
            await _run(stack, "UPDATE users SET role = 'admin' WHERE login_id = 'm0300-api'")
        return answer

    areas.lookup = changing
    async with stack.client("M0300") as c:
        assert (await c.get(f"/api/v1/supply-points/{spid}")).status_code == 200
        r = await c.get(f"/api/v1/supply-points/{spid}")
    assert r.status_code == 200 and r.json()["spid"] == spid
    assert calls == ["api", "api", "admin"]  # the second request asked the area again, as an admin
    assert len(_lookups(stack)) == 2  # one record each; the stale attempt wrote none


async def test_an_answer_before_the_audit_write_waits_for_the_confirmation(stack):
    """A lookup of an unknown point is answered 404 without an audit write; with the certificate
    suspended meanwhile, the warm cache must not let the 404 (a fact about the point) leave."""
    fingerprint = stack.world.clients["M0300-api"].fingerprint
    spid = point_of(stack.world, "M0300")
    missing = spid[:2] + "9" * 20
    async with stack.client("M0300") as c:
        assert (await c.get(f"/api/v1/supply-points/{spid}")).status_code == 200
        assert (await c.get(f"/api/v1/supply-points/{missing}")).status_code == 404
        await _run(stack, SUSPEND_CERT, f=fingerprint)
        r = await c.get(f"/api/v1/supply-points/{missing}")
    assert (r.status_code, r.json()["code"]) == (403, "certificate_suspended")


async def test_a_held_answer_gets_the_credentials_refusal_recorded_with_its_user_and_request(stack):
    """The same for a revoked credential: the gate answers the credential's refusal and records it as
    the API's dependencies do (its user, the path, the request's ID)."""
    spid = point_of(stack.world, "M0300")
    missing = spid[:2] + "9" * 20
    async with stack.client("M0300") as c:
        assert (await c.get(f"/api/v1/supply-points/{spid}")).status_code == 200
        await _run(stack, "UPDATE api_credentials SET revoked_at = now() WHERE user_id = (SELECT id FROM users"
                          " WHERE login_id = 'm0300-api')")
        r = await c.get(f"/api/v1/supply-points/{missing}", headers={"X-Request-ID": "held-404-request"})
    assert (r.status_code, r.json()["code"]) == (403, "credential_revoked")
    assert [(row["outcome"], row["user_login"], row["operator_code"], row["request_id"], row["detail"]["path"])
            for row in audit_rows(stack.hub_url, "auth.refused")] == [
        ("credential_revoked", "m0300-api", "M0300", "held-404-request", f"/api/v1/supply-points/{missing}")]


async def test_other_routes_confirm_a_cached_identity_before_they_act(stack):
    """A route that changes something (a mail subscription) is not a lookup: a cached identity is
    read again before the route runs, so a revoked credential is refused (recorded with its user)
    and nothing is written — confirming only when the answer starts would come after the commit."""
    reads = _count_reads(stack)
    spid = point_of(stack.world, "M0300")
    body = {"email": "m0300-desk@example.jp", "event_kind": "relay.registered"}
    async with stack.client("M0300") as c:
        assert (await c.get(f"/api/v1/supply-points/{spid}")).status_code == 200
        assert (await c.get("/api/v1/me")).status_code == 200
        await _run(stack, "UPDATE api_credentials SET revoked_at = now() WHERE user_id = (SELECT id FROM users"
                          " WHERE login_id = 'm0300-api')")
        r = await c.post("/api/v1/subscriptions", json=body)
    assert (r.status_code, r.json()["code"]) == (403, "credential_revoked")
    assert len(reads) == 3  # the lookup's read, then one for each of the other routes
    assert [(row["outcome"], row["user_login"]) for row in audit_rows(stack.hub_url, "auth.refused")] == [
        ("credential_revoked", "m0300-api")]
    async with stack.hub_app.state.engine.connect() as conn:
        written = (await conn.execute(text("SELECT count(*) FROM subscriptions WHERE email = :e"),
                                      {"e": body["email"]})).scalar_one()
    assert written == 0


async def test_the_audit_write_writes_only_the_records_whose_claim_holds(stack):
    """Group commit with claims: callers sharing one write, one of them claiming an identity whose
    stamp is not the database's, gets StaleIdentity and none of its records; the others are written."""
    fingerprint = stack.world.clients["M0300-api"].fingerprint
    key_id = stack.world.token("M0300")[4:].partition(".")[0]
    engine = make_engine(stack.hub_url, pool_size=2)
    try:
        async with engine.connect() as conn:
            *_, stamp = await repository.api_identity(conn, fingerprint, key_id, get_clock().now())
        good, stale = IdentityClaim(fingerprint, key_id, stamp), IdentityClaim(fingerprint, key_id, "0" * 32)
        writer = group_commit(engine)

        def entry(i: int) -> list[AuditEntry]:
            return [AuditEntry(action="claim.test", operator_code="M0300", request_id=f"claim-{i}")]

        outcomes = await asyncio.wait_for(asyncio.gather(
            writer.write(entry(0)),  # an idle writer: written alone
            *(writer.write(entry(i), stale if i == 3 else good) for i in range(1, 6)),
            writer.write(entry(6)), return_exceptions=True), 30)
    finally:
        await engine.dispose()
    assert [type(o).__name__ for o in outcomes] == ["NoneType"] * 3 + ["StaleIdentity"] + ["NoneType"] * 3
    assert isinstance(outcomes[3], StaleIdentity)
    assert [r["request_id"] for r in audit_rows(stack.hub_url, "claim.test")] == [
        "claim-0", "claim-1", "claim-2", "claim-4", "claim-5", "claim-6"]


def test_the_cache_is_bounded_expires_and_keeps_no_unknown_credential():
    from switchhub.hub.accounts.identity_cache import IdentityCache
    from switchhub.hub.accounts.service import CertIdentity, PrefetchedCredential

    now = [1000.0]
    cache = IdentityCache(max_entries=3, ttl_s=60.0, clock=lambda: now[0])

    def put(i: int, row: dict | None = None) -> None:
        cert = CertIdentity(f"fp{i}", "CN=x", "api", "M0300", "retailer", frozenset({"03"}))
        cache.put(cert, PrefetchedCredential(f"k{i}", {"id": i} if row is None else row, ()), f"stamp{i}")

    for i in range(5):
        put(i)
    assert len(cache) == 3 and cache.get("fp0", "k0") is None and cache.get("fp4", "k4").claim.stamp == "stamp4"
    cache.put(CertIdentity("fpx", "CN=x", "api", "M0300", "retailer", frozenset()),
              PrefetchedCredential("kx", None, ()), "s")  # an unknown credential: read every time
    assert cache.get("fpx", "kx") is None
    now[0] += 60.5
    assert cache.get("fp4", "k4") is None and len(cache) == 2  # expired entries go when they are asked for
