"""Guides end to end: pick an app, tick steps, come back a day later, page, reset, forget."""

from __future__ import annotations

import re

from bot.app import Waymark
from bot.emulator.client import ChatView, EmulatorClient
from tests.test_e2e_skeleton import ALICE, onboard, only_bot_message


def step_buttons(view: ChatView) -> list[str]:
    last = view.last_bot
    assert last is not None
    return [
        b.text
        for row in last.buttons
        for b in row
        if b.callback_data and b.callback_data.startswith("1|tick|")
    ]


def progress(text: str) -> tuple[int, int]:
    found = re.search(r"(\d+) of (\d+) done", text)
    assert found, "the checklist shows its progress"
    return int(found[1]), int(found[2])


async def open_telegram_security(client: EmulatorClient) -> ChatView:
    await client.press_and_wait(ALICE, label="🔐 Secure my accounts")
    return await client.press_and_wait(ALICE, label="Telegram")


async def test_ticks_survive_closing_and_a_day_later(
    waymark: Waymark, client: EmulatorClient
) -> None:
    await onboard(client, ALICE)
    view = await open_telegram_security(client)
    text = only_bot_message(view)
    assert "Secure your Telegram account" in text
    done, total = progress(text)
    assert done == 0 and total >= 5
    assert "Last checked" in text or "last checked" in text.lower()
    for _ in range(3):
        first_open = next(b for b in step_buttons(view) if b.startswith("⬜"))
        view = await client.press_and_wait(ALICE, label=first_open)
    assert progress(only_bot_message(view)) == (3, total)
    view = await client.press_and_wait(ALICE, label="✖ Close")
    assert view.bot_messages == []

    await client.advance_clock(24 * 3600)
    await client.send_and_wait(ALICE, "/start")
    view = await open_telegram_security(client)
    assert progress(only_bot_message(view)) == (3, total)
    assert sum(b.startswith("✅") for b in step_buttons(view)) == 3

    await client.send_and_wait(ALICE, "/forget")
    await client.press_and_wait(ALICE, label="Delete my data only")
    await client.press_and_wait(ALICE, label="✖ Close")
    await onboard(client, ALICE)
    view = await open_telegram_security(client)
    assert progress(only_bot_message(view))[0] == 0, "after /forget the progress is gone"


async def test_long_guide_pages_with_previous_and_next(
    waymark: Waymark, client: EmulatorClient
) -> None:
    await onboard(client, ALICE)
    view = await open_telegram_security(client)
    seen = set(step_buttons(view))
    labels = [b.text for row in view.last_bot.buttons for b in row] if view.last_bot else []
    assert "Next ▶" in labels, "the shipped Telegram security guide is two pages long"
    assert "◀ Previous" not in labels
    view = await client.press_and_wait(ALICE, label="Next ▶")
    second = set(step_buttons(view))
    assert second and not (second & seen), "the next page shows the next steps"
    assert len(only_bot_message(view)) <= 4096
    view = await client.press_and_wait(ALICE, label="◀ Previous")
    assert set(step_buttons(view)) == seen


async def test_reset_clears_one_guide(waymark: Waymark, client: EmulatorClient) -> None:
    await onboard(client, ALICE)
    view = await open_telegram_security(client)
    view = await client.press_and_wait(ALICE, label=step_buttons(view)[0])
    assert progress(only_bot_message(view))[0] == 1
    view = await client.press_and_wait(ALICE, label="↺ Reset")
    assert progress(only_bot_message(view))[0] == 0
    record = await waymark.store.users.get(ALICE)
    assert record is not None and record.done_steps == []


async def test_detention_plan_opens(waymark: Waymark, client: EmulatorClient) -> None:
    await onboard(client, ALICE)
    view = await client.press_and_wait(ALICE, label="⚠️ If you are detained")
    assert "Before: prepare" in [b.text for row in view.last_bot.buttons for b in row]  # type: ignore[union-attr]
    view = await client.press_and_wait(ALICE, label="Before: prepare")
    assert "of" in only_bot_message(view) and "done" in only_bot_message(view)
