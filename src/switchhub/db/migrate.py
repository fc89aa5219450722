"""Run the Alembic migrations of the hub or area database programmatically."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from switchhub.db.urls import sync_url

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(which: str, url: str) -> Config:
    if which not in ("hub", "area"):
        raise ValueError(which)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS / which))
    cfg.set_main_option("sqlalchemy.url", sync_url(url).replace("%", "%%"))
    return cfg


def upgrade(which: str, url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(which, url), revision)


def downgrade(which: str, url: str, revision: str) -> None:
    command.downgrade(alembic_config(which, url), revision)
