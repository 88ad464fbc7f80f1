"""The emulator in its own process for benchmarks: prints `READY <url>` once it listens.

`python -m bench.emulator_proc --global-per-second 30 --per-chat-per-second 1
--paid-per-second 1000` ("off" switches a limit off). Loopback only; SIGTERM stops it.

The emulator's state only grows during a benchmark (100k chats and their messages), and each
full collection of Python's cyclic garbage collector then stopped it for 80-180 ms. Requests that
arrived during such a stop were all stamped at its end, squeezed together, and the emulator
answered 429 to a bot that had kept to the limit. Telegram's counting does not stop like that,
so what has survived is frozen every few seconds and collections scan only what is new.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import signal
import sys

from bench.procs import TOKEN
from bot.emulator.server import EmulatorServer

FREEZE_SECONDS = 2.0


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
    freezer = asyncio.create_task(_freeze_survivors())
    try:
        await stop.wait()
    finally:
        freezer.cancel()
        await server.stop()


async def _freeze_survivors() -> None:
    while True:
        await asyncio.sleep(FREEZE_SECONDS)
        gc.freeze()


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.emulator_proc")
    parser.add_argument("--global-per-second", type=_rate, default=30.0)
    parser.add_argument("--per-chat-per-second", type=_rate, default=1.0)
    parser.add_argument("--paid-per-second", type=_rate, default=1000.0)
    asyncio.run(serve(parser.parse_args()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
