"""Database URL forms: one libpq URL per database, turned into the driver form each user needs."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def _with_scheme(url: str, scheme: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((scheme, parts.netloc, parts.path, parts.query, parts.fragment))


def async_url(url: str) -> str:
    """SQLAlchemy URL for the asyncpg driver (used by the servers)."""
    return _with_scheme(url, "postgresql+asyncpg")


def sync_url(url: str) -> str:
    """SQLAlchemy URL for psycopg 3 (used by Alembic)."""
    return _with_scheme(url, "postgresql+psycopg")


def plain_url(url: str) -> str:
    """libpq URL for asyncpg.connect / psql (bulk COPY paths)."""
    return _with_scheme(url, "postgresql")


def with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))
