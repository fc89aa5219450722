"""The daily expiry warning of client certificates (keyed by the JST date: one run a day however
many workers schedule it). Each certificate expiring within 30 days is announced once, and once
more within 7 days, as `certificate.expiring` to its operator and to OCCTO (whose admins renew it)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.db.jobs import enqueue
from switchhub.hub.audit.context import build
from switchhub.hub.audit.repository import write
from switchhub.hub.certificates import repository
from switchhub.hub.notify.publish import publish
from switchhub.kernel.clock import JST

WARN_EXPIRING = "certificates.warn_expiring"
EVENT_KIND = "certificate.expiring"
#: warning thresholds in days, largest first: a certificate is warned once per band (30, 7] and (7, 0]
THRESHOLDS = (30, 7)


async def schedule(conn: AsyncConnection, now: datetime) -> None:
    await enqueue(conn, WARN_EXPIRING, now.astimezone(JST).date().isoformat(), now)


async def warn_expiring(conn: AsyncConnection, now: datetime) -> int:
    """Announce the certificates newly inside a warning band; returns how many warnings went out."""
    occto = await repository.occto_operator_codes(conn)
    sent = 0
    for i, days in enumerate(THRESHOLDS):
        lower = THRESHOLDS[i + 1] if i + 1 < len(THRESHOLDS) else 0
        for cert in await repository.claim_warnings(conn, days, lower, now):
            fp, op = cert["fingerprint"].strip(), cert["operator_code"].strip()
            data = {"fingerprint": fp, "subject": cert["subject"], "operator_code": op, "purpose": cert["purpose"],
                    "not_after": cert["not_after"].isoformat(), "threshold_days": days,
                    "days_left": (cert["not_after"] - now).days}
            await publish(conn, EVENT_KIND, [op, *occto], data, f"{EVENT_KIND}:{fp}:{days}", now)
            await write(conn, build("system.certificate.expiry_warned", operator_code=op,
                                    resource_type="client_certificate", resource_ids=[fp],
                                    detail={"threshold_days": days, "not_after": data["not_after"]}))
            sent += 1
    return sent


async def _handle(conn: AsyncConnection, payload: dict[str, Any], now: datetime) -> None:
    await warn_expiring(conn, now)


HANDLERS = {WARN_EXPIRING: _handle}
