"""The generator: deterministic, proportioned, consistent data for all 10 areas."""

from __future__ import annotations

from switchhub.db.urls import with_database
from switchhub.generate.load import split_by_share
from switchhub.kernel.geo import PREFECTURE_AREAS
from switchhub.kernel.spid import AREA_CODES
from tests.support import execute


def test_split_by_share_sums_exactly():
    for n in (1, 7, 3000, 100_001):
        parts = split_by_share(n)
        assert sum(parts.values()) == n and set(parts) == set(AREA_CODES)
    assert split_by_share(1000)["03"] == 340


def test_generated_world_is_consistent(world):
    area = with_database(world.admin, world.area_template)
    hub = with_database(world.admin, world.hub_template)
    counts = dict(execute(area, "SELECT area, count(*) FROM supply_points GROUP BY area"))
    assert set(counts) == set(AREA_CODES)
    assert counts["03"] > counts["06"] > counts["10"]
    assert execute(area, "SELECT count(*) FROM supply_points WHERE spid !~ '^(0[1-9]|10)[0-9]{20}$'"
                         " OR substr(spid, 1, 2) <> area")[0][0] == 0
    for pref, area_code in execute(area, "SELECT DISTINCT prefecture, area FROM supply_points"):
        assert area_code in PREFECTURE_AREAS[pref], (pref, area_code)
    channels = dict(execute(area, "SELECT channel, count(*) FROM supply_points GROUP BY 1"))
    assert channels["low"] > 0.9 * sum(channels.values()) and channels.get("low_fit") and channels.get("high")
    # one open supply period per supplied point, none at vacant points, no overlaps
    assert execute(area, "SELECT count(*) FROM supply_points p WHERE p.contract_status IN ('2', '3') AND EXISTS"
                         " (SELECT 1 FROM supply_periods s WHERE s.spid = p.spid AND s.valid_to IS NULL)")[0][0] == 0
    assert execute(area, "SELECT count(*) FROM (SELECT spid FROM supply_periods WHERE valid_to IS NULL"
                         " GROUP BY spid HAVING count(*) > 1) x")[0][0] == 0
    assert execute(area, "SELECT count(*) FROM supply_periods a JOIN supply_periods b ON a.spid = b.spid AND a.id < b.id"
                         " AND daterange(a.valid_from, a.valid_to, '[]') && daterange(b.valid_from, b.valid_to, '[]')"
                         )[0][0] == 0
    switched = execute(area, "SELECT count(DISTINCT spid) FROM supply_periods WHERE retailer_code LIKE 'A%%'")[0][0]
    assert switched > 0.1 * sum(counts.values())
    # every supplier is a retailer that works in the point's area
    ops = {c: (k, areas) for c, k, areas in
           execute(hub, "SELECT code, kind, areas FROM operators")}
    assert len([o for o in ops.values() if o[0] == "retailer"]) >= 30 and ops["OC000"][0] == "occto"
    for code, area_code in execute(area, "SELECT DISTINCT retailer_code, area FROM supply_periods"):
        kind, areas = ops[code]
        assert kind == "retailer" and area_code in areas
    assert execute(area, "SELECT count(*) FROM supply_points WHERE jsonb_array_length(meters) = 0"
                         " OR reading_day_code = '' OR town_norm = '' OR block_norm = ''")[0][0] == 0
    users = execute(hub, "SELECT count(*), count(*) FILTER (WHERE password_hash LIKE '$argon2id$%%') FROM users")[0]
    assert users[0] > 150 and users[1] >= users[0] * 0.7


def test_generation_is_deterministic():
    from switchhub.generate.points import generate_slice

    assert generate_slice("06", 0, 200, 5) == generate_slice("06", 0, 200, 5)
    assert generate_slice("06", 0, 200, 5) != generate_slice("06", 0, 200, 6)
    spids = [p[0] for p in generate_slice("06", 0, 2000, 5)[0]]
    assert len(set(spids)) == 2000
