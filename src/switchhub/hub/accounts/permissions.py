"""Named permissions `<area>:<resource>:<action>` and the roles that hold them (security.md).

Every API route declares its permission with `Depends(require(...))` and every Web page with
`Depends(web_user(...))`; the service function behind both checks it again with `check`, so a
door that forgot its declaration still cannot act. The table below is the only place that says
which role holds which permission; a test walks every route and fails when one lacks a
declaration, and another checks every role × operation over HTTP against a table of its own.

Roles are `<operator kind>.<role>`: retailer admin / general / API user, T&D admin / staff
(`general`), OCCTO admin / helpdesk / general. Decisions where security.md is silent:
* the own-point export (a bulk read of personal data) is for the retailer's admin and API user;
* notification settings belong to admins and API users (a retailer's system registers its own
  webhooks); the access log to admins, API users and OCCTO's helpdesk;
* OCCTO's general users see facility data (public fields) but no relays or applications;
* metering files: retailers, T&Ds and OCCTO's helpdesk and admins read them, which files decided by
  `kernel.visibility.metering_file_scope` (a retailer its own, a T&D its areas', OCCTO all); OCCTO's
  general users not, as for relays and applications (the files name the customers).
"""

from __future__ import annotations

from switchhub.kernel.caller import Caller
from switchhub.kernel.errors import Forbidden

RETAILER = ("retailer.admin", "retailer.general", "retailer.api")
TSO = ("tso.admin", "tso.general", "tso.api")
OCCTO_STAFF = ("occto.admin", "occto.helpdesk")
OCCTO = (*OCCTO_STAFF, "occto.general")
EVERYONE = (*RETAILER, *TSO, *OCCTO)
WITH_PASSWORD = tuple(r for r in EVERYONE if not r.endswith(".api"))

#: permission → roles holding it
PERMISSIONS: dict[str, frozenset[str]] = {p: frozenset(roles) for p, roles in {
    "hub:supply-points:read": EVERYONE,
    "hub:supply-points:search": EVERYONE,
    "hub:supply-points:export": ("retailer.admin", "retailer.api"),
    "hub:calendar:read": EVERYONE,
    "hub:operators:read": EVERYONE,
    "hub:me:read": EVERYONE,
    "hub:me:password": WITH_PASSWORD,
    "hub:credentials:revoke": EVERYONE,
    "hub:relays:write": RETAILER,
    "hub:relays:read": (*RETAILER, *OCCTO_STAFF),
    "hub:relays:helpdesk": OCCTO_STAFF,
    "hub:applications:write": RETAILER,
    "hub:applications:read": (*RETAILER, *TSO, *OCCTO_STAFF),
    "hub:notify:manage": ("retailer.admin", "retailer.api", "tso.admin", "tso.api", "occto.admin"),
    "hub:metering:read": (*RETAILER, *TSO, *OCCTO_STAFF),
    "hub:audit:read": ("retailer.admin", "retailer.api", "tso.admin", "tso.api", *OCCTO_STAFF),
    "hub:web:use": WITH_PASSWORD,
    "hub:usage:request": RETAILER,
    "hub:usage:read": (*RETAILER, *TSO, *OCCTO_STAFF),
    "hub:usage:query": RETAILER,
    "hub:usage:review": TSO,
    "hub:usage:review:read": (*TSO, *OCCTO_STAFF),
    # issue 9 part C: OCCTO administration (operators, client certificates, the API repository page)
    "hub:operators:manage": ("occto.admin",),
    "hub:certificates:manage": ("occto.admin",),
    "hub:api-info:manage": ("occto.admin",),
    "hub:api-info:read": EVERYONE,
    # issue 9 (E): notices — OCCTO admins write them, everyone reads their own
    "hub:notices:manage": ("occto.admin",),
    "hub:notices:read": EVERYONE,
    # issue 9 part F: statistics (the original published them) and the anomaly report
    "hub:statistics:read": EVERYONE,
    "hub:anomaly:read": OCCTO_STAFF,
    "hub:anomaly:ack": OCCTO_STAFF,
    # issue 9 D: operators' own user administration (each admin its own operator's users)
    "hub:users:manage": ("retailer.admin", "tso.admin", "occto.admin"),
    "hub:users:helpdesk-reset": OCCTO_STAFF,
    "hub:credentials:issue": ("retailer.admin", "tso.admin"),
    "hub:me:totp": WITH_PASSWORD,
    # issue 9 G: break-glass disaster access (seed 004 type B); read: OCCTO staff all, an admin its operator's
    "hub:breakglass:request": ("retailer.admin", "tso.admin", *OCCTO_STAFF),
    "hub:breakglass:approve": ("occto.admin",),
    "hub:breakglass:read": ("retailer.admin", "tso.admin", *OCCTO_STAFF),
    # issue 10: in a sandbox deployment an operator's admin equips its own developers (API user,
    # credential, certificate) without OCCTO; outside a sandbox the operation answers 404
    "hub:sandbox:developers": ("retailer.admin", "tso.admin"),
    # issue 10: the sandbox's clock and reset (sandbox mode only; a production hub has no such routes)
    "hub:sandbox:clock": ("retailer.admin", "retailer.api", "tso.admin", "tso.api", "occto.admin"),
    "hub:sandbox:reset": ("retailer.admin", "retailer.api", "tso.admin", "tso.api", "occto.admin"),
}.items()}


def role_of(caller: Caller) -> str:
    return f"{caller.kind}.{caller.role}"


def allowed(caller: Caller, permission: str) -> bool:
    return role_of(caller) in PERMISSIONS[permission]


def check(caller: Caller, permission: str) -> None:
    if not allowed(caller, permission):
        raise Forbidden("この操作を行う権限がありません", "You do not have permission for this operation",
                        code="permission_denied", extra={"permission": permission})
