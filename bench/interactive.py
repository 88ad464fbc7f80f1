"""interactive-latency: people pressing buttons while a paid broadcast runs at Waymark's paid rate
(970/s, just under Telegram's 1000/s), against the same crowd with no broadcast. Latency is press
(queued by the emulator) → Waymark's answerCallbackQuery for it, both on the emulator's monotonic
clock."""

from __future__ import annotations

import asyncio
import time

from bench.crowd import Crowd
from bench.fanout import PAID_CONCURRENCY, PAID_LIMIT, PAID_RATE
from bench.measure import Press, accepted_sends, answer_latencies, percentile, split
from bench.procs import BotSettings
from bench.report import Figure, at_most, info
from bench.seed import Group
from bench.stage import Context, Limits, Stage, log

REGION = "dl-north-riverside"
SUBSCRIBERS_FIRST = 5_000_000_000
PEOPLE_FIRST = 7_000_000_000
PEOPLE = 200
THINK = (2.0, 6.0)  # seconds between one person's presses: about 50 presses/s in all


def latency_figures(
    bench: str, label: str, presses: list[Press], lat: list[float | None]
) -> tuple[list[float], list[Figure]]:
    values, missing = split(lat)
    figures = [
        info(bench, f"p50 press → answer, {label}", percentile(values, 0.5), "ms"),
        info(bench, f"presses, {label} (unanswered {missing})", len(presses), "count"),
    ]
    return values, figures


async def interactive_latency(ctx: Context) -> list[Figure]:
    bench = "interactive-latency"
    subscribers = 5_000 if ctx.quick else 100_000
    seconds = 4.0 if ctx.quick else 40.0
    crowd_size = 60 if ctx.quick else PEOPLE
    concurrency = ctx.paid_concurrency or PAID_CONCURRENCY
    people = Group(PEOPLE_FIRST, crowd_size, None)
    async with Stage(ctx, bench, Limits(30.0, 1.0, PAID_LIMIT)) as stage:
        await stage.seed([Group(SUBSCRIBERS_FIRST, subscribers, REGION), people])
        await stage.start_waymark(BotSettings(paid=True, concurrency=concurrency))
        screens = await stage.open_screens(list(people.ids))
        crowd = Crowd(stage.client, screens, think=THINK)
        log(f"{bench}: {crowd_size} people pressing for {seconds:g} s, no broadcast")
        meter = stage.meter()
        quiet = await crowd.run(seconds)
        cpu_quiet = meter.shares()

        await stage.follower.poll()
        mark = stage.follower.seq
        await stage.post_alert(REGION)
        async with asyncio.timeout(30):
            while not accepted_sends(stage.follower.after(mark)):
                await asyncio.sleep(0.1)
                await stage.follower.poll()
        await asyncio.sleep(2.0)  # let the broadcast reach its pace
        log(f"{bench}: the same during a {PAID_RATE:g}/s broadcast to {subscribers:,}")
        meter = stage.meter()
        window = time.monotonic()
        busy = await crowd.run(seconds)
        window_end = time.monotonic()
        cpu_busy = meter.shares()
        await stage.settle()
        records = stage.follower.records
    everything = answer_latencies(quiet + busy, records)
    quiet_ms, quiet_figures = latency_figures(
        bench, "no broadcast", quiet, everything[: len(quiet)]
    )
    busy_ms, busy_figures = latency_figures(
        bench, "during broadcast", busy, everything[len(quiet) :]
    )
    in_window = [
        r for r in accepted_sends(records, paid=True) if window <= float(r["t"]) <= window_end
    ]
    rate = len(in_window) / (window_end - window)
    figures = [
        at_most(bench, "p99 press → answer during broadcast", percentile(busy_ms, 0.99), "ms", 50),
        info(bench, "p99 press → answer, no broadcast", percentile(quiet_ms, 0.99), "ms"),
        *busy_figures,
        *quiet_figures,
        info(bench, "broadcast rate during the window", rate, "msg/s"),
        info(bench, "broadcast_concurrency", concurrency, ""),
    ]
    for name, share in cpu_busy.items():
        figures.append(info(bench, f"CPU of {name} during broadcast", share, "%"))
    for name, share in cpu_quiet.items():
        figures.append(info(bench, f"CPU of {name} without broadcast", share, "%"))
    if crowd.errors:
        ctx.notes.append(f"{bench}: {crowd.errors} presses refused by the emulator")
    return figures
