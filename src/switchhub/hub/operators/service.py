"""OCCTO's operator administration (P9): register, change, suspend and restore an operator, and
register its first admin user.

Every function checks `hub:operators:manage` and writes its audit record in the caller's
transaction; the API, the Web pages and the CLI (`switchhub status operator …`) all call these.
Suspension needs no cache flush: the session check reads the operator's status on every request,
and an API identity from the hub's cache is confirmed by the database before its answer leaves
(hub/accounts/identity_cache.py), so it takes effect on the next request.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.hub.accounts import permissions
from switchhub.hub.audit.context import Actor
from switchhub.hub.audit.repository import write
from switchhub.hub.operators import repository
from switchhub.kernel.clock import get_clock
from switchhub.kernel.errors import Conflict, InputError, IssueCollector, NotFound
from switchhub.kernel.text import validate_phone

MANAGE = "hub:operators:manage"
PER_PAGE = 20
CODE_RE = re.compile(r"[A-Z0-9]{5}")
KANA_RE = re.compile(r"[ァ-ヶー・　（）＆０-９Ａ-Ｚ]+")
EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
STATUS_ACTIONS = {"suspended": "operator.suspend", "active": "operator.restore"}


def _not_found(code: str) -> NotFound:
    return NotFound(f"事業者コード {code[:10]} は登録されていません", f"No operator {code[:10]}")


def _check_fields(values: dict[str, Any], kind: str, issues: IssueCollector) -> dict[str, Any]:
    """Each given field's form, with a Japanese message next to it; returns the cleaned values."""
    out: dict[str, Any] = {}
    for field, label in (("name", "事業者名（漢字）"), ("contact_name", "連絡先担当者名")):
        if field in values:
            v = values[field].strip(" \u3000\t")
            if not v:
                issues.add(field, "required", f"{label}を入力してください", f"Enter the {field}")
            out[field] = v
    if "name_kana" in values:
        v = unicodedata.normalize("NFKC", values["name_kana"]).strip()
        v = v.translate(str.maketrans({c: chr(ord(c) + 0xFEE0) for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ()&"}))
        v = v.replace(" ", "　")
        if not v:
            issues.add("name_kana", "required", "事業者名（カナ）を入力してください", "Enter the name in kana")
        elif not KANA_RE.fullmatch(v):
            issues.add("name_kana", "kana_format", "事業者名（カナ）は全角カタカナで入力してください",
                       "The kana name must be in full-width katakana")
        out["name_kana"] = v
    if "contact_phone" in values:
        try:
            out["contact_phone"] = validate_phone(values["contact_phone"], "contact_phone")
        except InputError as exc:
            issues.extend(exc.errors)
    if "email" in values:
        v = values["email"].strip()
        if not EMAIL_RE.fullmatch(v):
            issues.add("email", "email_format", "メールアドレスの形式が正しくありません（例: info@example.co.jp）",
                       "Invalid e-mail address")
        out["email"] = v
    for field in ("areas", "incumbent_areas"):
        if field in values:
            out[field] = sorted({str(a) for a in values[field]})
    areas = out.get("areas")
    if areas is not None:
        if kind == "tso" and not areas:
            issues.add("areas", "required", "一般送配電事業者は供給区域のエリアを1つ以上選択してください",
                       "A T&D operator needs at least one area")
    if kind != "retailer" and out.get("incumbent_areas"):
        issues.add("incumbent_areas", "not_allowed", "みなし小売のエリアは小売電気事業者にだけ指定できます",
                   "Only retailers have incumbent areas")
    return out


def _answer(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (sorted(str(a).strip() for a in row[k]) if k.endswith("areas") else row[k])
            for k in ("code", "kind", "name", "name_kana", "areas", "incumbent_areas", "contact_name",
                      "contact_phone", "email", "status", "created_at", "updated_at")}


async def list_operators(conn: AsyncConnection, actor: Actor, *, kind: str | None = None, area: str | None = None,
                         status: str | None = None, page: int = 1) -> dict[str, Any]:
    permissions.check(actor.caller, MANAGE)
    page = max(1, page)
    total, rows = await repository.page(conn, kind=kind, area=area, status=status, limit=PER_PAGE,
                                        offset=(page - 1) * PER_PAGE)
    return {"total": total, "page": page, "per_page": PER_PAGE, "items": [_answer(r) for r in rows]}


async def get_operator(conn: AsyncConnection, actor: Actor, code: str) -> dict[str, Any]:
    permissions.check(actor.caller, MANAGE)
    row = await repository.one(conn, code)
    if row is None:
        raise _not_found(code)
    return _answer(row)


async def register_operator(conn: AsyncConnection, actor: Actor, values: dict[str, Any]) -> dict[str, Any]:
    permissions.check(actor.caller, MANAGE)
    issues = IssueCollector()
    code = unicodedata.normalize("NFKC", values.get("code", "")).strip().upper()
    if not CODE_RE.fullmatch(code):
        issues.add("code", "code_format", "事業者コードは英大文字・数字の5桁で入力してください（例: A0123）",
                   "The operator code is 5 capital letters or digits")
    kind = str(values["kind"])
    clean = _check_fields({k: values.get(k, "" if not k.endswith("areas") else []) for k in (
        "name", "name_kana", "areas", "incumbent_areas", "contact_name", "contact_phone", "email")}, kind, issues)
    issues.raise_if_any()
    if not await repository.insert(conn, {"code": code, "kind": kind, **clean}):
        raise InputError.single("code", "duplicate", f"事業者コード {code} は既に登録されています",
                                f"Operator code {code} is already registered")
    await write(conn, actor.entry("operator.register", resource_type="operator", resource_ids=[code],
                                  detail={"kind": kind, "name": clean["name"], "areas": clean["areas"]}))
    return _answer(await repository.one(conn, code))  # type: ignore[arg-type]


async def change_operator(conn: AsyncConnection, actor: Actor, code: str, values: dict[str, Any]) -> dict[str, Any]:
    permissions.check(actor.caller, MANAGE)
    row = await repository.one(conn, code, for_update=True)
    if row is None:
        raise _not_found(code)
    given = {k: v for k, v in values.items() if v is not None}
    issues = IssueCollector()
    clean = _check_fields(given, row["kind"], issues)
    issues.raise_if_any()
    before = _answer(row)
    changed = {k: v for k, v in clean.items() if before[k] != v}
    if changed:
        await repository.update(conn, code, changed)
        await write(conn, actor.entry("operator.change", resource_type="operator", resource_ids=[code],
                                      detail={"fields": sorted(changed)}))
    return _answer(await repository.one(conn, code))  # type: ignore[arg-type]


async def set_operator_status(conn: AsyncConnection, actor: Actor, code: str, status: str, reason: str = ""
                              ) -> dict[str, Any]:
    """Suspend (`suspended`) or restore (`active`); effective on the operator's next request."""
    permissions.check(actor.caller, MANAGE)
    if status not in STATUS_ACTIONS:
        raise InputError.single("status", "invalid_code", "状態は active または suspended です",
                                "status must be active or suspended")
    row = await repository.one(conn, code, for_update=True)
    if row is None:
        raise _not_found(code)
    if code == actor.caller.operator_code and status == "suspended":
        raise Conflict("自分の事業者は利用停止にできません", "You cannot suspend your own operator",
                       code="own_operator")
    if row["status"] != status:
        await repository.set_status(conn, code, status)
        await write(conn, actor.entry(STATUS_ACTIONS[status], resource_type="operator", resource_ids=[code],
                                      detail={"from": row["status"], "to": status,
                                              **({"reason": reason.strip()} if reason.strip() else {})}))
    return _answer(await repository.one(conn, code))  # type: ignore[arg-type]


async def register_first_admin(conn: AsyncConnection, actor: Actor, code: str, values: dict[str, Any]
                               ) -> dict[str, Any]:
    """The operator's first admin, created by the users service like any admin (same checks, one-time
    password changed at first login, TOTP secret; both shown only in this answer); refused when the
    operator has an admin already (the operator's own admins manage their users from then on)."""
    from switchhub.hub.users import service as users

    permissions.check(actor.caller, MANAGE)
    row = await repository.one(conn, code, for_update=True)
    if row is None:
        raise _not_found(code)
    login_id = values.get("login_id", "").strip()
    display_name = unicodedata.normalize("NFKC", values.get("display_name", "")).strip()
    email = values.get("email", "").strip()
    if not email:  # the first admin is the operator's contact for OCCTO: an address is required here
        raise InputError.single("email", "required", "メールアドレスを入力してください", "Enter the e-mail address")
    await users.check_new_user(conn, row["kind"], login_id=login_id, display_name=display_name, email=email,
                               role="admin")
    if await repository.admin_count(conn, code):
        raise Conflict("この事業者には既に管理者ユーザがいます（以後のユーザは事業者の管理者が登録します）",
                       "This operator already has an admin user", code="admin_exists")
    created = await users.insert(conn, actor, login_id=login_id, display_name=display_name, email=email,
                                 role="admin", now=get_clock().now(), via="first_admin", operator_code=code)
    await write(conn, actor.entry("operator.first_admin", resource_type="user", resource_ids=[login_id],
                                  detail={"operator": code}))
    return {"login_id": login_id, "operator_code": code, "display_name": display_name,
            "initial_password": created["initial_password"], "totp_uri": created["totp_uri"]}
