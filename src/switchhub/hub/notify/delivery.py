"""Sending deliveries after commit: e-mail over SMTP and HMAC-signed webhooks, retried with
back-off (1 min doubling to 1 h); an attempt failing 24 hours or more after the first one is the
last, and the delivery is marked failed. Each attempt updates the log with a short reason code.

Webhooks go only where `urlpolicy` allows, checked again at every attempt (DNS rebinding), and
to the very address that was checked."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

import aiosmtplib
import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from switchhub.hub.notify import repository
from switchhub.hub.notify.service import EVENT_KINDS
from switchhub.hub.notify.urlpolicy import UrlRefused, WebhookPolicy, check_url

log = logging.getLogger("switchhub.notify")
GIVE_UP_AFTER = timedelta(hours=24)


def retry_delay(attempts: int) -> timedelta:
    """After the n-th failed attempt: 1 min, 2, 4, … at most 1 h."""
    return timedelta(seconds=min(60 * 2 ** (attempts - 1), 3600))


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
              "status_name": "ステータス", "to_stage": "受付工程", "switch_date": "スイッチング予定日",
              "type_name": "種別", "target_date": "対象日", "target_month": "対象月", "revision": "版",
              "name": "ファイル名", "title": "件名",
              # issue 9 F: anomaly.found
              "finding_id": "検出番号", "kind_label": "検出内容", "flagged_operator": "対象事業者",
              "flagged_user": "対象ユーザID", "window": "対象期間"}
    lines += [f"{labels[k]}: {payload[k]}" for k in labels if payload.get(k)]
    lines += ["", "詳細はスイッチング支援システムでご確認ください。"]
    msg.set_content("\n".join(lines), charset="utf-8")
    return msg


class DeliveryFailed(Exception):
    """An attempt that reached the receiver and was not accepted; `code` is e.g. http_500."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _caused_by_tls(exc: BaseException | None) -> bool:
    """httpx wraps the ssl error of a failed handshake in a ConnectError; look down the chain."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, ssl.SSLError):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def reason(exc: Exception) -> str:
    """The short reason kept in the delivery log: never a response body or an exception text,
    which may carry a receiver's internals or personal data."""
    if isinstance(exc, (DeliveryFailed, UrlRefused)):
        return exc.code
    if isinstance(exc, (httpx.TimeoutException, aiosmtplib.SMTPTimeoutError)):
        return "timeout"
    if isinstance(exc, httpx.TransportError):
        if _caused_by_tls(exc):
            return "tls_error"
        return "connect_error" if isinstance(exc, httpx.ConnectError) else "transport_error"
    if isinstance(exc, (aiosmtplib.SMTPRecipientsRefused, aiosmtplib.SMTPRecipientRefused,
                        aiosmtplib.SMTPSenderRefused, aiosmtplib.SMTPDataError)):
        return "smtp_refused"
    if isinstance(exc, (aiosmtplib.SMTPConnectError, ConnectionError)):
        return "connect_error"
    if isinstance(exc, aiosmtplib.SMTPException):
        return "smtp_error"
    log.error("delivery failed unexpectedly", exc_info=exc)
    return "internal_error"


async def _post_webhook(http: httpx.AsyncClient, policy: WebhookPolicy, url: str, body: bytes,
                        headers: dict[str, str]) -> None:
    """POST to the address checked just now: the URL names the IP, Host and TLS (SNI and certificate
    verification) name the host, so the answer of a second DNS lookup is never used. No redirects,
    no keep-alive (a pooled connection would skip the hostname check of a later delivery), and the
    response body is never read."""
    target = await check_url(url, policy)
    request = http.build_request("POST", target.pinned_url(), content=body, headers={
        **headers, "Host": target.url.netloc.decode("ascii"), "Connection": "close"},
        extensions={} if target.is_literal else {"sni_hostname": target.hostname})
    response = await http.send(request, stream=True, follow_redirects=False)
    await response.aclose()
    if not 200 <= response.status_code < 300:
        raise DeliveryFailed(f"http_{response.status_code}")


async def _send(row: Any, smtp: SmtpConfig, http: httpx.AsyncClient, policy: WebhookPolicy,
                now: datetime) -> None:
    if row.channel == "email":
        await aiosmtplib.send(_mail(smtp, row.target, row.event_kind, row.payload), hostname=smtp.host,
                              port=smtp.port, timeout=10)
        return
    body = json.dumps({"id": row.event_id, "kind": row.event_kind, "occurred_at": row.created_at.isoformat(),
                       "data": row.payload}, ensure_ascii=False).encode()
    ts = str(int(now.timestamp()))
    await _post_webhook(http, policy, row.target, body, {
        "content-type": "application/json", "X-Switchhub-Event": row.event_kind,
        "X-Switchhub-Delivery": str(row.id), "X-Switchhub-Timestamp": ts,
        "X-Switchhub-Signature": sign(row.secret or "", ts, body)})


def delivery_client() -> httpx.AsyncClient:
    """The default client: public CAs, no proxy from the environment (a proxy would resolve the
    name itself and undo the pinning), no redirects."""
    return httpx.AsyncClient(timeout=10, follow_redirects=False, trust_env=False)


async def deliver_due(engine: AsyncEngine, *, smtp: SmtpConfig, now: datetime, limit: int = 50,
                      http_client: httpx.AsyncClient | None = None,
                      policy: WebhookPolicy | None = None) -> int:
    """Send due deliveries, one short transaction each; returns how many were delivered.

    `policy` carries the resolver and the allow-list (Settings.webhook_allowed_hosts). An injected
    `http_client` must verify certificates (its SSL context checks the name given as SNI)."""
    http = http_client or delivery_client()
    policy = policy or WebhookPolicy()
    delivered = 0
    try:
        for _ in range(limit):
            async with engine.begin() as conn:
                row = await repository.lock_next_due(conn, now)
                if row is None:
                    break
                first = row.first_attempt_at or now
                try:
                    await _send(row, smtp, http, policy, now)
                except Exception as exc:
                    attempts, code = row.attempts + 1, reason(exc)
                    failed = now - first >= GIVE_UP_AFTER
                    log.info("delivery %s attempt %s failed: %s", row.id, attempts, code)
                    await repository.record_failed_attempt(
                        conn, row.id, attempts=attempts, first_attempt_at=first, error=code,
                        status="failed" if failed else "pending", next_attempt_at=now + retry_delay(attempts))
                    continue
                await repository.record_delivered(conn, row.id, first_attempt_at=first, now=now)
                delivered += 1
    finally:
        if http_client is None:
            await http.aclose()
    return delivered
