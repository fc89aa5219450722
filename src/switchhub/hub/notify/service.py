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

from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.hub.accounts import permissions
from switchhub.hub.audit.context import Actor
from switchhub.hub.audit.repository import write
from switchhub.hub.notify import repository
from switchhub.hub.notify.urlpolicy import UrlRefused, WebhookPolicy, check_url
from switchhub.kernel.caller import Caller
from switchhub.kernel.errors import IssueCollector, NotFound

EVENT_KINDS: dict[str, str] = {
    "relay.registered": "廃止取次の登録", "relay.decided": "廃止取次の判断", "relay.withdrawn": "廃止取次の取消",
    "relay.expired": "廃止取次の期限切れ", "relay.matched": "マッチング成立", "relay.match_failed": "マッチング不成立",
    "application.stage_changed": "受付工程の変更", "notice.published": "インフォメーションの掲載",
    "usage.password_issued": "使用量照会パスワードの発行", "usage.password_rejected": "使用量情報照会申請の却下",
    "usage.review_due": "本人確認審査の期限", "usage.review_overdue": "本人確認審査の期限超過",
    "metering.file_published": "計量データの公開",
    "certificate.expiring": "クライアント証明書の有効期限の接近",  # issue 9 part C
    "anomaly.found": "アクセスログ分析の検出",  # issue 9 part F (OCCTO's helpdesk subscribes)
}


MANAGE = "hub:notify:manage"
#: a delivery the operator's admin asks for to try a webhook; never fanned out, so not subscribable
TEST_KIND = "webhook.test"
DELIVERY_KINDS: dict[str, str] = {**EVENT_KINDS, TEST_KIND: "Webhookのテスト配信"}
DELIVERY_STATUSES: dict[str, tuple[str, str]] = {
    "pending": ("配信待ち", "Pending"), "delivered": ("配信済み", "Delivered"), "failed": ("配信失敗", "Failed")}


async def fan_out(conn: AsyncConnection, *, operator_codes: list[str], event_id: str, event_kind: str,
                  payload: dict[str, Any], now: datetime) -> int:
    body = json.dumps(payload, ensure_ascii=False, default=str)
    return await repository.insert_deliveries(conn, operator_codes=operator_codes, event_id=event_id,
                                              event_kind=event_kind, body=body, now=now)


async def fan_out_many(conn: AsyncConnection, *, event_kind: str,
                       events: list[tuple[list[str], str, dict[str, Any]]], now: datetime) -> None:
    """`fan_out` of many events of one kind, (operators, event id, payload) each, in one executemany."""
    if not events:
        return
    if len(events) == 1:
        ops, eid, payload = events[0]
        await repository.queue_deliveries(conn, operator_codes=ops, event_id=eid, event_kind=event_kind,
                                          body=json.dumps(payload, ensure_ascii=False, default=str), now=now)
        return
    interested = await repository.interested_operators(conn, event_kind)
    wanted = {str(o).strip() for o in interested}
    rows = [(ops, eid, json.dumps(payload, ensure_ascii=False, default=str))
            for ops, eid, payload in events if wanted & set(ops)]
    if rows:
        await repository.insert_deliveries_many(conn, event_kind=event_kind, events=rows, now=now)


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
    row = await repository.insert_webhook(conn, caller.operator_code, hook.url, secret, hook.kinds)
    await write(conn, actor.entry("webhook.create", resource_type="webhook", resource_ids=[str(row["id"])],
                                  detail={"url": hook.url, "event_kinds": hook.kinds}))
    return {"id": row["id"], "url": hook.url, "event_kinds": hook.kinds, "secret": secret, "active": True,
            "created_at": row["created_at"].isoformat()}


async def list_webhooks(conn: AsyncConnection, caller: Caller) -> list[dict[str, Any]]:
    permissions.check(caller, MANAGE)
    rows = await repository.webhooks_of(conn, caller.operator_code)
    return [{**r, "created_at": r["created_at"].isoformat()} for r in rows]


async def delete_owned(conn: AsyncConnection, actor: Actor, table: str, item_id: int) -> None:
    """Stop one of the operator's webhooks or remove one of its subscriptions (anyone else's: 404)."""
    caller = actor.caller
    permissions.check(caller, MANAGE)
    if table not in ("webhooks", "subscriptions"):
        raise ValueError(table)
    remove = repository.deactivate_webhook if table == "webhooks" else repository.delete_subscription
    if not await remove(conn, item_id, caller.operator_code):
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
    sub_id = await repository.upsert_subscription(conn, caller.operator_code, email, kind, caller.user_login)
    await write(conn, actor.entry("subscription.create", resource_type="subscription", resource_ids=[str(sub_id)],
                                  detail={"email": email, "event_kind": kind}))
    return {"id": sub_id, "email": email, "event_kind": kind}


async def list_subscriptions(conn: AsyncConnection, caller: Caller) -> list[dict[str, Any]]:
    permissions.check(caller, MANAGE)
    return await repository.subscriptions_of(conn, caller.operator_code)


async def delivery_log(conn: AsyncConnection, caller: Caller, page: int, per_page: int, status: str = "",
                       kind: str = "") -> dict[str, Any]:
    """One page of the operator's delivery log, newest first, optionally of one status and kind."""
    permissions.check(caller, MANAGE)
    issues = IssueCollector()
    if status and status not in DELIVERY_STATUSES:
        issues.add("status", "invalid_code", "状態は pending / delivered / failed のいずれかです",
                   "status must be pending, delivered or failed")
    if kind and kind not in DELIVERY_KINDS:
        issues.add("event_kind", "unknown_event_kind", "指定できないイベント種別です", "Unknown event kind")
    issues.raise_if_any()
    total = await repository.count_deliveries(conn, caller.operator_code, status, kind)
    rows = await repository.deliveries_page(conn, caller.operator_code, (page - 1) * per_page, per_page, status, kind)
    items = [{k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in r.items()} for r in rows]
    return {"total": int(total), "page": page, "per_page": per_page, "items": items}


async def send_test_delivery(conn: AsyncConnection, actor: Actor, webhook_id: int, now: datetime) -> dict[str, Any]:
    """Queue a `webhook.test` delivery to one of the operator's active webhooks; the worker sends it
    through the same signed, policy-checked path as every event, and the log shows its outcome."""
    caller = actor.caller
    permissions.check(caller, MANAGE)
    event_id = f"test:{secrets.token_hex(8)}"
    body = json.dumps({"message": "スイッチング支援システムからのテスト配信です", "webhook_id": webhook_id,
                       "requested_by": caller.user_login}, ensure_ascii=False)
    delivery_id = await repository.insert_test_delivery(conn, webhook_id, caller.operator_code, event_id, body, now)
    if delivery_id is None:
        raise NotFound()
    await write(conn, actor.entry("webhook.test", resource_type="webhook", resource_ids=[str(webhook_id)],
                                  detail={"delivery_id": delivery_id, "event_id": event_id}))
    return {"delivery_id": delivery_id, "event_id": event_id, "status": "pending"}


async def operator_users(conn: AsyncConnection, caller: Caller) -> list[dict[str, Any]]:
    """The people of the caller's operator an admin can subscribe (login ID, name, e-mail)."""
    permissions.check(caller, MANAGE)
    return await repository.users_with_email(conn, caller.operator_code)


async def subscribe_user(conn: AsyncConnection, actor: Actor, login_id: str, kinds: list[str]) -> list[dict[str, Any]]:
    """Subscribe one user of the actor's operator (by its registered e-mail address) to event kinds:
    the Web page's "per user and event kind" form; another operator's user is no choice (field error)."""
    caller = actor.caller
    permissions.check(caller, MANAGE)
    issues = IssueCollector()
    users = {u["login_id"]: u for u in await repository.users_with_email(conn, caller.operator_code)}
    if login_id not in users:
        issues.add("login_id", "unknown_user", "自社の利用者（メールアドレス登録済み）を選択してください",
                   "Choose a user of your operator with an e-mail address")
    if not kinds:
        issues.add("event_kinds", "required", "イベント種別を1つ以上選択してください", "Choose at least one event kind")
    _check_kinds(kinds, "event_kinds", issues)
    issues.raise_if_any()
    email = users[login_id]["email"]
    return [await create_subscription(conn, actor, email, kind) for kind in kinds]
