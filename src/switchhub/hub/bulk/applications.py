"""Bulk files of applications (every kind in one file, a `申込種別` column): split by area, dry-run
every area first, then commit area by area (docs/bulk.md).

Each row is checked as a single filing is: the kind's request model (contract REQUESTS), the hub's
own checks (`applications.prepare`: kind, spid, a named relay), then the area's — the area files the
rows of its batch one after another in ONE area transaction, each in a savepoint with every check
of a single filing (`POST /area/v1/applications:bulk`). All-or-nothing across areas means: nothing
is committed anywhere unless every row of every area passed its area's dry run; then each area
commits its batch atomically. An area whose commit then fails (a row that changed in between, the
area down) commits nothing, while an area committed before it stays committed; the report says
which area did what.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.contract.applications import REQUESTS, BulkFilingAnswer, BulkFilingItem, BulkFilingRequest
from switchhub.hub.accounts import permissions
from switchhub.hub.applications import service as applications
from switchhub.hub.audit.context import Actor
from switchhub.hub.audit.repository import write
from switchhub.hub.bulk import csvfile
from switchhub.hub.bulk.columns import APPLICATIONS, KIND_COLUMN, kind_of, to_model
from switchhub.hub.bulk.report import Rows
from switchhub.hub.bulk.service import report
from switchhub.hub.gateway.client import AreaClient
from switchhub.kernel.codes import Area
from switchhub.kernel.errors import FieldIssue, SwitchhubError

Pending = tuple[int, str, BaseModel, "applications.Filing"]  # row, kind, body for the area, the checked filing


def _kind_issue(cell: str) -> FieldIssue:
    shown = "、".join(applications.KINDS)
    return FieldIssue(KIND_COLUMN, "unknown_kind", f"申込種別「{cell[:20]}」は指定できません（指定可能: {shown}、"
                                                  "その日本語名または申込種別コード）", f"Unknown kind {cell[:20]!r}")


def _area_issues(result: Any) -> list[FieldIssue]:
    if result.errors:
        return [FieldIssue(e.get("field", ""), e.get("code", ""), e.get("message", ""), e.get("message", ""))
                for e in result.errors]
    return [FieldIssue("spid", result.code or "refused", result.message or "受け付けられませんでした", result.message or "")]


async def _send(areas: AreaClient, actor: Actor, batches: dict[str, list[Pending]], dry_run: bool, mode: str
                ) -> dict[str, BulkFilingAnswer | SwitchhubError]:
    async def one(area: str, items: list[Pending]) -> BulkFilingAnswer:
        return await areas.file_applications(area, actor.caller, BulkFilingRequest(
            dry_run=dry_run, mode=mode, items=[BulkFilingItem(row=n, kind=k, body=req.model_dump(mode="json"))
                                               for n, k, req, _ in items]))

    answers = await asyncio.gather(*(one(a, items) for a, items in batches.items()), return_exceptions=True)
    out: dict[str, BulkFilingAnswer | SwitchhubError] = {}
    for area, answer in zip(batches, answers):
        if isinstance(answer, BaseException) and not isinstance(answer, SwitchhubError):
            raise answer
        out[area] = answer
    return out


def _area_name(area: str) -> str:
    try:
        return Area(area).ja
    except ValueError:
        return area


async def applications_bulk(conn: AsyncConnection, areas: AreaClient, actor: Actor, raw: bytes, *, dry_run: bool,
                            mode: str, now: datetime) -> dict[str, Any]:
    caller = actor.caller
    permissions.check(caller, "hub:applications:write")
    parsed = csvfile.read(raw, APPLICATIONS)
    rows = Rows([r.number for r in parsed.rows], APPLICATIONS)
    batches: dict[str, list[Pending]] = defaultdict(list)
    for row in parsed.rows:
        found = kind_of(row.values.get(KIND_COLUMN, ""))
        if found is None or found[0] not in applications.KINDS:
            rows.fail(row.number, [_kind_issue(row.values.get(KIND_COLUMN, ""))])
            continue
        kind, removal = found
        rows.kinds[row.number] = kind
        values = dict(row.values)
        if removal and "remove_meter" in REQUESTS[kind].model_fields:
            values.setdefault("remove_meter", "1")
        try:
            filing = await applications.prepare(conn, actor, kind, to_model(REQUESTS[kind], values, APPLICATIONS))
        except SwitchhubError as exc:
            rows.fail(row.number, list(exc.errors) or [FieldIssue("spid", exc.code, exc.detail_ja, exc.detail_en)])
            continue
        batches[filing.spid[:2]].append((row.number, kind, applications.dated_for_relay(filing), filing))

    outcomes: dict[str, dict[str, Any]] = {a: {"area": a, "area_name": _area_name(a), "rows": len(items),
                                               "committed": False, "message": ""} for a, items in batches.items()}

    def merge(answers: dict[str, BulkFilingAnswer | SwitchhubError], stage: str) -> None:
        for area, answer in answers.items():
            if isinstance(answer, SwitchhubError):
                outcomes[area]["message"] = f"{stage}: {answer.detail_ja}"
                for number, *_ in batches[area]:
                    rows.fail(number, [FieldIssue("spid", answer.code, answer.detail_ja, answer.detail_en)])
                continue
            for result in answer.results:
                if not result.ok:
                    rows.fail(result.row, _area_issues(result))

    merge(await _send(areas, actor, batches, True, mode), "検証")
    committed: set[int] = set()
    if not dry_run and rows.valid() and (mode == "valid_rows" or len(rows.valid()) == len(parsed.rows)):
        for area, items in batches.items():
            ready = [p for p in items if rows.ok(p[0])]
            if not ready:
                continue
            answer = (await _send(areas, actor, {area: ready}, False, mode))[area]
            if isinstance(answer, SwitchhubError) or not answer.committed:
                outcomes[area]["message"] = "登録時に受け付けられない行があったため、このエリアは登録していません"
            merge({area: answer}, "登録")
            if isinstance(answer, SwitchhubError) or not answer.committed:
                continue
            outcomes[area]["committed"] = True
            by_row = {p[0]: p for p in ready}
            for result in answer.results:
                if result.ok and result.application:
                    number, _, _, filing = by_row[result.row]
                    recorded = await applications.record(conn, actor, filing, result.application)
                    rows.numbers[number] = recorded["application_no"]
                    committed.add(number)
    result = report("applications", parsed, rows, committed, dry_run, mode, areas=list(outcomes.values()))
    await write(conn, actor.entry("application.bulk", resource_type="application",
                                  resource_ids=[rows.numbers[n] for n in sorted(committed)], item_count=len(committed),
                                  detail={"dry_run": dry_run, "mode": mode, "rows": result["rows"],
                                          "ng_rows": result["ng_rows"], "encoding": parsed.encoding,
                                          "areas": {a: o["committed"] for a, o in outcomes.items()}}))
    return result
