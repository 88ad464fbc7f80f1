"""The emulator in its own process for benchmarks: prints `READY <url>` once it listens.

`python -m bench.emulator_proc --global-per-second 30 --per-chat-per-second 1
--paid-per-second 1000` ("off" switches a limit off). Loopback only; SIGTERM stops it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys

from bench.procs import TOKEN
from bot.emulator.server import EmulatorServer


def _rate(text: str) -> float | None:
    return None if text == "off" else float(text)


async def serve(args: argparse.Namespace) -> None:
    server = EmulatorServer(
        [TOKEN],
        global_per_second=args.global_per_second,
        per_chat_per_second=args.per_chat_per_second,
        paid_per_second=args.paid_per_second,
    )
    await server.start("127.0.0.1", 0)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    print(f"READY {server.url}", flush=True)
    try:
        await stop.wait()
    finally:
        await server.stop()


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.emulator_proc")
    parser.add_argument("--global-per-second", type=_rate, default=30.0)
    parser.add_argument("--per-chat-per-second", type=_rate, default=1.0)
    parser.add_argument("--paid-per-second", type=_rate, default=1000.0)
    asyncio.run(serve(parser.parse_args()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
