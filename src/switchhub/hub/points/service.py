"""Facility lookup, batch and search through the hub.

The area decides visibility first; here the hub checks every answer again with the
same policy (`kernel.visibility`), strips and alerts on anything the caller may not see,
names the current retailer, and writes the audit record of every lookup before the answer leaves
(public-only answers too: the access-log analysis counts lookups). The
API and the Web pages both call these functions, which check the permission themselves.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections import defaultdict
from contextlib import AsyncExitStack
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from switchhub.contract.points import ExportCompression
from switchhub.db.engine import autocommit
from switchhub.hub.accounts import permissions
from switchhub.hub.accounts import repository as accounts
from switchhub.hub.accounts.identity_cache import RequestClaim
from switchhub.hub.audit.context import Actor
from switchhub.hub.audit.group_commit import group_commit
from switchhub.hub.audit.repository import AuditEntry, write
from switchhub.hub.breakglass.service import resolve as resolve_breakglass
from switchhub.hub.gateway.client import AreaClient
from switchhub.kernel.clock import get_clock
from switchhub.kernel.errors import AreaUnavailable, SwitchhubError
from switchhub.kernel.geo import areas_of_prefecture
from switchhub.kernel.spid import AREA_CODES
from switchhub.kernel.visibility import ExportFields, View, breakglass_used, check_answer, sensitive_fields

log = logging.getLogger("switchhub.hub.visibility")
SEARCH_CAP = 100


def recheck(ctx: Actor, point: dict[str, Any], view: View, alerts: list[AuditEntry]) -> dict[str, Any]:
    """Drop fields the caller may not see and record an alert for each such answer."""
    bad = check_answer(ctx.caller, point, view, ctx.caller.breakglass)
    if bad:
        log.error("area answered restricted fields", extra={"fields": bad, "spid": point.get("spid")})
        alerts.append(ctx.alert("visibility.restricted_field", resource_type="supply_point",
                                resource_ids=[str(point.get("spid", ""))], fields=bad, outcome="stripped"))
        point = {k: v for k, v in point.items() if k not in bad}
    return point


_NAMES: dict[str, tuple[float, str]] = {}
NAME_TTL_S = 60.0


async def _name_retailers(engine: AsyncEngine, points: list[dict[str, Any]]) -> None:
    """Operator names are directory data (not access decisions): cached for a minute per process."""
    import time

    codes = sorted({p["current_retailer_code"] for p in points if p.get("current_retailer_code")})
    if not codes:
        return
    now = time.monotonic()
    missing = [c for c in codes if c not in _NAMES or _NAMES[c][0] < now]
    if missing:
        async with engine.connect() as conn:
            for code, name in (await accounts.operator_names(conn, missing)).items():
                _NAMES[code] = (now + NAME_TTL_S, name)
    names = {c: _NAMES[c][1] for c in codes if c in _NAMES}
    for p in points:
        if p.get("current_retailer_code"):
            p["current_retailer_name"] = names.get(p["current_retailer_code"], "")


async def _audit(engine: AsyncEngine, entries: list[AuditEntry], claim: RequestClaim | None = None) -> None:
    """Durable before the answer leaves: returns when the records are committed, in one write with
    the records of the lookups that arrived meanwhile (audit.group_commit). With the request's claim
    of an identity read from the hub's cache, the write checks it (StaleIdentity: nothing written)."""
    if not entries:
        return
    await group_commit(engine).write(entries, claim.claim if claim is not None else None)
    if claim is not None:
        claim.confirmed = True


async def with_breakglass(engine: AsyncEngine, ctx: Actor) -> Actor:
    """The actor whose caller carries its break-glass grants in force now (sent to the area with the
    acting-operator headers and used by the re-check); unchanged when it has none."""
    if not ctx.caller.user_login or ctx.caller.is_occto or ctx.caller.breakglass_checked:
        return ctx  # OCCTO is never granted; an API caller's grants were read with its identity
    # one indexed read without BEGIN/COMMIT round trips (the lookup is the hot path)
    async with autocommit(engine).connect() as conn:
        caller = await resolve_breakglass(conn, ctx.caller, get_clock().now())
    return ctx if caller is ctx.caller else dataclasses.replace(ctx, caller=caller)


def _breakglass_detail(ctx: Actor, points: list[dict[str, Any]]) -> dict[str, Any]:
    """The grants the answer relied on, for the audit record of the read (every use audited)."""
    used = sorted({g for p in points for g in breakglass_used(ctx.caller, p, ctx.caller.breakglass)})
    return {"breakglass_grants": used} if used else {}


async def lookup(engine: AsyncEngine, areas: AreaClient, ctx: Actor, spid: str,
                 claim: RequestClaim | None = None) -> dict[str, Any]:
    """設備情報照会 (IF_10110): one point as the caller may see it on today's date (`claim`: _audit)."""
    permissions.check(ctx.caller, "hub:supply-points:read")
    ctx = await with_breakglass(engine, ctx)
    answer = await areas.lookup(ctx.caller, spid)
    alerts: list[AuditEntry] = []
    point = recheck(ctx, answer.point, View.LOOKUP, alerts)
    await _name_retailers(engine, [point])
    # every lookup is recorded (OCCTO's access-log analysis counts lookups never followed by an
    # application, public-only ones included); `fields` names what was sensitive, often nothing
    alerts.append(ctx.entry("supply_point.lookup", resource_type="supply_point", resource_ids=[spid],
                            fields=sensitive_fields(point), item_count=1, detail=_breakglass_detail(ctx, [point])))
    await _audit(engine, alerts, claim)
    return point


async def batch(engine: AsyncEngine, areas: AreaClient, ctx: Actor, spids: list[str],
                claim: RequestClaim | None = None) -> dict[str, Any]:
    """Batch lookup (≤ 1,000, requested No.71): each area asked once, concurrently (`claim`: _audit)."""
    permissions.check(ctx.caller, "hub:supply-points:read")
    ctx = await with_breakglass(engine, ctx)
    by_area: dict[str, list[str]] = defaultdict(list)
    for s in spids:
        by_area[s[:2]].append(s)
    results = await asyncio.gather(
        *(areas.batch_get(a, ctx.caller, members)
          for a, members in by_area.items()),
        return_exceptions=True,
    )
    found: dict[str, dict[str, Any]] = {}
    not_found: list[str] = []
    failed: list[dict[str, Any]] = []
    alerts: list[AuditEntry] = []
    for (area, members), res in zip(by_area.items(), results):
        if isinstance(res, SwitchhubError):
            failed += [{"spid": s, "status": res.status, "code": res.code, "message": res.detail_ja} for s in members]
            continue
        if isinstance(res, BaseException):
            raise res
        for item in res.items:
            p = recheck(ctx, item.point, View.LOOKUP, alerts)
            found[p["spid"]] = p
        not_found += res.not_found
    points = [found[s] for s in spids if s in found]
    await _name_retailers(engine, points)
    if points:  # every point answered is recorded, as for the single lookup; `fields`: the sensitive ones
        fields = sorted({f for p in points for f in sensitive_fields(p)})
        alerts.append(ctx.entry("supply_point.batch_get", resource_type="supply_point",
                                resource_ids=[p["spid"] for p in points], fields=fields, item_count=len(points),
                                detail=_breakglass_detail(ctx, points)))
    await _audit(engine, alerts, claim)
    return {"items": points, "not_found": not_found, "failed": failed}


def search_areas(params: dict[str, str]) -> list[str]:
    if params.get("area"):
        return [params["area"]]
    if params.get("prefecture") and not (params.get("pole_no") or params.get("meter_no")):
        return list(areas_of_prefecture(params["prefecture"]))
    return list(AREA_CODES)


async def search(engine: AsyncEngine, areas: AreaClient, ctx: Actor, params: dict[str, str], page: int,
                 per_page: int) -> dict[str, Any]:
    """Fan out to the areas the query can concern; merge in area order; cap at 100."""
    permissions.check(ctx.caller, "hub:supply-points:search")
    targets = search_areas(params)
    query = {k: v for k, v in params.items() if v and k != "area"}
    offset = (page - 1) * per_page
    # each area returns its own first (offset + per_page) matches; the merge keeps area order
    answers = await asyncio.gather(*(areas.search(a, ctx.caller, query, min(SEARCH_CAP, offset + per_page))
                                     for a in targets), return_exceptions=True)
    total, truncated, items, unavailable = 0, False, [], []
    alerts: list[AuditEntry] = []
    for area, ans in zip(targets, answers):
        if isinstance(ans, SwitchhubError):
            if len(targets) == 1:
                raise ans
            unavailable.append({"area": area, "code": ans.code})
            continue
        if isinstance(ans, BaseException):
            raise ans
        total += ans.total
        truncated = truncated or ans.truncated
        items += [recheck(ctx, p, View.SEARCH, alerts) for p in ans.items]
    if total > SEARCH_CAP:
        total, truncated = SEARCH_CAP, True
    await _audit(engine, alerts)
    return {"total": total, "truncated": truncated, "page": page, "per_page": per_page,
            "items": items[offset:offset + per_page], "unavailable_areas": unavailable,
            **({"message": "検索結果が100件を超えました。条件を追加して絞り込んでください",
                "message_en": "More than 100 matches: narrow your search"} if truncated else {})}


async def open_export(engine: AsyncEngine, areas: AreaClient, ctx: Actor, fmt: str, stack: AsyncExitStack,
                      field_set: ExportFields = ExportFields.STANDARD,
                      compression: ExportCompression = ExportCompression.FAST,
                      ) -> tuple[list[httpx.Response], int, list[str]]:
    """Own-point export (requested No.56): one streamed answer per area of the caller, checked and
    audited before the first byte leaves: (streams, rows, columns). The streams close with `stack`."""
    caller = ctx.caller
    permissions.check(caller, "hub:supply-points:export")
    targets = sorted(caller.areas) or list(AREA_CODES)
    streams = []
    for i, area in enumerate(targets):
        streams.append(await stack.enter_async_context(
            areas.export(area, caller, fmt, header=i == 0, fields=field_set.value, compression=compression.value)))
    fields = streams[0].headers.get("x-export-fields", "").split(",") if streams else []
    bad = check_answer(caller, {f: None for f in fields}, View.EXPORT, export_fields=field_set)
    if not bad and any(r.headers.get("x-export-fields", "").split(",") != fields for r in streams):
        bad = sorted({f for r in streams for f in r.headers.get("x-export-fields", "").split(",")} ^ set(fields))
    if any(r.headers.get("content-type", "").split(";")[0].strip() != compression.media_type for r in streams):
        raise AreaUnavailable("エリアシステムの応答の圧縮形式が要求と異なるため中止しました",
                              "The area answered another compression than asked; the export was stopped")
    count = sum(int(r.headers.get("x-row-count", "0")) for r in streams)
    async with engine.begin() as conn:
        if bad:
            await write(conn, ctx.alert("visibility.restricted_field", resource_type="export", fields=bad,
                                        outcome="refused"))
        else:
            await write(conn, ctx.entry("supply_point.export", resource_type="supply_point", fields=fields,
                                        item_count=count, detail={"format": fmt, "areas": targets,
                                                                  "fields": field_set.value,
                                                                  "compression": compression.value}))
    if bad:
        raise AreaUnavailable("エリアシステムの応答に不正な項目が含まれていたため中止しました",
                              "The area answered restricted fields; the export was stopped")
    return streams, count, fields
