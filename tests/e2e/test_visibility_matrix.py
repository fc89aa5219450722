"""Visibility matrix over the real HTTPS path: operation × caller → exactly the allowed fields.

The expected field sets come from domain.md's table as written out in tests/expected_fields.py
(not from the policy module), and are checked over several points per caller.
"""

from __future__ import annotations

import csv
import gzip
import io

import pytest

from tests.expected_fields import PUBLIC, SUPPLIER, TSO_ONLY
from tests.hub.helpers import area_template_url
from tests.support import execute

NOT_EXPORTED = frozenset({"next_reading_date", "next_but_one_reading_date", "pending_applications",
                          "current_retailer_name"})
#: the export's columns per `fields=` (the standard set: the reconciliation columns of the spec's export
#: row, tests/hub/test_export_fields.py); the supplier fields in it are the retailer's own points'
EXPORTED = {
    "full": (PUBLIC | SUPPLIER) - NOT_EXPORTED,
    "standard": frozenset({"spid", "area", "channel", "postcode", "prefecture", "city", "town", "block", "building",
                           "room", "contract_form", "capacity_method", "contract_current", "contract_capacity",
                           "meters", "reading_day_code", "contract_status", "service_menu", "contract_power",
                           "customer_name_kana"}),
}

# caller role → (who, expected fields in lookup/batch)
CALLERS = {
    "current_supplier": PUBLIC | SUPPLIER,
    "other_retailer": PUBLIC,
    "former_supplier": PUBLIC,
    "tso_own_area": PUBLIC | SUPPLIER,
    "tso_other_area": PUBLIC,
    "occto": PUBLIC,
}


def _switched_points(world, n: int = 4) -> list[tuple[str, str, str]]:
    rows = execute(area_template_url(world),
                   "SELECT cur.spid, cur.retailer_code, old.retailer_code FROM supply_periods cur"
                   " JOIN supply_periods old ON old.area = cur.area AND old.spid = cur.spid"
                   " AND old.valid_to IS NOT NULL AND old.retailer_code = 'M0300'"
                   " WHERE cur.valid_to IS NULL AND cur.area = '03' AND cur.retailer_code IN ('A0001', 'A0002')"
                   " ORDER BY md5(cur.spid) LIMIT %s", (n,))
    return rows


def _caller_for(role: str, current: str, former: str) -> str:
    return {"current_supplier": current, "former_supplier": former,
            "other_retailer": "A0002" if current == "A0001" else "A0001",
            "tso_own_area": "T0300", "tso_other_area": "T0600", "occto": "OC000"}[role]


@pytest.mark.parametrize("role", sorted(CALLERS))
async def test_lookup_and_batch_answer_exactly_the_allowed_fields(live, role):
    points = _switched_points(live.world)
    assert points, "generated data must contain switched points"
    for spid, current, former in points:
        operator = _caller_for(role, current, former)
        async with live.client(operator) as c:
            one = await c.get(f"/api/v1/supply-points/{spid}")
            many = await c.post("/api/v1/supply-points:batch-get", json={"spids": [spid]})
        assert one.status_code == 200, one.text
        assert set(one.json()) == CALLERS[role], (role, set(one.json()) ^ CALLERS[role])
        assert set(many.json()["items"][0]) == CALLERS[role]
        assert not TSO_ONLY & set(one.json())


@pytest.mark.parametrize("role", sorted(CALLERS))
async def test_search_answers_public_fields_only(live, role):
    spid, current, former = _switched_points(live.world, 1)[0]
    pref, city, town = execute(area_template_url(live.world),
                               "SELECT prefecture, city, town FROM supply_points WHERE spid = %s", (spid,))[0]
    async with live.client(_caller_for(role, current, former)) as c:
        r = await c.get("/api/v1/supply-points", params={"prefecture": pref, "city": city, "town": town})
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert items and all(set(p) == PUBLIC for p in items)


@pytest.mark.parametrize("fields", sorted(EXPORTED))
@pytest.mark.parametrize("role", sorted(CALLERS))
async def test_export_only_own_points_with_supplier_fields(live, role, fields):
    spid, current, former = _switched_points(live.world, 1)[0]
    operator = _caller_for(role, current, former)
    async with live.client(operator) as c:
        r = await c.get("/api/v1/supply-points:export", params={"fields": fields})
    if role in ("tso_own_area", "tso_other_area", "occto"):
        assert r.status_code == 403
        return
    assert r.status_code == 200
    rows = list(csv.DictReader(io.StringIO(gzip.decompress(r.content).decode())))
    assert set(rows[0]) == EXPORTED[fields]
    assert not TSO_ONLY & set(rows[0])
    if fields == "full":
        assert {row["current_retailer_code"] for row in rows} == {operator}
    exported = {row["spid"] for row in rows}
    assert (spid in exported) == (role == "current_supplier")
