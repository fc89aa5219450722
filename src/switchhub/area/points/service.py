"""Facility lookup, batch, search and own-point export on the area side.

The area applies the visibility policy itself (security.md): facts about the caller's
relationship are read first, the policy decides a grant per point, and only the granted
columns are selected.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.area.points import repository
from switchhub.db.driver import Reader
from switchhub.kernel import calendar as cal
from switchhub.kernel.caller import Caller
from switchhub.kernel.errors import IssueCollector, NotFound
from switchhub.kernel.text import (
    normalize_block,
    normalize_building,
    normalize_code_like,
    normalize_room,
    normalize_text,
    normalize_town,
    split_town_block,
)
from switchhub.kernel.visibility import (
    ExportFields,
    FieldGrant,
    export_grant,
    lookup_grant,
    project,
    search_grant,
)

SEARCH_CAP = 100


def _finish(row: dict[str, Any], grant: FieldGrant, on: date) -> dict[str, Any]:
    """Add the computed fields (next reading dates) and project onto the grant."""
    record = dict(row)
    code = record.get("reading_day_code")
    if code:
        nxt = cal.reading_dates_on_or_after(record["spid"][:2], code, on, 2)
        record["next_reading_date"], record["next_but_one_reading_date"] = nxt[0], nxt[1]
    for key in ("contract_capacity", "contract_power"):
        if record.get(key) is not None:
            record[key] = float(record[key])
    return project(record, grant)


#: every fact case a point can be in (supplying it implies having supplied it)
_FACT_CASES: tuple[repository.FactCase, ...] = ((True, True), (False, True), (False, False))


def _case_grants(caller: Caller, area: str) -> dict[repository.FactCase, FieldGrant]:
    """The policy's grant for each fact case of a point of `area` (another retailer or none supplying
    it are the same case: the policy compares the supplier with the caller only)."""
    return {(supplies, ever): lookup_grant(caller, area, caller.operator_code if supplies else None, ever,
                                           breakglass=caller.breakglass)
            for supplies, ever in _FACT_CASES}


async def lookup_many(conn: Reader, caller: Caller, spids: list[str], on: date) -> tuple[list[dict], list[str]]:
    """Points visible to the caller on `on`, each projected by its own grant; plus spids not found.

    One statement per area (repository.fetch_visible); each row's grant is then decided again by the
    policy from the row's own facts, and must be the grant its case was selected with (fail closed)."""
    found: dict[str, dict] = {}
    for area in sorted({s[:2] for s in spids}):
        grants = _case_grants(caller, area)
        uniform = next(iter(grants.values())) if len(set(grants.values())) == 1 else None
        for row in await repository.fetch_visible(conn, area, [s for s in spids if s[:2] == area], on,
                                                  caller.operator_code, grants):
            grant = uniform or _row_grant(caller, area, row, grants)
            found[row["spid"]] = {"relationship": grant.relationship.value, "point": _finish(row, grant, on)}
    return [found[s] for s in spids if s in found], [s for s in spids if s not in found]


def _row_grant(caller: Caller, area: str, row: dict[str, Any], grants: dict[repository.FactCase, FieldGrant]
               ) -> FieldGrant:
    supplier, ever = row.pop("fact_supplier"), bool(row.pop("fact_ever"))
    grant = lookup_grant(caller, area, supplier, ever, breakglass=caller.breakglass)
    if grant != grants.get((supplier is not None and supplier == caller.operator_code, ever)):
        raise RuntimeError("the policy's grant for a point's facts is not the grant its columns were selected by")
    return grant


async def lookup(conn: Reader, caller: Caller, spid: str, on: date) -> dict:
    items, _ = await lookup_many(conn, caller, [spid], on)
    if not items:
        raise NotFound("指定された供給地点特定番号の設備情報はありません", "No facility information for this supply point")
    return items[0]


@dataclass(frozen=True)
class SearchQuery:
    area: str
    prefecture: str = ""
    city: str = ""
    town: str = ""
    block: str = ""
    building: str = ""
    room: str = ""
    pole_no: str = ""
    meter_no: str = ""


def build_where(q: SearchQuery) -> tuple[str, dict[str, Any], bool]:
    """SQL condition for a search; (where, params, by_meter). Raises field errors for bad combinations."""
    issues = IssueCollector()
    params: dict[str, Any] = {"area": q.area}
    where = ["p.area = :area"]
    if q.meter_no:
        params["meter"] = normalize_code_like(q.meter_no)
        where.append("p.meter_nos_norm @> ARRAY[CAST(:meter AS text)]")
        return " AND ".join(where), params, True
    if q.pole_no:
        params["pole"] = normalize_code_like(q.pole_no)
        where.append("(p.pole_no_norm = :pole OR p.pole_no_norm LIKE :pole_prefix)")
        params["pole_prefix"] = _like_prefix(params["pole"])
        return " AND ".join(where), params, False
    if not q.prefecture:
        issues.add("prefecture", "required", "都道府県を入力してください", "Enter the prefecture")
    if not q.city:
        issues.add("city", "required", "市区町村を入力してください", "Enter the city")
    issues.raise_if_any()
    params["prefecture"], params["city"] = normalize_text(q.prefecture), normalize_text(q.city)
    where += ["p.prefecture = :prefecture", "p.city = :city"]
    town, block = split_town_block(q.town, q.block) if q.town else ("", normalize_block(q.block) if q.block else "")
    if town:
        params["town"] = _like_prefix(normalize_town(town))
        where.append("p.town_norm LIKE :town")
    if block:
        # the block itself or its sub-numbers (3 → 3, 3-12, 3-12-5). The range [block, block + ".") holds
        # exactly those and others of block + a character below "." (none in a normalised block) in the
        # columns' "C" collation; it makes the block an index condition of the address index. With the
        # OR alone the ordered page scan read every point of the town and filtered the block after
        # fetching each row: 20,000 rows and 213 ms for one town of 10 M points (docs/benchmarks.md P5).
        params["block"], params["block_prefix"], params["block_end"] = block, _like_prefix(block + "-"), block + "."
        where.append("p.block_norm >= :block AND p.block_norm < :block_end"
                     " AND (p.block_norm = :block OR p.block_norm LIKE :block_prefix)")
    if q.building:
        params["building"] = _like_prefix(normalize_building(q.building))
        where.append("p.building_norm LIKE :building")
    if q.room:
        params["room"] = normalize_room(q.room)
        where.append("p.room_norm = :room")
    return " AND ".join(where), params, False


def _like_prefix(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


async def search(conn: AsyncConnection, caller: Caller, q: SearchQuery, on: date, *, offset: int, limit: int) -> dict:
    where, params, by_meter = build_where(q)
    grant = search_grant(caller, by_meter=by_meter)
    params["on"] = on
    count, rows = await repository.search(conn, grant, where, params, offset=offset, limit=limit, cap=SEARCH_CAP)
    return {
        "total": min(count, SEARCH_CAP),
        "truncated": count > SEARCH_CAP,
        "items": [_finish(r, grant, on) for r in rows],
    }


def export_plan(caller: Caller, fmt: str, fields: ExportFields = ExportFields.STANDARD
                ) -> tuple[FieldGrant, list[str], str]:
    grant = export_grant(caller, fields)
    columns, sql = repository.export_sql(grant, fmt)
    return grant, columns, sql
