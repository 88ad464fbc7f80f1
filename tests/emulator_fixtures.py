"""Shared fixtures for the emulator's tests: a real emulator on loopback, a real PTB Bot on it.

Test modules load them with `pytest_plugins = ["tests.emulator_fixtures"]` (pytest only
auto-loads conftest.py, owned elsewhere) and import the constants and helpers by name. Because
they import it first, it is marked PYTEST_DONT_REWRITE: its asserts are plain ones anyway.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest
from telegram import Bot
from telegram.ext import Application, ApplicationBuilder

from bot.emulator.client import EmulatorClient
from bot.emulator.server import EmulatorServer

EMU_TOKEN = "200000002:emulator-test-token-BBBBBBBBBBBBBBBBBBBBBBBBBBB"
ANN = 1_000_001
BEN = 1_000_002


@pytest.fixture
async def emu() -> AsyncIterator[EmulatorServer]:
    async with EmulatorServer([EMU_TOKEN]) as server:
        yield server


@pytest.fixture
async def control(emu: EmulatorServer) -> AsyncIterator[EmulatorClient]:
    async with EmulatorClient(emu.url) as client:
        await client.create_user(ANN, first_name="Ann", language_code="en", username="ann")
        await client.create_user(BEN, first_name="Ben", language_code="ar")
        yield client


@pytest.fixture
async def tg(emu: EmulatorServer, control: EmulatorClient) -> AsyncIterator[Bot]:
    """An unmodified python-telegram-bot Bot talking HTTP to the emulator (users exist)."""
    async with Bot(EMU_TOKEN, base_url=emu.base_url) as bot:
        yield bot


async def polls_waiting(emu: EmulatorServer, count: int = 1) -> None:
    """Until `count` getUpdates calls are parked on the server, waiting for an update."""
    async with asyncio.timeout(5):
        while True:
            changed = emu.api.polls_changed.waiter()
            if emu.api.waiting_polls == count:
                return
            await changed.wait()


async def running_application(
    emu: EmulatorServer,
    register: Callable[[Application], None],  # type: ignore[type-arg]
) -> Application:  # type: ignore[type-arg]
    """A PTB Application polling the emulator, with the handlers `register` adds."""
    app = ApplicationBuilder().token(EMU_TOKEN).base_url(emu.base_url).build()
    register(app)
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(timeout=1, poll_interval=0)
    return app


async def stop_application(app: Application) -> None:  # type: ignore[type-arg]
    assert app.updater is not None
    await app.updater.stop()
    await app.stop()
    await app.shutdown()
