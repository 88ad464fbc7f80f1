"""Broadcast sends wait while a person's update is being handled, but never for long."""

from __future__ import annotations

import asyncio
import time

from bot.telegram.people_first import MAX_YIELD_SECONDS, PeopleFirst


async def test_a_send_waits_until_the_person_is_answered() -> None:
    people = PeopleFirst(4)
    answered = asyncio.Event()
    order: list[str] = []

    async def handle_press() -> None:
        await answered.wait()
        order.append("person answered")

    async def send_warning() -> None:
        await people.yield_to_people()
        order.append("warning sent")

    handling = asyncio.create_task(people.do_process_update(object(), handle_press()))
    await asyncio.sleep(0)
    sending = asyncio.create_task(send_warning())
    await asyncio.sleep(0.01)
    assert order == [], "the send waited while the press was being handled"
    answered.set()
    await asyncio.gather(handling, sending)
    assert order == ["person answered", "warning sent"]


async def test_with_no_one_waiting_a_send_goes_at_once() -> None:
    people = PeopleFirst(4)
    started = time.monotonic()
    await people.yield_to_people()
    assert time.monotonic() - started < MAX_YIELD_SECONDS / 2


async def test_a_stream_of_presses_cannot_hold_warnings_back() -> None:
    people = PeopleFirst(4)
    never = asyncio.Event()
    stuck = asyncio.create_task(people.do_process_update(object(), never.wait()))
    await asyncio.sleep(0)
    await asyncio.wait_for(people.yield_to_people(), timeout=MAX_YIELD_SECONDS * 10)
    stuck.cancel()
    await asyncio.gather(stuck, return_exceptions=True)
    await asyncio.wait_for(people.yield_to_people(), timeout=MAX_YIELD_SECONDS / 2)
