"""Per-operator token bucket (api.md: default 1 request/second sustained, burst 10).

Kept in the hub process: a limit is a property of the serving process, and with
several hub processes behind a proxy each gets rate/N (documented in docs/scaling.md).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    updated: float


class TokenBuckets:
    def __init__(self, rate: float, burst: int, clock=time.monotonic) -> None:
        self.rate, self.burst, self._clock = rate, burst, clock
        self._buckets: dict[str, _Bucket] = {}

    def take(self, key: str, cost: float = 1.0) -> tuple[bool, float, float]:
        """(allowed, tokens remaining, seconds until one token is available)."""
        now = self._clock()
        b = self._buckets.get(key)
        if b is None:
            b = self._buckets[key] = _Bucket(float(self.burst), now)
        b.tokens = min(float(self.burst), b.tokens + (now - b.updated) * self.rate)
        b.updated = now
        if b.tokens >= cost:
            b.tokens -= cost
            return True, b.tokens, 0.0
        return False, b.tokens, (cost - b.tokens) / self.rate if self.rate > 0 else math.inf

    def peek(self, key: str) -> tuple[float, float]:
        """(tokens remaining, 0) without taking one: for answers given before the limit applies."""
        b = self._buckets.get(key)
        if b is None:
            return float(self.burst), 0.0
        return min(float(self.burst), b.tokens + (self._clock() - b.updated) * self.rate), 0.0

    def headers(self, remaining: float, wait: float) -> dict[str, str]:
        reset = max(0, math.ceil(wait if wait else (self.burst - remaining) / self.rate if self.rate else 0))
        return {"RateLimit-Limit": str(self.burst), "RateLimit-Remaining": str(int(remaining)),
                "RateLimit-Reset": str(reset), "RateLimit-Policy": f"{self.burst};w={max(1, round(self.burst / self.rate)) if self.rate else 0}"}
