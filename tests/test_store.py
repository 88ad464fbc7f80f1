"""The encrypted store on a real SQLite file with real keys."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest

from bot.errors import StartupError
from bot.store.keys import ENV_VAR, MasterKey, new_key_text
from bot.store.records import UserRecord
from bot.store.store import DB_NAME, KEY_NAME, Store
from bot.store.vault import Vault, VaultError

CHAT_ID = 4_812_345_678


@pytest.fixture(autouse=True)
def _no_env_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)


async def test_record_round_trip_and_forget(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    try:
        await store.users.save(UserRecord(chat_id=CHAT_ID, lang="fr", regions=["demo-north"]))
        loaded = await store.users.get(CHAT_ID)
        assert loaded is not None and loaded.lang == "fr" and loaded.regions == ["demo-north"]
        assert await store.users.get(CHAT_ID + 1) is None
        assert await store.users.forget(CHAT_ID) is True
        assert await store.users.get(CHAT_ID) is None
        assert await store.users.forget(CHAT_ID) is False
    finally:
        store.close()


def test_key_file_created_private_and_reused(tmp_path: Path) -> None:
    Store.open(tmp_path).close()
    key_file = tmp_path / KEY_NAME
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    before = key_file.read_text()
    Store.open(tmp_path).close()
    assert key_file.read_text() == before


def test_missing_key_for_existing_database_is_a_clear_error(tmp_path: Path) -> None:
    Store.open(tmp_path).close()
    (tmp_path / KEY_NAME).unlink()
    with pytest.raises(StartupError, match="no master key"):
        Store.open(tmp_path)
    assert not (tmp_path / KEY_NAME).exists(), "must not silently create a new key"


def test_wrong_key_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    Store.open(tmp_path).close()
    monkeypatch.setenv(ENV_VAR, new_key_text())
    with pytest.raises(StartupError, match="does not open this database"):
        Store.open(tmp_path)


def test_malformed_key_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, "not-a-key")
    with pytest.raises(StartupError, match="malformed"):
        Store.open(tmp_path)


def test_corrupt_database_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, new_key_text())
    (tmp_path / DB_NAME).write_bytes(os.urandom(4096))
    with pytest.raises(StartupError, match="not a Waymark database or is corrupt"):
        Store.open(tmp_path)


def test_foreign_sqlite_database_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_VAR, new_key_text())
    conn = sqlite3.connect(tmp_path / DB_NAME)
    conn.execute("CREATE TABLE notes (body TEXT)")
    conn.commit()
    conn.close()
    with pytest.raises(StartupError, match="belongs to another program"):
        Store.open(tmp_path)


def test_sealed_record_is_bound_to_its_row() -> None:
    vault = Vault(MasterKey(b"k" * 32))
    row_a, row_b = vault.pseudonym(1), vault.pseudonym(2)
    blob = vault.seal(row_a, {"chat_id": 1})
    assert vault.open(row_a, blob) == {"chat_id": 1}
    with pytest.raises(VaultError):
        vault.open(row_b, blob)
    tampered = blob[:-1] + bytes([blob[-1] ^ 1])
    with pytest.raises(VaultError):
        vault.open(row_a, tampered)
    other = Vault(MasterKey(b"x" * 32))
    with pytest.raises(VaultError):
        other.open(row_a, blob)


def test_pseudonyms_and_indexes_depend_on_the_key() -> None:
    one, two = Vault(MasterKey(b"a" * 32)), Vault(MasterKey(b"b" * 32))
    assert one.pseudonym(CHAT_ID) == one.pseudonym(CHAT_ID)
    assert one.pseudonym(CHAT_ID) != two.pseudonym(CHAT_ID)
    assert one.blind_index("demo-north") != two.blind_index("demo-north")
    assert one.blind_index("demo-north") != one.pseudonym(CHAT_ID)
