"""Bulk files of applications (placeholder)."""

from __future__ import annotations


async def applications_bulk(conn, areas, actor, raw, *, dry_run, mode, now):  # type: ignore[no-untyped-def]
    raise NotImplementedError
