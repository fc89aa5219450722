"""Area reading-day calendars (public data, computed by the kernel's business calendar)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from switchhub.hub.calendar_schemas import ReadingCalendar
from switchhub.hub.deps import require
from switchhub.kernel import calendar as cal
from switchhub.kernel.caller import Caller
from switchhub.kernel.clock import get_clock
from switchhub.kernel.codes import Area

router = APIRouter(prefix="/api/v1", tags=["calendar"])


@router.get("/areas/{area}/reading-calendar", summary="定例検針日カレンダー (reading-day calendar of an area)",
             response_model=ReadingCalendar, openapi_extra={"x-interface-ids": ["SH_READING_CALENDAR"]})
async def reading_calendar(
    area: Annotated[str, Path(pattern=r"^(0[1-9]|10)$")],
    year: Annotated[int | None, Query(ge=2016, le=2100)] = None,
    caller: Caller = Depends(require("hub:calendar:read")),
) -> dict:
    y = year or get_clock().today().year
    return {"area": area, "area_name": Area(area).ja, "year": y, "codes": cal.valid_reading_codes(area),
            "months": cal.reading_calendar(area, y)}
