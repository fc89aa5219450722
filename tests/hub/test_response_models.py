"""Every answer is exactly its declared response model: re-serialising a real answer through the model
(fields that were not sent stay unset) gives the same bytes, so the OpenAPI document describes what
callers get, and declaring the models changed nothing on the wire (absent stays absent, no nulls).

The supply point routes send what the visibility policy built without passing it through FastAPI's
response serialisation (the hot path); relay changes answer through `idempotent`. Both are checked
here against the model their route declares.
"""

from __future__ import annotations

import json
from datetime import datetime

from fastapi.routing import APIRoute

from switchhub.kernel.clock import JST
from tests.expected_fields import PUBLIC, SUPPLIER
from tests.flow.helpers import frozen, smart_point_of
from tests.flow.test_switch_api import relay_body
from tests.hub.helpers import point_of

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=JST)
#: security.md / kernel docs: OCCTO's helpdesk sees a relay without the customer's name, the contract
#: number and the current retailer's memo
RELAY_PARTY_ONLY = {"customer_name_kana", "customer_name_kanji", "contract_no", "ng_memo"}


def declared_model(stack, method: str, path: str):
    for route in (r for router in stack.hub_app.state.api_routers for r in router.routes):
        if isinstance(route, APIRoute) and route.path == path and method in route.methods:
            return route.response_model
    raise AssertionError(f"no route {method} {path}")


def reserialised(model, body: bytes) -> bytes:
    value = model.model_validate_json(body).model_dump(mode="json", exclude_unset=True)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


async def test_point_answers_are_their_models_and_keep_absent_fields_absent(stack):
    spid = point_of(stack.world, "A0001")
    lookup = declared_model(stack, "GET", "/api/v1/supply-points/{spid}")
    batch = declared_model(stack, "POST", "/api/v1/supply-points:batch-get")
    search = declared_model(stack, "GET", "/api/v1/supply-points")
    seen = {}
    for who in ("A0001", "A0002", "T0300", "OC000"):
        async with stack.client(who) as c:
            one = await c.get(f"/api/v1/supply-points/{spid}")
            many = await c.post("/api/v1/supply-points:batch-get",
                                json={"spids": [spid, "0300000000000000000000"]})
            found = await c.get("/api/v1/supply-points", params={"prefecture": "東京都", "city": "新宿区"})
        assert [one.status_code, many.status_code, found.status_code] == [200, 200, 200]
        assert reserialised(lookup, one.content) == one.content, who
        assert reserialised(batch, many.content) == many.content, who
        assert reserialised(search, found.content) == found.content, who
        assert found.json()["items"], "the search must find points for the check to mean anything"
        seen[who] = set(one.json())
    # domain.md: the supplier sees public + supplier fields, another retailer and OCCTO public only
    assert seen["A0001"] == PUBLIC | SUPPLIER
    assert seen["A0002"] == seen["OC000"] == PUBLIC
    assert seen["T0300"] == PUBLIC | SUPPLIER
    assert None not in {one.json().get(f, "") for f in ("customer_name_kana", "current_retailer_code")}


async def test_relay_answers_are_the_same_bytes_on_every_route(stack):
    spid = smart_point_of(stack.world, "M0300", skip=70)
    relay = declared_model(stack, "GET", "/api/v1/relays/{relay_no}")
    page = declared_model(stack, "GET", "/api/v1/relays")
    with frozen(NOW):
        async with stack.client("A0001") as new, stack.client("M0300") as cur, stack.client("OC000") as occto:
            registered = await new.post("/api/v1/relays", json=relay_body(spid), headers={"Idempotency-Key": "k-1"})
            no = registered.json()["relay_no"]
            after_register = await new.get(f"/api/v1/relays/{no}")
            decided = await cur.post(f"/api/v1/relays/{no}/decision",
                                     json={"decision": "02", "staff_name": "担当", "ng_reasons": ["4", "9"],
                                           "memo": "名義が違う"})
            after_decision = await cur.get(f"/api/v1/relays/{no}")
            listed = await cur.get("/api/v1/relays", params={"role": "current"})
            helpdesk = await occto.get(f"/api/v1/relays/{no}")
            helpdesk_list = await occto.get("/api/v1/relays")
    assert [registered.status_code, decided.status_code, helpdesk.status_code] == [201, 200, 200]
    # the change answers (sent as built) and the reads (serialised through the model) are one shape
    assert after_register.content == registered.content
    assert after_decision.content == decided.content
    for answer in (registered, decided, helpdesk):
        assert reserialised(relay, answer.content) == answer.content
    for answer in (listed, helpdesk_list):
        assert reserialised(page, answer.content) == answer.content
    assert set(decided.json()) - set(helpdesk.json()) == RELAY_PARTY_ONLY
    assert not RELAY_PARTY_ONLY & set(helpdesk_list.json()["items"][0])
    assert "history" not in listed.json()["items"][0] and decided.json()["ng_reasons"] == ["4", "9"]


async def test_account_and_calendar_answers_keep_their_number_types(stack):
    async with stack.client("A0001") as c:
        me = await c.get("/api/v1/me")
        calendar = await c.get("/api/v1/areas/03/reading-calendar", params={"year": 2026})
    # the rate is a float and the burst an int on the wire, as before the models (1000.0 / 1000)
    assert isinstance(me.json()["rate_limit"]["per_second"], float)
    assert isinstance(me.json()["rate_limit"]["burst"], int)
    assert reserialised(declared_model(stack, "GET", "/api/v1/me"), me.content) == me.content
    assert calendar.json()["months"][0]["month"] == 1 and len(calendar.json()["months"]) == 12
