"""The send limiter's promise: what reaches Telegram stays within its limit, even though each
request arrives a few varying milliseconds after the limiter granted it."""

from __future__ import annotations

import asyncio
import bisect
import itertools
import random
import time

from bot.alerts.ratelimit import SendLimiter


async def grants(limiter: SendLimiter, count: int, first_chat: int = 0) -> list[float]:
    times: list[float] = []
    for n in range(first_chat, first_chat + count):
        await limiter.acquire(chat_id=n)  # a new chat each time: only the global pace applies
        times.append(time.monotonic())
    return times


def busiest_second(arrivals: list[float]) -> int:
    arrivals = sorted(arrivals)
    return max(
        bisect.bisect_left(arrivals, start + 1.0) - index for index, start in enumerate(arrivals)
    )


async def test_arrivals_stay_within_telegrams_limit_under_jitter() -> None:
    limiter = SendLimiter(290.0, limit=300.0)  # the 29-of-30 ratio, ten times faster
    granted = await grants(limiter, 900)
    margin = limiter.window - 1.0
    assert 0.03 < margin < 0.04, "the window keeps Telegram's allowance over limit/rate seconds"
    rng = random.Random(7)
    for _ in range(20):
        arrivals = [t + rng.uniform(0.0, margin) for t in granted]
        assert busiest_second(arrivals) <= 300


async def test_no_burst_after_idle_time() -> None:
    limiter = SendLimiter(100.0, limit=1000.0)
    await grants(limiter, 5)
    await asyncio.sleep(0.5)  # idle time must not be banked into a burst
    granted = await grants(limiter, 20, first_chat=100)
    gaps = [b - a for a, b in itertools.pairwise(granted)]
    assert min(gaps) >= limiter.interval / 2 - 0.002


async def test_a_send_waiting_for_its_chat_does_not_bunch_with_others() -> None:
    limiter = SendLimiter(100.0, limit=1000.0)
    await limiter.acquire(chat_id=1)
    sent_at: list[float] = []

    async def send(chat_id: int) -> None:
        await limiter.acquire(chat_id)
        sent_at.append(time.monotonic())

    # Chat 1 must wait a second; meanwhile 150 other chats are paced normally.
    await asyncio.gather(send(1), *(send(chat) for chat in range(2, 152)))
    gaps = [b - a for a, b in itertools.pairwise(sorted(sent_at))]
    assert min(gaps) >= limiter.interval / 2 - 0.002, "two sends went out together"


async def test_one_message_per_chat_per_second() -> None:
    limiter = SendLimiter(1000.0, limit=1000.0)
    await limiter.acquire(chat_id=1)
    started = time.monotonic()
    await limiter.acquire(chat_id=1)
    assert time.monotonic() - started >= 0.99


async def test_interactive_replies_take_their_share_of_the_second() -> None:
    limiter = SendLimiter(20.0, limit=20.0)
    for _ in range(20):
        limiter.note_interactive()  # a second's worth of replies just went out
    started = time.monotonic()
    await limiter.acquire(chat_id=1)
    assert time.monotonic() - started >= 0.9, "the broadcast waited for the replies' second"


async def test_a_due_send_waits_for_people_before_its_grant() -> None:
    busy = asyncio.Event()
    order: list[str] = []

    async def people_are_done() -> None:
        await busy.wait()

    limiter = SendLimiter(100.0, limit=1000.0, yield_to=people_are_done)

    async def send() -> None:
        await limiter.acquire(chat_id=1)
        order.append("warning sent")

    sending = asyncio.create_task(send())
    await asyncio.sleep(0.05)
    assert order == [], "the send waited while a person was being answered"
    order.append("person answered")
    busy.set()
    await sending
    assert order == ["person answered", "warning sent"]
