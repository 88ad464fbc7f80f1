"""SQLite access: one writer thread, one reader thread, so the event loop never waits on disk.

SQLite allows one writer at a time; funnelling every write through a single thread with its own
connection removes lock contention, and WAL mode lets the reader thread run alongside it.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import sqlite_utils

from bot.errors import StartupError
from bot.store import migrations

T = TypeVar("T")


def _connect(path: Path) -> sqlite_utils.Database:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    db = sqlite_utils.Database(conn)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA foreign_keys=ON")
    # Deleted user rows must not linger in free pages of a seized file.
    db.execute("PRAGMA secure_delete=ON")
    return db


class Database:
    """The database file, its schema version, and the two threads that touch it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="waymark-db-write")
        self._reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="waymark-db-read")
        self._local = threading.local()
        self._closed = False

    @property
    def is_new(self) -> bool:
        return not self.path.exists() or self.path.stat().st_size == 0

    def _db(self) -> sqlite_utils.Database:
        db: sqlite_utils.Database | None = getattr(self._local, "db", None)
        if db is None:
            db = _connect(self.path)
            self._local.db = db
        return db

    def open_sync(self) -> int:
        """Check the file is ours and migrate it; returns the schema version. Runs on the writer."""
        return self._writer.submit(self._open_in_writer).result()

    def _open_in_writer(self) -> int:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            db = self._db()
            return migrations.migrate(db)
        except sqlite3.DatabaseError as exc:
            raise StartupError(
                f"{self.path} is not a Waymark database or is corrupt ({exc.__class__.__name__})"
            ) from None

    async def write(self, fn: Callable[[sqlite_utils.Database], T]) -> T:
        """Run fn in one transaction on the writer thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._writer, self._transaction, fn)

    async def read(self, fn: Callable[[sqlite_utils.Database], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._reader, self._call, fn)

    def write_sync(self, fn: Callable[[sqlite_utils.Database], T]) -> T:
        """For CLI commands that run outside the event loop."""
        return self._writer.submit(self._transaction, fn).result()

    def read_sync(self, fn: Callable[[sqlite_utils.Database], T]) -> T:
        return self._reader.submit(self._call, fn).result()

    def _call(self, fn: Callable[[sqlite_utils.Database], T]) -> T:
        return fn(self._db())

    def _transaction(self, fn: Callable[[sqlite_utils.Database], T]) -> T:
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            result = fn(db)
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        return result

    async def checkpoint(self) -> None:
        """Fold the WAL into the main file and truncate it, so deleted rows do not linger there
        (secure_delete only overwrites the main file)."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._writer, self._checkpoint)

    def _checkpoint(self) -> None:
        self._db().execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for pool in (self._writer, self._reader):
            pool.submit(self._close_local).result()
            pool.shutdown(wait=True)

    def _close_local(self) -> None:
        db: sqlite_utils.Database | None = getattr(self._local, "db", None)
        if db is not None:
            db.conn.close()
            self._local.db = None
