"""Facility lookup, batch, search and export through the hub.

The area decides visibility first; here the hub checks every answer again with the
same policy, strips and alerts on anything the caller may not see, names the current
retailer, and writes the audit record before the answer leaves.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from switchhub.hub.accounts import repository as accounts
from switchhub.hub.audit.repository import AuditEntry, write
from switchhub.hub.gateway.client import AreaClient
from switchhub.kernel.caller import Caller
from switchhub.kernel.errors import SwitchhubError
from switchhub.kernel.geo import areas_of_prefecture
from switchhub.kernel.spid import AREA_CODES
from switchhub.kernel.visibility import FIELD_CLASSES, PERSONAL_FIELDS, FieldClass, View, check_answer

log = logging.getLogger("switchhub.hub.visibility")
SEARCH_CAP = 100


class RequestContext:
    """Who asked, from where, and why: what every audit record needs."""

    def __init__(self, caller: Caller, request_id: str, remote_addr: str, purpose: str = "switching") -> None:
        self.caller, self.request_id, self.remote_addr, self.purpose = caller, request_id, remote_addr, purpose

    def entry(self, action: str, **kw: Any) -> AuditEntry:
        c = self.caller
        return AuditEntry(action=action, operator_code=c.operator_code, user_login=c.user_login,
                          cert_fingerprint=c.cert_fingerprint or None, request_id=self.request_id,
                          remote_addr=self.remote_addr, purpose=self.purpose, **kw)


def _sensitive(point: dict[str, Any]) -> list[str]:
    return [f for f in point if f in FIELD_CLASSES and (FIELD_CLASSES[f] is not FieldClass.PUBLIC
                                                        or f in PERSONAL_FIELDS)]


def recheck(ctx: RequestContext, point: dict[str, Any], view: View, alerts: list[AuditEntry]) -> dict[str, Any]:
    """Drop fields the caller may not see and record an alert for each such answer."""
    bad = check_answer(ctx.caller, point, view)
    if bad:
        log.error("area answered restricted fields", extra={"fields": bad, "spid": point.get("spid")})
        alerts.append(ctx.entry("alert.visibility.restricted_field", resource_type="supply_point",
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


async def _audit(engine: AsyncEngine, entries: list[AuditEntry]) -> None:
    if entries:
        async with engine.begin() as conn:
            await write(conn, *entries)


async def lookup(engine: AsyncEngine, areas: AreaClient, ctx: RequestContext, spid: str) -> dict[str, Any]:
    answer = await areas.call(spid[:2], "GET", f"/area/v1/supply-points/{spid}", ctx.caller)
    alerts: list[AuditEntry] = []
    point = recheck(ctx, answer["point"], View.LOOKUP, alerts)
    await _name_retailers(engine, [point])
    sensitive = _sensitive(point)
    if sensitive:
        alerts.append(ctx.entry("api.supply_point.lookup", resource_type="supply_point", resource_ids=[spid],
                                fields=sensitive, item_count=1))
    await _audit(engine, alerts)
    return point


async def batch(engine: AsyncEngine, areas: AreaClient, ctx: RequestContext, spids: list[str]) -> dict[str, Any]:
    by_area: dict[str, list[str]] = defaultdict(list)
    for s in spids:
        by_area[s[:2]].append(s)
    results = await asyncio.gather(
        *(areas.call(a, "POST", "/area/v1/supply-points:batch-get", ctx.caller, json={"spids": members})
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
        for item in res["items"]:
            p = recheck(ctx, item["point"], View.LOOKUP, alerts)
            found[p["spid"]] = p
        not_found += res["not_found"]
    points = [found[s] for s in spids if s in found]
    await _name_retailers(engine, points)
    sensitive_ids = [p["spid"] for p in points if _sensitive(p)]
    if sensitive_ids:
        fields = sorted({f for p in points for f in _sensitive(p)})
        alerts.append(ctx.entry("api.supply_point.batch_get", resource_type="supply_point",
                                resource_ids=sensitive_ids, fields=fields, item_count=len(sensitive_ids)))
    await _audit(engine, alerts)
    return {"items": points, "not_found": not_found, "failed": failed}


def search_areas(params: dict[str, str]) -> list[str]:
    if params.get("area"):
        return [params["area"]]
    if params.get("prefecture") and not (params.get("pole_no") or params.get("meter_no")):
        return list(areas_of_prefecture(params["prefecture"]))
    return list(AREA_CODES)


async def search(engine: AsyncEngine, areas: AreaClient, ctx: RequestContext, params: dict[str, str], page: int,
                 per_page: int) -> dict[str, Any]:
    """Fan out to the areas the query can concern; merge in area order; cap at 100."""
    targets = search_areas(params)
    query = {k: v for k, v in params.items() if v and k != "area"}
    offset = (page - 1) * per_page
    # each area returns its own first (offset + per_page) matches; the merge keeps area order
    answers = await asyncio.gather(*(areas.call(a, "GET", "/area/v1/supply-points", ctx.caller,
                                                params={**query, "area": a, "offset": 0,
                                                        "limit": min(SEARCH_CAP, offset + per_page)})
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
        total += ans["total"]
        truncated = truncated or ans["truncated"]
        items += [recheck(ctx, p, View.SEARCH, alerts) for p in ans["items"]]
    if total > SEARCH_CAP:
        total, truncated = SEARCH_CAP, True
    await _audit(engine, alerts)
    return {"total": total, "truncated": truncated, "page": page, "per_page": per_page,
            "items": items[offset:offset + per_page], "unavailable_areas": unavailable,
            **({"message": "検索結果が100件を超えました。条件を追加して絞り込んでください",
                "message_en": "More than 100 matches: narrow your search"} if truncated else {})}
