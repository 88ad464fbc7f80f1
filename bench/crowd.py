"""Virtual people pressing the buttons of their living message, and one who floods.

Presses are open loop (each person presses on their own schedule, whether or not the bot kept up),
so a slow bot shows up as latency instead of as fewer presses. A press is forged onto the
person's menu message with its real callback data, alternating Help and Menu, so every press
makes Waymark edit the living message and then answer the press.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Mapping

from bench.measure import Press
from bot.emulator.client import EmulatorClient, EmulatorError

SCREENS = ("1|help", "1|menu")


class Crowd:
    def __init__(
        self,
        client: EmulatorClient,
        screens: Mapping[int, int],
        *,
        think: tuple[float, float] = (1.0, 3.0),
        seed: int = 1,
    ) -> None:
        self.client = client
        self.screens = dict(screens)
        self.think = think
        self.random = random.Random(seed)
        self.errors = 0
        self._turn = dict.fromkeys(self.screens, 0)

    async def press(self, user: int, presses: list[Press]) -> None:
        data = SCREENS[self._turn[user] % 2]
        self._turn[user] += 1
        try:
            queued = await self.client.press_timed(
                user, data=data, message_id=self.screens[user], forge=True
            )
        except (EmulatorError, OSError, TimeoutError):
            self.errors += 1
            return
        presses.append(Press(user, queued.t))

    async def run(self, seconds: float) -> list[Press]:
        """Everyone presses at a human pace for `seconds`; returns the presses made."""
        presses: list[Press] = []
        loop = asyncio.get_running_loop()
        end = loop.time() + seconds

        async def person(user: int) -> None:
            # A random phase, so the crowd does not press in step; then a press every think
            # time, on schedule however long the press itself took.
            at = loop.time() + self.random.uniform(0, self.think[1])
            while at < end:
                await asyncio.sleep(max(0.0, at - loop.time()))
                await self.press(user, presses)
                at += self.random.uniform(*self.think)

        await asyncio.gather(*(person(user) for user in self.screens))
        return presses

    async def flood(self, user: int, per_second: float, seconds: float) -> list[Press]:
        """One person pressing `per_second` times a second, on a fixed schedule."""
        presses: list[Press] = []
        loop = asyncio.get_running_loop()
        start = loop.time()
        tasks: set[asyncio.Task[None]] = set()
        n = 0
        while True:
            at = start + n / per_second
            if at >= start + seconds:
                break
            await asyncio.sleep(max(0.0, at - loop.time()))
            task = asyncio.create_task(self.press(user, presses))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            n += 1
        if tasks:
            await asyncio.gather(*tasks)
        return presses
