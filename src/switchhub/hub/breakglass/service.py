"""Break-glass grants (seed 004 type B): request, approve (not by the requester), reject, revoke, expire.

Each public action is the one implementation behind its API route and its Web form: it checks the
actor's permission, changes the grant through the transition rules and writes the audit record in
the caller's transaction (it never commits). `resolve` is how a lookup learns the caller's grants in
force: the hub attaches them to the caller, the area and the hub's re-check take them as an input of
`kernel.visibility.lookup_grant` / `check_answer`.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.hub.accounts import permissions
from switchhub.hub.audit.context import Actor
from switchhub.hub.audit.repository import write
from switchhub.hub.breakglass import repository as repo
from switchhub.hub.breakglass import rules
from switchhub.hub.breakglass.rules import Status, in_force
from switchhub.hub.breakglass.schemas import GrantRequest
from switchhub.kernel.caller import BreakGlass, Caller
from switchhub.kernel.errors import IssueCollector, NotFound

MAX_PERIOD = timedelta(days=7)
RESOURCE = "breakglass_grant"


def _not_found() -> NotFound:
    return NotFound("指定された緊急時アクセス許可はありません", "No such break-glass grant")


def _sees(caller: Caller, grant: dict[str, Any]) -> bool:
    """OCCTO staff see every grant; an operator's admin those naming or requested by its operator."""
    return caller.is_occto or caller.operator_code in (grant["operator_code"], grant["requested_by_operator"])


async def _check_request(conn: AsyncConnection, caller: Caller, req: GrantRequest, now: datetime) -> list[str]:
    issues = IssueCollector()
    code = req.operator_code.upper()
    users = list(dict.fromkeys(req.users))
    if not caller.is_occto and code != caller.operator_code:
        issues.add("operator_code", "not_own", "自社以外の事業者の緊急時アクセスは申請できません",
                   "You can request break-glass access only for your own operator")
    kind = await repo.operator_kind(conn, code)
    if kind is None:
        issues.add("operator_code", "unknown", "登録されていない事業者コードです", "Unknown operator code")
    elif kind == "occto":
        issues.add("operator_code", "occto", "広域機関の利用者には緊急時アクセスを許可できません",
                   "OCCTO users cannot be granted break-glass access (OCCTO never sees customer fields)")
    else:
        missing = sorted(set(users) - await repo.users_of(conn, code, users))
        if missing:
            issues.add("users", "unknown", f"この事業者の利用者ではありません: {', '.join(missing)}",
                       f"Not users of this operator: {', '.join(missing)}")
    for name, text_value in (("disaster_title", req.disaster_title), ("reason", req.reason)):
        if not text_value.strip():
            issues.add(name, "required", "入力してください", "Required")
    for name, value in (("starts_at", req.starts_at), ("ends_at", req.ends_at)):
        if value.tzinfo is None:
            issues.add(name, "timezone", "日時はタイムゾーン付きで指定してください (例: 2026-12-01T09:00+09:00)",
                       "Give the time with its time zone")
    issues.raise_if_any()
    if req.ends_at <= req.starts_at:
        issues.add("ends_at", "before_start", "終了日時は開始日時より後にしてください", "The end must be after the start")
    elif req.ends_at - req.starts_at > MAX_PERIOD:
        issues.add("ends_at", "too_long", "期間は最長7日です", "The period is at most 7 days")
    elif req.ends_at <= now:
        issues.add("ends_at", "past", "終了日時が過ぎています", "The end time has passed")
    issues.raise_if_any()
    return users


async def request(conn: AsyncConnection, actor: Actor, req: GrantRequest, now: datetime) -> dict[str, Any]:
    """An admin of the operator (or OCCTO staff for it) asks for a grant; it opens nothing until approved."""
    caller = actor.caller
    permissions.check(caller, "hub:breakglass:request")
    users = await _check_request(conn, caller, req, now)
    grant = {"grant_id": await repo.next_grant_id(conn), "operator_code": req.operator_code.upper(), "users": users,
             "field_classes": sorted(set(req.field_classes)), "areas": sorted(set(req.areas)),
             "disaster_title": req.disaster_title.strip(), "reason": req.reason.strip(), "starts_at": req.starts_at,
             "ends_at": req.ends_at, "status": Status.REQUESTED.value, "status_reason": rules.Reason.REQUESTED.value,
             "requested_by": caller.user_login, "requested_by_operator": caller.operator_code, "created_at": now}
    await repo.insert(conn, grant)
    await rules.apply(conn, grant, "request", actor=caller.user_login, new=True)
    await write(conn, actor.entry("breakglass.request", resource_type=RESOURCE, resource_ids=[grant["grant_id"]],
                                  detail=_summary(grant)))
    return await _answer(conn, grant["grant_id"], now)


def _summary(grant: dict[str, Any]) -> dict[str, Any]:
    return {"operator_code": grant["operator_code"], "users": list(grant["users"]),
            "field_classes": list(grant["field_classes"]), "areas": list(grant["areas"]),
            "disaster_title": grant["disaster_title"], "starts_at": grant["starts_at"], "ends_at": grant["ends_at"]}


async def _locked(conn: AsyncConnection, caller: Caller, grant_id: str) -> dict[str, Any]:
    grant = await repo.get(conn, grant_id, for_update=True)
    if grant is None or not _sees(caller, grant):
        raise _not_found()
    return grant


async def _decide(conn: AsyncConnection, actor: Actor, grant_id: str, rule: str, note: str, now: datetime
                  ) -> dict[str, Any]:
    caller = actor.caller
    grant = await _locked(conn, caller, grant_id)
    changes = {"decided_by": caller.user_login, "decided_at": now, "decision_note": note.strip()}
    if rule == "revoke":
        changes = {"revoked_by": caller.user_login, "revoked_at": now, "decision_note": note.strip()}
    await rules.apply(conn, grant, rule, actor=caller.user_login, changes=changes, detail={"note": note.strip()},
                      context={"actor_login": caller.user_login, "now": now})
    await write(conn, actor.entry(f"breakglass.{rule}", resource_type=RESOURCE, resource_ids=[grant_id],
                                  detail={**_summary(grant), "note": note.strip()}))
    return await _answer(conn, grant_id, now)


async def approve(conn: AsyncConnection, actor: Actor, grant_id: str, note: str, now: datetime) -> dict[str, Any]:
    """An OCCTO admin other than the requester approves (self-approval: 403 breakglass_self_approval)."""
    permissions.check(actor.caller, "hub:breakglass:approve")
    return await _decide(conn, actor, grant_id, "approve", note, now)


async def reject(conn: AsyncConnection, actor: Actor, grant_id: str, note: str, now: datetime) -> dict[str, Any]:
    permissions.check(actor.caller, "hub:breakglass:approve")
    return await _decide(conn, actor, grant_id, "reject", note, now)


async def revoke(conn: AsyncConnection, actor: Actor, grant_id: str, note: str, now: datetime) -> dict[str, Any]:
    """Ends an approved grant early: an OCCTO admin, or an admin of the operator it names (less access,
    never more)."""
    caller = actor.caller
    if not permissions.allowed(caller, "hub:breakglass:approve"):
        permissions.check(caller, "hub:breakglass:request")
        grant = await repo.get(conn, grant_id)
        if grant is None or grant["operator_code"] != caller.operator_code:
            raise _not_found()
    return await _decide(conn, actor, grant_id, "revoke", note, now)


async def detail(conn: AsyncConnection, actor: Actor, grant_id: str, now: datetime) -> dict[str, Any]:
    permissions.check(actor.caller, "hub:breakglass:read")
    grant = await repo.get(conn, grant_id)
    if grant is None or not _sees(actor.caller, grant):
        raise _not_found()
    return await _answer(conn, grant_id, now)


async def listing(conn: AsyncConnection, actor: Actor, status: str, page: int, per_page: int, now: datetime
                  ) -> dict[str, Any]:
    caller = actor.caller
    permissions.check(caller, "hub:breakglass:read")
    total, rows = await repo.listing(conn, operator_code=None if caller.is_occto else caller.operator_code,
                                     status=status or None, limit=per_page, offset=(page - 1) * per_page)
    return {"total": total, "page": page, "per_page": per_page, "items": [_shape(r, now) for r in rows]}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _shape(row: dict[str, Any], now: datetime) -> dict[str, Any]:
    out = {**row, "users": list(row["users"]), "field_classes": list(row["field_classes"]),
           "areas": list(row["areas"]), "status_name": Status(row["status"]).ja, "in_force": in_force(row, now)}
    for key in ("starts_at", "ends_at", "decided_at", "revoked_at", "created_at"):
        out[key] = _iso(row[key])
    out.pop("updated_at", None)
    return out


async def _answer(conn: AsyncConnection, grant_id: str, now: datetime) -> dict[str, Any]:
    row = await repo.get(conn, grant_id)
    assert row is not None
    out = _shape(row, now)
    out["history"] = [{**h, "at": h["at"].isoformat()} for h in await repo.history(conn, grant_id)]
    return out


async def resolve(conn: AsyncConnection, caller: Caller, now: datetime) -> Caller:
    """The caller with its grants in force now (approved, within the period, naming its user)."""
    if not caller.user_login or caller.is_occto:
        return caller
    rows = await repo.active_for_user(conn, caller.operator_code, caller.user_login, now)
    grants = tuple(BreakGlass(r["grant_id"], frozenset(r["field_classes"]), frozenset(r["areas"])) for r in rows)
    return dataclasses.replace(caller, breakglass=grants) if grants else caller


async def expire_ended(conn: AsyncConnection, now: datetime) -> list[str]:
    """Marks grants whose end time has passed as expired (for the lists; they stopped opening fields
    at `ends_at` whether or not this ran)."""
    done = []
    for grant in await repo.ended_before(conn, now):
        await rules.apply(conn, grant, "expire", actor="system")
        done.append(grant["grant_id"])
    return done
