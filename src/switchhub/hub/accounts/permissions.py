"""Named permissions `<area>:<resource>:<action>`, declared on every route.

A route declares its permission with `Depends(require("hub:supply-points:read"))`; the
role table below is the only place that says which roles hold which permission. A test
walks every route and fails when one lacks a declaration.
"""

from __future__ import annotations

from switchhub.kernel.caller import Caller
from switchhub.kernel.errors import Forbidden

ALL_KINDS = ("retailer", "tso", "occto")

#: permission → operator kinds allowed (every role of those kinds unless ROLE_ONLY says otherwise)
PERMISSIONS: dict[str, tuple[str, ...]] = {
    "hub:supply-points:read": ALL_KINDS,
    "hub:supply-points:search": ALL_KINDS,
    "hub:supply-points:export": ("retailer",),
    "hub:calendar:read": ALL_KINDS,
    "hub:operators:read": ALL_KINDS,
    "hub:me:read": ALL_KINDS,
    "hub:relays:write": ("retailer",),
    "hub:relays:read": ("retailer", "occto"),
    "hub:relays:helpdesk": ("occto",),
    "hub:applications:write": ("retailer",),
    "hub:applications:read": ALL_KINDS,
    "hub:notify:manage": ("retailer", "tso", "occto"),
    "hub:audit:read": ALL_KINDS,
    "hub:web:use": ALL_KINDS,
}
ROLE_ONLY: dict[str, tuple[str, ...]] = {
    "hub:relays:helpdesk": ("helpdesk", "admin"),
    "hub:notify:manage": ("admin",),
}


def allowed(caller: Caller, permission: str) -> bool:
    kinds = PERMISSIONS[permission]
    roles = ROLE_ONLY.get(permission)
    return caller.kind in kinds and (roles is None or caller.role in roles)


def check(caller: Caller, permission: str) -> None:
    if not allowed(caller, permission):
        raise Forbidden("この操作を行う権限がありません", "You do not have permission for this operation",
                        code="permission_denied", extra={"permission": permission})
