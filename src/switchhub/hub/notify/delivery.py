"""Sending deliveries after commit: e-mail over SMTP and HMAC-signed webhooks, retried with
back-off (1 min doubling to 1 h) for 24 hours, then marked failed. Each attempt is logged."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from switchhub.hub.notify.service import EVENT_KINDS

log = logging.getLogger("switchhub.notify")
GIVE_UP_AFTER = timedelta(hours=24)


@dataclass(frozen=True)
class SmtpConfig:
    host: str = "127.0.0.1"
    port: int = 8025
    sender: str = "switchhub@localhost"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def verify_signature(secret: str, timestamp: str, body: bytes, header: str) -> bool:
    return hmac.compare_digest(sign(secret, timestamp, body), header)


def _mail(smtp: SmtpConfig, to: str, kind: str, payload: dict[str, Any]) -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"] = smtp.sender, to
    msg["Subject"] = f"【スイッチング支援システム】{EVENT_KINDS.get(kind, kind)}のお知らせ"
    lines = [f"{EVENT_KINDS.get(kind, kind)}がありました。", ""]
    labels = {"relay_no": "廃止取次番号", "application_no": "申込番号", "spid": "供給地点特定番号",
              "status_name": "ステータス", "to_stage": "受付工程", "switch_date": "スイッチング予定日"}
    lines += [f"{labels[k]}: {payload[k]}" for k in labels if payload.get(k)]
    lines += ["", "詳細はスイッチング支援システムでご確認ください。"]
    msg.set_content("\n".join(lines), charset="utf-8")
    return msg


async def _send(row: Any, smtp: SmtpConfig, http: httpx.AsyncClient, secret: str | None, now: datetime) -> None:
    if row.channel == "email":
        import aiosmtplib

        await aiosmtplib.send(_mail(smtp, row.target, row.event_kind, row.payload), hostname=smtp.host,
                              port=smtp.port, timeout=10)
        return
    body = json.dumps({"id": row.event_id, "kind": row.event_kind, "occurred_at": row.created_at.isoformat(),
                       "data": row.payload}, ensure_ascii=False).encode()
    ts = str(int(now.timestamp()))
    resp = await http.post(row.target, content=body, headers={
        "content-type": "application/json", "X-Switchhub-Event": row.event_kind,
        "X-Switchhub-Delivery": str(row.id), "X-Switchhub-Timestamp": ts,
        "X-Switchhub-Signature": sign(secret or "", ts, body)})
    if not 200 <= resp.status_code < 300:
        raise RuntimeError(f"HTTP {resp.status_code}")


async def deliver_due(engine: AsyncEngine, *, smtp: SmtpConfig, now: datetime, limit: int = 50,
                      http_client: httpx.AsyncClient | None = None) -> int:
    """Send due deliveries, one short transaction each; returns how many were delivered."""
    http = http_client or httpx.AsyncClient(timeout=10)
    delivered = 0
    try:
        for _ in range(limit):
            async with engine.begin() as conn:
                row = (await conn.execute(text(
                    "SELECT d.*, w.secret FROM deliveries d LEFT JOIN webhooks w ON w.id = d.webhook_id"
                    " WHERE d.status = 'pending' AND d.next_attempt_at <= :now ORDER BY d.next_attempt_at, d.id"
                    " LIMIT 1 FOR UPDATE OF d SKIP LOCKED"), {"now": now})).first()
                if row is None:
                    break
                first = row.first_attempt_at or now
                try:
                    await _send(row, smtp, http, row.secret, now)
                except Exception as exc:
                    attempts = row.attempts + 1
                    failed = now - first >= GIVE_UP_AFTER
                    await conn.execute(text(
                        "UPDATE deliveries SET attempts = :a, first_attempt_at = :f, last_error = :e,"
                        " status = :s, next_attempt_at = :next WHERE id = :id"),
                        {"a": attempts, "f": first, "e": repr(exc)[:300], "s": "failed" if failed else "pending",
                         "next": now + timedelta(seconds=min(60 * 2 ** (attempts - 1), 3600)), "id": row.id})
                    continue
                await conn.execute(text(
                    "UPDATE deliveries SET attempts = attempts + 1, first_attempt_at = :f, status = 'delivered',"
                    " delivered_at = :now, last_error = '' WHERE id = :id"), {"f": first, "now": now, "id": row.id})
                delivered += 1
    finally:
        if http_client is None:
            await http.aclose()
    return delivered
