"""`waymark keys rotate`: move every record, pseudonym and blind index to a new master key.

Resumable: the key file holds both keys while rotating, each batch commits on its own, and a
row already under the new key is skipped. Only after every row moved is the old key destroyed.
Run it while the bot is stopped.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from pathlib import Path

import sqlite_utils

from bot.errors import StartupError
from bot.store.database import Database
from bot.store.keys import (
    ENV_VAR,
    MasterKey,
    new_key_text,
    parse_key,
    read_rotation,
    replace_key_file,
)
from bot.store.records import UserRecord
from bot.store.store import DB_NAME, KEY_CHECK_ROW
from bot.store.vault import Vault, VaultError

BATCH = 500

Progress = Callable[[int, int], None]


def _move_batch(db: sqlite_utils.Database, old: Vault, new: Vault) -> int:
    rows = db.execute(
        "SELECT id, blob, active_day FROM users WHERE key_id=? LIMIT ?", [old.key_id, BATCH]
    ).fetchall()
    for row_id, blob, day in rows:
        row_id = bytes(row_id)
        try:
            record = UserRecord.from_dict(old.open(row_id, bytes(blob)))
        except VaultError:
            raise StartupError(
                "a record does not open with the current key; rotation stopped"
            ) from None
        new_id = new.pseudonym(record.chat_id)
        db.execute(
            "INSERT OR REPLACE INTO users(id, key_id, blob, active_day) VALUES (?,?,?,?)",
            [new_id, new.key_id, new.seal(new_id, record.to_dict()), day],
        )
        db.execute("DELETE FROM subscriptions WHERE user_id=?", [row_id])
        db.conn.executemany(
            "INSERT OR IGNORE INTO subscriptions(region_index, user_id) VALUES (?,?)",
            [(new.blind_index(code), new_id) for code in record.regions],
        )
        db.execute("UPDATE outbox SET user_id=? WHERE user_id=?", [new_id, row_id])
        db.execute("DELETE FROM users WHERE id=?", [row_id])
    return len(rows)


def _remaining(db: sqlite_utils.Database, key_id: str) -> int:
    return int(db.execute("SELECT count(*) FROM users WHERE key_id=?", [key_id]).fetchone()[0])


def _seal_key_check(db: sqlite_utils.Database, vault: Vault) -> None:
    sealed = base64.b64encode(vault.seal(KEY_CHECK_ROW, {"app": "waymark"})).decode()
    db.execute("UPDATE waymark_meta SET value=? WHERE key='key_check'", [sealed])


def rotate(data_dir: Path, key_file: Path, progress: Progress) -> str:
    """Rotate to a fresh key (or finish an interrupted rotation); returns the new key id."""
    if os.environ.get(ENV_VAR):
        raise StartupError(
            f"rotation rewrites the key file: unset ${ENV_VAR}, rotate, then store the new key "
            "from the key file in your secret store"
        )
    if not key_file.exists():
        raise StartupError(f"no key file at {key_file}")
    current, upcoming = read_rotation(key_file)
    if upcoming is None:
        text = new_key_text()
        upcoming = parse_key(text, "the new key")
        replace_key_file(key_file, {"current": _text(current), "next": text})
    old, new = Vault(current), Vault(upcoming)
    db = Database(data_dir / DB_NAME)
    try:
        db.open_sync()
        total = db.read_sync(lambda conn: _remaining(conn, old.key_id))
        done = 0
        progress(done, total)
        while True:
            moved = db.write_sync(lambda conn: _move_batch(conn, old, new))
            if not moved:
                break
            done += moved
            progress(done, total)
        db.write_sync(lambda conn: _seal_key_check(conn, new))
    finally:
        db.close()
    replace_key_file(key_file, {"current": _text(upcoming)})
    return new.key_id


def _text(key: MasterKey) -> str:
    return base64.urlsafe_b64encode(key.secret).decode().rstrip("=")
