"""Sending at Telegram's limit, never above it, shared by broadcasts and interactive replies.

- Global: sends are paced on a fixed schedule of 1/rate seconds, each send reserving its time in
  advance (a late event loop catches up instead of drifting below the rate). A sliding window
  bounds what Telegram can see: Telegram counts arrivals, which trail our grants by a few varying
  milliseconds, so the window holds Telegram's per-second allowance over slightly more than a
  second (limit/rate: 1.034 s at 29 of 30/s). Arrivals then stay within the limit for any jitter
  up to that margin, and the window never slows a steady pace.
- Interactive replies are never delayed: they are only counted, so a broadcast yields the slots
  they take and a person pressing a button is answered at once. While a person's update is being
  handled, a broadcast send due now waits (boundedly) before its grant.
- Per chat: at most one broadcast message per chat per second.
- A 429 pauses every broadcast send for `retry_after`, once: answers to requests that were already
  in flight when the pause began do not extend it.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable

MAX_ARRIVAL_JITTER = 0.25  # seconds; the longest window is 1.25 s


class SendLimiter:
    def __init__(
        self,
        rate: float = 29.0,
        *,
        limit: float | None = None,
        per_chat_interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        yield_to: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.limit = limit
        self._yield_to = yield_to
        self.set_rate(rate)
        self.per_chat_interval = per_chat_interval
        self._clock = clock
        self._window: deque[float] = deque()
        self._next_slot = 0.0
        self._pause_until = 0.0
        self.generation = 0
        self.pauses: list[tuple[float, float]] = []  # (started, seconds), for stats and tests
        self._chat_free: OrderedDict[int, float] = OrderedDict()

    def set_rate(self, rate: float) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.interval = 1.0 / rate
        # Telegram's allowance per second (the rate itself when no limit is known), over a window
        # that a steady pace at `rate` just fills; never shorter than a second, and capped so a
        # slow rate under a high limit cannot bank a large burst.
        self.capacity = max(1, math.floor(max(rate, self.limit or rate)))
        self.window = min(max(1.0, self.capacity / rate), 1.0 + MAX_ARRIVAL_JITTER)

    def _trim(self, now: float) -> None:
        while self._window and self._window[0] <= now - self.window:
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
        """Wait for a broadcast slot for this chat; returns the pause generation it was sent in.

        The chat's second is waited out before a global slot is taken: a slot held while waiting
        for the chat would fire late, next to the following grant, and bunch what Telegram sees.
        """
        while True:
            free_at = self._chat_free.get(chat_id, 0.0)
            now = self._clock()
            if free_at > now:
                await asyncio.sleep(free_at - now)
            generation = await self._global_slot()
            now = self._clock()
            if self._chat_free.get(chat_id, 0.0) > now:
                continue  # another send to this chat took its second meanwhile (rare)
            self._claim_chat(chat_id, now)
            if generation == self.generation and now >= self._pause_until:
                return generation
            # A 429 arrived between the slot and now: wait out the pause first.

    async def _global_slot(self) -> int:
        while True:
            now = self._clock()
            # Reserve a time on the schedule at once, then sleep until it, without holding a lock:
            # every waiting send has its own timer, so one late wake-up of the event loop serves
            # all that are due instead of handing a lock on one by one (which alone kept a
            # 970/s limiter at 89 %). The schedule never starts before now: idle time is not
            # banked into a burst.
            slot = max(self._next_slot, now, self._pause_until)
            self._next_slot = slot + self.interval
            generation = self.generation
            if slot > now:
                await asyncio.sleep(slot - now)
            if self._yield_to is not None:
                # People first (bot/telegram/people_first.py): waiting here, before the grant is
                # recorded, keeps what Telegram sees consistent with the window below.
                await self._yield_to()
            while True:
                now = self._clock()
                if generation != self.generation or now < self._pause_until:
                    break  # a 429 came while this send waited: take a slot after the pause
                self._trim(now)
                if len(self._window) < self.capacity:
                    self._window.append(now)
                    return generation
                # The window is what Telegram would see: wait for room in it, keeping this
                # send's place (taking a new slot would drop one from the schedule).
                await asyncio.sleep(self._window[0] + self.window - now)

    def _claim_chat(self, chat_id: int, now: float) -> None:
        self._chat_free[chat_id] = now + self.per_chat_interval
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
        self._next_slot = max(self._next_slot, self._pause_until)
        return True
