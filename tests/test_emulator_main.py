"""`python -m bot.emulator` as someone runs it by hand: it serves, says where, and stops cleanly."""

from __future__ import annotations

import asyncio
import signal
import sys

from telegram import Bot

from bot.emulator.client import EmulatorClient

TOKEN = "300000003:standalone-token-DDDDDDDDDDDDDDDDDDDDDDDD"


async def test_standalone_server_serves_and_stops_on_sigterm() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.emulator",
        "--port",
        "0",
        "--token",
        TOKEN,
        "--bot-username",
        "standalone_bot",
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stderr is not None
    try:
        line = (await asyncio.wait_for(process.stderr.readline(), 20)).decode()
        assert line.startswith("Bot API base URL: http://127.0.0.1:")
        base_url = line.split(": ", 1)[1].strip()
        async with Bot(TOKEN, base_url=base_url) as bot:
            assert bot.username == "standalone_bot"
        async with EmulatorClient(base_url.removesuffix("/bot")) as control:
            assert (await control.transcript())[0]["method"] == "getMe"
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 10) == 0
        rest = (await process.stderr.read()).decode()
        assert TOKEN not in line + rest, "the token is never printed"
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
