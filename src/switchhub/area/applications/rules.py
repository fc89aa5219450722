"""Application stage transitions as named rules (domain.md stages 01–10).

Every stage change goes through `apply`: the rule declares the stages it leaves and the
stage it enters; anything else is refused with a coded reason. The change is written to
the ordered change log (the feed) and to the outbox in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.area.outbox.repository import emit
from switchhub.kernel.codes import ApplicationStage
from switchhub.kernel.errors import Conflict

FEED_LOCK = 7_211_001  # serialises the tail of stage-changing transactions: feed seq = commit order


@dataclass(frozen=True)
class Rule:
    name: str
    leaves: frozenset[str]
    enters: str
    reason: str = ""


def _r(name: str, leaves: set[str], enters: str, reason: str = "") -> Rule:
    return Rule(name, frozenset(leaves), enters, reason)


OPEN = {"01", "02", "03", "04"}
RULES: dict[str, Rule] = {r.name: r for r in (
    _r("receive", set(), "01"),
    _r("accept", {"01"}, "04"),
    _r("arrange_meter_work", {"01"}, "03"),
    _r("match", {"03", "04"}, "05"),
    _r("complete", {"05"}, "06"),
    _r("complete_other_date", {"05"}, "08"),
    _r("withdraw", OPEN, "07", "withdrawn"),
    _r("request_withdrawal", {"05"}, "10", "withdrawal_requested"),
    _r("reject_on_withdrawal", {"10"}, "09", "withdrawal_requested"),
    _r("reject_matching_deadline", OPEN, "09", "matching_deadline"),
)}


async def record(conn: AsyncConnection, app: dict[str, Any], rule: Rule, *, reason: str, actor: str,
                 from_stage: str | None) -> None:
    await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": FEED_LOCK})
    await conn.execute(text(
        "INSERT INTO application_changes (application_no, applicant_code, area, from_stage, to_stage, rule,"
        " reason_code, actor) VALUES (:no, :op, :area, :f, :t, :rule, :reason, :actor)"),
        {"no": app["application_no"], "op": app["applicant_code"], "area": app["area"], "f": from_stage,
         "t": rule.enters, "rule": rule.name, "reason": reason, "actor": actor})
    await emit(conn, app["area"], "application.stage_changed", {
        "application_no": app["application_no"], "type": app["type"], "spid": app["spid"],
        "applicant_code": app["applicant_code"], "from_stage": from_stage, "to_stage": rule.enters,
        "rule": rule.name, "reason_code": reason, "relay_no": app.get("relay_no"),
        "requested_date": str(app.get("requested_date") or "")})


async def apply(conn: AsyncConnection, app: dict[str, Any], rule_name: str, *, actor: str, reason: str = "",
                message: dict[str, str] | None = None, changes: dict[str, Any] | None = None) -> dict[str, Any]:
    """Move `app` (a row dict, locked by the caller) through the named rule; returns the updated dict."""
    rule = RULES[rule_name]
    current = app["stage"]
    if current not in rule.leaves:
        raise Conflict(
            f"受付工程「{ApplicationStage(current).ja}」からは{rule.name}できません（申込番号 {app['application_no']}）",
            f"Application {app['application_no']} in stage {current} cannot take rule {rule.name}",
            code="stage_transition_not_allowed", extra={"application_no": app["application_no"], "stage": current})
    reason = reason or rule.reason
    sets = {"stage": rule.enters, "reason_code": reason, **(changes or {})}
    assignments = ", ".join(f"{k} = :{k}" for k in sets)
    params = {**sets, "no": app["application_no"]}
    extra_msg = ""
    if message:
        params["msg"] = __import__("json").dumps([message], ensure_ascii=False)
        extra_msg = ", messages = messages || CAST(:msg AS jsonb)"
    await conn.execute(text(f"UPDATE applications SET {assignments}{extra_msg}, updated_at = now()"
                            " WHERE application_no = :no"), params)
    updated = {**app, **sets}
    await record(conn, updated, rule, reason=reason, actor=actor, from_stage=current)
    return updated
