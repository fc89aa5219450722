"""Fuzz every operation of the published OpenAPI document over real TLS, with all of schemathesis'
checks (response schema and status conformance, negative data rejected, positive data accepted,
Allow headers, ignored auth …), for two callers of different kinds.

Positive data may still meet a 422 where the API has a rule OpenAPI cannot state; those
operations and their rules are listed here, and only they may answer 422 to schema-valid data.
"""

from __future__ import annotations

import json
import ssl
import urllib.request
import zlib

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from tests.live import ca_file

POSITIVE = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]  # schemathesis' default set
RULES_BEYOND_THE_SCHEMA = {
    ("GET", "/api/v1/supply-points"): "prefecture and city together, or a pole or meter number; a known prefecture",
    ("GET", "/api/v1/applications"): "the cursor is an opaque value the API gave out",
    ("GET", "/api/v1/applications:search"): "date ranges in order; dates that exist (YYYY-MM-DD shaped 2026-02-31 "
                                            "is refused)",
    ("POST", "/api/v1/relays"): "the current retailer is a registered other retailer; the date is not in the past; "
                                "the phone number has 10-11 digits starting with 0",
    ("PATCH", "/api/v1/relays/{relay_no}"): "at least one field; phone shape",
    ("POST", "/api/v1/relays/{relay_no}/decision"): "NG needs reasons, reason 1 alone, reason 9 with a memo",
    ("POST", "/api/v1/relays/{relay_no}:withdraw"): "the helpdesk gives a reason",
    ("POST", "/api/v1/applications/switch-start"): "consent; capacity fields by channel; phone shape; dates by "
                                                   "lead time and reading days",
    ("POST", "/api/v1/applications/switch-end"): "dates by lead time and reading days",
    ("POST", "/api/v1/applications/{application_no}:withdraw"): "a reason is given",
    ("POST", "/api/v1/applications/termination"): "contact fields with removal or attendance; phone shape; the "
                                                  "channel (high voltage: removal only); the end date by lead time",
    ("POST", "/api/v1/applications/reconnection"): "consent; capacity fields by channel; phone shape; the start "
                                                   "date by lead time; the channel",
    ("POST", "/api/v1/applications/customer-change"): "at least one field, kana and kanji together; phone shape; "
                                                      "the date by lead time",
    ("POST", "/api/v1/applications/ampere-change"): "a current of 10/15/20/30/40/50/60 A other than today's; "
                                                    "low voltage with an ampere breaker; the date by lead time",
    ("PATCH", "/api/v1/applications/{application_no}"): "at least one field of the application's own type; "
                                                        "re-checked as a new filing",
    ("POST", "/api/v1/relays:bulk"): "the file is CSV in CP932 or UTF-8 with the documented header row",
    ("POST", "/api/v1/applications:bulk"): "the file is CSV in CP932 or UTF-8 with the documented header row",
    ("POST", "/api/v1/me/password"): "the password policy",
    ("POST", "/api/v1/webhooks"): "the host resolves to a public address",
    ("POST", "/api/v1/subscriptions"): "an e-mail address of the usual shape",
    ("POST", "/api/v1/applications/usage-password"): "spids of one area, known points, not low_fit, one channel, "
                                                     "no duplicates; phone shape; consent date not in the future; "
                                                     "documents PDF/JPEG/PNG/GIF by content, ≤ 1 MB decoded",
    ("POST", "/api/v1/usage-password-reviews/{application_no}/decision"): "a rejection names its reason",
    ("POST", "/api/v1/usage:query"): "spids without duplicates",
    ("POST", "/api/v1/notices"): "the end after the start; audience operator names a registered operator",
    ("PUT", "/api/v1/notices/{notice_id}"): "the end after the start; audience operator names a registered operator",
    ("POST", "/api/v1/breakglass-grants"): "an operator's own users (its own operator unless OCCTO, never OCCTO's); "
                                           "times with a zone; a period of at most 7 days ending in the future",
    ("GET", "/api/v1/metering/files"): "the cursor is an opaque value the API gave out; date ranges in order; "
                                       "dates that exist",
    ("GET", "/api/v1/statistics"): "dates that exist, 2000-01-01 to 2100-12-31, in order, at most 60 periods; "
                                   "a known area",
    ("POST", "/api/v1/anomalies/{finding_id}:acknowledge"): "a note that is not only blanks",
    ("POST", "/api/v1/users"): "the ID is not taken (deleted users' IDs included); the role is one of the operator "
                               "kind's; an e-mail address of the usual shape",
    ("PATCH", "/api/v1/users/{login_id}"): "the role is one of the operator kind's, an API user stays one; not my own role",
    ("POST", "/api/v1/users:bulk"): "the file is CSV in CP932 or UTF-8 with the documented header row",
    ("POST", "/api/v1/me/totp:enable"): "an enrolment was started; the code is the authenticator's current one",
    ("POST", "/api/v1/me/totp:disable"): "the password and the current code; admins and helpdesk keep theirs",
}
CALLERS = {"A0001": "retailer API user", "OC000": "OCCTO helpdesk API user"}
# Each caller's operations in this many groups by a stable hash of the path, each group its own test
# (one test per caller took ≈ 10 minutes alone; as groups they spread over the pytest-xdist workers).
GROUPS = 4


def _group_of(path: str) -> int:
    return zlib.crc32(path.encode()) % GROUPS


def _config(token: str) -> SchemathesisConfig:
    """The caller's credential as the `bearer` scheme (schemathesis leaves it out where it tests a
    missing credential) and the operations whose positive data may meet a business-rule 422."""
    return SchemathesisConfig.from_dict({"auth": {"openapi": {"bearer": {"bearer": token}}}, "operations": [
        {"include-method": method, "include-path": path,
         "checks": {"positive_data_acceptance": {"expected-statuses": [*POSITIVE, "422"]}}}
        for method, path in RULES_BEYOND_THE_SCHEMA]})


@pytest.fixture(scope="module", params=[(c, g) for c in sorted(CALLERS) for g in range(GROUPS)],
                ids=lambda p: f"{p[0]}-{p[1]}")
def api_schema(request, live):
    operator, group = request.param
    ident = live.world.clients[f"{operator}-api"]
    ctx = ssl.create_default_context(cafile=str(ca_file(live.world)))
    ctx.load_cert_chain(str(ident.cert), str(ident.key))
    req = urllib.request.Request(f"{live.hub_base}/api/v1/openapi.json",
                                 headers={"Authorization": f"Bearer {live.world.token(operator)}"})
    with urllib.request.urlopen(req, context=ctx) as resp:
        spec = json.load(resp)
    spec["paths"] = {path: item for path, item in spec["paths"].items() if _group_of(path) == group}
    spec["x-test-caller"] = operator  # which caller's credentials the cases of this schema use
    return schemathesis.openapi.from_dict(spec, config=_config(live.world.token(operator)))


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_all_checks_pass(case, live):
    operator = case.operation.schema.raw_schema["x-test-caller"]
    ident = live.world.clients[f"{operator}-api"]
    transport = {"base_url": live.hub_base, "cert": (str(ident.cert), str(ident.key)),
                 "verify": str(ca_file(live.world)), "timeout": 30}
    response = case.call(**transport)
    case.validate_response(response, transport_kwargs=transport)
    # the credential really is sent: a 401 is only right when the case left it out or spoilt it
    if response.status_code == 401:
        assert response.request.headers.get("Authorization") != f"Bearer {live.world.token(operator)}"


def test_the_rule_list_names_real_operations(live):
    import httpx

    with httpx.Client(verify=live.ssl_context(live.world.clients["A0001-api"]),
                      headers={"Authorization": f"Bearer {live.world.token('A0001')}"}) as c:
        spec = c.get(f"{live.hub_base}/api/v1/openapi.json").json()
    operations = {(m.upper(), p) for p, item in spec["paths"].items() for m in item}
    assert set(RULES_BEYOND_THE_SCHEMA) <= operations
    sizes = [sum(1 for p in spec["paths"] if _group_of(p) == g) for g in range(GROUPS)]
    assert min(sizes) > 0, sizes  # every group tests some operations
