"""Verifying the hub's webhook signatures (the receiving side of hub/notify/delivery.py).

The hub sends each event as a JSON body with `X-Switchhub-Timestamp` (Unix seconds, set at each
attempt) and `X-Switchhub-Signature: sha256=<hex>`, the HMAC-SHA256 with the webhook's secret over
`timestamp + "." + body`. Verify the raw bytes as received (before any JSON parsing: re-serialising
changes them), in constant time, and refuse old timestamps so a captured delivery cannot be replayed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any

from switchhub.client.errors import SwitchhubClientError

TIMESTAMP_HEADER = "X-Switchhub-Timestamp"
SIGNATURE_HEADER = "X-Switchhub-Signature"
DEFAULT_TOLERANCE_S = 300


class InvalidSignature(SwitchhubClientError):
    """The body, timestamp or signature is not what the hub signed with this secret (or is too old)."""


def signature_of(secret: str, timestamp: str, body: bytes) -> str:
    """The header value the hub computes for this body and timestamp."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify_signature(secret: str, body: bytes, *, timestamp: str, signature: str,
                     tolerance_s: float | None = DEFAULT_TOLERANCE_S, now: float | None = None) -> bool:
    """True when `signature` is the hub's for `body` at `timestamp`, and the timestamp is within
    `tolerance_s` of now (None: no age check)."""
    if tolerance_s is not None:
        try:
            age = abs((time.time() if now is None else now) - int(timestamp))
        except ValueError:
            return False
        if age > tolerance_s:
            return False
    return hmac.compare_digest(signature_of(secret, timestamp, body), signature or "")


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return ""


def parse_webhook(secret: str, headers: Mapping[str, str], body: bytes, *,
                  tolerance_s: float | None = DEFAULT_TOLERANCE_S,
                  now: float | None = None) -> dict[str, Any]:
    """The verified event (`id`, `kind`, `occurred_at`, `data`); InvalidSignature otherwise."""
    ok = verify_signature(secret, body, timestamp=_header(headers, TIMESTAMP_HEADER),
                          signature=_header(headers, SIGNATURE_HEADER), tolerance_s=tolerance_s, now=now)
    if not ok:
        raise InvalidSignature("Webhook の署名を確認できません (signature does not match or is too old)")
    return json.loads(body)
