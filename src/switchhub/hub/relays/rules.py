"""Relay status transitions (P3) as named rules of the kernel's transition engine.

01 判断待ち → 02 OK / 03 NG / 06 withdrawn / 07 expired; 02 → 04 matched / 05 match failed /
06 withdrawn / 07 expired. Terminal statuses never change. A correction stays in 01.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.hub.relays import repository as repo
from switchhub.kernel.codes import RelayReason as R
from switchhub.kernel.codes import RelayStatus as S
from switchhub.kernel.errors import Conflict
from switchhub.kernel.transitions import Machine, Rule, states

OPEN = states(S.AWAITING_DECISION, S.DECIDED_OK)


class _Store:
    """A status change and its history row as one statement (repository.record_change)."""

    async def write_transition(self, conn: AsyncConnection, record: dict[str, Any], sets: dict[str, Any] | None, *,
                               from_state: str | None, to_state: str, rule: str, reason: str, actor: str,
                               detail: dict[str, Any] | None) -> None:
        await repo.record_change(conn, record["relay_no"], sets, from_state, to_state, rule, reason, actor, detail)

    async def write_history_many(self, conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
        await repo.add_history_many(conn, [{"relay_no": r["record"]["relay_no"], "from_status": r["from_state"],
                                            "to_status": r["to_state"], "rule": r["rule"], "reason_code": r["reason"],
                                            "actor": r["actor"], "detail": r["detail"]} for r in rows])


def _refusal(relay: dict[str, Any], rule: Rule[Any]) -> Conflict:
    status = relay.get("status")
    return Conflict(f"廃止取次ステータス「{S(status).ja if status else '-'}」ではこの操作はできません"
                    f"（取次番号 {relay['relay_no']}）",
                    f"Relay {relay['relay_no']} in status {status} does not allow {rule.name}",
                    code="relay_status_conflict", extra={"relay_no": relay["relay_no"], "relay_status": status})


MACHINE: Machine[S] = Machine("relay", "status", "status_reason", (
    Rule("register", frozenset(), S.AWAITING_DECISION, R.REGISTERED),
    Rule("correct", states(S.AWAITING_DECISION), S.AWAITING_DECISION, R.CORRECTED),
    Rule("decide_ok", states(S.AWAITING_DECISION), S.DECIDED_OK, R.DECIDED_OK),
    Rule("decide_ng", states(S.AWAITING_DECISION), S.DECIDED_NG, R.DECIDED_NG),
    Rule("withdraw", OPEN, S.WITHDRAWN, R.WITHDRAWN_BY_NEW_RETAILER),
    Rule("helpdesk_withdraw", OPEN, S.WITHDRAWN, R.WITHDRAWN_BY_HELPDESK),
    Rule("expire_undecided", states(S.AWAITING_DECISION), S.EXPIRED, R.NO_DECISION_IN_TIME),
    Rule("expire_no_application", states(S.DECIDED_OK), S.EXPIRED, R.NO_SWITCH_START_BY_DATE),
    Rule("matched", states(S.DECIDED_OK), S.MATCHED_OK, R.MATCHED),
    Rule("match_failed", states(S.DECIDED_OK), S.MATCHED_NG, R.MATCH_FAILED),
), _Store(), _refusal)

apply = MACHINE.apply
