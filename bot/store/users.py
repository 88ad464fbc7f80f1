"""The user repository: the only code that turns a chat id into a row and back."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable

import sqlite_utils

from bot.store.database import Database
from bot.store.records import UserRecord
from bot.store.vault import Vault, VaultError

SECONDS_PER_DAY = 86400


def today(now: float | None = None) -> int:
    """Days since the epoch: dates are stored as days, never instants."""
    return int((time.time() if now is None else now) // SECONDS_PER_DAY)


def _upsert(db: sqlite_utils.Database, row_id: bytes, key_id: str, blob: bytes, day: int) -> None:
    db.execute(
        "INSERT INTO users(id, key_id, blob, active_day) VALUES (?,?,?,?) "
        "ON CONFLICT(id) DO UPDATE SET key_id=excluded.key_id, blob=excluded.blob, "
        "active_day=excluded.active_day",
        [row_id, key_id, blob, day],
    )


class Users:
    """Load, save and forget user records, sealed by the vault."""

    def __init__(self, db: Database, vault: Vault) -> None:
        self._db = db
        self._vault = vault
        # Told of every deleted row, so a sender holding a claimed message for that person drops
        # it instead of delivering it after /forget.
        self.forgotten_listeners: list[Callable[[bytes], None]] = []

    async def get(self, chat_id: int) -> UserRecord | None:
        row_id = self._vault.pseudonym(chat_id)

        def fetch(db: sqlite_utils.Database) -> tuple[str, bytes] | None:
            row = db.execute("SELECT key_id, blob FROM users WHERE id=?", [row_id]).fetchone()
            return (str(row[0]), bytes(row[1])) if row else None

        found = await self._db.read(fetch)
        if found is None:
            return None
        try:
            record = UserRecord.from_dict(self._vault.open(row_id, found[1]))
        except VaultError:
            # A record that no longer opens is unusable; treat the person as new rather than fail.
            return None
        if record.chat_id != chat_id:
            return None
        return record

    async def save(self, record: UserRecord) -> None:
        row_id = self._vault.pseudonym(record.chat_id)
        blob = self._vault.seal(row_id, record.to_dict())
        key_id = self._vault.key_id
        day = today()

        def upsert(db: sqlite_utils.Database) -> None:
            _upsert(db, row_id, key_id, blob, day)

        await self._db.write(upsert)

    async def forget(self, chat_id: int) -> bool:
        """Delete everything about a person at once; True if there was anything.

        The WAL is checkpointed and truncated right after, so no earlier version of the row
        stays in the -wal file of a server that is seized later.
        """
        found = await self.forget_row(self._vault.pseudonym(chat_id))
        await self._db.checkpoint()
        return found

    async def set_regions(self, record: UserRecord, regions: list[str]) -> None:
        """Save the record and replace its blind-index subscriptions in one transaction."""
        record.regions = sorted(set(regions))
        row_id = self._vault.pseudonym(record.chat_id)
        blob = self._vault.seal(row_id, record.to_dict())
        indexes = [self._vault.blind_index(code) for code in record.regions]
        key_id, day = self._vault.key_id, today()

        def replace(db: sqlite_utils.Database) -> None:
            _upsert(db, row_id, key_id, blob, day)
            db.execute("DELETE FROM subscriptions WHERE user_id=?", [row_id])
            db.conn.executemany(
                "INSERT INTO subscriptions(region_index, user_id) VALUES (?,?)",
                [(index, row_id) for index in indexes],
            )

        await self._db.write(replace)

    async def open_row(self, row_id: bytes) -> UserRecord | None:
        """Decrypt one row by its pseudonym (the broadcaster, just before sending)."""

        def fetch(db: sqlite_utils.Database) -> bytes | None:
            row = db.execute("SELECT blob FROM users WHERE id=?", [row_id]).fetchone()
            return bytes(row[0]) if row else None

        return self.open_sealed(row_id, await self._db.read(fetch))

    def open_sealed(self, row_id: bytes, blob: bytes | None) -> UserRecord | None:
        """Decrypt a record already read (the outbox hands them out with each claim)."""
        if blob is None:
            return None
        try:
            return UserRecord.from_dict(self._vault.open(row_id, blob))
        except VaultError:
            return None

    async def forget_row(self, row_id: bytes, *, keep_deliveries: bool = False) -> bool:
        """Delete by pseudonym: the row, its subscriptions and its delivery records.

        Used by /forget and for a person who blocked the bot, found while broadcasting (then the
        running broadcast keeps its outbox row to count the outcome; retention purges it).
        """

        def delete(db: sqlite_utils.Database) -> bool:
            db.execute("DELETE FROM subscriptions WHERE user_id=?", [row_id])
            if not keep_deliveries:
                db.execute("DELETE FROM outbox WHERE user_id=?", [row_id])
            cursor = db.execute("DELETE FROM users WHERE id=?", [row_id])
            return bool(cursor.rowcount)

        found = await self._db.write(delete)
        for listener in self.forgotten_listeners:
            listener(row_id)
        return found

    def row_id(self, chat_id: int) -> bytes:
        return self._vault.pseudonym(chat_id)

    def import_many(self, records: Iterable[UserRecord], batch: int = 5000) -> int:
        """Seal and store many records with their subscriptions (benchmarks, migrations).

        Runs on the writer thread in batches, so a million rows never sit in memory at once.
        """
        total = 0
        chunk: list[tuple[bytes, bytes, list[bytes]]] = []
        for record in records:
            row_id = self._vault.pseudonym(record.chat_id)
            indexes = [self._vault.blind_index(code) for code in record.regions]
            chunk.append((row_id, self._vault.seal(row_id, record.to_dict()), indexes))
            if len(chunk) >= batch:
                total += self._db.write_sync(functools.partial(self._insert_rows, rows=chunk))
                chunk = []
        if chunk:
            total += self._db.write_sync(functools.partial(self._insert_rows, rows=chunk))
        return total

    def _insert_rows(
        self, db: sqlite_utils.Database, rows: list[tuple[bytes, bytes, list[bytes]]]
    ) -> int:
        key_id, day = self._vault.key_id, today()
        for row_id, blob, indexes in rows:
            _upsert(db, row_id, key_id, blob, day)
            db.conn.executemany(
                "INSERT OR IGNORE INTO subscriptions(region_index, user_id) VALUES (?,?)",
                [(index, row_id) for index in indexes],
            )
        return len(rows)

    async def count(self) -> int:
        def count(db: sqlite_utils.Database) -> int:
            return int(db.execute("SELECT count(*) FROM users").fetchone()[0])

        return await self._db.read(count)
