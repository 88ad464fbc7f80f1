"""Sending at Telegram's limit, never above it, shared by broadcasts and interactive replies.

- Global: sends are paced on a fixed schedule of 1/rate seconds (a late loop catches up instead of
  drifting below the rate, never faster than two sends per interval), and a sliding one-second
  window guarantees no second ever holds more than `rate` sends, whatever the scheduler does.
- Interactive replies are never delayed: they are only counted, so a broadcast yields the slots
  they take and a person pressing a button is answered at once.
- Per chat: at most one broadcast message per chat per second.
- A 429 pauses every broadcast send for `retry_after`, once: answers to requests that were already
  in flight when the pause began do not extend it.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable


class SendLimiter:
    def __init__(
        self,
        rate: float = 29.0,
        *,
        per_chat_interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.set_rate(rate)
        self.per_chat_interval = per_chat_interval
        self._clock = clock
        self._window: deque[float] = deque()
        self._next_slot = 0.0
        self._pause_until = 0.0
        self.generation = 0
        self.pauses: list[tuple[float, float]] = []  # (started, seconds), for stats and tests
        self._chat_free: OrderedDict[int, float] = OrderedDict()
        self._lock = asyncio.Lock()

    def set_rate(self, rate: float) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.capacity = max(1, math.floor(rate))
        self.interval = 1.0 / rate

    def _trim(self, now: float) -> None:
        while self._window and self._window[0] <= now - 1.0:
            self._window.popleft()

    def note_interactive(self) -> None:
        """Count a reply that went out without waiting."""
        now = self._clock()
        self._trim(now)
        self._window.append(now)

    @property
    def paused_until(self) -> float:
        return self._pause_until

    async def acquire(self, chat_id: int) -> int:
        """Wait for a broadcast slot for this chat; returns the pause generation it was sent in."""
        while True:
            generation = await self._global_slot()
            await self._wait_for_chat(chat_id)
            if generation == self.generation and self._clock() >= self._pause_until:
                return generation
            # A 429 arrived while this send waited for its chat: wait out the pause first.

    async def _global_slot(self) -> int:
        async with self._lock:
            while True:
                now = self._clock()
                self._trim(now)
                waits = [self._pause_until - now, self._next_slot - now]
                if len(self._window) >= self.capacity:
                    waits.append(self._window[0] + 1.0 - now)
                wait = max(waits)
                if wait <= 0:
                    break
                await asyncio.sleep(wait)
            # Keep the schedule (a late wake-up is made up for, so the rate does not drift
            # down), but never let two grants come closer than half an interval: idle time is
            # never banked into a burst that Telegram, counting arrivals, would see as 31.
            self._next_slot = max(self._next_slot + self.interval, now + self.interval / 2)
            self._window.append(now)
            return self.generation

    async def _wait_for_chat(self, chat_id: int) -> None:
        now = self._clock()
        free_at = self._chat_free.get(chat_id, 0.0)
        if free_at > now:
            await asyncio.sleep(free_at - now)
        self._chat_free[chat_id] = max(now, free_at) + self.per_chat_interval
        self._chat_free.move_to_end(chat_id)
        # Forget chats whose second has passed: this map must not grow with the audience.
        while self._chat_free:
            oldest, at = next(iter(self._chat_free.items()))
            if at > now or len(self._chat_free) < 2:
                break
            del self._chat_free[oldest]

    def retry_after(self, generation: int, seconds: float) -> bool:
        """Obey a 429 once; stale answers from before the current pause are ignored."""
        if generation != self.generation:
            return False
        now = self._clock()
        self._pause_until = now + seconds
        self.generation += 1
        self.pauses.append((now, seconds))
        return True
