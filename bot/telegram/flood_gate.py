"""Per-person flood control: one account must not slow Waymark down for everyone else.

A person gets a generous burst; past it, one polite notice, then their updates are dropped for a
cooling-off period. State is in memory only and keyed by chat id for seconds, never stored.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

BURST = 30  # updates at once: tapping through a checklist is quick
REFILL_PER_SECOND = 2.0  # sustained: two taps a second, every second, is already a lot
COOL_OFF_SECONDS = 60.0
MAX_TRACKED = 100_000  # forget the oldest buckets past this; memory stays bounded


@dataclass
class _Bucket:
    tokens: float
    stamp: float
    quiet_until: float = 0.0


class FloodGate:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[int, _Bucket] = {}

    def check(self, chat_id: int) -> str:
        """Say "ok", "notice" (the first update over the limit), or "drop"."""
        now = self._clock()
        bucket = self._buckets.get(chat_id)
        if bucket is None:
            if len(self._buckets) >= MAX_TRACKED:
                self._buckets.pop(next(iter(self._buckets)))
            bucket = self._buckets[chat_id] = _Bucket(BURST, now)
        if now < bucket.quiet_until:
            return "drop"
        bucket.tokens = min(BURST, bucket.tokens + (now - bucket.stamp) * REFILL_PER_SECOND)
        bucket.stamp = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return "ok"
        bucket.quiet_until = now + COOL_OFF_SECONDS
        bucket.tokens = BURST
        return "notice"
