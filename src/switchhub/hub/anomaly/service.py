"""The anomaly report (security.md § Audit and anomaly detection; seed 004: regular analysis of access
logs, "detection of viewing from the retail side").

The daily analysis of JST day D looks at the 7 days before D and flags, per operator and user:
* `lookup_volume`: points looked up > the operator's median per user × K and > N (K = 5, N = 200);
* `lookup_without_application` (retailers): of the points looked up in the 7 days ending FOLLOW_DAYS
  (14) days before D, more than 50 — and at least 80 % of them — had no application or relay of that
  retailer for the point within FOLLOW_DAYS days of the first lookup;
* `usage_off_hours`: more than 5 usage inquiries outside business hours (09:00–17:00 JST on a
  business day of kernel.calendar);
* `many_certificates`: one user ID seen with more than 3 distinct client certificates;
* `retail_tso_access`: any record of a retail-side user touching T&D-only data — the hub's re-check
  stripped a field the retailer may not see (`alert.visibility.*`), or a retailer was refused a
  permission only T&Ds hold (e.g. the usage review). Must be zero: one record is a finding.
The figures are computed by one SQL statement (`repository.analyse`); new findings are announced as
`anomaly.found` to OCCTO's subscribed users after commit (notify outbox). OCCTO admins and helpdesk
read the report and acknowledge findings with a note (audited).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.hub.accounts import permissions
from switchhub.hub.anomaly import repository
from switchhub.hub.audit.context import Actor
from switchhub.hub.audit.repository import write
from switchhub.hub.notify.publish import Event, publish_many
from switchhub.hub.statistics.service import INQUIRY_ACTIONS, LOOKUP_ACTIONS
from switchhub.kernel.calendar import is_business_day
from switchhub.kernel.clock import JST, get_clock
from switchhub.kernel.errors import Conflict, IssueCollector, NotFound

READ, ACK = "hub:anomaly:read", "hub:anomaly:ack"
EVENT = "anomaly.found"
WINDOW_DAYS = 7
THRESHOLDS = {"k": 5.0, "min_lookups": 200, "follow_days": 14, "min_unfollowed": 50, "min_share": 0.8,
              "min_off_hours": 5, "max_certs": 3}
KINDS: dict[str, tuple[str, str]] = {
    "lookup_volume": ("照会件数が事業者の通常を大きく超過", "Lookups far above the operator's norm"),
    "lookup_without_application": ("申込につながらない大量の照会", "Many lookups never followed by an application"),
    "usage_off_hours": ("営業時間外の使用量照会", "Usage inquiries outside business hours"),
    "many_certificates": ("1つのユーザIDを多数の端末証明書で使用", "One user ID used from many client certificates"),
    "retail_tso_access": ("小売側からの送配電専用情報へのアクセス", "Retail-side access to T&D-only data"),
}
#: the figures of a finding as the report page names them
FIGURES: dict[str, tuple[str, str]] = {
    "lookups": ("照会した地点数", "Points looked up"), "operator_median": ("事業者の中央値", "Operator's median"),
    "operator_users": ("事業者の照会ユーザ数", "Operator's users looking up"), "k": ("倍率 K", "Factor K"),
    "min_lookups": ("最少件数 N", "Minimum N"), "points_looked_up": ("照会した地点数", "Points looked up"),
    "without_application": ("申込・取次のない地点数", "Points without application or relay"),
    "follow_days": ("申込を待つ日数", "Days allowed for an application"), "min_points": ("最少地点数", "Minimum points"),
    "min_share": ("最少割合", "Minimum share"), "inquiries_off_hours": ("営業時間外の照会数", "Inquiries off hours"),
    "min_inquiries": ("許容件数", "Allowed"), "hours": ("営業時間", "Business hours"),
    "certificates": ("証明書の数", "Certificates"), "max_certificates": ("許容数", "Allowed"),
    "fingerprints": ("証明書（拇印の先頭）", "Certificates (fingerprint prefix)"), "records": ("記録数", "Records"),
    "actions": ("操作", "Actions"), "permissions": ("権限", "Permissions"),
}
STATUSES = ("open", "acknowledged")
PER_PAGE = 20


def tso_only_permissions() -> list[str]:
    """Permissions some T&D role holds and no retail role does (a retailer refused one reached for T&D data)."""
    return sorted(p for p, roles in permissions.PERMISSIONS.items()
                  if any(r.startswith("tso.") for r in roles) and not any(r.startswith("retailer.") for r in roles))


def window(day: date) -> tuple[datetime, datetime]:
    end = datetime.combine(day, time(), JST)
    return end - timedelta(days=WINDOW_DAYS), end


def closed_days(lo: datetime, hi: datetime) -> list[date]:
    d, out = lo.astimezone(JST).date(), []
    while d < hi.astimezone(JST).date():
        if not is_business_day(d):
            out.append(d)
        d += timedelta(days=1)
    return out


async def analyse(conn: AsyncConnection, day: date, now: datetime) -> list[dict[str, Any]]:
    """The analysis of `day` (the 7 days before it); stores and announces the new findings."""
    lo, hi = window(day)
    follow = timedelta(days=THRESHOLDS["follow_days"])
    found = await repository.analyse(conn, {
        **THRESHOLDS, "lo": lo, "hi": hi, "follow_lo": lo - follow, "follow_hi": hi - follow, "now": now,
        "lookups": LOOKUP_ACTIONS, "inquiries": INQUIRY_ACTIONS, "closed_days": closed_days(lo, hi),
        "tso_only": tso_only_permissions()})
    if found:
        occto = await repository.occto_operators(conn)
        await publish_many(conn, EVENT, [Event(occto, _event_data(f), f"anomaly:{f['id']}") for f in found], now)
    return found


def _event_data(f: dict[str, Any]) -> dict[str, Any]:
    last_day = (f["window_end"].astimezone(JST) - timedelta(days=1)).date()
    return {"finding_id": f["id"], "kind": f["kind"], "kind_label": KINDS[f["kind"]][0],
            "flagged_operator": f["operator_code"], "flagged_user": f["user_login"],
            "window": f"{f['window_start'].astimezone(JST).date()}〜{last_day}",
            "window_start": f["window_start"].isoformat(), "window_end": f["window_end"].isoformat(),
            "figures": f["figures"]}


def public(f: dict[str, Any]) -> dict[str, Any]:
    return {**f, **{k: (f[k].isoformat() if f[k] else None)
                    for k in ("window_start", "window_end", "acknowledged_at", "found_at")}}


async def report(conn: AsyncConnection, actor: Actor, status: str | None, page: int,
                 per_page: int = PER_PAGE) -> dict[str, Any]:
    permissions.check(actor.caller, READ)
    issues = IssueCollector()
    if status is not None and status not in STATUSES:
        issues.add("status", "status", "状態は open または acknowledged です", "status is open or acknowledged")
    issues.raise_if_any()
    total = await repository.count(conn, status)
    rows = await repository.page(conn, status, (page - 1) * per_page, per_page)
    await write(conn, actor.entry("anomaly.list", resource_type="anomaly_finding",
                                  resource_ids=[str(r["id"]) for r in rows], item_count=len(rows)))
    return {"total": int(total), "page": page, "per_page": per_page, "items": [public(r) for r in rows]}


async def acknowledge(conn: AsyncConnection, actor: Actor, finding_id: int, note: str) -> dict[str, Any]:
    """Mark a finding acknowledged with the reviewer's note (required); once only."""
    permissions.check(actor.caller, ACK)
    issues = IssueCollector()
    note = note.strip()
    if not note:
        issues.add("note", "required", "確認メモを入力してください", "Enter a note")
    elif len(note) > 1000:
        issues.add("note", "too_long", "確認メモは1000文字以内で入力してください", "The note is at most 1,000 characters")
    issues.raise_if_any()
    finding = await repository.get(conn, finding_id, lock=True) if 0 < finding_id < 2**62 else None
    if finding is None:
        raise NotFound()
    if finding["status"] == "acknowledged":
        raise Conflict("この事象は確認済みです", "This finding has already been acknowledged",
                       code="already_acknowledged")
    at = get_clock().now()
    await repository.acknowledge(conn, finding_id, note, actor.caller.user_login, at)
    await write(conn, actor.entry("anomaly.acknowledge", resource_type="anomaly_finding",
                                  resource_ids=[str(finding_id)], detail={"note": note, "kind": finding["kind"]}))
    return public({**finding, "status": "acknowledged", "ack_note": note,
                   "acknowledged_by": actor.caller.user_login, "acknowledged_at": at})
