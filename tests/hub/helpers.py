"""Small helpers for hub tests: find generated points by relationship, read audit rows."""

from __future__ import annotations

from switchhub.db.urls import with_database
from tests.support import World, execute


def area_template_url(world: World) -> str:
    return with_database(world.admin, world.area_template)


def switched_point(world: World, area: str = "03") -> tuple[str, str, str]:
    """(spid, current retailer, former retailer) of a point that switched from the incumbent."""
    rows = execute(area_template_url(world),
                   "SELECT cur.spid, cur.retailer_code, old.retailer_code FROM supply_periods cur"
                   " JOIN supply_periods old ON old.area = cur.area AND old.spid = cur.spid"
                   " AND old.valid_to IS NOT NULL AND old.retailer_code <> cur.retailer_code"
                   " WHERE cur.valid_to IS NULL AND cur.area = %s AND cur.retailer_code IN ('A0001', 'A0002')"
                   " AND old.retailer_code = 'M0300' ORDER BY cur.spid LIMIT 1", (area,))
    spid, cur, old = rows[0]
    return spid.strip(), cur.strip(), old.strip()


def point_of(world: World, retailer: str, area: str = "03") -> str:
    rows = execute(area_template_url(world),
                   "SELECT spid FROM supply_periods WHERE retailer_code = %s AND valid_to IS NULL AND area = %s"
                   " ORDER BY spid LIMIT 1", (retailer, area))
    return rows[0][0].strip()


def own_point_count(world: World, retailer: str) -> int:
    return execute(area_template_url(world),
                   "SELECT count(*) FROM supply_periods WHERE retailer_code = %s AND valid_to IS NULL"
                   " AND valid_from <= current_date", (retailer,))[0][0]


def audit_rows(hub_url: str, action: str | None = None) -> list[dict]:
    import psycopg
    from psycopg.rows import dict_row

    from switchhub.db.urls import plain_url

    with psycopg.connect(plain_url(hub_url), row_factory=dict_row) as conn:
        if action:
            return conn.execute("SELECT * FROM audit_records WHERE action = %s ORDER BY id", (action,)).fetchall()
        return conn.execute("SELECT * FROM audit_records ORDER BY id").fetchall()
