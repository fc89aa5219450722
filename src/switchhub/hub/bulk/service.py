"""Bulk files of relays and applications: validate every row as the API would, then commit.

Relays: every row goes through the relay registration's own checks (`hub/relays/registration.py`:
`check_registration`, the point's `check_point`), with the point data prefetched by the area's batch lookup (≤ 1,000 per
call) and the open relays of all the file's points read at once; the valid rows are stored by
`relays.store_new` in the request's one transaction. `dry_run` stores nothing.
Applications: see `applications_bulk` (split by area, each area's batch in one area transaction).
One audit record per file (`relay.bulk` / `application.bulk`) next to the per-row records the
actions write.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.hub.accounts import permissions
from switchhub.hub.audit.context import Actor
from switchhub.hub.audit.repository import write
from switchhub.hub.bulk import csvfile
from switchhub.hub.bulk.columns import RELAYS, to_model
from switchhub.hub.bulk.report import Rows
from switchhub.hub.gateway.client import AreaClient
from switchhub.hub.relays import registration as relays
from switchhub.hub.relays.schemas import RelayRegistration
from switchhub.kernel.caller import Caller
from switchhub.kernel.clock import JST
from switchhub.kernel.errors import Conflict, FieldIssue, InputError, SwitchhubError

BATCH_GET = 1000  # the area's batch lookup takes at most 1,000 points


def issue_of(exc: SwitchhubError, field: str = "spid") -> list[FieldIssue]:
    """A refusal as the row's issues: field errors as they are, a conflict or an area error on `field`."""
    if exc.errors:
        return list(exc.errors)
    return [FieldIssue(field, exc.code, exc.detail_ja, exc.detail_en)]


async def prefetch_points(areas: AreaClient, caller: Caller, spids: list[str]
                          ) -> tuple[dict[str, dict[str, Any]], dict[str, SwitchhubError]]:
    """Every point of the file from its area, ≤ 1,000 per call: (spid → point, spid → area error)."""
    by_area: dict[str, list[str]] = defaultdict(list)
    for s in dict.fromkeys(spids):
        by_area[s[:2]].append(s)
    chunks = [(a, members[i:i + BATCH_GET]) for a, members in by_area.items()
              for i in range(0, len(members), BATCH_GET)]
    gate = asyncio.Semaphore(4)

    async def one(area: str, members: list[str]) -> Any:
        async with gate:
            return await areas.batch_get(area, caller, members)

    answers = await asyncio.gather(*(one(a, m) for a, m in chunks), return_exceptions=True)
    points: dict[str, dict[str, Any]] = {}
    failed: dict[str, SwitchhubError] = {}
    for (_, members), answer in zip(chunks, answers):
        if isinstance(answer, SwitchhubError):
            failed.update({s: answer for s in members})
        elif isinstance(answer, BaseException):
            raise answer
        else:
            points.update({item.point["spid"]: item.point for item in answer.items})
    return points, failed


def summary(rows: Rows, committed: set[int], dry_run: bool, mode: str) -> str:
    total, ng = len(rows.errors), len(rows.errors) - len(rows.valid())
    if dry_run:
        return f"{total:,} 行を検証しました（OK {total - ng:,} 行、NG {ng:,} 行）。登録はしていません"
    if committed:
        return f"{len(committed):,} 行を登録しました（NG {ng:,} 行は登録していません）"
    if ng and mode == "all_or_nothing":
        return f"NG の行が {ng:,} 行あるため、どの行も登録していません（全件一括）"
    return "登録できる行がありませんでした"


def report(kind: str, parsed: csvfile.ParsedFile, rows: Rows, committed: set[int], dry_run: bool, mode: str,
           **extra: Any) -> dict[str, Any]:
    results = rows.as_report(committed, dry_run)
    ng = sum(1 for r in results if r["outcome"] == "ng")
    return {"file_kind": kind, "dry_run": dry_run, "mode": mode, "encoding": parsed.encoding, "rows": len(results),
            "ok_rows": len(results) - ng, "ng_rows": ng, "committed": bool(committed),
            "committed_rows": len(committed), "message": summary(rows, committed, dry_run, mode), "results": results,
            **extra}


async def relays_bulk(conn: AsyncConnection, areas: AreaClient, actor: Actor, raw: bytes, *, dry_run: bool,
                      mode: str, now: datetime) -> dict[str, Any]:
    """A file of relay registrations (IS_20110 per row): the report, and the valid rows stored when
    committing (`valid_rows`), or all of them only if every row is valid (`all_or_nothing`)."""
    caller = actor.caller
    permissions.check(caller, "hub:relays:write")
    parsed = csvfile.read(raw, RELAYS)
    rows = Rows([r.number for r in parsed.rows], RELAYS)
    known = await relays.retailers(conn)
    today = now.astimezone(JST).date()
    checked: list[tuple[int, RelayRegistration, str, str]] = []
    for row in parsed.rows:
        try:
            req = to_model(RelayRegistration, row.values, RELAYS)
            spid, code = relays.check_registration(caller, req, today, known)  # type: ignore[arg-type]
        except InputError as exc:
            rows.fail(row.number, exc.errors)
            continue
        checked.append((row.number, req, spid, code))  # type: ignore[arg-type]
    spids = [c[2] for c in checked]
    points, failed = await prefetch_points(areas, caller, spids)
    existing = await relays.open_relays(conn, spids, lock=not dry_run)
    first_row: dict[str, int] = {}
    for number, _, spid, _ in checked:
        try:
            if spid in failed:
                raise failed[spid]
            if spid not in points:
                raise relays.point_not_found(spid)
            relays.check_point(caller, relays.pending_types(points[spid]), existing.get(spid))
            if spid in first_row:
                raise Conflict(f"同じ供給地点特定番号が {first_row[spid]} 行目にもあります（1つの供給地点に廃止取次は1件）",
                               f"The same supply point is on row {first_row[spid]}", code="duplicate_in_file")
            first_row[spid] = number
        except SwitchhubError as exc:
            rows.fail(number, issue_of(exc))
    valid = [c for c in checked if rows.ok(c[0])]
    commit = not dry_run and bool(valid) and (mode == "valid_rows" or len(valid) == len(parsed.rows))
    committed: set[int] = set()
    if commit:
        numbers = await relays.relay_numbers(conn, now, len(valid))
        new = [relays.new_relay(caller, req, spid, code, no, now) for (_, req, spid, code), no in zip(valid, numbers)]
        try:
            await relays.store_new(conn, actor, new, now)
        except relays.OpenRelayExists:
            raise Conflict("登録中に同じ供給地点の廃止取次が別に登録されたため、ファイルを登録できませんでした。"
                           "もう一度検証してから登録してください", "A relay for one of the points was registered"
                           " concurrently; validate and commit the file again", code="bulk_concurrent_change") from None
        for (number, *_), relay in zip(valid, new):
            rows.numbers[number] = relay["relay_no"]
            committed.add(number)
    result = report("relays", parsed, rows, committed, dry_run, mode)
    await write(conn, actor.entry("relay.bulk", resource_type="relay", resource_ids=[rows.numbers[n] for n in
                                                                                      sorted(committed)],
                                  item_count=len(committed),
                                  detail={"dry_run": dry_run, "mode": mode, "rows": result["rows"],
                                          "ng_rows": result["ng_rows"], "encoding": parsed.encoding}))
    return result
