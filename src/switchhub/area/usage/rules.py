"""Stages of a usage password request (type 08) as rules of the kernel's transition engine.

01 受付 → 06 処理完了 (issued at once: name and address matched), 01 → 02 審査中 (the T&D reviews
the customer's identity), 02 → 06 (issued after review) or 02 → 09 却下 (a coded reason). Every
change goes through `MACHINE.apply`, which writes the stage and the history row.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.area.usage import repository as repo
from switchhub.kernel.clock import get_clock
from switchhub.kernel.codes import ApplicationStage as S
from switchhub.kernel.codes import UsageReason as R
from switchhub.kernel.errors import Conflict
from switchhub.kernel.transitions import Machine, Rule, states


class _Store:
    async def write_state(self, conn: AsyncConnection, record: dict[str, Any], sets: dict[str, Any]) -> None:
        await repo.write_state(conn, record["area"], record["application_no"], sets)

    async def write_history(self, conn: AsyncConnection, record: dict[str, Any], *, from_state: str | None,
                            to_state: str, rule: str, reason: str, actor: str, detail: dict[str, Any] | None) -> None:
        await repo.add_history(conn, record["area"], record["application_no"], from_state, to_state, rule, reason,
                               actor, get_clock().now())


def _refusal(record: dict[str, Any], rule: Rule[Any]) -> Conflict:
    stage = record.get("stage")
    return Conflict(
        f"受付工程「{S(stage).ja if stage else '-'}」の申込にはこの操作はできません（申込番号 {record['application_no']}）",
        f"Request {record['application_no']} in stage {stage} cannot take rule {rule.name}",
        code="stage_transition_not_allowed", extra={"application_no": record["application_no"], "stage": stage})


MACHINE: Machine[S] = Machine("usage_password", "stage", "reason_code", (
    Rule("receive", frozenset(), S.RECEIVED, R.RECEIVED),
    Rule("issue_auto", states(S.RECEIVED), S.COMPLETED, R.AUTO_VERIFIED),
    Rule("review", states(S.RECEIVED), S.UNDER_REVIEW, R.REVIEW_REQUIRED),
    Rule("issue", states(S.UNDER_REVIEW), S.COMPLETED, R.ISSUED_AFTER_REVIEW),
    Rule("reject", states(S.UNDER_REVIEW), S.REJECTED, R.REJECTED_AFTER_REVIEW),
), _Store(), _refusal)
