"""One benchmark's world: an emulator process, its control client, a data directory, the bots.

`async with Stage(ctx, "name", limits) as stage:` starts the emulator; stage.seed() fills the data
directory; stage.start_waymark() runs the bot. Leaving the block stops every process it started.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import aiohttp

from bench import seed as seeding
from bench.measure import Follower, accepted_sends
from bench.procs import (
    BotSettings,
    CpuMeter,
    Proc,
    WaymarkProc,
    start_echo_bot,
    start_emulator,
    start_waymark,
)
from bot.emulator.client import EmulatorClient

_started = time.monotonic()


def log(message: str) -> None:
    """Progress on stderr, with the time since the runner started."""
    print(f"[{time.monotonic() - _started:7.1f}s] {message}", file=sys.stderr, flush=True)


@dataclass
class Context:
    """Shared by the benchmarks of one run."""

    quick: bool
    workdir: Path
    notes: list[str] = field(default_factory=list)
    paid_concurrency: int | None = None  # chosen by fanout-paid, reused by interactive-latency


@dataclass(frozen=True)
class Limits:
    global_per_second: float | None = 30.0
    per_chat_per_second: float | None = 1.0
    paid_per_second: float | None = 1000.0


NO_LIMITS = Limits(None, None, None)
ALERT_BODY: dict[str, Any] = {
    "severity": "Severe",
    "urgency": "Immediate",
    "certainty": "Likely",
    "expires_in_minutes": 120,
    "texts": {
        "en": {
            "headline": "Shelling expected near the river bridge",
            "body": "Avoid the bridge and the market road until further notice.",
            "instruction": "Stay indoors, away from windows.",
        }
    },
}


class Stage:
    def __init__(self, ctx: Context, name: str, limits: Limits) -> None:
        self.ctx = ctx
        self.name = name
        self.limits = limits
        self.dir = ctx.workdir / name
        self.data_dir = self.dir / "data"
        self.partner_token = ""
        self.emulator: Proc | None = None
        self.bot: Proc | None = None
        self.client = EmulatorClient("http://127.0.0.1:1", max_connections=400)
        self.follower = Follower(self.client)
        self.url = ""
        self._http: aiohttp.ClientSession | None = None
        self._keys = itertools.count(1)
        self._bots = itertools.count(1)

    async def __aenter__(self) -> Stage:
        self.dir.mkdir(parents=True, exist_ok=True)
        self.emulator, self.url = await start_emulator(
            self.dir,
            global_per_second=self.limits.global_per_second,
            per_chat_per_second=self.limits.per_chat_per_second,
            paid_per_second=self.limits.paid_per_second,
        )
        self.client.url = self.url
        self._http = aiohttp.ClientSession(trust_env=False)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop_bot()
        if self._http is not None:
            await self._http.close()
        await self.client.close()
        if self.emulator is not None:
            await self.emulator.stop()

    # --- people ----------------------------------------------------------------------------

    def use_data_dir(self, name: str) -> None:
        """Start over with a fresh database for the next bot (the emulator keeps its users):
        a bot stopped mid-broadcast would otherwise resume that broadcast when it starts."""
        self.data_dir = self.dir / name
        self.partner_token = ""

    async def seed(self, groups: Sequence[seeding.Group]) -> None:
        """The groups into the database (once, before the bot starts) and into the emulator."""
        log(f"{self.name}: seeding {sum(g.count for g in groups):,} people")
        if not self.partner_token:
            self.partner_token = await asyncio.to_thread(seeding.add_partner, self.data_dir)
        await asyncio.to_thread(seeding.seed, self.data_dir, groups)
        for group in groups:
            await self.client.create_users(group.first_id, group.count)

    async def set_limits(self, limits: Limits) -> None:
        await self.client.set_limits(
            global_per_second=limits.global_per_second,
            per_chat_per_second=limits.per_chat_per_second,
            paid_per_second=limits.paid_per_second,
        )

    async def open_screens(self, users: Sequence[int], parallel: int = 40) -> dict[int, int]:
        """Each user sends /start and gets Waymark's menu; returns user -> menu message id.
        Limits are off meanwhile (a crowd arriving at once is not what is measured)."""
        await self.set_limits(NO_LIMITS)
        gate = asyncio.Semaphore(parallel)
        screens: dict[int, int] = {}

        async def start(user: int) -> None:
            async with gate:
                view = await self.client.send_and_wait(user, "/start", timeout=30, quiet_ms=60)
                last = view.last_bot
                assert last is not None, "Waymark did not answer /start"
                screens[user] = last.message_id

        await asyncio.gather(*(start(user) for user in users))
        await self.set_limits(self.limits)
        return screens

    # --- bots ------------------------------------------------------------------------------

    async def start_waymark(self, settings: BotSettings) -> WaymarkProc:
        await self.stop_bot()
        await self.follower.poll()
        mark = self.follower.seq
        proc = await start_waymark(
            self.dir,
            self.data_dir,
            self.url,
            self.partner_token,
            settings,
            f"{self.name}-{next(self._bots)}",
        )
        self.bot = proc
        await self._polling(mark)
        return proc

    async def start_echo_bot(self, transport: str = "httpx") -> Proc:
        await self.stop_bot()
        await self.follower.poll()
        mark = self.follower.seq
        self.bot = await start_echo_bot(self.dir, self.url, transport)
        await self._polling(mark)
        return self.bot

    async def _polling(self, mark: int) -> None:
        """Until the bot polls. A getUpdates is recorded only once it returns, but PTB's
        start_polling calls deleteWebhook just before its first one."""
        async with asyncio.timeout(30):
            while not any(r["method"] == "deleteWebhook" for r in self.follower.after(mark)):
                await asyncio.sleep(0.05)
                await self.follower.poll()
        await asyncio.sleep(0.2)

    async def stop_bot(self) -> None:
        if self.bot is not None:
            await self.bot.stop()
            self.bot = None

    def meter(self) -> CpuMeter:
        procs = [p for p in (self.bot, self.emulator) if p is not None]
        meter = CpuMeter(procs)
        meter.start()
        return meter

    # --- the partner API -------------------------------------------------------------------

    async def post_alert(self, region: str) -> tuple[str, float]:
        """Publish through the partner API; returns the alert id and the moment just before the
        request (time.monotonic, the transcript's clock)."""
        assert isinstance(self.bot, WaymarkProc) and self._http is not None
        headers = {
            "Authorization": f"Bearer {self.partner_token}",
            "Idempotency-Key": f"{self.name}-{next(self._keys)}",
        }
        body = {**ALERT_BODY, "regions": [region]}
        started = time.monotonic()
        async with self._http.post(
            f"{self.bot.api_url}/v1/alerts", json=body, headers=headers
        ) as response:
            data = await response.json()
            if response.status != 201:
                raise RuntimeError(f"the partner API refused the alert: {response.status} {data}")
        return str(data["id"]), started

    async def alert(self, alert_id: str) -> dict[str, Any]:
        assert isinstance(self.bot, WaymarkProc) and self._http is not None
        headers = {"Authorization": f"Bearer {self.partner_token}"}
        async with self._http.get(
            f"{self.bot.api_url}/v1/alerts/{alert_id}", headers=headers
        ) as response:
            data: dict[str, Any] = await response.json()
            return data

    async def settle(self, method: str = "answerCallbackQuery", idle: float = 2.0) -> None:
        """Until the bot made no `method` call for `idle` seconds (at most a minute): answers
        still on their way when the load stopped are counted, not lost."""
        loop = asyncio.get_running_loop()
        end, moved = loop.time() + 60, loop.time()
        while loop.time() < end and loop.time() - moved < idle:
            await asyncio.sleep(0.25)
            if any(r["method"] == method for r in await self.follower.poll()):
                moved = loop.time()

    async def wait_for_sends(
        self,
        expected: int,
        after_seq: int,
        *,
        within: float,
        stall: float = 30.0,
    ) -> int:
        """Poll the transcript until `expected` sends were accepted after `after_seq`, nothing
        moved for `stall` seconds, or `within` seconds passed; returns how many were accepted."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        done, moved = 0, loop.time()
        last_report = loop.time()
        while done < expected and loop.time() < deadline and loop.time() - moved < stall:
            await asyncio.sleep(1.0)
            new = await self.follower.poll()
            fresh = len(accepted_sends(r for r in new if r["seq"] > after_seq))
            if fresh:
                done += fresh
                moved = loop.time()
            if loop.time() - last_report > 15:
                log(f"{self.name}: {done:,}/{expected:,} sent")
                last_report = loop.time()
        with contextlib.suppress(Exception):
            await self.follower.poll()
        return done
