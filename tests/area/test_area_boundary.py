"""The area system trusts acting-operator headers only over the hub's certificate, and the hub
checks every answer again: a restricted field from a faulty area is stripped and raises an alert."""

from __future__ import annotations

import json

import httpx

from switchhub.hub.gateway.client import HttpsAreaClient
from switchhub.kernel.caller import Caller
from tests.expected_fields import PUBLIC, SUPPLIER
from tests.flow.helpers import smart_point_of
from tests.flow.test_switch_api import start_body
from tests.hub.helpers import audit_rows, point_of, switched_point
from tests.support import with_client_cert


async def test_area_refuses_anyone_but_the_hub(stack):
    spid = point_of(stack.world, "M0300")
    retailer = stack.world.clients["M0300-api"]
    headers = {"X-Switchhub-Operator": "M0300", "X-Switchhub-Operator-Kind": "retailer"}
    for pem in (retailer.pem, None):
        transport = httpx.ASGITransport(app=with_client_cert(stack.area_app, pem))
        async with httpx.AsyncClient(transport=transport, base_url="https://area.test") as c:
            r = await c.get(f"/area/v1/supply-points/{spid}", headers=headers)
        assert r.status_code == 403 and r.json()["code"] == "hub_certificate_required"
    transport = httpx.ASGITransport(app=with_client_cert(stack.area_app, stack.world.hub_client.pem))
    async with httpx.AsyncClient(transport=transport, base_url="https://area.test") as c:
        ok = await c.get(f"/area/v1/supply-points/{spid}", headers=headers)
        no_actor = await c.get(f"/area/v1/supply-points/{spid}")
    assert ok.status_code == 200 and ok.json()["point"]["customer_name_kanji"]
    assert no_actor.status_code == 400


def _leaky(app):
    """A faulty area: adds the customer's name and T&D notes to every answer."""
    async def wrapped(scope, receive, send):
        chunks: list[bytes] = []
        start: dict = {}

        async def capture(message):
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body"):
                    body = json.loads(b"".join(chunks))
                    if "point" in body:
                        body["point"].update({"customer_name_kanji": "漏洩 太郎", "tso_notes": "内部メモ"})
                    data = json.dumps(body).encode()
                    start["headers"] = [(k, v) for k, v in start["headers"] if k != b"content-length"] + [
                        (b"content-length", str(len(data)).encode())]
                    await send(start)
                    await send({"type": "http.response.body", "body": data})

        await app(scope, receive, capture)

    return wrapped


async def test_hub_strips_restricted_fields_and_raises_an_alert(stack):
    spid = point_of(stack.world, "M0300")
    leaky = httpx.ASGITransport(app=with_client_cert(_leaky(stack.area_app), stack.world.hub_client.pem))
    stack.hub_app.state.areas = HttpsAreaClient(stack.hub_app.state.areas.urls,
                                                transports={"https://area.test": leaky})
    async with stack.client("A0001") as c:
        r = await c.get(f"/api/v1/supply-points/{spid}")
    assert r.status_code == 200
    assert "customer_name_kanji" not in r.json() and "tso_notes" not in r.json()
    alert = audit_rows(stack.hub_url, "alert.visibility.restricted_field")
    assert len(alert) == 1 and set(alert[0]["fields"]) == {"customer_name_kanji", "tso_notes"}
    assert alert[0]["operator_code"] == "A0001" and alert[0]["resource_ids"] == [spid]


async def test_an_area_that_over_grants_a_former_supplier_is_stripped_and_alerted(stack, monkeypatch):
    """The area's policy wrongly treats the former supplier as the supplier (the mutation the review
    found passing every test): the hub's own check removes the supplier fields and records why."""
    from switchhub.area.points import service as area_points

    spid, current, former = switched_point(stack.world)
    real = area_points.lookup_grant
    monkeypatch.setattr(area_points, "lookup_grant",
                        lambda caller, area, supplier, ever, breakglass=(): real(
                            caller, area, caller.operator_code if ever else supplier, ever, breakglass))
    async with stack.client(former) as c:
        one = await c.get(f"/api/v1/supply-points/{spid}")
        many = await c.post("/api/v1/supply-points:batch-get", json={"spids": [spid]})
    assert one.status_code == 200 and set(one.json()) == PUBLIC
    assert set(many.json()["items"][0]) == PUBLIC
    alerts = audit_rows(stack.hub_url, "alert.visibility.restricted_field")
    assert len(alerts) == 2
    for alert in alerts:
        assert set(alert["fields"]) == SUPPLIER - {"current_retailer_name"}  # the hub adds the name itself
        assert (alert["operator_code"], alert["resource_ids"], alert["outcome"]) == (former, [spid], "stripped")
    reads = audit_rows(stack.hub_url, "api.supply_point.lookup")
    assert [r["fields"] for r in reads] == [[]]  # recorded, but nothing sensitive was answered


async def test_an_area_that_shows_the_helpdesk_customer_details_is_stripped_and_alerted(stack, monkeypatch):
    from switchhub.area.applications import service as area_apps
    from switchhub.kernel.visibility import application_grant

    spid = smart_point_of(stack.world, "M0300", skip=45)
    async with stack.client("A0001") as a:
        number = (await a.post("/api/v1/applications/switch-start", json=start_body(spid))).json()["application_no"]
    applicant = stack.world.clients["A0001-api"]
    monkeypatch.setattr(area_apps, "application_grant",  # the faulty area answers as if the helpdesk were the applicant
                        lambda caller, code, area: application_grant(
                            Caller("A0001", "retailer", frozenset(), "x", "api", applicant.fingerprint), code, area))
    async with stack.client("OC000") as helpdesk:
        r = await helpdesk.get(f"/api/v1/applications/{number}")
    assert r.status_code == 200 and "details" not in r.json() and r.json()["application_no"] == number
    alerts = audit_rows(stack.hub_url, "alert.visibility.restricted_field")
    assert [(a["operator_code"], a["fields"], a["resource_ids"]) for a in alerts] == [("OC000", ["details"], [number])]


def _gzip_whatever_asked(app):
    """A faulty area: ignores `compression=zstd` and answers its gzip default."""
    async def wrapped(scope, receive, send):
        if scope["type"] == "http":
            scope = {**scope, "query_string": scope["query_string"].replace(b"compression=zstd", b"compression=fast")}
        await app(scope, receive, send)

    return wrapped


async def test_an_area_answering_another_compression_than_asked_stops_the_export(stack):
    """One area's gzip member inside a .zst file would be unreadable: the hub refuses the export
    (503, Japanese message) and records no export, before any byte is sent."""
    faulty = httpx.ASGITransport(app=with_client_cert(_gzip_whatever_asked(stack.area_app),
                                                      stack.world.hub_client.pem))
    stack.hub_app.state.areas = HttpsAreaClient(stack.hub_app.state.areas.urls,
                                                transports={"https://area.test": faulty})
    async with stack.client("A0001") as c:
        gz = await c.get("/api/v1/supply-points:export")
        zst = await c.get("/api/v1/supply-points:export", params={"compression": "zstd"})
    assert gz.status_code == 200 and gz.headers["content-type"] == "application/gzip"
    assert zst.status_code == 503, zst.headers.get("content-type")
    assert zst.headers["content-type"].startswith("application/problem+json")
    assert "圧縮形式が要求と異なる" in zst.json()["detail"]
    assert [a["detail"]["compression"] for a in audit_rows(stack.hub_url, "api.supply_point.export")] == ["fast"]
