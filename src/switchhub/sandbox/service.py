"""The sandbox's actions on the hub: read and move the tenant's clock, reset the tenant.

Moving the clock sets an absolute offset: first in every area system (so a failed area leaves the
hub where it was and the same request, repeated, converges), then in the hub's own row with its
audit record in the route's transaction. Reset restores the area databases, then the hub's; its
audit record is written into the restored hub database, so the log shows the reset that made it.
Jobs are not run here: the worker's next round (it refreshes the clock first) finds what the
moved clock made due — deadlines, date fixes, switch executions, metering files.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from switchhub.hub.accounts.permissions import check
from switchhub.hub.audit.context import Actor
from switchhub.hub.audit.repository import write
from switchhub.hub.gateway.client import AreaClient
from switchhub.kernel.calendar import reading_dates_on_or_after
from switchhub.kernel.clock import JST, get_clock
from switchhub.kernel.errors import IssueCollector
from switchhub.sandbox import clock as sandbox_clock
from switchhub.sandbox import repository as sandbox_repo
from switchhub.sandbox import snapshot
from switchhub.sandbox.schemas import MoveClock

CLOCK, RESET = "hub:sandbox:clock", "hub:sandbox:reset"
#: `to_next_reading_day`: the reading calendar of this area and reading-day code (documented choice)
READING_AREA, READING_CODE = "03", "01"
_DURATION = TypeAdapter(timedelta)


def clock_answer(tenant: str) -> dict:
    clock = get_clock()
    offset = clock.offset_seconds if isinstance(clock, sandbox_clock.SandboxClock) else 0
    return {"now": clock.now().isoformat(), "offset_seconds": offset, "tenant": tenant}


def read_clock(actor: Actor, tenant: str) -> dict:
    check(actor.caller, CLOCK)
    return clock_answer(tenant)


def _parse_advance(raw: str, issues: IssueCollector) -> timedelta | None:
    if not raw.startswith("P"):
        issues.add(
            "advance",
            "duration_format",
            "進める時間は ISO 8601 の期間で指定してください（例 P3D, PT2H30M）",
            "Give the duration in ISO 8601 (e.g. P3D, PT2H30M)",
        )
        return None
    try:
        value = _DURATION.validate_python(raw)
    except ValidationError:
        issues.add(
            "advance",
            "duration_format",
            f"期間の形式が正しくありません: {raw[:40]}（例 P3D, PT2H30M）",
            f"Not an ISO 8601 duration: {raw[:40]} (e.g. P3D, PT2H30M)",
        )
        return None
    if value <= timedelta(0):
        issues.add(
            "advance",
            "duration_not_positive",
            "進める時間は正の値で指定してください（時計は戻せません）",
            "The duration must be positive (the clock cannot go back)",
        )
        return None
    return value


def _parse_to(raw: str, now: datetime, issues: IssueCollector) -> datetime | None:
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        issues.add(
            "to",
            "datetime_format",
            f"日時の形式が正しくありません: {raw[:40]}（例 2027-01-05T09:00:00+09:00）",
            f"Not an ISO 8601 date-time: {raw[:40]} (e.g. 2027-01-05T09:00:00+09:00)",
        )
        return None
    value = value if value.tzinfo else value.replace(tzinfo=JST)
    if value < now:
        issues.add(
            "to",
            "clock_backwards",
            f"現在時刻（{now.isoformat(timespec='seconds')}）より前には戻せません",
            f"The clock cannot go back before {now.isoformat(timespec='seconds')}",
        )
        return None
    return value


def target_time(body: MoveClock, now: datetime) -> datetime:
    """The time the body asks for, or the field errors (exactly one of the three, forwards only)."""
    issues = IssueCollector()
    given = [name for name in ("advance", "to", "to_next_reading_day") if getattr(body, name) is not None]
    if len(given) != 1:
        for name in given or ("advance", "to", "to_next_reading_day"):
            issues.add(
                name,
                "exactly_one",
                "advance・to・to_next_reading_day のいずれか1つだけを指定してください",
                "Give exactly one of advance, to and to_next_reading_day",
            )
        issues.raise_if_any()
    target: datetime | None = None
    if body.advance is not None:
        step = _parse_advance(body.advance, issues)
        target = now + step if step else None
    elif body.to is not None:
        target = _parse_to(body.to, now, issues)
    elif body.to_next_reading_day is not True:
        issues.add(
            "to_next_reading_day",
            "must_be_true",
            "to_next_reading_day は true で指定してください",
            "to_next_reading_day must be true",
        )
    else:
        day = reading_dates_on_or_after(READING_AREA, READING_CODE, now.date() + timedelta(days=1), 1)[0]
        target = datetime.combine(day, datetime.min.time(), JST)
    issues.raise_if_any()
    assert target is not None
    return target


async def move_clock(
    conn: AsyncConnection, actor: Actor, areas: AreaClient, body: MoveClock, tenant: str
) -> dict:
    check(actor.caller, CLOCK)
    clock = sandbox_clock.install()
    before = clock.now()
    target = target_time(body, before)
    offset = clock.offset_seconds + int((target - before).total_seconds())
    for area in areas.sandbox_areas():
        await areas.set_sandbox_clock(area, actor.caller, offset)
    await sandbox_repo.write_offset(
        conn, offset, actor.caller.user_login or actor.caller.operator_code, before
    )
    clock.offset_seconds = offset
    await write(
        conn,
        actor.entry(
            "sandbox.clock",
            resource_type="sandbox_clock",
            resource_ids=[tenant],
            detail={
                "from": before.isoformat(),
                "to": clock.now().isoformat(),
                "offset_seconds": offset,
                **body.model_dump(exclude_none=True),
            },
        ),
    )
    return clock_answer(tenant)


async def restore_tenant(actor: Actor, areas: AreaClient, engine: AsyncEngine) -> None:
    """Every area system, then the hub's own database, back to the snapshot (outside any transaction:
    the hub's database is dropped and created again; the pools are emptied first)."""
    check(actor.caller, RESET)
    url = engine.url.render_as_string(hide_password=False)
    if not snapshot.has_snapshot(url):
        snapshot.restore(url)  # raises the coded refusal, before any area is touched
    for area in areas.sandbox_areas():
        await areas.reset_sandbox(area, actor.caller)
    await engine.dispose()
    await snapshot.restore_async(url)


async def record_reset(conn: AsyncConnection, actor: Actor, tenant: str) -> dict:
    """In the restored database: the clock at offset 0 and the reset's audit record."""
    clock = sandbox_clock.install()
    clock.offset_seconds = 0
    await sandbox_repo.write_offset(
        conn, 0, actor.caller.user_login or actor.caller.operator_code, clock.now()
    )
    await write(conn, actor.entry("sandbox.reset", resource_type="sandbox", resource_ids=[tenant]))
    return {
        "reset": True,
        "tenant": tenant,
        **{k: v for k, v in clock_answer(tenant).items() if k != "tenant"},
    }
