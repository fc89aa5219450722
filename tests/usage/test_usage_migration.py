"""Area migration 0007: the usage tables, LIST-partitioned by area (10 leaves each), down and up again."""

from __future__ import annotations

import uuid

from switchhub.db.migrate import downgrade, upgrade
from tests.support import admin_url, create_database, drop_database, execute

TABLES = ("usage_requests", "usage_request_points", "usage_documents", "usage_request_history")
COUNT = ("SELECT count(*) FROM pg_class WHERE relname LIKE 'usage%%' AND relkind IN ('r', 'p')")


def test_usage_tables_down_and_up():
    admin, name = admin_url(), f"usage_mig_{uuid.uuid4().hex[:8]}"
    url = create_database(admin, name)
    try:
        upgrade("area", url)
        assert execute(url, COUNT) == [(len(TABLES) * 11,)]  # each table and its 10 area partitions
        keys = execute(url, "SELECT c.relname, pg_get_partkeydef(c.oid) FROM pg_class c WHERE c.relkind = 'p'"
                            " AND c.relname LIKE 'usage%%' ORDER BY 1")
        assert keys == sorted((t, "LIST (area)") for t in TABLES)
        downgrade("area", url, "0005")
        assert execute(url, COUNT) == [(0,)]
        upgrade("area", url)
        assert execute(url, COUNT) == [(len(TABLES) * 11,)]
    finally:
        drop_database(admin, name)
