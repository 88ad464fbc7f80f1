"""Per-partner request limits: one partner's script gone wrong must not starve the others."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    stamp: float


class PartnerLimiter:
    """A token bucket per partner: `burst` requests at once, refilled at `per_minute`."""

    def __init__(
        self, per_minute: float = 120, burst: int = 30, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = per_minute / 60.0
        self.burst = burst
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}

    def take(self, partner_id: str) -> float:
        """0 if the request may go ahead, else the seconds until it may."""
        now = self._clock()
        bucket = self._buckets.setdefault(partner_id, _Bucket(float(self.burst), now))
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.stamp) * self.rate)
        bucket.stamp = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / self.rate
