"""Fuzz every operation of the published OpenAPI document over real TLS: no 5xx (R2)."""

from __future__ import annotations

import json
import ssl
import urllib.request

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from tests.live import ca_file


@pytest.fixture(scope="module")
def api_schema(live):
    ident = live.world.clients["A0001-api"]
    ctx = ssl.create_default_context(cafile=str(ca_file(live.world)))
    ctx.load_cert_chain(str(ident.cert), str(ident.key))
    req = urllib.request.Request(f"{live.hub_base}/api/v1/openapi.json",
                                 headers={"Authorization": f"Bearer {live.world.token('A0001')}"})
    with urllib.request.urlopen(req, context=ctx) as resp:
        spec = json.load(resp)
    return schemathesis.openapi.from_dict(spec)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case, live):
    ident = live.world.clients["A0001-api"]
    transport = {"base_url": live.hub_base, "cert": (str(ident.cert), str(ident.key)),
                 "verify": str(ca_file(live.world)), "timeout": 30}
    headers = {"Authorization": f"Bearer {live.world.token('A0001')}"}
    response = case.call(headers=headers, **transport)
    case.validate_response(response, headers=headers, transport_kwargs=transport)
