"""Generate and bulk-load with COPY: operators and users into the hub, supply points into the area.

Areas are cut into slices of SLICE points; a pool of worker processes (one per core)
generates a slice and COPYs it over its own connection, so generation and loading
overlap. Secondary indexes are dropped before a large load and rebuilt after.
"""

from __future__ import annotations

import asyncio
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Callable

import asyncpg
import psycopg

from switchhub.db.urls import plain_url
from switchhub.generate.operators import DemoLogin, operators, users
from switchhub.generate.points import CUSTOMER_COLUMNS, POINT_COLUMNS, SUPPLY_COLUMNS, generate_slice
from switchhub.kernel.codes import AREA_SHARES
from switchhub.kernel.spid import AREA_CODES

SLICE = 25_000
INDEX_THRESHOLD = 100_000
SECONDARY_INDEXES = {
    "supply_points_address": "CREATE INDEX supply_points_address ON supply_points (prefecture, city, town_norm,"
                             " block_norm, building_norm, room_norm)",
    "supply_points_pole": "CREATE INDEX supply_points_pole ON supply_points (pole_no_norm)",
    "supply_points_meters": "CREATE INDEX supply_points_meters ON supply_points USING gin (meter_nos_norm)",
    "supply_periods_point": "CREATE INDEX supply_periods_point ON supply_periods (area, spid, valid_from)",
    "supply_periods_retailer": "CREATE INDEX supply_periods_retailer ON supply_periods (retailer_code, valid_from,"
                               " valid_to)",
    "customer_periods_point": "CREATE INDEX customer_periods_point ON customer_periods (area, spid, valid_from)",
}


class GenerateError(Exception):
    pass


@dataclass
class GenerateResult:
    points: int
    seconds: float
    per_area: dict[str, int]
    logins: list[DemoLogin] = field(default_factory=list, repr=False)


def split_by_share(total: int) -> dict[str, int]:
    """Largest-remainder split of `total` over the areas by their shares (sums exactly)."""
    raw = {a: total * AREA_SHARES[a] for a in AREA_CODES}
    counts = {a: int(v) for a, v in raw.items()}
    for a in sorted(AREA_CODES, key=lambda a: raw[a] - counts[a], reverse=True)[: total - sum(counts.values())]:
        counts[a] += 1
    return counts


def load_operators(hub_url: str, seed: int) -> list[DemoLogin]:
    """Operators and users (idempotent: an already filled hub keeps its accounts)."""
    from switchhub.hub.accounts.passwords import hash_password, policy_issues

    ops = operators(seed)
    logins = users(ops, seed)
    for u in logins:  # generated passwords obey the same policy as any other (security.md)
        if not u.is_api_user and policy_issues(u.password, u.login_id, []):
            raise ValueError(f"generated password for {u.login_id} breaks the policy")
    with psycopg.connect(plain_url(hub_url)) as conn:
        if conn.execute("SELECT count(*) FROM operators").fetchone()[0]:
            return logins
        with conn.cursor() as cur:
            with cur.copy("COPY operators (code, name, name_kana, kind, areas, incumbent_areas, contact_name,"
                          " contact_phone, email) FROM STDIN") as copy:
                for o in ops:
                    copy.write_row((o.code, o.name, o.name_kana, o.kind, list(o.areas), list(o.incumbent_areas),
                                    o.contact_name, o.contact_phone, o.email))
            names = {o.code: o.name for o in ops}
            with cur.copy("COPY users (login_id, operator_code, role, display_name, email, is_api_user,"
                          " password_hash, password_changed_at, totp_secret) FROM STDIN") as copy:
                for u in logins:
                    display = f"{names[u.operator_code]} {'API' if u.is_api_user else u.login_id.split('-')[-1]}"
                    copy.write_row((u.login_id, u.operator_code, u.role, display, f"{u.login_id}@example.jp",
                                    u.is_api_user, None if u.is_api_user else hash_password(u.password), "now",
                                    u.totp_secret))
        conn.commit()
    return logins


async def _copy_slice(area_url: str, area: str, start: int, stop: int, seed: int) -> int:
    points, supplies, customers = generate_slice(area, start, stop, seed)
    conn = await asyncpg.connect(plain_url(area_url))
    try:
        async with conn.transaction():
            await conn.copy_records_to_table(f"supply_points_{area}", records=points, columns=POINT_COLUMNS)
            await conn.copy_records_to_table(f"supply_periods_{area}", records=supplies, columns=SUPPLY_COLUMNS)
            await conn.copy_records_to_table(f"customer_periods_{area}", records=customers, columns=CUSTOMER_COLUMNS)
    finally:
        await conn.close()
    return len(points)


def _slice_job(args: tuple[str, str, int, int, int]) -> int:
    return asyncio.run(_copy_slice(*args))


def load_points(area_url: str, total: int, seed: int, *, replace: bool = False,
                progress: Callable[[int, int], None] | None = None) -> dict[str, int]:
    per_area = split_by_share(total)
    with psycopg.connect(plain_url(area_url), autocommit=True) as conn:
        existing = conn.execute("SELECT count(*) FROM supply_points").fetchone()[0]
        if existing and not replace:
            raise GenerateError(f"エリアデータベースには既に供給地点が {existing:,} 件あります（--replace で置き換え）")
        if existing:
            conn.execute("TRUNCATE supply_points, supply_periods, customer_periods, applications")
        big = total >= INDEX_THRESHOLD
        if big:
            for name in SECONDARY_INDEXES:
                conn.execute(f"DROP INDEX IF EXISTS {name}")
        jobs = [(area_url, area, s, min(s + SLICE, n), seed) for area, n in per_area.items() for s in range(0, n, SLICE)]
        done = 0
        workers = max(1, min(len(jobs), os.cpu_count() or 1))
        if workers == 1 or total < 20_000:
            for job in jobs:
                done += _slice_job(job)
                progress and progress(done, total)
        else:
            with ProcessPoolExecutor(workers) as pool:
                for n in pool.map(_slice_job, jobs):
                    done += n
                    progress and progress(done, total)
        if big:
            for sql in SECONDARY_INDEXES.values():
                conn.execute(sql)
        conn.execute("SELECT setval('supply_periods_id_seq', (SELECT coalesce(max(id), 1) FROM supply_periods))")
        conn.execute("SELECT setval('customer_periods_id_seq', (SELECT coalesce(max(id), 1) FROM customer_periods))")
        conn.execute("ANALYZE supply_points; ANALYZE supply_periods; ANALYZE customer_periods")
    return per_area


def generate(hub_url: str, area_url: str, points: int, seed: int, *, replace: bool = False,
             progress: Callable[[int, int], None] | None = None) -> GenerateResult:
    t0 = time.monotonic()
    logins = load_operators(hub_url, seed)
    per_area = load_points(area_url, points, seed, replace=replace, progress=progress)
    return GenerateResult(points, time.monotonic() - t0, per_area, logins)
