"""OCCTO's client certificate administration over HTTP (issue 9 C, security.md): register by upload
with the facts shown first, the refusals (not a certificate, expired, not yet valid, duplicate) as
field errors, suspension effective on the next request, area certificates bound to their areas, and
the daily expiry warning (once per certificate and threshold)."""

from __future__ import annotations

import base64
import re
from datetime import datetime, timedelta

import httpx
from sqlalchemy import text

from switchhub.kernel.clock import JST
from tests.hub.admin_helpers import identity, make_cert, occto_admin_api, occto_admin_token, occto_admin_web
from tests.hub.helpers import audit_rows
from tests.support import with_client_cert


async def test_inspect_states_the_facts_and_register_stores_what_the_hub_read(stack):
    pem, fingerprint, subject = make_cert(stack.world, "a0001-new-api")
    token = await occto_admin_token(stack)
    async with occto_admin_api(stack, token) as c:
        facts = await c.post("/api/v1/admin/certificates:inspect", json={"pem": pem})
        created = await c.post("/api/v1/admin/certificates", json={"pem": pem, "operator_code": "A0001",
                                                                    "purpose": "api"})
        listed = await c.get("/api/v1/admin/certificates?operator_code=A0001&purpose=api")
    assert facts.status_code == 200, facts.text
    assert facts.json()["fingerprint"] == fingerprint and facts.json()["subject"] == subject
    assert facts.json()["issuer"] == "O=switchhub development,CN=switchhub development CA"
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["fingerprint"], body["operator_code"], body["purpose"], body["status"], body["areas"]) == (
        fingerprint, "A0001", "api", "active", [])
    assert fingerprint in [i["fingerprint"] for i in listed.json()["items"]]
    row, = audit_rows(stack.hub_url, "api.certificate.register")
    assert (row["user_login"], row["resource_ids"], row["detail"]["operator"]) == ("oc000-admin", [fingerprint],
                                                                                   "A0001")
    # the new certificate works with an A0001 credential at once
    async with stack.client("A0001", cert=identity(pem, fingerprint, "A0001", "api")) as c:
        assert (await c.get("/api/v1/me")).status_code == 200


async def test_refusals_are_field_errors_and_nothing_is_stored(stack):
    world = stack.world
    expired, _, _ = make_cert(world, "old", days_valid=(-800, -1))
    future, _, _ = make_cert(world, "future", days_valid=(2, 700))
    token = await occto_admin_token(stack)
    cases = {
        "not a certificate": ("-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n",
                              "not_certificate"),
        "expired": (expired, "expired"),
        "not yet valid": (future, "not_yet_valid"),
        "duplicate": (world.clients["A0001-api"].pem, "duplicate"),
    }
    async with occto_admin_api(stack, token) as c:
        before = (await c.get("/api/v1/admin/certificates")).json()["total"]
        for name, (pem, code) in cases.items():
            for url, body in (("/api/v1/admin/certificates:inspect", {"pem": pem}),
                              ("/api/v1/admin/certificates", {"pem": pem, "operator_code": "A0001",
                                                              "purpose": "api"})):
                r = await c.post(url, json=body)
                assert r.status_code == 422, (name, r.text)
                assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [("certificate", code)], name
        assert (await c.get("/api/v1/admin/certificates")).json()["total"] == before


async def test_binding_errors_name_their_fields(stack):
    pem, _, _ = make_cert(stack.world, "binding")
    token = await occto_admin_token(stack)
    async with occto_admin_api(stack, token) as c:
        unknown = await c.post("/api/v1/admin/certificates", json={"pem": pem, "operator_code": "ZZ999",
                                                                    "purpose": "web"})
        area_of_retailer = await c.post("/api/v1/admin/certificates", json={
            "pem": pem, "operator_code": "A0001", "purpose": "area", "areas": ["03"]})
        area_none = await c.post("/api/v1/admin/certificates", json={"pem": pem, "operator_code": "T0300",
                                                                      "purpose": "area"})
        web_with_areas = await c.post("/api/v1/admin/certificates", json={
            "pem": pem, "operator_code": "A0001", "purpose": "web", "areas": ["03"]})
    assert [e["field"] for e in unknown.json()["errors"]] == ["operator_code"]
    assert [(e["field"], e["code"]) for e in area_of_retailer.json()["errors"]] == [("areas", "not_operator_area")]
    assert [(e["field"], e["code"]) for e in area_none.json()["errors"]] == [("areas", "required")]
    assert [(e["field"], e["code"]) for e in web_with_areas.json()["errors"]] == [("areas", "not_allowed")]


async def test_web_upload_shows_the_facts_then_registers_on_confirm(stack):
    pem, fingerprint, subject = make_cert(stack.world, "a0001-web-2")
    async with occto_admin_web(stack) as (c, csrf):
        shown = await c.post("/admin/certificates/new", data={"csrf_token": csrf, "operator_code": "A0001",
                                                              "purpose": "web"},
                             files={"file": ("a0001.pem", pem.encode(), "application/x-pem-file")})
        assert shown.status_code == 200, shown.text[:500]
        assert fingerprint in shown.text and subject in shown.text and 'id="certificate-confirm"' in shown.text
        async with stack.hub_app.state.engine.connect() as conn:  # nothing stored before the confirm step
            assert (await conn.execute(text("SELECT count(*) FROM client_certificates WHERE fingerprint = :f"),
                                       {"f": fingerprint})).scalar_one() == 0
        content = re.search(r'name="content" value="([^"]+)"', shown.text).group(1)
        assert base64.b64decode(content).decode() == pem
        done = await c.post("/admin/certificates/confirm", data={"csrf_token": csrf, "content": content,
                                                                 "operator_code": "A0001", "purpose": "web"},
                            files={"none": ("", b"", "application/octet-stream")})
        assert done.status_code == 303, done.text[:500]
        listed = await c.get(done.headers["location"])
        assert fingerprint in listed.text and "証明書を登録しました" in listed.text
        again = await c.post("/admin/certificates/new", data={"csrf_token": csrf, "operator_code": "A0001",
                                                              "purpose": "web"},
                             files={"file": ("a0001.pem", pem.encode(), "application/x-pem-file")})
        garbage = await c.post("/admin/certificates/new", data={"csrf_token": csrf, "operator_code": "A0001"},
                               files={"file": ("x.pem", b"hello", "application/x-pem-file")})
    assert again.status_code == 422 and 'id="certificate-error"' in again.text and "既に登録されています" in again.text
    assert garbage.status_code == 422 and "証明書として読み取れません" in garbage.text
    row, = audit_rows(stack.hub_url, "web.certificate.register")
    assert row["resource_ids"] == [fingerprint]


async def test_suspending_from_the_web_refuses_the_next_request_and_restore_admits_it(stack):
    a0001 = stack.world.clients["A0001-api"]
    async with occto_admin_web(stack) as (admin, csrf), stack.client("A0001") as retailer:
        assert (await retailer.get("/api/v1/me")).status_code == 200
        r = await admin.post(f"/admin/certificates/{a0001.fingerprint}/status",
                             data={"csrf_token": csrf, "status": "suspended"})
        assert r.status_code == 303
        refused = await retailer.get("/api/v1/me")
        assert (refused.status_code, refused.json()["code"]) == (403, "certificate_suspended")
        r = await admin.post(f"/admin/certificates/{a0001.fingerprint}/status",
                             data={"csrf_token": csrf, "status": "active"})
        assert r.status_code == 303
        assert (await retailer.get("/api/v1/me")).status_code == 200
    assert [x["action"] for x in audit_rows(stack.hub_url) if x["resource_ids"] == [a0001.fingerprint]
            and x["action"].startswith("web.certificate.")] == ["web.certificate.suspend", "web.certificate.restore"]


def _event(event_id: int, area: str) -> dict:
    return {"id": event_id, "area": area, "kind": "switch.matched",
            "payload": {"spid": f"{area}" + "0" * 20, "relay_no": None, "switch_date": "2027-01-15",
                        "start_no": f"{area}2027010100000001", "end_no": f"{area}2027010100000002",
                        "new_retailer": "A0001", "current_retailer": "A0002"}}


async def test_a_registered_area_certificate_posts_only_for_its_areas(stack):
    pem, fingerprint, _ = make_cert(stack.world, "t0300-area-system", operator="T0300")
    token = await occto_admin_token(stack)
    async with occto_admin_api(stack, token) as c:
        r = await c.post("/api/v1/admin/certificates", json={"pem": pem, "operator_code": "T0300",
                                                              "purpose": "area", "areas": ["03"]})
    assert r.status_code == 201, r.text
    transport = httpx.ASGITransport(app=with_client_cert(stack.hub_app, pem))
    async with httpx.AsyncClient(transport=transport, base_url="https://hub.test") as area:
        own = await area.post("/internal/v1/area-events", json={"events": [_event(1, "03")]})
        foreign = await area.post("/internal/v1/area-events", json={"events": [_event(2, "06")]})
        as_api = await area.get("/api/v1/me", headers={"Authorization": f"Bearer {stack.world.token('T0300')}"})
        async with occto_admin_api(stack, token) as c:
            assert (await c.post(f"/api/v1/admin/certificates/{fingerprint}:suspend")).status_code == 200
        suspended = await area.post("/internal/v1/area-events", json={"events": [_event(3, "03")]})
    assert own.status_code == 200 and own.json() == {"accepted": 1, "duplicates": 0}
    assert (foreign.status_code, foreign.json()["code"]) == (403, "area_not_bound")
    assert as_api.status_code == 403  # an area certificate is no API client
    assert (suspended.status_code, suspended.json()["code"]) == (403, "area_certificate_required")


async def test_the_daily_job_warns_once_per_certificate_and_threshold(stack):
    from switchhub.hub.certificates.tasks import warn_expiring
    from tests.flow.helpers import frozen

    pem, fingerprint, _ = make_cert(stack.world, "expiring", days_valid=(-700, 40))
    token = await occto_admin_token(stack)
    async with occto_admin_api(stack, token) as c:
        assert (await c.post("/api/v1/admin/certificates", json={"pem": pem, "operator_code": "A0001",
                                                                   "purpose": "api"})).status_code == 201
    async with stack.hub_app.state.engine.begin() as conn:
        for op in ("A0001", "OC000"):
            await conn.execute(text("INSERT INTO subscriptions (operator_code, email, event_kind, created_by)"
                                    " VALUES (:op, :e, 'certificate.expiring', 'test')"),
                               {"op": op, "e": f"certs@{op.lower()}.example"})
    async with stack.hub_app.state.engine.connect() as conn:
        not_after = (await conn.execute(text("SELECT not_after FROM client_certificates WHERE fingerprint = :f"),
                                        {"f": fingerprint})).scalar_one()

    async def run(days_before_expiry: float) -> int:
        with frozen(not_after - timedelta(days=days_before_expiry)) as clock:
            async with stack.hub_app.state.engine.begin() as conn:
                return await warn_expiring(conn, clock.now())

    assert await run(31) == 0  # outside the 30-day band
    first = await run(29)
    assert await run(28) == 0 and await run(8) == 0  # once for the 30-day band
    second = await run(6)
    assert await run(1) == 0
    assert (first, second) == (1, 1)
    async with stack.hub_app.state.engine.connect() as conn:
        rows = (await conn.execute(text(
            "SELECT d.event_id, d.target FROM deliveries d WHERE d.event_kind = 'certificate.expiring'"
            " ORDER BY d.event_id, d.target"))).all()
    mine = sorted((r.event_id, r.target) for r in rows if fingerprint in r.event_id)
    assert mine == [(f"certificate.expiring:{fingerprint}:30", "certs@a0001.example"),
                    (f"certificate.expiring:{fingerprint}:30", "certs@oc000.example"),
                    (f"certificate.expiring:{fingerprint}:7", "certs@a0001.example"),
                    (f"certificate.expiring:{fingerprint}:7", "certs@oc000.example")]



async def test_the_hub_worker_schedules_the_warning_once_a_day(stack):
    from switchhub.hub.notify.delivery import SmtpConfig
    from switchhub.worker import hub_round
    from tests.flow.helpers import frozen

    pem, fingerprint, _ = make_cert(stack.world, "expiring-soon", days_valid=(-700, 10))
    token = await occto_admin_token(stack)
    async with occto_admin_api(stack, token) as c:
        assert (await c.post("/api/v1/admin/certificates", json={"pem": pem, "operator_code": "A0001",
                                                                   "purpose": "web"})).status_code == 201
    smtp = SmtpConfig("127.0.0.1", 1, "x@test")
    for _ in range(2):  # two rounds the same day: one keyed job, one warning
        await hub_round(stack.hub_app.state.engine, smtp)
    async with stack.hub_app.state.engine.connect() as conn:
        jobs = (await conn.execute(text("SELECT key, done_at IS NOT NULL AS done FROM jobs"
                                        " WHERE kind = 'certificates.warn_expiring'"))).all()
    warned = audit_rows(stack.hub_url, "system.certificate.expiry_warned")
    assert len(jobs) == 1 and jobs[0].done
    assert [(w["resource_ids"], w["operator_code"], w["detail"]["threshold_days"]) for w in warned] == [
        ([fingerprint], "A0001", 30)]
    with frozen(datetime.now(JST) + timedelta(days=1)):  # the next day's job finds nothing new in the band
        await hub_round(stack.hub_app.state.engine, smtp)
    assert len(audit_rows(stack.hub_url, "system.certificate.expiry_warned")) == 1
