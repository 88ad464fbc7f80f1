"""Fixtures: a real emulator on loopback, the real bot pointed at it, a real SQLite file."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot import logs
from bot.app import Waymark
from bot.config import Settings, load_settings
from bot.emulator.client import EmulatorClient
from bot.emulator.server import EmulatorServer
from bot.store.keys import ENV_VAR

TOKEN = "100000001:test-token-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (ENV_VAR, "TELEGRAM_BOT_TOKEN", "WAYMARK_DATA_DIR", "WAYMARK_LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
async def emulator() -> AsyncIterator[EmulatorServer]:
    async with EmulatorServer([TOKEN]) as server:
        yield server


@pytest.fixture
async def client(emulator: EmulatorServer) -> AsyncIterator[EmulatorClient]:
    async with EmulatorClient(emulator.url) as control:
        yield control


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def settings(emulator: EmulatorServer, data_dir: Path) -> Settings:
    return load_settings(
        token=TOKEN,
        api_base_url=emulator.base_url,
        data_dir=data_dir,
        poll_timeout=1,
        partner_api_port=0,
    )


@pytest.fixture
async def waymark(settings: Settings) -> AsyncIterator[Waymark]:
    app = Waymark(settings)
    await app.start()
    try:
        yield app
    finally:
        await app.stop()
        logs.quiet_libraries()
