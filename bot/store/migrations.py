"""Versioned schema migrations; each runs once, in order, inside one transaction."""

from __future__ import annotations

from collections.abc import Callable

import sqlite_utils

from bot.errors import StartupError

APP_ID = "waymark"


def _v1(db: sqlite_utils.Database) -> None:
    db.execute(
        "CREATE TABLE users ("
        " id BLOB PRIMARY KEY,"  # HMAC(pseudonym key, chat id)
        " key_id TEXT NOT NULL,"  # which master key sealed the blob (rotation)
        " blob BLOB NOT NULL,"  # AES-GCM sealed record, bound to id and key_id
        " active_day INTEGER NOT NULL"  # days since epoch: enough for inactivity purges
        ") WITHOUT ROWID"
    )
    db.execute(
        "CREATE TABLE subscriptions ("
        " region_index BLOB NOT NULL,"  # HMAC(index key, region code)
        " user_id BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
        " PRIMARY KEY (region_index, user_id)"
        ") WITHOUT ROWID"
    )
    db.execute("CREATE INDEX subscriptions_user ON subscriptions(user_id)")


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [_v1]


def _table_names(db: sqlite_utils.Database) -> set[str]:
    rows = db.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall()
    return {str(row[0]) for row in rows}


def current_version(db: sqlite_utils.Database) -> int:
    row = db.execute("SELECT value FROM waymark_meta WHERE key='schema_version'").fetchone()
    return int(row[0]) if row else 0


def migrate(db: sqlite_utils.Database) -> int:
    """Bring the schema up to date; refuse a SQLite file that belongs to something else."""
    tables = _table_names(db)
    if "waymark_meta" not in tables:
        if tables:
            raise StartupError("the database file belongs to another program (no Waymark schema)")
        db.execute("BEGIN IMMEDIATE")
        db.execute("CREATE TABLE waymark_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        db.execute("INSERT INTO waymark_meta VALUES ('app', ?)", [APP_ID])
        db.execute("INSERT INTO waymark_meta VALUES ('schema_version', '0')")
        db.execute("COMMIT")
    version = current_version(db)
    if version > len(MIGRATIONS):
        raise StartupError(
            f"the database schema (version {version}) is newer than this Waymark "
            f"(knows up to {len(MIGRATIONS)}): upgrade Waymark"
        )
    for number in range(version + 1, len(MIGRATIONS) + 1):
        db.execute("BEGIN IMMEDIATE")
        try:
            MIGRATIONS[number - 1](db)
            db.execute("UPDATE waymark_meta SET value=? WHERE key='schema_version'", [str(number)])
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
    return len(MIGRATIONS)
