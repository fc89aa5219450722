"""Notifications (P8): who gets which event, and the delivery log.

`fan_out` runs inside the transaction of the change and creates one pending delivery per
matching e-mail subscription and webhook; the worker sends them after commit
(`delivery.deliver_due`). Webhook URLs pass `urlpolicy` at registration and again at every
delivery. Polling (relay lists, the applications feed) keeps working.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.hub.accounts import permissions
from switchhub.hub.audit.context import Actor
from switchhub.hub.audit.repository import write
from switchhub.hub.notify.urlpolicy import UrlRefused, WebhookPolicy, check_url
from switchhub.kernel.caller import Caller
from switchhub.kernel.errors import IssueCollector, NotFound

EVENT_KINDS: dict[str, str] = {
    "relay.registered": "廃止取次の登録", "relay.decided": "廃止取次の判断", "relay.withdrawn": "廃止取次の取消",
    "relay.expired": "廃止取次の期限切れ", "relay.matched": "マッチング成立", "relay.match_failed": "マッチング不成立",
    "application.stage_changed": "受付工程の変更", "notice.published": "インフォメーションの掲載",
}


MANAGE = "hub:notify:manage"


_FAN_OUT = text(
    "INSERT INTO deliveries (operator_code, channel, target, webhook_id, event_id, event_kind, payload,"
    " next_attempt_at)"
    " SELECT s.operator_code, 'email', s.email, CAST(NULL AS bigint), :eid, :kind, CAST(:p AS jsonb), CAST(:now AS timestamptz) FROM subscriptions s"
    "  WHERE s.operator_code = ANY(CAST(:ops AS text[])) AND s.event_kind = :kind"
    " UNION ALL"
    " SELECT w.operator_code, 'webhook', w.url, w.id, :eid, :kind, CAST(:p AS jsonb), CAST(:now AS timestamptz) FROM webhooks w"
    "  WHERE w.operator_code = ANY(CAST(:ops AS text[])) AND w.active"
    "  AND (cardinality(w.event_kinds) = 0 OR :kind = ANY(w.event_kinds))"
    " ON CONFLICT (channel, target, event_id) DO NOTHING")


async def fan_out(conn: AsyncConnection, *, operator_codes: list[str], event_id: str, event_kind: str,
                  payload: dict[str, Any], now: datetime) -> int:
    body = json.dumps(payload, ensure_ascii=False, default=str)
    result = await conn.execute(_FAN_OUT, {"eid": event_id, "kind": event_kind, "p": body, "now": now,
                                           "ops": operator_codes})
    return result.rowcount


async def fan_out_many(conn: AsyncConnection, *, event_kind: str,
                       events: list[tuple[list[str], str, dict[str, Any]]], now: datetime) -> None:
    """`fan_out` of many events of one kind, (operators, event id, payload) each, in one executemany."""
    if not events:
        return
    if len(events) == 1:
        ops, eid, payload = events[0]
        await fan_out(conn, operator_codes=ops, event_id=eid, event_kind=event_kind, payload=payload, now=now)
        return
    interested = (await conn.execute(text(
        "SELECT DISTINCT operator_code FROM subscriptions WHERE event_kind = :kind"
        " UNION SELECT DISTINCT operator_code FROM webhooks WHERE active"
        " AND (cardinality(event_kinds) = 0 OR :kind = ANY(event_kinds))"), {"kind": event_kind})).scalars().all()
    wanted = {str(o).strip() for o in interested}
    params = [{"eid": eid, "kind": event_kind, "p": json.dumps(payload, ensure_ascii=False, default=str), "now": now,
               "ops": ops} for ops, eid, payload in events if wanted & set(ops)]
    if params:
        await conn.execute(_FAN_OUT, params)


def _check_kinds(kinds: list[str], field: str, issues: IssueCollector) -> None:
    bad = [k for k in kinds if k not in EVENT_KINDS]
    if bad:
        issues.add(field, "unknown_event_kind", f"指定できないイベント種別です: {', '.join(bad)[:80]}（指定可能: "
                   f"{', '.join(EVENT_KINDS)}）", f"Unknown event kinds: {', '.join(bad)[:80]}")


URL_MESSAGES: dict[str, tuple[str, str]] = {
    "https_required": ("Webhook の URL は https:// で指定してください", "The webhook URL must use https"),
    "url_format": ("Webhook の URL の形式が正しくありません（https://ホスト名/パス、ユーザ情報なし）",
                   "The webhook URL is malformed (https://host/path, no user information)"),
    "unresolvable_host": ("Webhook の URL のホスト名を名前解決できません",
                          "The host name of the webhook URL cannot be resolved"),
    "address_not_allowed": ("Webhook の URL は内部向けのアドレス（ループバック、プライベート、リンクローカル、"
                            "メタデータ等）に解決されるため登録できません",
                            "The webhook URL resolves to an internal address (loopback, private, link-local,"
                            " metadata, …) and cannot be used"),
}


@dataclass(frozen=True)
class CheckedWebhook:
    """A webhook whose URL passed the address policy; only this can be stored."""

    url: str
    kinds: list[str]


async def check_webhook(url: str, kinds: list[str], policy: WebhookPolicy) -> CheckedWebhook:
    """Validate before any transaction is opened: the URL check may wait for DNS."""
    issues = IssueCollector()
    try:
        await check_url(url, policy)
    except UrlRefused as refused:
        issues.add("url", refused.code, *URL_MESSAGES[refused.code])
    _check_kinds(kinds, "event_kinds", issues)
    issues.raise_if_any()
    return CheckedWebhook(url, kinds)


async def create_webhook(conn: AsyncConnection, actor: Actor, hook: CheckedWebhook) -> dict[str, Any]:
    """Register a webhook of the actor's operator; the signing secret is shown only in this answer."""
    caller = actor.caller
    permissions.check(caller, MANAGE)
    secret = secrets.token_urlsafe(32)
    row = (await conn.execute(text(
        "INSERT INTO webhooks (operator_code, url, secret, event_kinds) VALUES (:op, :u, :s, :k)"
        " RETURNING id, created_at"),
        {"op": caller.operator_code, "u": hook.url, "s": secret, "k": hook.kinds})).first()
    await write(conn, actor.entry("webhook.create", resource_type="webhook", resource_ids=[str(row.id)],
                                  detail={"url": hook.url, "event_kinds": hook.kinds}))
    return {"id": row.id, "url": hook.url, "event_kinds": hook.kinds, "secret": secret, "active": True,
            "created_at": row.created_at.isoformat()}


async def list_webhooks(conn: AsyncConnection, caller: Caller) -> list[dict[str, Any]]:
    permissions.check(caller, MANAGE)
    rows = await conn.execute(text("SELECT id, url, event_kinds, active, created_at FROM webhooks"
                                   " WHERE operator_code = :op ORDER BY id"), {"op": caller.operator_code})
    return [{**dict(r._mapping), "created_at": r.created_at.isoformat()} for r in rows]


async def delete_owned(conn: AsyncConnection, actor: Actor, table: str, item_id: int) -> None:
    """Stop one of the operator's webhooks or remove one of its subscriptions (anyone else's: 404)."""
    caller = actor.caller
    permissions.check(caller, MANAGE)
    if table not in ("webhooks", "subscriptions"):
        raise ValueError(table)
    sql = ("UPDATE webhooks SET active = false WHERE id = :id AND operator_code = :op AND active" if table == "webhooks"
           else "DELETE FROM subscriptions WHERE id = :id AND operator_code = :op")
    if (await conn.execute(text(sql), {"id": item_id, "op": caller.operator_code})).rowcount != 1:
        raise NotFound()
    await write(conn, actor.entry(f"{table[:-1]}.delete", resource_type=table[:-1], resource_ids=[str(item_id)]))


async def create_subscription(conn: AsyncConnection, actor: Actor, email: str, kind: str) -> dict[str, Any]:
    caller = actor.caller
    permissions.check(caller, MANAGE)
    issues = IssueCollector()
    if "@" not in email or len(email) > 200 or email.startswith("@") or email.endswith("@"):
        issues.add("email", "email_format", "メールアドレスの形式が正しくありません", "Invalid e-mail address")
    _check_kinds([kind], "event_kind", issues)
    issues.raise_if_any()
    row = (await conn.execute(text(
        "INSERT INTO subscriptions (operator_code, email, event_kind, created_by) VALUES (:op, :e, :k, :by)"
        " ON CONFLICT (operator_code, email, event_kind) DO UPDATE SET created_by = EXCLUDED.created_by"
        " RETURNING id"), {"op": caller.operator_code, "e": email, "k": kind, "by": caller.user_login})).first()
    await write(conn, actor.entry("subscription.create", resource_type="subscription", resource_ids=[str(row.id)],
                                  detail={"email": email, "event_kind": kind}))
    return {"id": row.id, "email": email, "event_kind": kind}


async def list_subscriptions(conn: AsyncConnection, caller: Caller) -> list[dict[str, Any]]:
    permissions.check(caller, MANAGE)
    rows = await conn.execute(text("SELECT id, email, event_kind FROM subscriptions WHERE operator_code = :op"
                                   " ORDER BY id"), {"op": caller.operator_code})
    return [dict(r._mapping) for r in rows]


async def delivery_log(conn: AsyncConnection, caller: Caller, page: int, per_page: int) -> dict[str, Any]:
    permissions.check(caller, MANAGE)
    total = (await conn.execute(text("SELECT count(*) FROM deliveries WHERE operator_code = :op"),
                                {"op": caller.operator_code})).scalar_one()
    rows = await conn.execute(text(
        "SELECT id, channel, target, event_id, event_kind, status, attempts, next_attempt_at, last_error,"
        " delivered_at, created_at FROM deliveries WHERE operator_code = :op ORDER BY id DESC"
        " OFFSET :o LIMIT :n"), {"op": caller.operator_code, "o": (page - 1) * per_page, "n": per_page})
    items = [{k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in dict(r._mapping).items()} for r in rows]
    return {"total": int(total), "page": page, "per_page": per_page, "items": items}

