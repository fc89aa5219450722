"""Break-glass grant statuses as named rules of the kernel's transition engine.

requested → approved / rejected (an OCCTO admin who is not the requester); approved → revoked
(early end); requested / approved → expired (the end time passed; marked by the job for the lists —
whether a grant is in force is always computed from the clock, see `in_force`). Terminal statuses
never change. The approver-is-not-the-requester rule is a precondition of `approve`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import Enum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.hub.breakglass import repository as repo
from switchhub.kernel.errors import Conflict, Forbidden, SwitchhubError
from switchhub.kernel.transitions import Machine, Rule, states


class Status(str, Enum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    REVOKED = "revoked"
    EXPIRED = "expired"

    @property
    def ja(self) -> str:
        return STATUS_JA[self]


STATUS_JA = {Status.REQUESTED: "承認待ち", Status.APPROVED: "承認済み", Status.REJECTED: "却下",
             Status.REVOKED: "取消（早期終了）", Status.EXPIRED: "期限切れ"}


class Reason(str, Enum):
    REQUESTED = "breakglass_requested"
    APPROVED = "breakglass_approved"
    REJECTED = "breakglass_rejected"
    REVOKED = "breakglass_revoked"
    EXPIRED = "breakglass_period_ended"
    SELF_APPROVAL = "breakglass_self_approval"  # refusal code: the requester may not approve


def in_force(grant: Mapping[str, Any], now: datetime) -> bool:
    """Whether the grant opens fields now: approved and `now` within [starts_at, ends_at)."""
    return grant["status"] == Status.APPROVED.value and grant["starts_at"] <= now < grant["ends_at"]


def _not_by_requester(grant: dict[str, Any], context: Mapping[str, Any]) -> SwitchhubError | None:
    if context.get("actor_login") == grant["requested_by"]:
        return Forbidden("申請者本人は承認できません。別の広域機関管理者が承認してください",
                         "The requester cannot approve their own grant", code=Reason.SELF_APPROVAL.value,
                         extra={"grant_id": grant["grant_id"]})
    return None


def _not_ended(grant: dict[str, Any], context: Mapping[str, Any]) -> SwitchhubError | None:
    now = context.get("now")
    if now is not None and grant["ends_at"] <= now:
        return Conflict("終了日時を過ぎた申請は承認できません", "The grant's end time has passed",
                        code="breakglass_period_ended", extra={"grant_id": grant["grant_id"]})
    return None


class _Store:
    async def write_state(self, conn: AsyncConnection, record: dict[str, Any], sets: dict[str, Any]) -> None:
        await repo.update_fields(conn, record["grant_id"], sets)

    async def write_history(self, conn: AsyncConnection, record: dict[str, Any], *, from_state: str | None,
                            to_state: str, rule: str, reason: str, actor: str, detail: dict[str, Any] | None) -> None:
        await repo.add_history(conn, record["grant_id"], from_state, to_state, rule, reason, actor, detail)


def _refusal(grant: dict[str, Any], rule: Rule[Any]) -> Conflict:
    status = grant.get("status")
    label = Status(status).ja if status else "-"
    return Conflict(f"緊急時アクセス許可「{label}」ではこの操作はできません（許可番号 {grant['grant_id']}）",
                    f"Grant {grant['grant_id']} in status {status} does not allow {rule.name}",
                    code="breakglass_status_conflict", extra={"grant_id": grant["grant_id"], "grant_status": status})


S = Status
MACHINE: Machine[Status] = Machine("breakglass", "status", "status_reason", (
    Rule("request", frozenset(), S.REQUESTED, Reason.REQUESTED),
    Rule("approve", states(S.REQUESTED), S.APPROVED, Reason.APPROVED, (_not_by_requester, _not_ended)),
    Rule("reject", states(S.REQUESTED), S.REJECTED, Reason.REJECTED),
    Rule("revoke", states(S.APPROVED), S.REVOKED, Reason.REVOKED),
    Rule("expire", states(S.REQUESTED, S.APPROVED), S.EXPIRED, Reason.EXPIRED),
), _Store(), _refusal)

apply = MACHINE.apply
