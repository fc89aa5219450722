"""The acting-operator headers the hub sends to an area system (accepted only over the hub's certificate)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from switchhub.kernel.caller import BreakGlass, Caller

OPERATOR = "X-Switchhub-Operator"
OPERATOR_KIND = "X-Switchhub-Operator-Kind"
OPERATOR_AREAS = "X-Switchhub-Operator-Areas"
USER = "X-Switchhub-User"
ROLE = "X-Switchhub-Role"
#: active break-glass grants of the acting user: `<grant id>:<class>+<class>:<area>+<area>`, comma separated
BREAKGLASS = "X-Switchhub-Breakglass"
BREAKGLASS_CLASSES = ("supplier", "tso_only")
BREAKGLASS_ITEM = r"BG[0-9]{8}:(supplier|tso_only)(\+(supplier|tso_only))*:(0[1-9]|10)(\+(0[1-9]|10))*"
BREAKGLASS_PATTERN = rf"^({BREAKGLASS_ITEM}(,{BREAKGLASS_ITEM})*)?$"
IDEMPOTENCY_KEY = "Idempotency-Key"
KINDS = ("occto", "retailer", "tso")


def caller_headers(caller: Caller) -> dict[str, str]:
    out = {OPERATOR: caller.operator_code, OPERATOR_KIND: caller.kind,
           OPERATOR_AREAS: ",".join(sorted(caller.areas)), USER: caller.user_login, ROLE: caller.role}
    if caller.breakglass:
        out[BREAKGLASS] = ",".join(f"{g.grant_id}:{'+'.join(sorted(g.classes))}:{'+'.join(sorted(g.areas))}"
                                   for g in caller.breakglass)
    return out


def breakglass_from_header(raw: str) -> tuple[BreakGlass, ...]:
    """The grants named in the header; a malformed header names none (fewer fields, never more)."""
    if not raw or not re.fullmatch(BREAKGLASS_PATTERN, raw):
        return ()
    grants = []
    for item in raw.split(","):
        grant_id, classes, areas = item.split(":")
        grants.append(BreakGlass(grant_id, frozenset(classes.split("+")), frozenset(areas.split("+"))))
    return tuple(grants)


def caller_from_headers(headers: Mapping[str, str]) -> Caller | None:
    """The acting caller named by the hub, or None when the headers do not name one."""
    get = headers.get
    code, kind = get(OPERATOR.lower()) or get(OPERATOR), get(OPERATOR_KIND.lower()) or get(OPERATOR_KIND)
    if not code or kind not in KINDS:
        return None
    raw_areas = get(OPERATOR_AREAS.lower()) or get(OPERATOR_AREAS) or ""
    areas = frozenset(a for a in raw_areas.split(",") if a)
    return Caller(code, kind, areas, get(USER.lower()) or get(USER) or "", get(ROLE.lower()) or get(ROLE) or "general",
                  breakglass=breakglass_from_header(get(BREAKGLASS.lower()) or get(BREAKGLASS) or ""))
