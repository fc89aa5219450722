"""The published OpenAPI document is complete enough to generate a typed client (issue 7): the test
generates one with openapi-python-client from the document the live hub serves, imports it, and
calls three operations over real TLS (client certificate + bearer credential), checking that the
answers come back as the generated model classes with the values the spec gives them."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from datetime import date, datetime

import httpx
import pytest

from tests.flow.helpers import smart_point_of
from tests.flow.test_switch_api import relay_body
from tests.hub.helpers import point_of

PACKAGE = "switchhub_typed_client"
CONFIG = f"""package_name_override: {PACKAGE}
post_hooks: []
content_type_overrides:
  application/gzip: application/octet-stream
  text/csv: application/octet-stream
  application/pdf: application/octet-stream
  image/jpeg: application/octet-stream
  image/png: application/octet-stream
  image/gif: application/octet-stream
  application/zip: application/octet-stream
  application/xml: application/octet-stream
"""


@pytest.fixture(scope="module")
def generated(live, tmp_path_factory):
    """The client package generated from the served document; a warning (an operation or a schema
    the generator could not read) fails the generation, so nothing is silently left out."""
    with httpx.Client(verify=live.ssl_context(live.world.clients["A0001-api"]),
                      headers={"Authorization": f"Bearer {live.world.token('A0001')}"}) as c:
        document = c.get(f"{live.hub_base}/api/v1/openapi.json").json()
    root = tmp_path_factory.mktemp("typed-client")
    (root / "openapi.json").write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    (root / "config.yaml").write_text(CONFIG, encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "openapi_python_client", "generate", "--path", "openapi.json",
                          "--config", "config.yaml", "--meta", "none", "--output-path", PACKAGE,
                          "--fail-on-warning"], cwd=root, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(root))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def _client(generated, live, operator: str):
    return generated.AuthenticatedClient(base_url=live.hub_base, token=live.world.token(operator),
                                         verify_ssl=live.ssl_context(live.world.clients[f"{operator}-api"]),
                                         raise_on_unexpected_status=True)


def _api(name: str):
    return importlib.import_module(f"{PACKAGE}.{name}")


def test_facility_lookup_answers_a_typed_supply_point(generated, live):
    models = _api("models")
    get_supply_point = _api("api.supply_points.get_supply_point")
    spid = point_of(live.world, "A0001")
    with _client(generated, live, "A0001") as client:
        point = get_supply_point.sync(spid, client=client)
    assert isinstance(point, models.SupplyPoint), point
    assert point.spid == spid and point.area == models.Area("03")
    assert isinstance(point.channel, models.Channel) and isinstance(point.contract_status, models.ContractStatus)
    # the caller supplies the point (domain.md: supplier-class fields are shown to it)
    assert point.current_retailer_code == "A0001" and point.current_retailer_name
    assert isinstance(point.next_reading_date, date) and point.next_reading_date > date(2016, 4, 1)
    assert point.meters and all(isinstance(m, models.Meter) and isinstance(m.meter_type, models.MeterType)
                                for m in point.meters)


def test_register_a_relay_answers_a_typed_relay(generated, live):
    models = _api("models")
    register = _api("api.relays.register")
    spid = smart_point_of(live.world, "M0300", skip=90)
    body = models.RelayRegistration.from_dict(relay_body(spid, requested_switch_date="2030-01-31"))
    with _client(generated, live, "A0001") as client:
        first = register.sync_detailed(client=client, body=body, idempotency_key="typed-client-relay-1")
        again = register.sync_detailed(client=client, body=body, idempotency_key="typed-client-relay-1")
    relay = first.parsed
    assert first.status_code == 201 and isinstance(relay, models.Relay), first.content
    assert relay.spid == spid and relay.new_retailer == "A0001" and relay.current_retailer == "M0300"
    # domain.md: a new relay awaits the current retailer's decision (01 判断待ち)
    assert relay.status == models.RelayStatus("01") and relay.status_name == "判断待ち"
    assert relay.requested_switch_date == date(2030, 1, 31) and relay.decision is None
    assert isinstance(relay.registered_at, datetime) and relay.registered_at.utcoffset() is not None
    assert [(h.from_status, h.to_status) for h in relay.history] == [(None, models.RelayStatus("01"))]
    # api.md: the same Idempotency-Key and body returns the first answer
    assert again.status_code == 201 and again.parsed.relay_no == relay.relay_no
    assert again.headers.get("idempotent-replayed") == "true"


def test_me_answers_typed_operator_user_and_certificate(generated, live):
    models = _api("models")
    me = _api("api.accounts.me")
    with _client(generated, live, "A0001") as client:
        answer = me.sync(client=client)
    assert isinstance(answer, models.Me), answer
    assert answer.operator.code == "A0001" and answer.operator.kind == models.OperatorKind("retailer")
    assert all(isinstance(a, models.Area) for a in answer.operator.areas) and models.Area("03") in answer.operator.areas
    assert answer.user.is_api_user is True and answer.certificate.purpose == models.CertPurpose("api")
    assert len(answer.certificate.fingerprint_sha256) == 64
    assert isinstance(answer.rate_limit, models.MyRateLimit) and answer.rate_limit.burst >= 1


def test_a_refusal_is_a_typed_problem(generated, live):
    models = _api("models")
    get_relay = _api("api.relays.get_relay")
    with _client(generated, live, "A0001") as client:
        missing = get_relay.sync_detailed("R000000000000000", client=client)
    # api.md: 404 problem+json with a stable code and a Japanese message
    assert missing.status_code == 404 and isinstance(missing.parsed, models.Problem)
    assert missing.parsed.code == "not_found" and missing.parsed.status == 404 and missing.parsed.detail
