"""Usage password requests in the area (P2): request, verification, review decision, issue, the
status answer that carries the password once, and the usage inquiry. Services never commit.

* request: by a retailer (a Caller) or by the customer itself on the T&D's public page (a
  PublicApplicant: origin "public", no applicant code, its e-mail kept for the result mail), 1–20
  points of one area, low or high voltage, the customer's name, address, phone,
  consent date and optional identity documents (documents.py). Automatic verification
  (verification.py) against each point's current customer: all match → issued at once (01 → 06);
  otherwise the T&D reviews it (01 → 02) by the next business day — job `usage.remind` on the
  deadline's morning, `usage.overdue` after it (events to the hub for the area's T&D).
* issue: a new password (passwords.py); only its salted hash is kept, the plaintext waits in a
  pickup column that the applicant's first status read clears (repository.take_pickup). The
  password is bound to each point's customer period at the request: after a customer change it
  no longer opens that point (the new customer did not consent).
* inquiry: any retailer holding a valid, unexpired password of the point; what it sees is decided
  by kernel.visibility.usage_grant (13 months, days for smart meters, nothing before the period).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.area.outbox.repository import emit
from switchhub.area.usage import documents, passwords, rules
from switchhub.area.usage import repository as repo
from switchhub.area.usage.verification import mismatches, point_address
from switchhub.contract.events import (
    UsagePasswordIssued,
    UsagePasswordRejected,
    UsageReviewDue,
    UsageReviewOverdue,
)
from switchhub.contract.usage import (
    MONTHS,
    UsageBatchInquiryRequest,
    UsageDecisionRequest,
    UsageInquiryRequest,
    UsagePasswordRequest,
)
from switchhub.db import jobs
from switchhub.kernel.calendar import next_business_day
from switchhub.kernel.caller import Caller
from switchhub.kernel.clock import JST
from switchhub.kernel.codes import ApplicationStage as S
from switchhub.kernel.codes import Channel, UsageRejectReason
from switchhub.kernel.errors import Forbidden, InputError, IssueCollector, NotFound
from switchhub.kernel.spid import parse_spid
from switchhub.kernel.text import normalize_text, validate_phone
from switchhub.kernel.visibility import (
    UsageRequestGrant,
    project_usage_request,
    usage_grant,
    usage_months_from,
    usage_request_grant,
    usage_review_areas,
)

REMIND_JOB, OVERDUE_JOB, EXPIRE_JOB = "usage.remind", "usage.overdue", "usage.expire"
REMIND_AT = time(9, 0)  # the deadline day's morning, JST


def _not_found() -> NotFound:
    return NotFound("指定された申込はありません", "No such application")


def invalid_password() -> Forbidden:
    """One answer for an unknown point, a wrong password, an expired one and one of another point."""
    return Forbidden("供給地点特定番号または使用量照会パスワードが正しくないか、有効期限が切れています",
                     "The supply point or the usage password is not valid (or it has expired)",
                     code="usage_password_invalid")


@dataclass(frozen=True)
class PublicApplicant:
    """The customer filing its own request on the T&D's public page: no operator is its applicant
    (none sees it or picks up its password); the result is mailed to `email` (area/public)."""
    email: str
    actor: str = "public-page"


Applicant = Caller | PublicApplicant


def _applicant_fields(applicant: Applicant) -> dict[str, Any]:
    if isinstance(applicant, PublicApplicant):
        return {"applicant_origin": "public", "applicant_code": None, "applicant_email": applicant.email}
    return {"applicant_origin": "retailer", "applicant_code": applicant.operator_code, "applicant_email": None}


def _grant(caller: Caller, record: dict[str, Any]) -> UsageRequestGrant | None:
    return usage_request_grant(caller, record["applicant_code"], record["area"], record["applicant_origin"])


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(JST).isoformat() if value else None


# -- request ----------------------------------------------------------------------------------

async def _check(conn: AsyncConnection, applicant: Applicant, req: UsagePasswordRequest, served: frozenset[str],
                 today: date) -> tuple[str, list[str], dict[str, dict[str, Any]], list[documents.CheckedDocument]]:
    """Every field problem of the request at once (field-level, Japanese first); nothing is stored."""
    issues = IssueCollector()
    if isinstance(applicant, Caller) and not applicant.is_retailer:
        raise InputError.single("applicant", "retailer_only", "使用量情報照会申請は小売電気事業者のみ行えます",
                                "Only retailers request usage passwords")
    spids: list[str] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(req.spids):
        try:
            spid = parse_spid(raw, f"spids[{i}]")
        except InputError as exc:
            issues.extend(exc.errors)
            continue
        if spid in seen:
            issues.add(f"spids[{i}]", "duplicate", f"{seen[spid] + 1}件目と同じ供給地点特定番号です",
                       f"Same supply point as item {seen[spid] + 1}")
            continue
        if spids and spid[:2] != spids[0][:2]:
            issues.add(f"spids[{i}]", "area_mismatch",
                       f"{seen[spids[0]] + 1}件目と異なるエリア（{spid[:2]}）の供給地点です。エリアごとに申し込んでください",
                       "All points of one request must be in one area")
            continue
        seen[spid] = i
        spids.append(spid)
    area = spids[0][:2] if spids else ""
    points = await repo.points_for_check(conn, area, spids, today) if area in served else {}
    channel: str | None = None
    for spid in spids:
        i = seen[spid]
        p = points.get(spid)
        if p is None:
            issues.add(f"spids[{i}]", "point_not_found", "指定された供給地点特定番号の供給地点はありません",
                       "No such supply point")
            continue
        if p["channel"] == Channel.LOW_FIT.value:
            issues.add(f"spids[{i}]", "channel_not_allowed", "低圧FIT電源の供給地点は使用量情報照会申請の対象外です",
                       "Low-voltage FIT points have no usage password")
            continue
        if channel is None:
            channel = p["channel"]
        elif p["channel"] != channel:
            issues.add(f"spids[{i}]", "channel_mixed", f"1件目と電圧区分が異なります（{Channel(p['channel']).ja}）。"
                       "低圧と高圧は別々に申し込んでください", "Low and high voltage points go in separate requests")
    for name in ("customer_name_kana", "customer_name_kanji", "address"):
        if not normalize_text(getattr(req, name)):
            issues.add(name, "required", "空白のみは指定できません", "Must not be blank")
    try:
        validate_phone(req.phone, "phone")
    except InputError as exc:
        issues.extend(exc.errors)
    if req.consent_date > today:
        issues.add("consent_date", "date_in_future", f"同意日に未来の日付は指定できません（本日 {today}）",
                   "The consent date must not be in the future")
    checked = documents.check(req.documents, issues)
    issues.raise_if_any()
    return channel or "", spids, points, checked


async def request(conn: AsyncConnection, applicant: Applicant, req: UsagePasswordRequest, served: frozenset[str],
                  now: datetime) -> dict[str, Any]:
    """File a usage password request — a retailer's (`Caller`) or the customer's own
    (`PublicApplicant`); issued at once when every point's name and address match."""
    today = now.astimezone(JST).date()
    channel, spids, points, docs = await _check(conn, applicant, req, served, today)
    area = spids[0][:2]
    found = {s: mismatches(req.customer_name_kana, req.customer_name_kanji, req.address, points[s]) for s in spids}
    verification = "auto" if not any(found.values()) else "review"
    record = {"area": area, "application_no": await repo.next_number(conn, area, today),
              **_applicant_fields(applicant), "channel": channel, "stage": S.RECEIVED.value,
              "reason_code": "", "verification": verification, "validity_days": req.validity_days,
              "customer_name_kana": normalize_text(req.customer_name_kana),
              "customer_name_kanji": normalize_text(req.customer_name_kanji), "address": normalize_text(req.address),
              "phone": validate_phone(req.phone), "consent_date": req.consent_date, "received_at": now,
              "review_deadline": next_business_day(today, area)}
    await repo.insert_request(conn, record)
    await repo.insert_points(conn, area, record["application_no"], [
        {"n": n, "spid": s, "period_id": points[s]["period_id"], "mismatches": found[s]}
        for n, s in enumerate(spids, start=1)])
    await repo.insert_documents(conn, area, record["application_no"], [
        {"n": d.n, "filename": d.filename, "content_type": d.content_type, "size": len(d.content),
         "content": d.content} for d in docs])
    actor = applicant.actor if isinstance(applicant, PublicApplicant) else applicant.user_login
    record = await rules.MACHINE.apply(conn, record, "receive", actor=actor, new=True)
    if verification == "auto":
        await _issue(conn, record, "issue_auto", "system", now, spids)
    else:
        await rules.MACHINE.apply(conn, record, "review", actor="system")
        deadline = record["review_deadline"]
        await jobs.enqueue(conn, REMIND_JOB, record["application_no"], datetime.combine(deadline, REMIND_AT, JST))
        await jobs.enqueue(conn, OVERDUE_JOB, record["application_no"],
                           datetime.combine(deadline + timedelta(days=1), time(0), JST))
    return _answer(await repo.get(conn, area, record["application_no"]),
                   await repo.points_of(conn, area, record["application_no"]), now, None)


async def _issue(conn: AsyncConnection, record: dict[str, Any], rule: str, actor: str, now: datetime,
                 spids: list[str]) -> dict[str, Any]:
    password = passwords.generate()
    salt, digest = passwords.salted_hash(password)
    expires = now + timedelta(days=int(record["validity_days"]))
    record = await rules.MACHINE.apply(conn, record, rule, actor=actor, changes={
        "issued_at": now, "expires_at": expires, "password_salt": salt, "password_hash": digest,
        "pickup_password": password, "decided_at": now if rule != "issue_auto" else None,
        "decided_by": actor if rule != "issue_auto" else None})
    await jobs.enqueue(conn, EXPIRE_JOB, record["application_no"], expires)
    for kind in (REMIND_JOB, OVERDUE_JOB):
        await jobs.cancel(conn, kind, record["application_no"], now)
    await emit(conn, record["area"], UsagePasswordIssued(
        application_no=record["application_no"], applicant_code=record["applicant_code"], spids=spids,
        verification=record["verification"], issued_at=_iso(now) or "", expires_at=_iso(expires) or ""))
    return record


# -- status -------------------------------------------------------------------------------------

def _expired(record: dict[str, Any], now: datetime) -> bool:
    return bool(record["expires_at"] and record["expires_at"] <= now)


def _answer(record: dict[str, Any], points: list[dict[str, Any]], now: datetime, password: str | None
            ) -> dict[str, Any]:
    stage = S(record["stage"])
    return {
        "application_no": record["application_no"], "type": "08", "channel": record["channel"], "stage": stage.value,
        "stage_name": stage.ja, "applicant_origin": record["applicant_origin"],
        "applicant_code": record["applicant_code"], "points": [p["spid"] for p in points],
        "validity_days": int(record["validity_days"]), "received_at": _iso(record["received_at"]),
        "review_deadline": str(record["review_deadline"]), "verification": record["verification"],
        "reason_code": record["reason_code"], "note": record["note"], "issued_at": _iso(record["issued_at"]),
        "expires_at": _iso(record["expires_at"]), "expired": _expired(record, now), "password": password,
    }


def area_of(application_no: str, served: frozenset[str]) -> str:
    if len(application_no) < 3 or application_no[:2] not in served:
        raise _not_found()
    return application_no[:2]


async def status(conn: AsyncConnection, caller: Caller, application_no: str, served: frozenset[str],
                 now: datetime) -> dict[str, Any]:
    """業務処理状況確認 of a type 08 request; the applicant's first read after issue carries the password."""
    area = area_of(application_no, served)
    record = await repo.get(conn, area, application_no)
    grant = _grant(caller, record) if record else None
    if record is None or grant is None:
        raise _not_found()
    password = None
    if grant.pickup and record["stage"] == S.COMPLETED.value and record["pickup_pending"] and not _expired(record, now):
        password = await repo.take_pickup(conn, area, application_no, now)
    return _answer(record, await repo.points_of(conn, area, application_no), now, password)


# -- review -------------------------------------------------------------------------------------

async def review_list(conn: AsyncConnection, caller: Caller, area: str, state: str, page: int, per_page: int,
                      now: datetime) -> dict[str, Any]:
    if not usage_review_areas(caller, area):
        raise NotFound("このエリアの審査一覧はありません", "No review list for this area")
    total, rows = await repo.review_page(conn, area, state == "open", (page - 1) * per_page, per_page)
    today = now.astimezone(JST).date()
    return {"total": total, "page": page, "per_page": per_page, "items": [{
        "application_no": r["application_no"], "area": r["area"], "applicant_origin": r["applicant_origin"],
        "applicant_code": r["applicant_code"],
        "stage": r["stage"], "stage_name": S(r["stage"]).ja, "point_count": int(r["point_count"]),
        "received_at": _iso(r["received_at"]), "review_deadline": str(r["review_deadline"]),
        "overdue": r["stage"] == S.UNDER_REVIEW.value and r["review_deadline"] < today,
        "documents": int(r["documents"])} for r in rows]}


async def index_page(conn: AsyncConnection, caller: Caller, area: str, after: str, limit: int) -> dict[str, Any]:
    """The retailers' requests of the area for the hub's applications index (its backfill of requests
    filed before the index held type 08): OCCTO (the hub's system) only; no customer data."""
    if not caller.is_occto:
        raise NotFound("この一覧はありません", "No such list")
    rows = await repo.index_page(conn, area, after, limit + 1)
    items = [{"application_no": r["application_no"], "spid": r["spid"], "stage": r["stage"],
              "applicant_code": r["applicant_code"], "received_at": _iso(r["received_at"])} for r in rows[:limit]]
    return {"items": items, "next_after": items[-1]["application_no"] if len(rows) > limit else None}


async def _reviewable(conn: AsyncConnection, caller: Caller, application_no: str, served: frozenset[str], *,
                      for_update: bool = False) -> tuple[dict[str, Any], Any]:
    area = area_of(application_no, served)
    record = await repo.get(conn, area, application_no, for_update=for_update)
    grant = _grant(caller, record) if record else None
    # the applicant sees its request through the status answer, not through the T&D's review
    if record is None or grant is None or caller.is_retailer or record["verification"] != "review":
        raise _not_found()
    return record, grant


async def review_detail(conn: AsyncConnection, caller: Caller, application_no: str, served: frozenset[str]
                        ) -> dict[str, Any]:
    record, grant = await _reviewable(conn, caller, application_no, served)
    area = record["area"]
    today = record["received_at"].astimezone(JST).date()
    points = await repo.points_of(conn, area, application_no)
    held = await repo.points_for_check(conn, area, [p["spid"] for p in points], today)
    stage = S(record["stage"])
    detail = {
        "application_no": application_no, "area": area, "applicant_origin": record["applicant_origin"],
        "applicant_code": record["applicant_code"], "applicant_email": record["applicant_email"],
        "channel": record["channel"], "stage": stage.value, "stage_name": stage.ja,
        "reason_code": record["reason_code"], "note": record["note"], "received_at": _iso(record["received_at"]),
        "review_deadline": str(record["review_deadline"]), "validity_days": int(record["validity_days"]),
        "customer_name_kana": record["customer_name_kana"], "customer_name_kanji": record["customer_name_kanji"],
        "address": record["address"], "phone": record["phone"], "consent_date": str(record["consent_date"]),
        "points": [{"spid": p["spid"], "current_name_kana": (held.get(p["spid"]) or {}).get("name_kana"),
                    "current_name_kanji": (held.get(p["spid"]) or {}).get("name_kanji"),
                    "current_address": point_address(held.get(p["spid"]) or {}),
                    "mismatches": list(p["mismatches"])} for p in points],
        "documents": [{"n": int(d["n"]), "filename": d["filename"], "content_type": d["content_type"],
                       "size": int(d["size"])} for d in await repo.documents_of(conn, area, application_no)],
        "decided_at": _iso(record["decided_at"]), "decided_by": record["decided_by"],
    }
    return project_usage_request(detail, grant)


async def document(conn: AsyncConnection, caller: Caller, application_no: str, n: int, served: frozenset[str]
                   ) -> dict[str, Any]:
    record, grant = await _reviewable(conn, caller, application_no, served)
    doc = await repo.document(conn, record["area"], application_no, n) if grant.documents else None
    if doc is None:
        raise NotFound("指定された書類はありません", "No such document")
    return doc


async def decide(conn: AsyncConnection, caller: Caller, application_no: str, req: UsageDecisionRequest,
                 served: frozenset[str], now: datetime) -> dict[str, Any]:
    """The T&D's decision after review: issue (02 → 06) or reject with a coded reason (02 → 09)."""
    record, grant = await _reviewable(conn, caller, application_no, served, for_update=True)
    if not grant.decide:
        raise _not_found()
    if req.decision == "reject" and req.reason_code is None:
        raise InputError.single("reason_code", "required", "却下する場合は却下理由を指定してください",
                                "A reason is required to reject")
    spids = [p["spid"] for p in await repo.points_of(conn, record["area"], application_no)]
    actor = caller.user_login or caller.operator_code
    if req.decision == "issue":
        if not rules.MACHINE.can(record, "issue"):
            raise rules.MACHINE.refusal(record, rules.MACHINE.rule("issue"))
        await repo.write_state(conn, record["area"], application_no, {"note": req.note})
        await _issue(conn, {**record, "note": req.note}, "issue", actor, now, spids)
    else:
        reason = UsageRejectReason(req.reason_code)
        await rules.MACHINE.apply(conn, record, "reject", actor=actor, reason=reason,
                                  changes={"decided_at": now, "decided_by": actor, "note": req.note})
        for kind in (REMIND_JOB, OVERDUE_JOB):
            await jobs.cancel(conn, kind, application_no, now)
        await emit(conn, record["area"], UsagePasswordRejected(
            application_no=application_no, applicant_code=record["applicant_code"], spids=spids,
            reason_code=reason.value, note=req.note))
    return await review_detail(conn, caller, application_no, served)


# -- jobs ---------------------------------------------------------------------------------------

async def remind(conn: AsyncConnection, application_no: str, now: datetime) -> None:
    record = await repo.get(conn, application_no[:2], application_no, for_update=True)
    if record is not None and record["stage"] == S.UNDER_REVIEW.value:
        await emit(conn, record["area"], UsageReviewDue(application_no=application_no, area=record["area"],
                                                        review_deadline=str(record["review_deadline"])))


async def overdue(conn: AsyncConnection, application_no: str, now: datetime) -> None:
    record = await repo.get(conn, application_no[:2], application_no, for_update=True)
    if record is not None and record["stage"] == S.UNDER_REVIEW.value:
        await emit(conn, record["area"], UsageReviewOverdue(application_no=application_no, area=record["area"],
                                                            review_deadline=str(record["review_deadline"])))


async def expire(conn: AsyncConnection, application_no: str, now: datetime) -> None:
    """At expiry an unread password is dropped: no plaintext outlives its validity."""
    await repo.drop_pickup(conn, application_no[:2], application_no)


# -- inquiry ------------------------------------------------------------------------------------

def window_start(today: date) -> date:
    """The first day of the month 12 months before this one: the latest 13 billing months."""
    months = today.year * 12 + today.month - 1 - (MONTHS - 1)
    return date(months // 12, months % 12 + 1, 1)


async def inquire(conn: AsyncConnection, caller: Caller, spid: str, req: UsageInquiryRequest,
                  served: frozenset[str], now: datetime) -> bytes:
    """使用量照会: the point's usage for a holder of a valid password (any retailer), as the JSON answer
    (`UsageAnswer`) with the days spliced in as PostgreSQL built them."""
    spid = parse_spid(spid)
    usage = (await _usage_json(conn, caller, [spid], req.password, served, now))[spid]
    if usage is None:
        raise invalid_password()
    return usage


async def inquire_many(conn: AsyncConnection, caller: Caller, req: UsageBatchInquiryRequest,
                       served: frozenset[str], now: datetime, second: AsyncConnection | None = None) -> bytes:
    """使用量照会（複数地点）: each point decided exactly as by `inquire`; a point the password does not
    open is refused on its own (the same code as the per-point 403), the others answered. The JSON
    answer (`UsageBatchAnswer`) in the request's order, each usage spliced in as built. With a
    `second` reader connection the days are read half on each (repository.days_json_of)."""
    spids = [parse_spid(s, f"spids[{i}]") for i, s in enumerate(req.spids)]
    usages = await _usage_json(conn, caller, spids, req.password, served, now, second)
    code = invalid_password().code.encode()
    parts = [b'{"spid":"%s","outcome":"answered","code":null,"usage":%s}' % (spid.encode(), usages[spid])
             if usages[spid] is not None else
             b'{"spid":"%s","outcome":"refused","code":"%s","usage":null}' % (spid.encode(), code) for spid in spids]
    return b'{"items":[' + b",".join(parts) + b"]}"


async def _usage_json(conn: AsyncConnection, caller: Caller, spids: list[str], password: str, served: frozenset[str],
                      now: datetime, second: AsyncConnection | None = None) -> dict[str, bytes | None]:
    """Each point's answer as JSON, or None where the password does not open it (the same for an
    unknown point, a wrong or expired password, one of another point or another customer period).
    Four queries for all points of an area (the point, its passwords, the months, the days), not four
    per point (docs/benchmarks.md P10)."""
    today = now.astimezone(JST).date()
    start = window_start(today)
    answers: dict[str, bytes | None] = dict.fromkeys(spids)
    by_area: dict[str, list[str]] = {}
    for spid in spids:
        if spid[:2] in served and caller.is_retailer:
            by_area.setdefault(spid[:2], []).append(spid)
    for area, asked in by_area.items():
        points = await repo.points_for_inquiry(conn, area, asked, today)
        issued = await repo.issued_for_points(conn, area, asked, now)
        grants: dict[str, Any] = {}
        for spid in asked:
            point = points.get(spid)
            if point is None or point["period_id"] is None:
                continue
            valid = any(passwords.matches(password, c["password_salt"], c["password_hash"])
                        and c["customer_period_id"] == point["period_id"] for c in issued[spid])
            smart = any(m.get("smart") and not m.get("removed") for m in (point["meters"] or []))
            grant = usage_grant(caller, password_valid=valid, smart_meter=smart, period_start=point["period_start"],
                                window_start=start)
            if grant is not None:
                grants[spid] = grant
        months = await repo.months_of(conn, area, {s: usage_months_from(g) for s, g in grants.items()}, today)
        days = await repo.days_json_of([conn] if second is None else [conn, second], area,
                                       {s: g.since for s, g in grants.items() if g.days}, today)
        for spid, grant in grants.items():
            answers[spid] = _answer_json(spid, points[spid]["period_start"], start, grant.days, months[spid],
                                         days.get(spid, "[]"))
    return answers


def _answer_json(spid: str, period_start: date, start: date, interval_data: bool, months: list[dict[str, Any]],
                 days: str) -> bytes:
    head = {
        "spid": spid, "interval_data": interval_data, "period_start": str(period_start),
        "window_start": str(start), "withheld_before": str(period_start) if period_start > start else None,
        "months": [{"billing_month": m["billing_month"], "kwh": m["kwh"], "max_demand_kw": m["max_demand_kw"],
                    "power_factor": m["power_factor"],
                    "next_reading_date": str(m["next_reading_date"]) if m["next_reading_date"] else None}
                   for m in months],
    }
    return (json.dumps(head, ensure_ascii=False, separators=(",", ":"))[:-1] + ',"days":' + days + "}").encode()
