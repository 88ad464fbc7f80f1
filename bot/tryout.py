"""`waymark try`: the emulator, the bot, the partner API and a terminal chat, all on loopback.

No token is needed. A demo partner is registered so a second terminal can push a warning with curl
and the person in the first terminal sees it arrive.
"""

from __future__ import annotations

import sys
from pathlib import Path

from bot import logs
from bot.config import load_settings

DEMO_TOKEN = "100000001:waymark-demo-token-only-valid-on-the-emulator"  # noqa: S105 - public demo value
DEMO_USER_ID = 5_550_000_001
DEMO_PARTNER = "demo-civdef"
TOKENS_FILE = "demo-partner-tokens.txt"


def _register_demo_partner(app: object, data_dir: Path) -> Path:
    """An instant-trust demo partner for the fictional Demoland; tokens go to a 0600 file."""
    from bot.app import Waymark

    assert isinstance(app, Waymark)
    partners = app.store.partners
    path = data_dir / TOKENS_FILE
    if partners.get(DEMO_PARTNER) is None:
        partners.add(DEMO_PARTNER, "Demoland Civil Defence (demo)", ["dl"], trust="instant")
        _, token = partners.add_credential(DEMO_PARTNER, "demo author", ["author"])
        path.touch(mode=0o600)
        path.write_text(token + "\n")
    return path


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
            poll_timeout=1,
            partner_api_port=0,
        )
        async with Waymark(settings) as app, EmulatorClient(emulator.url) as client:
            tokens = _register_demo_partner(app, data_dir)
            if interactive:
                print(
                    f"Partner API: {app.partner_api_url}/v1 (demo partner token in {tokens}; "
                    "see docs/partners.md to send a warning to Demoland)\n",
                    file=sys.stdout,
                )
            await client.create_user(DEMO_USER_ID, first_name="Demo", language_code=lang)
            return await run_terminal(
                client, DEMO_USER_ID, sys.stdin, sys.stdout, interactive=interactive
            )
