"""A person flooding the bot gets one notice, then silence; others are served as usual."""

from __future__ import annotations

import asyncio

from bot.app import Waymark
from bot.emulator.client import EmulatorClient
from bot.telegram.flood_gate import BURST, FloodGate
from tests.test_e2e_skeleton import ALICE, BORIS, onboard, only_bot_message

NOTICE = "You are sending a lot very fast"


async def test_flooder_gets_one_notice_then_silence(
    waymark: Waymark, client: EmulatorClient
) -> None:
    await onboard(client, ALICE)
    await onboard(client, BORIS)
    before = len(await client.transcript())
    for _ in range(BURST + 20):
        await client.press(ALICE, data="1|help", forge=True)
    view = await client.send_and_wait(BORIS, "/help")
    assert "/forget" in only_bot_message(view), "another person is still answered"
    await asyncio.sleep(1.0)
    view = await client.chat(ALICE)
    notices = [m for m in view.bot_messages if NOTICE in (m.text or "")]
    assert len(notices) == 1
    handled = [
        e
        for e in (await client.transcript())[before:]
        if e["method"] == "editMessageText" and e["chat_id"] == ALICE
    ]
    assert len(handled) <= BURST, "presses past the burst were not handled"
    assert len(await client.callback_answers(ALICE)) >= BURST + 20, "every press was answered"


def test_gate_cools_off_and_recovers() -> None:
    now = [0.0]
    gate = FloodGate(clock=lambda: now[0])
    verdicts = [gate.check(1) for _ in range(BURST + 3)]
    assert verdicts[:BURST] == ["ok"] * BURST
    assert verdicts[BURST:] == ["notice", "drop", "drop"]
    assert gate.check(2) == "ok", "other people are unaffected"
    now[0] += 61
    assert gate.check(1) == "ok"
