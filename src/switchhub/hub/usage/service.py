"""Usage passwords and usage inquiries as the hub serves them (P2): validated and routed here,
decided by the point's area. Each action checks the actor's permission, calls the area, checks the
answer again with `kernel.visibility` (strip + alert) and writes its audit record in the caller's
transaction: the request, every status read (with whether it carried the password), every review
read and decision, and every inquiry with Purpose.USAGE_INQUIRY and the caller's stated purpose.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from pydantic_core import from_json
from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.contract.usage import (
    UsageBatchInquiryRequest,
    UsageDecisionRequest,
    UsageInquiryRequest,
    UsagePasswordRequest,
    answer_problems,
)
from switchhub.hub.accounts import permissions
from switchhub.hub.applications import list_service as worklist
from switchhub.hub.audit.context import Actor
from switchhub.hub.audit.repository import write
from switchhub.hub.gateway.client import AreaClient
from switchhub.kernel.clock import get_clock
from switchhub.kernel.codes import Area, Purpose
from switchhub.kernel.errors import AreaUnavailable, InputError, IssueCollector, NotFound, SwitchhubError
from switchhub.kernel.spid import AREA_CODES, parse_spid
from switchhub.kernel.visibility import (
    USAGE_REQUEST_PERSONAL_FIELDS,
    check_usage_answer,
    project_usage_request,
    usage_request_grant,
)

log = logging.getLogger("switchhub.hub.usage")
REQUEST, READ, QUERY = "hub:usage:request", "hub:usage:read", "hub:usage:query"
REVIEW, REVIEW_READ = "hub:usage:review", "hub:usage:review:read"
MAX_PAGE = 50
REFUSED = "usage_password_invalid"  # the area's one refusal of a point (as its per-point 403)


def _not_found() -> NotFound:
    return NotFound("指定された申込はありません", "No such application")


def area_of_request(application_no: str) -> str:
    if not 3 <= len(application_no) <= 40 or application_no[:2] not in AREA_CODES:
        raise _not_found()
    return application_no[:2]


def _parsed_spids(raws: list[str], issues: IssueCollector) -> list[tuple[int, str]]:
    """Each spid's form and no duplicates; the (index, spid) pairs that passed (issues name `spids[i]`)."""
    seen: list[str] = []
    good: list[tuple[int, str]] = []
    for i, raw in enumerate(raws):
        try:
            spid = parse_spid(raw, f"spids[{i}]")
        except InputError as exc:
            issues.extend(exc.errors)
            continue
        if spid in seen:
            issues.add(f"spids[{i}]", "duplicate", f"{seen.index(spid) + 1}件目と同じ供給地点特定番号です",
                       f"Same supply point as item {seen.index(spid) + 1}")
        else:
            good.append((i, spid))
        seen.append(spid)
    return good


def checked_request(actor: Actor, body: UsagePasswordRequest) -> tuple[str, UsagePasswordRequest]:
    """The hub's own checks (it routes by area): each spid's form, duplicates, one area, and an area
    the retailer is registered for. Field issues name `spids[i]`."""
    issues = IssueCollector()
    good = _parsed_spids(body.spids, issues)
    for i, spid in good:
        if spid[:2] != good[0][1][:2]:
            issues.add(f"spids[{i}]", "area_mismatch",
                       f"1件目と異なるエリア（{Area(spid[:2]).ja}）の供給地点です。エリアごとに申し込んでください",
                       "All points of one request must be in one area")
        elif actor.caller.is_retailer and spid[:2] not in actor.caller.areas:
            issues.add(f"spids[{i}]", "area_not_registered",
                       f"{Area(spid[:2]).ja}エリア（{spid[:2]}）の供給地点には申し込めません（登録されていないエリアです）",
                       f"You are not registered for area {spid[:2]}")
    issues.raise_if_any()
    spids = [spid for _, spid in good]
    return spids[0][:2], body.model_copy(update={"spids": spids})


async def request(conn: AsyncConnection, areas: AreaClient, actor: Actor, body: UsagePasswordRequest
                  ) -> dict[str, Any]:
    """使用量情報照会申請 (IF_10210 / IF_K10210)."""
    permissions.check(actor.caller, REQUEST)
    area, body = checked_request(actor, body)
    answer = await areas.request_usage_password(actor.caller, area, body, idempotency_key=actor.idempotency_key or None)
    answer = await _strip_password(conn, actor, answer)
    await write(conn, actor.entry("usage_password.request", resource_type="usage_password",
                                  resource_ids=[answer["application_no"]], item_count=len(body.spids),
                                  fields=["customer_name_kana", "customer_name_kanji", "address", "phone"],
                                  detail={"spids": body.spids, "verification": answer["verification"],
                                          "stage": answer["stage"], "documents": len(body.documents)}))
    await worklist.index_usage_filed(conn, answer, get_clock().now())
    return answer


async def _strip_password(conn: AsyncConnection, actor: Actor, answer: dict[str, Any]) -> dict[str, Any]:
    """Only the applicant ever receives a password (and the area gives it once)."""
    area, origin = str(answer.get("application_no", ""))[:2], str(answer.get("applicant_origin", "retailer"))
    grant = usage_request_grant(actor.caller, answer.get("applicant_code"), area, origin)
    if answer.get("password") is None or (actor.caller.is_retailer and grant is not None and grant.pickup):
        return answer
    log.error("area answered a usage password to someone else")
    await write(conn, actor.alert("visibility.restricted_field", resource_type="usage_password",
                                  resource_ids=[str(answer.get("application_no", ""))], fields=["password"],
                                  outcome="stripped"))
    return {**answer, "password": None}


async def status(conn: AsyncConnection, areas: AreaClient, actor: Actor, application_no: str) -> dict[str, Any]:
    """業務処理状況確認 (IF_10220 / IF_K10220): the applicant's first read after issue carries the password."""
    permissions.check(actor.caller, READ)
    area_of_request(application_no)
    answer = await _strip_password(conn, actor, await areas.usage_password(actor.caller, application_no))
    await write(conn, actor.entry("usage_password.status", resource_type="usage_password",
                                  resource_ids=[application_no], item_count=1,
                                  fields=["password"] if answer.get("password") else [],
                                  detail={"stage": answer["stage"], "password_shown": answer.get("password") is not None}))
    return answer


def _review_areas(actor: Actor) -> list[str]:
    return sorted(actor.caller.areas) if actor.caller.is_tso else list(AREA_CODES)


async def reviews(areas: AreaClient, actor: Actor, state: str, page: int, per_page: int) -> dict[str, Any]:
    """The review queue of the caller's areas (OCCTO: every area, read-only), oldest deadline first.
    Each area is asked for its first page × per_page rows and the hub merges them."""
    permissions.check(actor.caller, REVIEW_READ)
    if page > MAX_PAGE:
        raise InputError.single("page", "page_range", f"page は{MAX_PAGE}以下で指定してください",
                                f"page must be at most {MAX_PAGE}")
    targets = _review_areas(actor)
    answers = await asyncio.gather(*(areas.usage_reviews(a, actor.caller, state, 1, page * per_page)
                                     for a in targets), return_exceptions=True)
    items: list[dict[str, Any]] = []
    total = 0
    for answer in answers:
        if isinstance(answer, SwitchhubError) and answer.status >= 500 and len(targets) > 1:
            continue  # one area down does not hide the others' queues
        if isinstance(answer, BaseException):
            raise answer
        total += answer.total
        items += [i.model_dump(mode="json") for i in answer.items]
    items.sort(key=lambda i: (i["review_deadline"], i["received_at"], i["application_no"]))
    return {"total": total, "page": page, "per_page": per_page,
            "items": items[(page - 1) * per_page:page * per_page]}


async def _checked_detail(conn: AsyncConnection, actor: Actor, detail: dict[str, Any]) -> dict[str, Any]:
    grant = usage_request_grant(actor.caller, detail.get("applicant_code"), str(detail.get("area", "")),
                                str(detail.get("applicant_origin", "retailer")))
    if grant is None or actor.caller.is_retailer:
        raise _not_found()
    leaked = [] if grant.personal else sorted(
        f for f in USAGE_REQUEST_PERSONAL_FIELDS if detail.get(f) is not None) + (
        ["points.current_name"] if any(p.get("current_name_kanji") or p.get("current_name_kana")
                                       for p in detail.get("points", [])) else [])
    if leaked:
        await write(conn, actor.alert("visibility.restricted_field", resource_type="usage_password",
                                      resource_ids=[str(detail.get("application_no"))], fields=leaked,
                                      outcome="stripped"))
    return project_usage_request(detail, grant)


async def review(conn: AsyncConnection, areas: AreaClient, actor: Actor, application_no: str) -> dict[str, Any]:
    permissions.check(actor.caller, REVIEW_READ)
    area_of_request(application_no)
    detail = await _checked_detail(conn, actor, await areas.usage_review(actor.caller, application_no))
    personal = sorted(f for f in USAGE_REQUEST_PERSONAL_FIELDS if detail.get(f) is not None)
    await write(conn, actor.entry("usage_password.review_read", resource_type="usage_password",
                                  resource_ids=[application_no], fields=personal, item_count=1))
    return detail


async def document(conn: AsyncConnection, areas: AreaClient, actor: Actor, application_no: str, n: int
                   ) -> tuple[bytes, str]:
    permissions.check(actor.caller, REVIEW)
    area_of_request(application_no)
    content, content_type = await areas.usage_review_document(actor.caller, application_no, n)
    await write(conn, actor.entry("usage_password.document_read", resource_type="usage_password",
                                  resource_ids=[application_no], item_count=1,
                                  detail={"document": n, "content_type": content_type, "size": len(content)}))
    return content, content_type


async def decide(conn: AsyncConnection, areas: AreaClient, actor: Actor, application_no: str,
                 body: UsageDecisionRequest) -> dict[str, Any]:
    permissions.check(actor.caller, REVIEW)
    area_of_request(application_no)
    detail = await _checked_detail(conn, actor, await areas.decide_usage_review(actor.caller, application_no, body))
    await write(conn, actor.entry("usage_password.decision", resource_type="usage_password",
                                  resource_ids=[application_no],
                                  detail={"decision": body.decision, "reason_code": body.reason_code,
                                          "stage": detail["stage"]}))
    return detail


def _inquiry_entry(actor: Actor, spid: str, purpose: str, **kw: Any):  # noqa: ANN202
    return actor.with_purpose(Purpose.USAGE_INQUIRY.value).entry(
        "usage.query", resource_type="supply_point", resource_ids=[spid], **kw)


def _answered_entry(actor: Actor, spid: str, purpose: str, answer: dict[str, Any]):  # noqa: ANN202
    return _inquiry_entry(actor, spid, purpose, fields=["usage"], item_count=len(answer["months"]),
                          detail={"purpose_text": purpose, "months": len(answer["months"]),
                                  "days": len(answer["days"])})


def _refused_entry(actor: Actor, spid: str, purpose: str, code: str, status: int):  # noqa: ANN202
    return _inquiry_entry(actor, spid, purpose, outcome=code, detail={"purpose_text": purpose, "status": status})


def _outside_contract(problems: int) -> AreaUnavailable:
    return AreaUnavailable("一般送配電事業者システムの応答が契約（インタフェース仕様）と一致しません",
                           "The area system answered outside the contract",
                           code="area_contract_violation", extra={"problems": problems})


def _parsed(raw: bytes) -> Any:
    """The area's answer as plain dicts and lists (no model): pydantic-core's JSON parser, about three
    times json.loads on a 4 MB answer of 20 points (docs/benchmarks.md P10)."""
    try:
        return from_json(raw)
    except ValueError:
        raise _outside_contract(1) from None


def _checked_usage(answer: Any, spid: str) -> dict[str, Any]:
    """The contract check of one point's answer (its shape, and that it is the point asked for)."""
    problems = answer_problems(answer)
    if problems or answer["spid"] != spid:
        raise _outside_contract(problems or 1)
    return answer


async def _rechecked(conn: AsyncConnection, actor: Actor, spid: str, answer: dict[str, Any]) -> dict[str, Any] | None:
    """The visibility re-check: None when the answer's own statements forbid nothing in it (the area's
    bytes can go out as they are), else the answer without the forbidden parts, with an alert."""
    bad = check_usage_answer(answer)
    if not bad:
        return None
    log.error("area answered usage outside the customer's period", extra={"parts": bad[:10]})
    await write(conn, actor.alert("visibility.usage_outside_grant", resource_type="supply_point",
                                  resource_ids=[spid], fields=bad[:50], outcome="stripped"))
    dropped = set(bad)
    return {**answer,
            "months": [m for m in answer["months"] if f"months:{m['billing_month']}" not in dropped
                       and "months" not in dropped],
            "days": [] if "days" in dropped else [d for d in answer["days"] if f"days:{d['date']}" not in dropped]}


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


async def _query(conn: AsyncConnection, areas: AreaClient, actor: Actor, spid: str, body: UsageInquiryRequest
                 ) -> tuple[dict[str, Any], bytes | None]:
    permissions.check(actor.caller, QUERY)
    raw = await areas.query_usage(actor.caller, spid, body)
    answer = _checked_usage(_parsed(raw), spid)
    stripped = await _rechecked(conn, actor, spid, answer)
    await write(conn, _answered_entry(actor, spid, body.purpose, stripped or answer))
    return (answer, raw) if stripped is None else (stripped, None)


async def query(conn: AsyncConnection, areas: AreaClient, actor: Actor, spid: str, body: UsageInquiryRequest
                ) -> dict[str, Any]:
    """使用量照会 (IF_10310 / IF_K10310): the area decides by the password; the hub drops anything the
    answer's own statements forbid (days without interval data, anything before the period)."""
    return (await _query(conn, areas, actor, spid, body))[0]


async def query_json(conn: AsyncConnection, areas: AreaClient, actor: Actor, spid: str, body: UsageInquiryRequest
                     ) -> bytes:
    """`query` as the JSON the API sends: the area's own bytes when the re-check stripped nothing."""
    answer, raw = await _query(conn, areas, actor, spid, body)
    return raw if raw is not None else _dumps(answer)


async def query_refused(conn: AsyncConnection, actor: Actor, spid: str, body: UsageInquiryRequest,
                        error: SwitchhubError) -> None:
    """A refused inquiry is audited too (its own transaction: the refusal rolls the request's back)."""
    await write(conn, _refused_entry(actor, spid, body.purpose, error.code, error.status))


# -- batch inquiry: all points of a password in one call ---------------------------------------------

def checked_batch(body: UsageBatchInquiryRequest) -> UsageBatchInquiryRequest:
    """Each spid's form and no duplicates (field issues name `spids[i]`); points of several areas are
    allowed (each area is asked once, for its points)."""
    issues = IssueCollector()
    good = _parsed_spids(body.spids, issues)
    issues.raise_if_any()
    return body.model_copy(update={"spids": [spid for _, spid in good]})


_ITEM_KEYS = frozenset({"spid", "outcome", "code", "usage"})


def _checked_items(answer: Any, spids: list[str]) -> list[dict[str, Any]]:
    """The contract check of an area's batch answer: exactly the points asked, in their order, each
    answered (a conforming usage of that point) or refused with the per-point route's code."""
    items = answer.get("items") if isinstance(answer, dict) and answer.keys() == {"items"} else None
    if not isinstance(items, list) or len(items) != len(spids):
        raise _outside_contract(1)
    for item, spid in zip(items, spids, strict=True):
        if not isinstance(item, dict) or item.keys() != _ITEM_KEYS or item["spid"] != spid:
            raise _outside_contract(1)
        if item["outcome"] == "answered" and item["code"] is None:
            _checked_usage(item["usage"], spid)
        elif not (item["outcome"] == "refused" and item["code"] == REFUSED and item["usage"] is None):
            raise _outside_contract(1)
    return items


async def query_batch(conn: AsyncConnection, areas: AreaClient, actor: Actor, body: UsageBatchInquiryRequest
                      ) -> tuple[bytes, bytes | None]:
    """使用量照会（複数地点, IF_10310 / IF_K10310 for several points): one area call per area for its
    points; each point answered or refused on its own (a point the password does not open does not
    refuse the others), re-checked and audited exactly as the per-point inquiry. The answer is the
    area's bytes when one area answered and the re-check stripped nothing — then also the area's gzip
    stream if it sent one (the endpoint passes it on to a client that accepts gzip)."""
    permissions.check(actor.caller, QUERY)
    by_area: dict[str, list[str]] = {}
    for spid in body.spids:
        by_area.setdefault(spid[:2], []).append(spid)
    raws = await asyncio.gather(*(areas.query_usage_batch(area, actor.caller, body.model_copy(update={"spids": s}))
                                  for area, s in by_area.items()), return_exceptions=True)
    for raw in raws:
        if isinstance(raw, BaseException):
            raise raw
    items: dict[str, dict[str, Any]] = {}
    for (raw, _gz), spids in zip(raws, by_area.values(), strict=True):
        items.update((i["spid"], i) for i in _checked_items(_parsed(raw), spids))
    entries, changed = [], False
    for spid in body.spids:
        item = items[spid]
        if item["outcome"] == "refused":
            entries.append(_refused_entry(actor, spid, body.purpose, item["code"], 403))
            continue
        stripped = await _rechecked(conn, actor, spid, item["usage"])
        if stripped is not None:
            item["usage"], changed = stripped, True
        entries.append(_answered_entry(actor, spid, body.purpose, item["usage"]))
    await write(conn, *entries)
    if len(raws) == 1 and not changed:
        return raws[0]
    return _dumps({"items": [items[s] for s in body.spids]}), None


async def query_batch_refused(conn: AsyncConnection, actor: Actor, body: UsageBatchInquiryRequest,
                              error: SwitchhubError) -> None:
    """A batch refused as a whole (an area down, an answer outside the contract) is audited per point."""
    await write(conn, *(_refused_entry(actor, s, body.purpose, error.code, error.status) for s in body.spids))
