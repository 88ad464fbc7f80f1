"""The baseline for the throughput benchmark: a bare python-telegram-bot bot, no Waymark.

One handler: a button press edits the pressed message and answers the press, the same two Bot API
calls a Waymark menu press makes. Same concurrency as Waymark (64 updates at once).
`python -m bench.echo_bot BASE_URL [httpx|aiohttp]` prints `READY` once it polls; SIGTERM stops it.
httpx is PTB's own transport; aiohttp is Waymark's (bot/telegram/http_client.py), so the two runs
separate what Waymark costs from what its transport saves.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import signal
import sys

from telegram import Update
from telegram.ext import ApplicationBuilder, CallbackQueryHandler, ContextTypes

from bench.procs import POLL_TIMEOUT, TOKEN
from bot.telegram.http_client import AiohttpRequest

CONCURRENT_UPDATES = 64  # what bot.app.Waymark uses
_count = itertools.count(1)


async def on_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None:
        return
    await query.edit_message_text(f"pressed {query.data} ({next(_count)})")
    await query.answer()


async def serve(base_url: str, transport: str) -> None:
    builder = ApplicationBuilder().token(TOKEN).base_url(base_url)
    if transport == "aiohttp":
        builder = builder.request(AiohttpRequest()).get_updates_request(
            AiohttpRequest(connection_pool_size=1)
        )
    app = builder.concurrent_updates(CONCURRENT_UPDATES).build()
    app.add_handler(CallbackQueryHandler(on_press))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(timeout=POLL_TIMEOUT, drop_pending_updates=True)
        print("READY", flush=True)
        await stop.wait()
        await app.updater.stop()
        await app.stop()


def main() -> int:
    asyncio.run(serve(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "httpx"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
