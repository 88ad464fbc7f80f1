"""What a seized database file and the logs reveal: nothing that points at a person."""

from __future__ import annotations

import logging
import sqlite3
import struct
from pathlib import Path

import pytest

from bot import logs
from bot.app import Waymark
from bot.emulator.client import EmulatorClient
from bot.store.store import DB_NAME
from tests.conftest import TOKEN
from tests.test_e2e_skeleton import ALICE, BORIS

USERNAMES = {ALICE: "alice_in_kharkiv", BORIS: "boris_secret_handle"}


def identifying_patterns(chat_id: int, username: str) -> dict[str, bytes]:
    patterns = {
        "decimal": str(chat_id).encode(),
        "8-byte little-endian": struct.pack("<q", chat_id),
        "8-byte big-endian": struct.pack(">q", chat_id),
        "username": username.encode(),
    }
    if chat_id < 2**32:
        patterns["4-byte little-endian"] = struct.pack("<I", chat_id)
        patterns["4-byte big-endian"] = struct.pack(">I", chat_id)
    return patterns


async def use_the_bot(client: EmulatorClient) -> None:
    for user_id, username in USERNAMES.items():
        await client.create_user(user_id, language_code="fr", username=username)
        await client.send_and_wait(user_id, "/start")
        await client.press_and_wait(user_id, label="Français")
        await client.press_and_wait(user_id, label="J’ai compris, continuer")
        await client.send_and_wait(user_id, "my family is in the old town")
        await client.send_and_wait(user_id, "/help")


async def test_database_files_hold_no_chat_id_username_or_clear_language(
    waymark: Waymark, client: EmulatorClient, data_dir: Path
) -> None:
    await use_the_bot(client)
    files = [p for p in data_dir.iterdir() if p.name.startswith(DB_NAME)]  # noqa: ASYNC240
    assert any(p.name.endswith("-wal") for p in files), "the WAL file is checked too"
    for path in files:
        raw = path.read_bytes()
        for user_id, username in USERNAMES.items():
            for kind, pattern in identifying_patterns(user_id, username).items():
                assert pattern not in raw, f"{path.name} contains a chat's {kind}"
        assert b"old town" not in raw

    conn = sqlite3.connect(data_dir / DB_NAME)
    try:
        columns = {row[1] for row in conn.execute("PRAGMA table_info(users)")}
        assert columns == {"id", "key_id", "blob", "active_day"}
        for table in ("users", "subscriptions"):
            for row in conn.execute(f"SELECT * FROM {table}"):
                for value in row:
                    assert value not in ("fr", "en", "French", "Français"), f"{table} in clear"
    finally:
        conn.close()


async def test_debug_logs_hold_no_chat_id_text_or_token(
    waymark: Waymark, client: EmulatorClient, caplog: pytest.LogCaptureFixture
) -> None:
    logs.configure("DEBUG")
    caplog.set_level(logging.DEBUG)
    await use_the_bot(client)
    await waymark.application.bot.send_message(ALICE, "a message text that must stay private")
    forbidden = [
        TOKEN,
        TOKEN.split(":")[1],
        *(str(user_id) for user_id in USERNAMES),
        *USERNAMES.values(),
        "old town",
        "must stay private",
        "Que voulez-vous faire",
    ]
    assert caplog.records, "the test must see records to mean anything"
    for record in caplog.records:
        rendered = record.getMessage()
        if record.exc_info:
            rendered += logging.Formatter().formatException(record.exc_info)
        for secret in forbidden:
            assert secret not in rendered, f"{record.name} logged something private"
