"""fanout-30 and fanout-paid: one alert to every subscriber of a region, at the flood limit.

The achieved rate is sends accepted / (last accept - first accept) from the emulator's
transcript, as a share of Waymark's configured broadcast_rate; the emulator enforces Telegram's
limits (sliding one-second window) and answers 429 to anything faster.
"""

from __future__ import annotations

from dataclasses import dataclass

from bench.measure import accepted_sends, count, send_rate
from bench.procs import BotSettings
from bench.report import Figure, at_least, at_most, info
from bench.seed import Group
from bench.stage import Context, Limits, Stage, log
from bot.config import PAID_BROADCAST_RATE, Settings

REGION = "dl-north-riverside"
SWEEP_REGION = "dl-south-harbour"
FIRST_ID = 5_000_000_000
SWEEP_FIRST_ID = 5_500_000_000
DEFAULT_RATE = Settings().broadcast_rate
DEFAULT_CONCURRENCY = Settings().broadcast_concurrency
PAID_LIMIT = 1000.0  # what the emulator enforces, as Telegram does for paid broadcasts
PAID_RATE = PAID_BROADCAST_RATE  # Waymark's paid default, just under it
PAID_CONCURRENCY = 128  # used when no sweep chose one
SWEEP = (64, 128, 200)
# Seconds a broadcast is followed at most (10k at 29/s needs 345 s, 100k at 970/s 103 s);
# a slower one is measured on the sends it made by then.
FANOUT_30_CAP = 600.0
PAID_CAP = 300.0
SWEEP_CAP = 45.0


@dataclass(frozen=True)
class Outcome:
    audience: int
    accepted: int
    distinct: int
    rate: float
    seconds: float
    refused: int  # 429s
    errors: int  # other non-200 sends
    state: str
    cpu: dict[str, float]

    def share(self, configured: float) -> float:
        return 100 * self.rate / configured


async def broadcast(
    stage: Stage, region: str, audience: int, configured: float, *, cap: float
) -> Outcome:
    """Publish one alert and follow it until everyone got it or `cap` seconds passed (a slow
    broadcast is measured on what it sent by then)."""
    await stage.follower.poll()
    mark = stage.follower.seq
    meter = stage.meter()
    alert_id, _ = await stage.post_alert(region)
    await stage.wait_for_sends(audience, mark, within=cap)
    cpu = meter.shares()
    records = stage.follower.after(mark)
    sends = accepted_sends(records)
    rate = send_rate(sends)
    sent_calls = [r for r in records if r["method"] == "sendMessage"]
    alert = await stage.alert(alert_id)
    return Outcome(
        audience=audience,
        accepted=len(sends),
        distinct=len({r["chat_id"] for r in sends}),
        rate=rate.per_second,
        seconds=rate.seconds,
        refused=count(sent_calls, "sendMessage", 429),
        errors=sum(1 for r in sent_calls if r["status"] not in (200, 429)),
        state=str(alert.get("state")),
        cpu=cpu,
    )


def figures(bench: str, out: Outcome, configured: float, concurrency: int) -> list[Figure]:
    result = [
        at_least(bench, "achieved / configured rate", out.share(configured), "%", 97),
        at_most(bench, "429 answers", out.refused, "count", 0),
        info(bench, f"achieved rate (configured {configured:g}/s)", out.rate, "msg/s"),
        info(bench, "subscribers reached", out.distinct, "count"),
        info(bench, "broadcast_concurrency", concurrency, ""),
    ]
    if out.errors:
        result.append(info(bench, "other failed sends", out.errors, "count"))
    for name, share in out.cpu.items():
        result.append(info(bench, f"CPU of {name} during the broadcast", share, "%"))
    return result


def note(bench: str, out: Outcome) -> str:
    text = (
        f"{bench}: {out.accepted:,} of {out.audience:,} sends accepted in {out.seconds:.1f} s, "
        f"alert state {out.state!r}"
    )
    if out.accepted < out.audience:
        text += " (measurement stopped at its time cap; the rate is over the sends made)"
    return text


async def fanout_30(ctx: Context) -> list[Figure]:
    bench = "fanout-30"
    audience = 100 if ctx.quick else 10_000
    async with Stage(ctx, bench, Limits(30.0, 1.0, 1000.0)) as stage:
        await stage.seed([Group(FIRST_ID, audience, REGION)])
        await stage.start_waymark(BotSettings())
        log(f"{bench}: broadcasting to {audience:,} at {DEFAULT_RATE:g}/s")
        out = await broadcast(stage, REGION, audience, DEFAULT_RATE, cap=FANOUT_30_CAP)
    ctx.notes.append(note(bench, out))
    return figures(bench, out, DEFAULT_RATE, DEFAULT_CONCURRENCY)


async def fanout_paid(ctx: Context) -> list[Figure]:
    bench = "fanout-paid"
    audience = 1_500 if ctx.quick else 100_000
    sweep_audience = 10_000
    sweep = () if ctx.quick else SWEEP
    async with Stage(ctx, bench, Limits(30.0, 1.0, PAID_LIMIT)) as stage:
        tried: dict[int, Outcome] = {}
        for concurrency in sweep:
            # Each try gets its own database: a bot stopped at the cap must not leave a
            # half-sent alert for the next one to finish.
            stage.use_data_dir(f"sweep-{concurrency}")
            await stage.seed([Group(SWEEP_FIRST_ID, sweep_audience, SWEEP_REGION)])
            await stage.start_waymark(
                BotSettings(paid=True, concurrency=concurrency)
            )
            log(f"{bench}: sweep, concurrency {concurrency}, {sweep_audience:,} subscribers")
            tried[concurrency] = await broadcast(
                stage, SWEEP_REGION, sweep_audience, PAID_RATE, cap=SWEEP_CAP
            )
        chosen = PAID_CONCURRENCY
        if tried:
            chosen = max(tried, key=lambda c: (tried[c].refused == 0, tried[c].rate))
            ctx.notes.append(
                f"{bench}: broadcast_concurrency sweep on {sweep_audience:,} subscribers: "
                + ", ".join(
                    f"{c} → {o.share(PAID_RATE):.1f} % ({o.refused} × 429, "
                    f"Waymark CPU {o.cpu.get('waymark', 0):.0f} %)"
                    for c, o in tried.items()
                )
                + f"; chose {chosen}"
            )
        ctx.paid_concurrency = chosen
        stage.use_data_dir("main")
        await stage.seed([Group(FIRST_ID, audience, REGION)])
        await stage.start_waymark(BotSettings(paid=True, concurrency=chosen))
        log(f"{bench}: broadcasting to {audience:,} at {PAID_RATE:g}/s, concurrency {chosen}")
        out = await broadcast(stage, REGION, audience, PAID_RATE, cap=PAID_CAP)
    ctx.notes.append(note(bench, out))
    return figures(bench, out, PAID_RATE, chosen)
