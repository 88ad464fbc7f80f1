"""throughput: updates per second through the whole of Waymark versus a bare
python-telegram-bot bot (bench/echo_bot.py), on the same emulator with its limits off: once on
Waymark's own aiohttp transport (the target's ratio) and once on PTB's default httpx.

A backlog of button presses is queued at once (many people, a few presses each, below the flood
gate's burst); the figure is presses answered / (last answer - moment the backlog was queued).
Each press costs either bot the same two Bot API calls: edit the message, answer the press.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass

from bench.crowd import SCREENS
from bench.procs import BotSettings
from bench.report import Figure, at_least, info
from bench.seed import Group
from bench.stage import NO_LIMITS, Context, Stage, log

FIRST_ID = 9_000_000_000


@dataclass(frozen=True)
class Drain:
    updates: int
    answered: int
    seconds: float
    cpu: dict[str, float]

    @property
    def per_second(self) -> float:
        return self.answered / self.seconds if self.seconds > 0 else 0.0


async def drain(stage: Stage, screens: Mapping[int, int], rounds: int) -> Drain:
    await stage.follower.poll()
    mark = stage.follower.seq
    backlog = [
        (user, SCREENS[n % 2], message_id)
        for n in range(rounds)
        for user, message_id in screens.items()
    ]
    meter = stage.meter()
    queued = await stage.client.press_many(backlog)
    loop = asyncio.get_running_loop()
    moved, seen = loop.time(), 0
    while seen < len(backlog) and loop.time() - moved < 20:
        await asyncio.sleep(0.5)
        new = await stage.follower.poll()
        fresh = sum(1 for r in new if r["method"] == "answerCallbackQuery")
        if fresh:
            seen += fresh
            moved = loop.time()
    cpu = meter.shares()
    answers = [
        float(r["t"]) for r in stage.follower.after(mark) if r["method"] == "answerCallbackQuery"
    ]
    seconds = max(answers) - queued if answers else 0.0
    return Drain(len(backlog), len(answers), seconds, cpu)


def drain_figures(bench: str, label: str, result: Drain) -> list[Figure]:
    figures = [
        info(bench, f"{label}: updates/s", result.per_second, "upd/s"),
        info(bench, f"{label}: presses answered", result.answered, "count"),
    ]
    for name, share in result.cpu.items():
        figures.append(info(bench, f"{label}: CPU of {name}", share, "%"))
    return figures


async def throughput(ctx: Context) -> list[Figure]:
    bench = "throughput"
    people = 100 if ctx.quick else 1_000
    rounds = 4 if ctx.quick else 6
    group = Group(FIRST_ID, people, None)
    async with Stage(ctx, bench, NO_LIMITS) as stage:
        await stage.seed([group])
        await stage.start_waymark(BotSettings())
        screens = await stage.open_screens(list(group.ids))
        log(f"{bench}: Waymark drains {people * rounds:,} presses")
        waymark = await drain(stage, screens, rounds)
        await stage.start_echo_bot()
        log(f"{bench}: the echo bot drains {people * rounds:,} presses")
        echo = await drain(stage, screens, rounds)
        await stage.start_echo_bot("aiohttp")
        log(f"{bench}: the echo bot on Waymark's transport drains {people * rounds:,} presses")
        same = await drain(stage, screens, rounds)
    # The target is against the bare bot on the same (aiohttp) transport: that ratio is what
    # Waymark itself costs. Against PTB's default httpx it would flatter Waymark.
    return [
        at_least(bench, "Waymark / bare PTB, same transport", _ratio(waymark, same), "", 0.5),
        info(bench, "Waymark / bare PTB on its default httpx", _ratio(waymark, echo), ""),
        *drain_figures(bench, "Waymark", waymark),
        *drain_figures(bench, "bare PTB (aiohttp)", same),
        *drain_figures(bench, "bare PTB (httpx)", echo),
    ]


def _ratio(ours: Drain, theirs: Drain) -> float | None:
    return ours.per_second / theirs.per_second if theirs.per_second else None
