"""Kill -9 in the middle of a broadcast, restart, and check from the emulator's transcript that
everyone got the warning and that only rows in flight at the crash were sent twice."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.emulator.client import EmulatorClient
from bot.emulator.server import EmulatorServer
from bot.store.keys import new_key_text
from bot.store.outbox import RECOVERED
from bot.store.store import Store
from tests.broadcast_fixtures import seed_subscribers, sends_by_chat
from tests.conftest import TOKEN

ROOT = Path(__file__).resolve().parent.parent
SUBSCRIBERS = 400
CONCURRENCY = 16


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class BotProcess:
    """`waymark run` as its own process, as an operator runs it."""

    def __init__(self, env: dict[str, str], data_dir: Path) -> None:
        self.env = env
        self.data_dir = data_dir
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "run",
            "--data-dir",
            str(self.data_dir),
            env=self.env,
            cwd=ROOT,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )

    async def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), 20)
            except TimeoutError:
                await self.kill()


@pytest.fixture
async def crashable(
    emulator: EmulatorServer, client: EmulatorClient, tmp_path: Path
) -> AsyncIterator[tuple[BotProcess, str, str, Path]]:
    key = new_key_text()
    data_dir = tmp_path / "data"
    os.environ["WAYMARK_MASTER_KEY"] = key
    try:
        store = Store.open(data_dir)
        await seed_subscribers(store, client, SUBSCRIBERS, "dl-north")
        store.partners.add("siren", "Siren feed (demo)", ["dl"], trust="instant")
        _, token = store.partners.add_credential("siren", "feed", ["author"])
        store.close()
    finally:
        del os.environ["WAYMARK_MASTER_KEY"]
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WAYMARK_", "TELEGRAM_"))}
    env.update(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "WAYMARK_API_BASE_URL": emulator.base_url,
            "WAYMARK_MASTER_KEY": key,
            "WAYMARK_PARTNER_API_PORT": str(port),
            "WAYMARK_PAID_BROADCAST": "true",
            "WAYMARK_BROADCAST_RATE": "150",
            "WAYMARK_BROADCAST_CONCURRENCY": str(CONCURRENCY),
            "WAYMARK_LOG_LEVEL": "WARNING",
            "WAYMARK_POLL_TIMEOUT": "1",
        }
    )
    bot = BotProcess(env, data_dir)
    try:
        yield bot, f"http://127.0.0.1:{port}", token, data_dir
    finally:
        await bot.stop()


async def api_ready(session: aiohttp.ClientSession, url: str, token: str) -> None:
    for _ in range(200):
        try:
            async with session.get(
                url + "/v1/me", headers={"Authorization": f"Bearer {token}"}
            ) as r:
                if r.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise AssertionError("the bot process did not start")


async def accepted(client: EmulatorClient) -> int:
    return sum(sends_by_chat(await client.transcript()).values())


async def test_sigkill_mid_broadcast_loses_nothing_and_duplicates_only_inflight(
    crashable: tuple[BotProcess, str, str, Path], client: EmulatorClient
) -> None:
    bot, url, token, data_dir = crashable
    auth = {"Authorization": f"Bearer {token}"}
    body = {
        "regions": ["dl-north"],
        "severity": "Extreme",
        "expires_in_minutes": 60,
        "texts": {"en": {"headline": "Leave the north bank now", "body": "Go south."}},
    }
    async with aiohttp.ClientSession() as session:
        await bot.start()
        await api_ready(session, url, token)
        async with session.post(
            url + "/v1/alerts", json=body, headers={**auth, "Idempotency-Key": "crash"}
        ) as response:
            assert response.status == 201
            alert_id = (await response.json())["id"]
        while await accepted(client) < SUBSCRIBERS // 4:
            await asyncio.sleep(0.02)
        await bot.kill()
        at_crash = await accepted(client)
        assert at_crash < SUBSCRIBERS, "the crash must come mid-broadcast"

        await bot.start()
        await api_ready(session, url, token)
        for _ in range(300):
            async with session.get(url + f"/v1/alerts/{alert_id}", headers=auth) as response:
                alert = await response.json()
            if alert["state"] == "sent":
                break
            await asyncio.sleep(0.1)
        assert alert["state"] == "sent"
        await bot.stop()

    counts = sends_by_chat(await client.transcript())
    assert len(counts) == SUBSCRIBERS, "every subscriber received the warning at least once"
    duplicated = {chat for chat, n in counts.items() if n > 1}
    assert all(n <= 2 for n in counts.values())
    possibly = alert["delivery"]["possibly_duplicated"]
    assert len(duplicated) <= possibly <= CONCURRENCY

    os.environ["WAYMARK_MASTER_KEY"] = bot.env["WAYMARK_MASTER_KEY"]
    try:
        store = Store.open(data_dir)
        try:
            for chat in duplicated:
                row_id = store.users.row_id(chat)
                reason = store.db.read_sync(
                    lambda db, r=row_id: db.execute(  # type: ignore[misc]
                        "SELECT reason FROM outbox WHERE alert_id=? AND user_id=?", [alert_id, r]
                    ).fetchone()[0]
                )
                assert reason == RECOVERED, "a duplicate went to a row not in flight at the crash"
        finally:
            store.close()
    finally:
        del os.environ["WAYMARK_MASTER_KEY"]
