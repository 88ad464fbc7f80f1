"""flood: 20 people pressing at a human pace while one person sends 50 presses a second, against
the same 20 without the flooder. Waymark's flood gate should drop the flood cheaply."""

from __future__ import annotations

import asyncio

from bench.crowd import Crowd
from bench.measure import answer_latencies, percentile, split
from bench.procs import BotSettings
from bench.report import Figure, at_most, info
from bench.seed import Group
from bench.stage import Context, Limits, Stage, log

FIRST_ID = 8_000_000_000
PEOPLE = 20
FLOOD_PER_SECOND = 50.0
THINK = (2.0, 6.0)  # seconds between one person's presses, as in interactive-latency


async def flood(ctx: Context) -> list[Figure]:
    bench = "flood"
    seconds = 6.0 if ctx.quick else 60.0
    group = Group(FIRST_ID, PEOPLE + 1, None)
    flooder = group.first_id + PEOPLE
    async with Stage(ctx, bench, Limits()) as stage:
        await stage.seed([group])
        await stage.start_waymark(BotSettings())
        screens = await stage.open_screens(list(group.ids))
        people = {user: screens[user] for user in group.ids if user != flooder}
        crowd = Crowd(stage.client, people, think=THINK)
        log(f"{bench}: {PEOPLE} people for {seconds:g} s without, then with a flooder")
        meter = stage.meter()
        calm = await crowd.run(seconds)
        cpu_calm = meter.shares()
        flood_crowd = Crowd(stage.client, {flooder: screens[flooder]})
        meter = stage.meter()
        stormy, flooded = await asyncio.gather(
            crowd.run(seconds), flood_crowd.flood(flooder, FLOOD_PER_SECOND, seconds)
        )
        cpu_stormy = meter.shares()
        await stage.settle()
        records = stage.follower.records
    matched = answer_latencies(calm + stormy + flooded, records)
    calm_ms, calm_missing = split(matched[: len(calm)])
    stormy_ms, stormy_missing = split(matched[len(calm) : len(calm) + len(stormy)])
    flood_ms, flood_missing = split(matched[len(calm) + len(stormy) :])
    p99_calm = percentile(calm_ms, 0.99)
    p99_stormy = percentile(stormy_ms, 0.99)
    ratio = p99_stormy / p99_calm if p99_calm and p99_stormy is not None else None
    figures = [
        at_most(bench, "p99 with flooder / p99 without", ratio, "×", 2),
        info(bench, "p99 press → answer, with flooder", p99_stormy, "ms"),
        info(bench, "p99 press → answer, without", p99_calm, "ms"),
        info(bench, "p50 press → answer, with flooder", percentile(stormy_ms, 0.5), "ms"),
        info(bench, "p50 press → answer, without", percentile(calm_ms, 0.5), "ms"),
        info(bench, f"presses with flooder (unanswered {stormy_missing})", len(stormy), "count"),
        info(bench, f"presses without (unanswered {calm_missing})", len(calm), "count"),
        info(bench, f"flooder presses (unanswered {flood_missing})", len(flooded), "count"),
    ]
    for name, share in cpu_stormy.items():
        figures.append(info(bench, f"CPU of {name} with flooder", share, "%"))
    for name, share in cpu_calm.items():
        figures.append(info(bench, f"CPU of {name} without", share, "%"))
    if flood_ms:
        figures.append(info(bench, "p50 flooder press → answer", percentile(flood_ms, 0.5), "ms"))
    return figures
