"""The one place the public page meets the area's usage service: a confirmed request is filed as a
type 08 request whose applicant is the customer itself (no retailer), through the same path as a
retailer's (automatic verification or the T&D review queue)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection


async def file_for_customer(conn: AsyncConnection, request: dict[str, Any], now: datetime) -> str:
    raise NotImplementedError("waiting for the area usage service (wt-usage)")
