"""Bulk create/change of the admin's own operator's users from a CSV file (Shift_JIS/CP932 or UTF-8
with or without BOM; decoding, header and file limits are hub/bulk/csvfile.py's).

Columns: 操作 (create/change, 登録/変更), ユーザID, 氏名, メール, 権限 (admin/general/api or 管理者/一般/API).
`validate` checks every row and answers a per-row Japanese report, changing nothing; `apply` checks
again and then stores all rows in the caller's transaction, or none when any row has a problem
(all or nothing). Created users' one-time passwords (and admins' TOTP secrets) are in the answer only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.hub.accounts import permissions
from switchhub.hub.audit.context import Actor
from switchhub.hub.audit.repository import write
from switchhub.hub.bulk import csvfile
from switchhub.hub.bulk.columns import Layout
from switchhub.hub.users import repository, service
from switchhub.kernel.errors import FieldIssue, InputError, IssueCollector, PayloadTooLarge

MAX_BYTES = 500_000
MAX_ROWS = 500
USERS = Layout("ユーザ一括登録ファイル", "ユーザ一括登録の画面の説明", (
    ("operation", "操作"), ("login_id", "ユーザID"), ("display_name", "氏名"), ("email", "メール"), ("role", "権限"),
), ("operation", "login_id", "display_name", "role"))
OPERATIONS = {"create": "create", "登録": "create", "新規": "create", "change": "change", "変更": "change"}
ROLE_NAMES = {"admin": "admin", "管理者": "admin", "general": "general", "一般": "general", "api": "api",
              "API": "api", "APIユーザ": "api", "helpdesk": "helpdesk", "ヘルプデスク": "helpdesk"}
LABELS = dict(USERS.columns)


def _read(raw: bytes) -> csvfile.ParsedFile:
    if len(raw) > MAX_BYTES:
        raise PayloadTooLarge(f"ファイルが大きすぎます（上限 {MAX_BYTES:,} バイト）", f"The file is larger than {MAX_BYTES:,} bytes",
                              code="bulk_file_too_large")
    parsed = csvfile.read(raw, USERS)
    if len(parsed.rows) > MAX_ROWS:
        raise csvfile.refuse("too_many_rows", f"データ行が {MAX_ROWS} 行を超えています（上限 {MAX_ROWS} 行）",
                             f"More than {MAX_ROWS} data rows")
    return parsed


def _line(number: int, issue: FieldIssue) -> dict[str, Any]:
    field = issue.field.split(".")[-1]
    return {"row": number, "field": field, "column": LABELS.get(field, field), "code": issue.code,
            "message": issue.message_ja, "message_en": issue.message_en}


async def check(conn: AsyncConnection, actor: Actor, raw: bytes) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(rows as operations, per-row issues): every row checked, nothing changed."""
    permissions.check(actor.caller, "hub:users:manage")
    parsed = _read(raw)
    kind = await repository.operator_kind(conn, actor.caller.operator_code)
    assert kind is not None
    ids = [r.values.get("login_id", "") for r in parsed.rows]
    taken = await repository.login_ids_taken(conn, [i for i in ids if i])
    seen: set[str] = set()
    rows, report = [], []
    for row in parsed.rows:
        v, issues = row.values, IssueCollector()
        op = OPERATIONS.get(v.get("operation", ""))
        role = ROLE_NAMES.get(v.get("role", ""), v.get("role", ""))
        login_id = v.get("login_id", "")
        if op is None:
            issues.add("operation", "invalid_operation", "操作は create（登録）または change（変更）です",
                       "The operation is create or change")
        if login_id in seen:
            issues.add("login_id", "duplicate_in_file", "同じユーザIDがファイル内で2回以上あります", "The ID appears twice")
        seen.add(login_id)
        if op == "create":
            if not service.LOGIN_ID.match(login_id):
                issues.add("login_id", "invalid_login_id", "ユーザIDは英小文字・数字・記号 . _ - の3〜64文字です",
                           "3–64 lower-case letters, digits, '.', '_' or '-'")
            elif login_id in taken:
                issues.add("login_id", "login_id_taken", "このユーザIDは使用済みです（削除されたユーザのIDも再利用できません）",
                           "This user ID is taken")
        elif op == "change":
            user = await repository.user_of_operator(conn, actor.caller.operator_code, login_id)
            if user is None or user["status"] == "deleted":
                issues.add("login_id", "user_not_found", "このユーザIDは自社の利用中のユーザにありません", "No such user")
            elif role != user["role"] and ("api" in (role, user["role"]) or login_id == actor.caller.user_login):
                issues.add("role", "role_fixed", "このユーザの権限は変更できません（APIユーザ・自分自身）",
                           "This user's role cannot be changed here")
        service.validate_fields(issues, kind, display_name=v.get("display_name", ""), email=v.get("email", ""),
                                role=role)
        report += [_line(row.number, i) for i in issues.issues]
        rows.append({"row": row.number, "operation": op, "login_id": login_id, "role": role,
                     "display_name": v.get("display_name", "").strip(), "email": v.get("email", "").strip()})
    return rows, report


async def validate(conn: AsyncConnection, actor: Actor, raw: bytes) -> dict[str, Any]:
    rows, report = await check(conn, actor, raw)
    return {"mode": "validate", "rows": len(rows), "ok": not report, "issues": report, "created": [], "changed": []}


async def apply(conn: AsyncConnection, actor: Actor, raw: bytes, now: datetime) -> dict[str, Any]:
    """All rows or none: any row's problem refuses the file (InputError with the report)."""
    rows, report = await check(conn, actor, raw)
    if report:
        raise InputError(f"{len({r['row'] for r in report})} 行に問題があるため、登録・変更していません",
                         "Some rows have problems; nothing was stored", code="bulk_rows_invalid",
                         errors=[FieldIssue(f"row{r['row']}.{r['field']}", r["code"], r["message"], r["message_en"])
                                 for r in report], extra={"report": report})
    created, changed = [], []
    for r in rows:
        fields = {"display_name": r["display_name"], "email": r["email"], "role": r["role"], "now": now, "via": "csv"}
        if r["operation"] == "create":
            done = await service.insert(conn, actor, login_id=r["login_id"], **fields)
            created.append({"row": r["row"], "login_id": r["login_id"], "role": r["role"],
                            "initial_password": done["initial_password"], "totp_secret": done["totp_secret"]})
        else:
            done = await service.change_user(conn, actor, r["login_id"], **fields)
            changed.append({"row": r["row"], "login_id": r["login_id"], "totp_secret": done["totp_secret"]})
    await write(conn, actor.entry("user.bulk", resource_type="user", resource_ids=[r["login_id"] for r in rows],
                                  item_count=len(rows), detail={"created": len(created), "changed": len(changed)}))
    return {"mode": "apply", "rows": len(rows), "ok": True, "issues": [], "created": created, "changed": changed}


def secrets_csv(result: dict[str, Any], encoding: str = "utf-8") -> bytes:
    """The created users' one-time passwords as CSV (UTF-8 with BOM or CP932), for the one download."""
    lines = ["ユーザID,権限,初期パスワード,TOTPシークレット"]
    lines += [f"{c['login_id']},{c['role']},{c['initial_password'] or ''},{c['totp_secret'] or ''}"
              for c in result["created"]]
    text = "\r\n".join(lines) + "\r\n"
    return (b"\xef\xbb\xbf" + text.encode()) if encoding == "utf-8" else text.encode("cp932")
