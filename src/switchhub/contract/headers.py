"""The acting-operator headers the hub sends to an area system (accepted only over the hub's certificate)."""

from __future__ import annotations

from collections.abc import Mapping

from switchhub.kernel.caller import Caller

OPERATOR = "X-Switchhub-Operator"
OPERATOR_KIND = "X-Switchhub-Operator-Kind"
OPERATOR_AREAS = "X-Switchhub-Operator-Areas"
USER = "X-Switchhub-User"
ROLE = "X-Switchhub-Role"
IDEMPOTENCY_KEY = "Idempotency-Key"
KINDS = ("occto", "retailer", "tso")


def caller_headers(caller: Caller) -> dict[str, str]:
    return {OPERATOR: caller.operator_code, OPERATOR_KIND: caller.kind,
            OPERATOR_AREAS: ",".join(sorted(caller.areas)), USER: caller.user_login, ROLE: caller.role}


def caller_from_headers(headers: Mapping[str, str]) -> Caller | None:
    """The acting caller named by the hub, or None when the headers do not name one."""
    get = headers.get
    code, kind = get(OPERATOR.lower()) or get(OPERATOR), get(OPERATOR_KIND.lower()) or get(OPERATOR_KIND)
    if not code or kind not in KINDS:
        return None
    raw_areas = get(OPERATOR_AREAS.lower()) or get(OPERATOR_AREAS) or ""
    areas = frozenset(a for a in raw_areas.split(",") if a)
    return Caller(code, kind, areas, get(USER.lower()) or get(USER) or "", get(ROLE.lower()) or get(ROLE) or "general")
