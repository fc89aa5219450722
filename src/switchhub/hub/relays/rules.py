"""Relay status transitions (P3) as named rules with coded reasons.

01 判断待ち → 02 OK / 03 NG / 06 withdrawn / 07 expired; 02 → 04 matched / 05 match failed /
06 withdrawn / 07 expired. Terminal statuses never change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.hub.relays import repository as repo
from switchhub.kernel.codes import RelayStatus
from switchhub.kernel.errors import Conflict


@dataclass(frozen=True)
class Rule:
    name: str
    leaves: frozenset[str]
    enters: str
    reason: str


def _r(name: str, leaves: set[str], enters: str, reason: str) -> Rule:
    return Rule(name, frozenset(leaves), enters, reason)


RULES: dict[str, Rule] = {r.name: r for r in (
    _r("decide_ok", {"01"}, "02", "decided_ok"),
    _r("decide_ng", {"01"}, "03", "decided_ng"),
    _r("withdraw", {"01", "02"}, "06", "withdrawn_by_new_retailer"),
    _r("helpdesk_withdraw", {"01", "02"}, "06", "withdrawn_by_helpdesk"),
    _r("expire_undecided", {"01"}, "07", "no_decision_in_time"),
    _r("expire_no_application", {"02"}, "07", "no_switch_start_by_date"),
    _r("matched", {"02"}, "04", "matched"),
    _r("match_failed", {"02"}, "05", "match_failed"),
)}


async def apply(conn: AsyncConnection, relay: dict[str, Any], rule_name: str, *, actor: str,
                changes: dict[str, Any] | None = None, detail: dict[str, Any] | None = None,
                reason: str | None = None) -> dict[str, Any]:
    rule = RULES[rule_name]
    current = relay["status"]
    if current not in rule.leaves:
        raise Conflict(f"廃止取次ステータス「{RelayStatus(current).ja}」ではこの操作はできません（取次番号 {relay['relay_no']}）",
                       f"Relay {relay['relay_no']} in status {current} does not allow {rule.name}",
                       code="relay_status_conflict", extra={"relay_no": relay["relay_no"], "relay_status": current})
    code = reason or rule.reason
    sets = {"status": rule.enters, "status_reason": code, **(changes or {})}
    await repo.update_fields(conn, relay["relay_no"], sets)
    await repo.add_history(conn, relay["relay_no"], current, rule.enters, rule.name, code, actor, detail)
    return {**relay, **sets}
