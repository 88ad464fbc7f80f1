"""The `waymark` command: it only parses arguments and hands over to bot.app and friends."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from bot import logs
from bot.config import load_settings
from bot.errors import StartupError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="waymark", description="Waymark crisis companion bot")
    parser.add_argument("--config", type=Path, help="optional TOML settings file")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run against Telegram (needs TELEGRAM_BOT_TOKEN)")
    run.add_argument("--data-dir", type=Path, help="where the database and key file live")

    try_ = sub.add_parser(
        "try", help="run everything on this machine and chat with the bot from the terminal"
    )
    try_.add_argument("--lang", default="en", help="the virtual user's Telegram language code")
    try_.add_argument(
        "--script",
        action="store_true",
        help="read lines from stdin without prompting (default when stdin is not a tty)",
    )
    try_.add_argument(
        "--data-dir", type=Path, help="keep the demo database here (default: a temporary folder)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "run":
            return asyncio.run(_run(args))
        if args.command == "try":
            return asyncio.run(_try(args))
    except StartupError as exc:
        print(f"waymark: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 2  # pragma: no cover - argparse already refused unknown commands


async def _run(args: argparse.Namespace) -> int:
    from bot.app import Waymark

    settings = load_settings(args.config, data_dir=args.data_dir)
    logs.configure(settings.log_level)
    app = Waymark(settings)
    await app.start()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, lambda: asyncio.ensure_future(app.stop()))
    await app.wait()
    return 0


async def _try(args: argparse.Namespace) -> int:
    from bot.tryout import run_tryout

    interactive = sys.stdin.isatty() and not args.script
    with contextlib.ExitStack() as stack:
        data_dir = args.data_dir
        if data_dir is None:
            data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="waymark-try-")))
        return await run_tryout(
            data_dir=data_dir, lang=args.lang, interactive=interactive, config=args.config
        )
    return 0  # pragma: no cover


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
