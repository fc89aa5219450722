"""Application stage transitions (domain.md stages 01–10) as rules of the kernel's engine.

Every stage change goes through `MACHINE.apply`: the rule declares the stages it leaves and the
stage it enters; anything else is refused with a coded reason. The engine's history row is the
ordered change log (the feed), and the same transaction queues the contract's stage-changed event.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.area.applications import repository as repo
from switchhub.area.outbox.repository import encoded
from switchhub.contract.events import StageChanged
from switchhub.kernel.codes import ApplicationStage as S
from switchhub.kernel.codes import StageReason as R
from switchhub.kernel.errors import Conflict
from switchhub.kernel.transitions import Machine, Rule, states

WAITING = states(S.RECEIVED, S.UNDER_REVIEW, S.METER_WORK, S.AWAITING_MATCH)
OPEN = WAITING | states(S.MATCHED, S.WITHDRAWAL_REQUESTED)
OPEN_CODES = [s.value for s in OPEN]
WAITING_CODES = [s.value for s in WAITING]


class _Store:
    """Each stage change as one statement (repository.record_change): the columns, the feed entry and
    the stage-changed event."""

    async def write_transition(self, conn: AsyncConnection, record: dict[str, Any], sets: dict[str, Any] | None, *,
                               from_state: str | None, to_state: str, rule: str, reason: str, actor: str,
                               detail: dict[str, Any] | None) -> None:
        message = None
        if sets is not None:
            sets = dict(sets)
            message = sets.pop("_message", None)
        event = encoded(StageChanged(
            application_no=record["application_no"], type=record["type"], spid=record["spid"],
            applicant_code=record["applicant_code"], from_stage=from_state, to_stage=to_state, rule=rule,
            reason_code=reason, relay_no=record.get("relay_no"),
            requested_date=str(record.get("requested_date") or "")))
        await repo.record_change(conn, record, sets, message, {"from_stage": from_state, "to_stage": to_state,
                                                               "rule": rule, "reason": reason, "actor": actor}, event)


def _refusal(app: dict[str, Any], rule: Rule[Any]) -> Conflict:
    stage = app.get("stage")
    return Conflict(
        f"受付工程「{S(stage).ja if stage else '-'}」からはこの操作はできません（申込番号 {app['application_no']}）",
        f"Application {app['application_no']} in stage {stage} cannot take rule {rule.name}",
        code="stage_transition_not_allowed", extra={"application_no": app["application_no"], "stage": stage})


MACHINE: Machine[S] = Machine("application", "stage", "reason_code", (
    Rule("receive", frozenset(), S.RECEIVED, R.RECEIVED),
    Rule("review", states(S.RECEIVED), S.UNDER_REVIEW, R.UNDER_REVIEW),
    Rule("accept", states(S.RECEIVED, S.UNDER_REVIEW), S.AWAITING_MATCH, R.ACCEPTED),
    Rule("arrange_meter_work", states(S.RECEIVED, S.UNDER_REVIEW), S.METER_WORK, R.METER_WORK),
    Rule("correct", WAITING, S.RECEIVED, R.CORRECTED),
    Rule("match", states(S.METER_WORK, S.AWAITING_MATCH), S.MATCHED, R.MATCHED),
    Rule("schedule", states(S.RECEIVED, S.UNDER_REVIEW, S.METER_WORK), S.MATCHED, R.SCHEDULED),
    Rule("complete", states(S.MATCHED), S.COMPLETED, R.COMPLETED),
    Rule("complete_other_date", states(S.MATCHED), S.COMPLETED_OTHER_DATE, R.COMPLETED_OTHER_DATE),
    Rule("withdraw", WAITING, S.WITHDRAWN, R.WITHDRAWN),
    Rule("request_withdrawal", states(S.MATCHED), S.WITHDRAWAL_REQUESTED, R.WITHDRAWAL_REQUESTED),
    Rule("reject_on_withdrawal", states(S.WITHDRAWAL_REQUESTED), S.REJECTED, R.WITHDRAWAL_REQUESTED),
    Rule("reject_matching_deadline", WAITING, S.REJECTED, R.MATCHING_DEADLINE),
    Rule("reject_superseded", WAITING | states(S.MATCHED), S.REJECTED, R.SUPERSEDED),
), _Store(), _refusal)


async def apply(conn: AsyncConnection, app: dict[str, Any], rule_name: str, *, actor: str,
                reason: Any = None, message: dict[str, str] | None = None,
                changes: dict[str, Any] | None = None, new: bool = False) -> dict[str, Any]:
    """Move `app` (a row dict, locked by the caller) through the named rule; `message` is appended
    to the application's coded messages (ご連絡事項)."""
    sets = dict(changes or {})
    if message:
        sets["_message"] = message
    updated = await MACHINE.apply(conn, app, rule_name, actor=actor, reason=reason, changes=sets, new=new)
    updated.pop("_message", None)
    return updated
