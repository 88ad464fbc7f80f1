"""Run the emulator on its own: `python -m bot.emulator --port 8081 --token TOKEN`.

Then point a bot at http://HOST:PORT/bot (its Bot API base URL) and drive users through
http://HOST:PORT/control, or chat as a user with `--chat USER_ID` in the same process.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Sequence

from bot.emulator.server import EmulatorServer


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot.emulator", description="A local Telegram Bot API emulator"
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8081, help="port (0 picks a free one)")
    parser.add_argument(
        "--token", action="append", required=True, help="a bot token to accept (repeatable)"
    )
    parser.add_argument("--bot-username", default="waymark_demo_bot")
    parser.add_argument(
        "--no-limits", action="store_true", help="switch off Telegram's flood limits"
    )
    parser.add_argument(
        "--chat", type=int, metavar="USER_ID", help="chat as this virtual user in this terminal"
    )
    parser.add_argument("--lang", default="en", help="the --chat user's language code")
    return parser


def _server(args: argparse.Namespace) -> EmulatorServer:
    if args.no_limits:
        return EmulatorServer(
            args.token,
            bot_username=args.bot_username,
            global_per_second=None,
            per_chat_per_second=None,
            paid_per_second=None,
            per_group_per_minute=None,
        )
    return EmulatorServer(args.token, bot_username=args.bot_username)


async def _serve(args: argparse.Namespace) -> int:
    server = _server(args)
    await server.start(args.host, args.port)
    # The address only: never the token.
    print(f"Bot API base URL: {server.base_url}", file=sys.stderr)
    print(f"control API:      {server.control_url}", file=sys.stderr)
    try:
        if args.chat is not None:
            return await _chat(server, args.chat, args.lang)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        return 0
    finally:
        await server.stop()


async def _chat(server: EmulatorServer, user_id: int, lang: str) -> int:
    from bot.emulator.client import EmulatorClient
    from bot.emulator.terminal import run_terminal

    async with EmulatorClient(server.url) as client:
        await client.create_user(user_id, language_code=lang)
        return await run_terminal(
            client, user_id, sys.stdin, sys.stdout, interactive=sys.stdin.isatty()
        )


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return asyncio.run(_serve(args))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
