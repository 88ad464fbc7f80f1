"""Telegram's flood limits for new messages, on real monotonic time.

Telegram answers 429 with `retry_after` when a bot sends too fast: about 30 messages a second
overall (up to 1000 with paid broadcasts), about one a second per private chat with a short burst,
and 20 a minute per group. A bot that broadcasts alerts must pace itself; the emulator makes it
find out in tests instead of in a crisis. Only accepted sends use capacity.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from bot.emulator.errors import too_many_requests


class SlidingWindow:
    """At most `rate` events per second, judged over any window (not fixed clock seconds)."""

    def __init__(self, rate: float, span: float = 1.0) -> None:
        # A rate below one per span still allows one event, then a longer wait.
        self.capacity = max(1, math.floor(rate * span))
        self.span = self.capacity / rate
        self.times: deque[float] = deque()

    def wait(self, now: float) -> float:
        while self.times and self.times[0] <= now - self.span:
            self.times.popleft()
        if len(self.times) < self.capacity:
            return 0.0
        return self.times[len(self.times) - self.capacity] + self.span - now

    def take(self, now: float) -> None:
        self.times.append(now)


class TokenBucket:
    """`rate` tokens a second up to `burst`: a short burst, then a steady pace."""

    def __init__(self, rate: float, burst: int, now: float) -> None:
        self.rate = rate
        self.burst = max(1, burst)
        self.tokens = float(self.burst)
        self.stamp = now

    def refill(self, now: float) -> None:
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def wait(self, now: float) -> float:
        self.refill(now)
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self, now: float) -> None:
        self.refill(now)
        self.tokens -= 1


@dataclass
class Limits:
    """The configured rates; None switches a limit off."""

    global_per_second: float | None = 30.0
    per_chat_per_second: float | None = 1.0
    per_chat_burst: int = 3
    paid_per_second: float | None = 1000.0
    per_group_per_minute: int | None = 20


class RateLimiter:
    """Decides whether a new message may go out now, or how long the bot must wait."""

    def __init__(self, limits: Limits, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.configure(limits)

    def configure(self, limits: Limits) -> None:
        """New limits start with fresh counters, as if the bot had been quiet."""
        self.limits = limits
        self._global = _window(limits.global_per_second, 1.0)
        self._paid = _window(limits.paid_per_second, 1.0)
        self._chats: dict[int, TokenBucket] = {}
        self._groups: dict[int, SlidingWindow] = {}

    def acquire(self, chat_id: int, *, paid: bool = False) -> None:
        """Count one new message to `chat_id`, or raise the 429 Telegram would answer."""
        now = self.clock()
        gates = self._gates(chat_id, paid, now)
        wait = max((gate.wait(now) for gate in gates), default=0.0)
        if wait > 0:
            raise too_many_requests(wait)
        for gate in gates:
            gate.take(now)

    def _gates(self, chat_id: int, paid: bool, now: float) -> list[SlidingWindow | TokenBucket]:
        gates: list[SlidingWindow | TokenBucket] = []
        overall = self._paid if paid else self._global
        if overall is not None:
            gates.append(overall)
        if chat_id < 0:
            group = self._group(chat_id)
            if group is not None:
                gates.append(group)
        else:
            bucket = self._bucket(chat_id, now)
            if bucket is not None:
                gates.append(bucket)
        return gates

    def _bucket(self, chat_id: int, now: float) -> TokenBucket | None:
        rate = self.limits.per_chat_per_second
        if rate is None:
            return None
        bucket = self._chats.get(chat_id)
        if bucket is None:
            bucket = self._chats[chat_id] = TokenBucket(rate, self.limits.per_chat_burst, now)
        return bucket

    def _group(self, chat_id: int) -> SlidingWindow | None:
        per_minute = self.limits.per_group_per_minute
        if per_minute is None:
            return None
        window = self._groups.get(chat_id)
        if window is None:
            window = self._groups[chat_id] = SlidingWindow(per_minute / 60.0, 60.0)
        return window


def _window(rate: float | None, span: float) -> SlidingWindow | None:
    return None if rate is None else SlidingWindow(rate, span)
