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


def _v2(db: sqlite_utils.Database) -> None:
    """Partners, their credentials, alerts, idempotency keys, the audit log and the outbox.

    None of these is personal data except the outbox, which holds pseudonymous row ids only.
    """
    db.execute(
        "CREATE TABLE partners ("
        " id TEXT PRIMARY KEY, name TEXT NOT NULL, regions TEXT NOT NULL,"
        " trust TEXT NOT NULL, language TEXT NOT NULL,"
        " created_at INTEGER NOT NULL, revoked_at INTEGER)"
    )
    db.execute(
        "CREATE TABLE credentials ("
        " id TEXT PRIMARY KEY, partner_id TEXT NOT NULL REFERENCES partners(id),"
        " label TEXT NOT NULL, roles TEXT NOT NULL, token_hash BLOB NOT NULL,"
        " created_at INTEGER NOT NULL, revoked_at INTEGER)"
    )
    db.execute(
        "CREATE TABLE alerts ("
        " id TEXT PRIMARY KEY, partner_id TEXT NOT NULL REFERENCES partners(id),"
        " author TEXT NOT NULL, state TEXT NOT NULL, status TEXT NOT NULL,"
        " msg_type TEXT NOT NULL, refers_to TEXT REFERENCES alerts(id),"
        " severity TEXT NOT NULL, urgency TEXT NOT NULL, certainty TEXT NOT NULL,"
        " regions TEXT NOT NULL, texts TEXT NOT NULL, language TEXT NOT NULL,"
        " media TEXT, expires_at INTEGER NOT NULL, created_at INTEGER NOT NULL,"
        " decided_by TEXT, decided_at INTEGER, reason TEXT,"
        " cap_sender TEXT, cap_identifier TEXT, cap_sent TEXT, source TEXT NOT NULL,"
        " sending_started_ms INTEGER)"
    )
    db.execute("CREATE INDEX alerts_partner ON alerts(partner_id, created_at)")
    db.execute("CREATE INDEX alerts_cap ON alerts(cap_sender, cap_identifier)")
    db.execute(
        "CREATE TABLE idempotency ("
        " partner_id TEXT NOT NULL, key TEXT NOT NULL, request_hash TEXT NOT NULL,"
        " alert_id TEXT NOT NULL, created_at INTEGER NOT NULL,"
        " PRIMARY KEY (partner_id, key)) WITHOUT ROWID"
    )
    db.execute(
        "CREATE TABLE audit ("
        " seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, actor TEXT NOT NULL,"
        " action TEXT NOT NULL, subject TEXT, detail TEXT NOT NULL,"
        " prev_hash TEXT NOT NULL, hash TEXT NOT NULL)"
    )
    # Append-only: the database itself refuses edits and deletes of audit rows.
    db.execute(
        "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit "
        "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END"
    )
    db.execute(
        "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit "
        "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END"
    )
    db.execute(
        "CREATE TABLE outbox ("
        " alert_id TEXT NOT NULL, user_id BLOB NOT NULL, priority INTEGER NOT NULL,"
        " state TEXT NOT NULL, message_id INTEGER, attempts INTEGER NOT NULL DEFAULT 0,"
        " reason TEXT, updated_at INTEGER NOT NULL,"
        " PRIMARY KEY (alert_id, user_id)) WITHOUT ROWID"
    )
    db.execute("CREATE INDEX outbox_pending ON outbox(state, priority, alert_id)")


def _v3(db: sqlite_utils.Database) -> None:
    """Counts of "this doesn't match my app" per step and app platform: never per person."""
    db.execute(
        "CREATE TABLE step_feedback ("
        " step_id TEXT NOT NULL, app TEXT NOT NULL, count INTEGER NOT NULL,"
        " PRIMARY KEY (step_id, app)) WITHOUT ROWID"
    )


def _v4(db: sqlite_utils.Database) -> None:
    """Resource hubs: vetted services per region, kept current by partners (not personal data).

    A retired entry keeps its row (retired_at set) so the audit log's subjects stay resolvable.
    """
    db.execute(
        "CREATE TABLE resources ("
        " id TEXT PRIMARY KEY, category TEXT NOT NULL, name TEXT NOT NULL,"
        " contacts TEXT NOT NULL, hours TEXT, languages TEXT NOT NULL, regions TEXT NOT NULL,"
        " verified_by TEXT NOT NULL, last_verified TEXT NOT NULL, expires TEXT NOT NULL,"
        " source TEXT NOT NULL, updated_at INTEGER NOT NULL, retired_at INTEGER)"
    )
    db.execute("CREATE INDEX resources_category ON resources(category, expires)")


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [_v1, _v2, _v3, _v4]


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
