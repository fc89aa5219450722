"""The webhook signature helper accepts exactly what the hub signs: the hub's own signer
(hub/notify/delivery.py `sign`, the function its delivery worker calls) produces the header, the
client verifies it, and any change of body, timestamp or secret, or an old timestamp, is refused."""

from __future__ import annotations

import json
import time

import pytest

from switchhub.client import InvalidSignature, parse_webhook, verify_signature
from switchhub.hub.notify.delivery import sign as hub_sign

SECRET = "whsec-test-0123456789"
EVENT = {"id": "ev-1", "kind": "relay.decided", "occurred_at": "2026-12-01T10:00:00+09:00",
         "data": {"relay_no": "R0300000001", "status_name": "OK"}}


def _delivery(now: int) -> tuple[dict[str, str], bytes]:
    body = json.dumps(EVENT, ensure_ascii=False).encode()
    ts = str(now)
    return {"X-Switchhub-Timestamp": ts, "X-Switchhub-Signature": hub_sign(SECRET, ts, body),
            "Content-Type": "application/json"}, body


def test_the_hubs_signature_verifies_and_the_event_is_returned():
    now = int(time.time())
    headers, body = _delivery(now)
    assert verify_signature(SECRET, body, timestamp=headers["X-Switchhub-Timestamp"],
                            signature=headers["X-Switchhub-Signature"])
    lower = {k.lower(): v for k, v in headers.items()}  # header names are case-insensitive
    assert parse_webhook(SECRET, lower, body) == EVENT


@pytest.mark.parametrize("change", ["body", "timestamp", "secret", "old", "missing"])
def test_a_tampered_or_replayed_delivery_is_refused(change):
    now = int(time.time())
    headers, body = _delivery(now)
    secret = SECRET
    if change == "body":
        body = body.replace(b"R0300000001", b"R0300000002")
    elif change == "timestamp":
        headers["X-Switchhub-Timestamp"] = str(now + 1)
    elif change == "secret":
        secret = SECRET + "x"
    elif change == "old":
        headers, body = _delivery(now - 3600)
    else:
        del headers["X-Switchhub-Signature"]
    with pytest.raises(InvalidSignature):
        parse_webhook(secret, headers, body)
    # without the age check an old delivery is still the hub's
    if change == "old":
        assert parse_webhook(secret, headers, body, tolerance_s=None) == EVENT
