"""The CLI's direct ingestion (`switchhub readings ingest FILE --area 03`): one transaction on the area database.

The file is streamed from disk (service.ingest_csv), never read into memory as a whole.
"""

from __future__ import annotations

from pathlib import Path

from switchhub.area.curtailment import service as curtailment
from switchhub.area.curtailment.service import IngestedEvents
from switchhub.area.readings import service
from switchhub.db.engine import make_engine


async def ingest_file(area_url: str, area: str, source: Path | bytes) -> service.Ingested:
    engine = make_engine(area_url, pool_size=1, max_overflow=0)
    try:
        async with engine.begin() as conn:
            if isinstance(source, Path):
                with source.open("rb") as stream:
                    return await service.ingest_csv(conn, area, stream)
            return await service.ingest_csv(conn, area, source)
    finally:
        await engine.dispose()


async def ingest_monthly_file(area_url: str, area: str, source: Path) -> service.IngestedMonthly:
    engine = make_engine(area_url, pool_size=1, max_overflow=0)
    try:
        async with engine.begin() as conn:
            with source.open("rb") as stream:
                return await service.ingest_monthly_csv(conn, area, stream)
    finally:
        await engine.dispose()


async def ingest_curtailment_file(area_url: str, area: str, source: Path) -> IngestedEvents:
    """The T&D's curtailment and interruption events (area/curtailment), one transaction."""
    engine = make_engine(area_url, pool_size=1, max_overflow=0)
    try:
        async with engine.begin() as conn:
            with source.open("rb") as stream:
                return await curtailment.ingest_csv(conn, area, stream)
    finally:
        await engine.dispose()
