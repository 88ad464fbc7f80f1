"""Wake-ups for long polls: a waiter sleeps until something changed instead of polling in a loop."""

from __future__ import annotations

import asyncio


class Signal:
    """A broadcast "something changed": every waiter wakes, later waiters wait for the next one."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    def waiter(self) -> asyncio.Event:
        """Take this before checking the condition, so a change in between is not missed."""
        return self._event


async def wait_for(event: asyncio.Event, seconds: float) -> bool:
    """True if `event` fired within `seconds`."""
    if seconds <= 0:
        return event.is_set()
    try:
        await asyncio.wait_for(event.wait(), seconds)
    except TimeoutError:
        return False
    return True


class KeyedSignals:
    """One Signal per key (a chat), created on demand."""

    def __init__(self) -> None:
        self._signals: dict[int, Signal] = {}

    def fire(self, key: int) -> None:
        signal = self._signals.pop(key, None)
        if signal is not None:
            signal.fire()

    def waiter(self, key: int) -> asyncio.Event:
        signal = self._signals.get(key)
        if signal is None:
            signal = self._signals[key] = Signal()
        return signal.waiter()
