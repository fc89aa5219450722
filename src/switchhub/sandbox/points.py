"""The sandbox's scenario points: copies of one real point under spids ending in a scenario's digits.

Generated spids end in arbitrary digits (generate/points.py), so the scenarios that need an existing
point (9902 refused filings, 9903 slow, 9905 every stage) get one when the sandbox is created: the
first point the incumbent retailer M0300 supplies in area 03 that takes every application type
(low voltage, in contract, a smart meter, an ampere breaker), copied with its supply and customer
periods and its readings under `scenario_spid(source, suffix)`. The copy is the reference system's
own data, so lookups, filings and stages behave exactly as for any other point.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.sandbox import repository as repo
from switchhub.sandbox.scenarios import SCENARIOS, scenario_spid

SOURCE_RETAILER, SOURCE_AREA = "M0300", "03"
#: the tables holding a point's own data (root tables; partitions follow)
POINT_TABLES = ("supply_points", "supply_periods", "customer_periods", "readings_monthly", "readings_30min")


async def create_scenario_points(conn: AsyncConnection) -> dict[str, str]:
    """Create the points of the scenarios that need one (idempotent); returns suffix → spid."""
    source = await repo.source_point(conn, SOURCE_AREA, SOURCE_RETAILER)
    if source is None:
        return {}
    made: dict[str, str] = {}
    for scenario in (s for s in SCENARIOS if s.needs_point):
        spid = scenario_spid(source, scenario.suffix)
        made[scenario.suffix] = spid
        if await repo.point_exists(conn, SOURCE_AREA, spid):
            continue
        for table in POINT_TABLES:
            await repo.copy_point_rows(conn, table, SOURCE_AREA, source, spid)
    return made


async def scenario_points(conn: AsyncConnection) -> dict[str, str]:
    """The scenario points that exist (suffix → spid), for the banner."""
    source = await repo.source_point(conn, SOURCE_AREA, SOURCE_RETAILER)
    if source is None:
        return {}
    out = {}
    for scenario in SCENARIOS:
        spid = scenario_spid(source, scenario.suffix)
        if not scenario.needs_point:
            out[scenario.suffix] = spid
        elif await repo.point_exists(conn, SOURCE_AREA, spid):
            out[scenario.suffix] = spid
    return out
