"""The CLI's direct ingestion (`switchhub readings ingest FILE --area 03`): one transaction on the area database."""

from __future__ import annotations

from switchhub.area.readings import service
from switchhub.db.engine import make_engine


async def ingest_file(area_url: str, area: str, data: bytes) -> service.Ingested:
    engine = make_engine(area_url, pool_size=1, max_overflow=0)
    try:
        async with engine.begin() as conn:
            return await service.ingest_csv(conn, area, data)
    finally:
        await engine.dispose()
