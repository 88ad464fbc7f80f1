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
    for n in range(BURST + 15):
        await client.send(ALICE, f"spam {n}")
    view = await client.send_and_wait(BORIS, "/help")
    assert "/forget" in only_bot_message(view), "another person is still answered"
    await asyncio.sleep(BURST + 2)  # the answers within the burst go out at one per second
    view = await client.chat(ALICE)
    notices = [m for m in view.bot_messages if NOTICE in (m.text or "")]
    assert len(notices) == 1
    sends = [
        e
        for e in (await client.transcript())[before:]
        if e["method"] == "sendMessage" and e["chat_id"] == ALICE and e["status"] == 200
    ]
    assert len(sends) <= BURST + 1, "updates past the burst were not answered"


def test_gate_cools_off_and_recovers() -> None:
    now = [0.0]
    gate = FloodGate(clock=lambda: now[0])
    verdicts = [gate.check(1) for _ in range(BURST + 3)]
    assert verdicts[:BURST] == ["ok"] * BURST
    assert verdicts[BURST:] == ["notice", "drop", "drop"]
    assert gate.check(2) == "ok", "other people are unaffected"
    now[0] += 61
    assert gate.check(1) == "ok"
