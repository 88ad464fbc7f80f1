"""The audit log: append-only and hash-chained, so an altered or deleted row is detectable.

Each row's hash covers its content and the previous row's hash; `verify` recomputes the chain.
Partner actions are not personal data and are stored in the clear for investigators.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from bot.store.database import Database

GENESIS = "0" * 64


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: int  # unix seconds
    actor: str  # partner id / credential id, or "operator"
    action: str
    subject: str | None  # an alert or resource id
    detail: dict[str, Any]
    prev_hash: str
    hash: str


def entry_hash(
    prev_hash: str,
    seq: int,
    at: int,
    actor: str,
    action: str,
    subject: str | None,
    detail: dict[str, Any],
) -> str:
    body = json.dumps(
        [prev_hash, seq, at, actor, action, subject, detail],
        separators=(",", ":"),
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(body.encode()).hexdigest()


def append(
    db: sqlite_utils.Database,
    actor: str,
    action: str,
    subject: str | None,
    detail: dict[str, Any] | None = None,
    *,
    at: int | None = None,
) -> AuditEntry:
    """Append inside the caller's transaction, so the action and its record commit together."""
    last = db.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
    seq, prev = (int(last[0]) + 1, str(last[1])) if last else (1, GENESIS)
    when = int(time.time()) if at is None else at
    body = detail or {}
    digest = entry_hash(prev, seq, when, actor, action, subject, body)
    db.execute(
        "INSERT INTO audit(seq, at, actor, action, subject, detail, prev_hash, hash) "
        "VALUES (?,?,?,?,?,?,?,?)",
        [seq, when, actor, action, subject, json.dumps(body, sort_keys=True), prev, digest],
    )
    return AuditEntry(seq, when, actor, action, subject, body, prev, digest)


def _rows(db: sqlite_utils.Database) -> Iterator[AuditEntry]:
    cursor = db.execute(
        "SELECT seq, at, actor, action, subject, detail, prev_hash, hash FROM audit ORDER BY seq"
    )
    for row in cursor:
        yield AuditEntry(
            int(row[0]),
            int(row[1]),
            str(row[2]),
            str(row[3]),
            row[4],
            json.loads(row[5]),
            str(row[6]),
            str(row[7]),
        )


@dataclass(frozen=True)
class Verdict:
    ok: bool
    rows: int
    problem: str | None = None


def verify_rows(db: sqlite_utils.Database) -> Verdict:
    prev, expected_seq, count = GENESIS, 1, 0
    for entry in _rows(db):
        count += 1
        if entry.seq != expected_seq:
            return Verdict(False, count, f"row {expected_seq} is missing (found {entry.seq})")
        if entry.prev_hash != prev:
            return Verdict(False, count, f"row {entry.seq} does not follow row {entry.seq - 1}")
        recomputed = entry_hash(
            prev, entry.seq, entry.at, entry.actor, entry.action, entry.subject, entry.detail
        )
        if recomputed != entry.hash:
            return Verdict(False, count, f"row {entry.seq} was altered")
        prev, expected_seq = entry.hash, expected_seq + 1
    return Verdict(True, count)


class AuditLog:
    def __init__(self, db: Database) -> None:
        self._db = db

    def verify(self) -> Verdict:
        return self._db.read_sync(verify_rows)

    def export(self) -> list[dict[str, Any]]:
        return self._db.read_sync(lambda db: [entry.__dict__ for entry in _rows(db)])

    async def entries(self, subject: str | None = None) -> list[AuditEntry]:
        def select(db: sqlite_utils.Database) -> list[AuditEntry]:
            return [e for e in _rows(db) if subject is None or e.subject == subject]

        return await self._db.read(select)
