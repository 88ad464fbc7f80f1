"""Updates from people are handled before broadcast sends: the one event loop serves both.

During a paid broadcast the loop is busy with hundreds of sends a second, and a person's button
press waits its turn behind them (p99 71 ms in bench/RESULTS.md). The update processor counts the
updates being handled; the limiter holds broadcast sends that are due, briefly and boundedly,
while any are, so a person in danger is answered first and a warning is delayed by milliseconds.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from typing import Any

from telegram.ext import SimpleUpdateProcessor

# The longest one broadcast send waits for people: a steady stream of presses (or a flood that
# got past the flood gate) must slow warnings down, never stop them.
MAX_YIELD_SECONDS = 0.05


class PeopleFirst(SimpleUpdateProcessor):
    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self._busy = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        self._busy += 1
        self._idle.clear()
        try:
            await coroutine
        finally:
            self._busy -= 1
            if self._busy == 0:
                self._idle.set()

    async def yield_to_people(self) -> None:
        """Return once no update is being handled, or after MAX_YIELD_SECONDS."""
        if self._busy == 0:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), MAX_YIELD_SECONDS)
