"""Jobs of notices: `notices.publish`, keyed by notice ID and scheduled at its start time, fans out
`notice.published` when a notice saved for the future becomes visible (once: see service)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.hub.notices import service


async def publish_due(conn: AsyncConnection, payload: dict[str, Any], now: datetime) -> None:
    await service.publish_if_visible(conn, int(payload["_key"]), now)


HANDLERS = {service.PUBLISH_JOB: publish_due}
