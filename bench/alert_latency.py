"""alert-latency: an instant-trust partner's POST /v1/alerts → the first sendMessage the emulator
accepts for it (its transcript `t`; both ends on this machine's monotonic clock).

Alerts go one at a time to a small audience, spaced so that neither Waymark's nor the emulator's
one-message-a-second-per-chat limit is what gets measured.
"""

from __future__ import annotations

import asyncio
import time

from bench.measure import accepted_sends, percentile
from bench.procs import BotSettings
from bench.report import Figure, at_most, info
from bench.seed import Group
from bench.stage import Context, Limits, Stage, log

REGION = "dl-south-plains"
FIRST_ID = 6_000_000_000
AUDIENCE = 3
SPACING = 1.3  # seconds between one alert's first send and the next POST


async def alert_latency(ctx: Context) -> list[Figure]:
    bench = "alert-latency"
    alerts = 6 if ctx.quick else 60
    firsts: list[float] = []
    posts: list[float] = []
    alls: list[float] = []
    async with Stage(ctx, bench, Limits()) as stage:
        await stage.seed([Group(FIRST_ID, AUDIENCE, REGION)])
        await stage.start_waymark(BotSettings())
        log(f"{bench}: {alerts} alerts to {AUDIENCE} subscribers each")
        for _ in range(alerts):
            await stage.follower.poll()
            mark = stage.follower.seq
            _, started = await stage.post_alert(REGION)
            posts.append(time.monotonic() - started)
            async with asyncio.timeout(30):
                while len(sends := accepted_sends(stage.follower.after(mark))) < AUDIENCE:
                    await asyncio.sleep(0.02)
                    await stage.follower.poll()
            times = sorted(float(r["t"]) for r in sends)
            firsts.append(times[0] - started)
            alls.append(times[-1] - started)
            await asyncio.sleep(max(0.0, times[0] + SPACING - time.monotonic()))
    ms = [1000 * v for v in firsts]
    return [
        at_most(bench, "p99 POST → first send accepted", percentile(ms, 0.99), "ms", 300),
        info(bench, "p50 POST → first send accepted", percentile(ms, 0.5), "ms"),
        info(bench, "max POST → first send accepted", max(ms), "ms"),
        info(
            bench,
            f"p50 POST → all {AUDIENCE} sent",
            percentile([1000 * v for v in alls], 0.5),
            "ms",
        ),
        info(bench, "p50 POST round trip (201)", percentile([1000 * v for v in posts], 0.5), "ms"),
        info(bench, "alerts", len(ms), "count"),
    ]
