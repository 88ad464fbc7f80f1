"""`waymark try`: the emulator, the bot and a terminal chat, all on loopback, no token needed."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from bot import logs
from bot.config import load_settings

DEMO_TOKEN = "100000001:waymark-demo-token-only-valid-on-the-emulator"  # noqa: S105 - public demo value
DEMO_USER_ID = 5_550_000_001


async def run_tryout(*, data_dir: Path, lang: str, interactive: bool, config: Path | None) -> int:
    from bot.app import Waymark
    from bot.emulator.client import EmulatorClient
    from bot.emulator.server import EmulatorServer
    from bot.emulator.terminal import run_terminal

    logs.configure("WARNING")
    async with EmulatorServer([DEMO_TOKEN]) as emulator:
        settings = load_settings(
            config,
            token=DEMO_TOKEN,
            api_base_url=emulator.base_url,
            data_dir=data_dir,
            poll_timeout=1, partner_api_port=0,
        )
        logging.getLogger(__name__).debug("emulator and bot on loopback")
        async with Waymark(settings), EmulatorClient(emulator.url) as client:
            await client.create_user(DEMO_USER_ID, first_name="Demo", language_code=lang)
            return await run_terminal(
                client, DEMO_USER_ID, sys.stdin, sys.stdout, interactive=interactive
            )
