"""The broadcast outbox: one row per (alert, recipient), so a crash loses and repeats nothing
beyond the rows that were in flight.

Record intent (queued → inflight), send, record the result (sent / failed / blocked). After a
crash, rows still inflight may or may not have reached Telegram: they are sent again (a duplicate
warning beats a missing one) and counted as possibly duplicated.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import sqlite_utils

from bot.store.database import Database
from bot.store.vault import Vault

RECOVERED = "recovered-inflight"


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(frozen=True)
class OutboxRow:
    alert_id: str
    user_id: bytes
    attempts: int
    message_id: int | None = None
    sealed: bytes | None = field(default=None, repr=False)  # the user's record, read with claim


@dataclass(frozen=True)
class _Finish:
    row: OutboxRow
    state: str
    message_id: int | None
    reason: str | None
    done: asyncio.Future[None]


def _settle(batch: list[_Finish], error: Exception | None) -> None:
    for f in batch:
        if f.done.done():
            continue
        if error is None:
            f.done.set_result(None)
        else:
            f.done.set_exception(error)


@dataclass
class DeliveryStats:
    queued: int = 0
    inflight: int = 0
    sent: int = 0
    failed: int = 0
    blocked: int = 0
    cancelled: int = 0
    possibly_duplicated: int = 0
    failed_by_reason: dict[str, int] = field(default_factory=dict)
    seconds_to: dict[str, float | None] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return self.queued + self.inflight + self.sent + self.failed + self.blocked + self.cancelled

    def to_dict(self) -> dict[str, object]:
        return {
            "total": self.total,
            "queued": self.queued,
            "inflight": self.inflight,
            "sent": self.sent,
            "failed": self.failed,
            "blocked": self.blocked,
            "cancelled": self.cancelled,
            "possibly_duplicated": self.possibly_duplicated,
            "failed_by_reason": self.failed_by_reason,
            "seconds_to": self.seconds_to,
        }


class Outbox:
    def __init__(self, db: Database, vault: Vault) -> None:
        self._db = db
        self._vault = vault
        self._finishing: list[_Finish] = []
        self._committer: asyncio.Task[None] | None = None

    async def enqueue(self, alert_id: str, regions: Sequence[str], priority: int) -> int:
        """One row per subscriber of any of the regions, found through the blind index.

        The insert-select runs inside SQLite, so recipients are never loaded into memory.
        """
        indexes = [self._vault.blind_index(code) for code in regions]
        if not indexes:
            return 0
        marks = ",".join("?" * len(indexes))

        def insert(db: sqlite_utils.Database) -> int:
            cursor = db.execute(
                "INSERT OR IGNORE INTO outbox(alert_id, user_id, priority, state, updated_at) "
                f"SELECT DISTINCT ?, user_id, ?, 'queued', ? FROM subscriptions "
                f"WHERE region_index IN ({marks})",
                [alert_id, priority, now_ms(), *indexes],
            )
            return int(cursor.rowcount)

        return await self._db.write(insert)

    async def enqueue_followers(self, alert_id: str, original_id: str, priority: int) -> int:
        """One row per person the original alert reached (a Cancel edits what they got)."""

        def insert(db: sqlite_utils.Database) -> int:
            cursor = db.execute(
                "INSERT OR IGNORE INTO outbox(alert_id, user_id, priority, state, updated_at) "
                "SELECT ?, user_id, ?, 'queued', ? FROM outbox WHERE alert_id=? AND state='sent'",
                [alert_id, priority, now_ms(), original_id],
            )
            return int(cursor.rowcount)

        return await self._db.write(insert)

    async def message_of(self, alert_id: str, user_id: bytes) -> int | None:
        """The Telegram message an alert became in one chat, if it was delivered."""

        def select(db: sqlite_utils.Database) -> int | None:
            row = db.execute(
                "SELECT message_id FROM outbox WHERE alert_id=? AND user_id=? AND state='sent'",
                [alert_id, user_id],
            ).fetchone()
            return int(row[0]) if row and row[0] is not None else None

        return await self._db.read(select)

    async def recent_messages(self, user_id: bytes, since_ms: int) -> list[int]:
        """Ids of warnings delivered to one chat since a moment (for wiping the chat)."""

        def select(db: sqlite_utils.Database) -> list[int]:
            rows = db.execute(
                "SELECT message_id FROM outbox WHERE user_id=? AND state='sent' "
                "AND message_id IS NOT NULL AND updated_at>=?",
                [user_id, since_ms],
            )
            return sorted({int(r[0]) for r in rows})

        return await self._db.read(select)

    async def claim(self, limit: int) -> list[OutboxRow]:
        """Mark up to `limit` queued rows in flight, most urgent alert first.

        Each row carries its recipient's sealed record (None if they are gone), read in the same
        transaction, so the sender needs no database read per message.
        """

        def take(db: sqlite_utils.Database) -> list[OutboxRow]:
            rows = db.execute(
                "SELECT o.alert_id, o.user_id, o.attempts, u.blob FROM outbox o "
                "LEFT JOIN users u ON u.id = o.user_id WHERE o.state='queued' "
                "ORDER BY o.priority, o.alert_id LIMIT ?",
                [limit],
            ).fetchall()
            stamp = now_ms()
            db.conn.executemany(
                "UPDATE outbox SET state='inflight', attempts=attempts+1, updated_at=? "
                "WHERE alert_id=? AND user_id=?",
                [(stamp, r[0], r[1]) for r in rows],
            )
            return [
                OutboxRow(
                    str(r[0]), bytes(r[1]), int(r[2]) + 1, sealed=bytes(r[3]) if r[3] else None
                )
                for r in rows
            ]

        return await self._db.write(take)

    async def finish(
        self,
        row: OutboxRow,
        state: str,
        *,
        message_id: int | None = None,
        reason: str | None = None,
    ) -> None:
        """Record a row's outcome; returns once it is committed.

        Outcomes that arrive while a commit is running are committed together in the next
        transaction (group commit): at Telegram's paid rate a transaction per message would keep
        the writer thread, and the event loop handing work to it, busy for nothing.
        """
        done = asyncio.get_running_loop().create_future()
        self._finishing.append(_Finish(row, state, message_id, reason, done))
        if self._committer is None or self._committer.done():
            self._committer = asyncio.create_task(self._commit_finished())
        await asyncio.shield(done)

    async def _commit_finished(self) -> None:
        while self._finishing:
            batch, self._finishing = self._finishing, []

            def update(db: sqlite_utils.Database, batch: list[_Finish] = batch) -> None:
                stamp = now_ms()
                db.conn.executemany(
                    "UPDATE outbox SET state=?, message_id=coalesce(?, message_id), "
                    "reason=CASE WHEN reason=? THEN reason ELSE ? END, updated_at=? "
                    "WHERE alert_id=? AND user_id=?",
                    [
                        (f.state, f.message_id, RECOVERED, f.reason, stamp, f.row.alert_id,
                         f.row.user_id)
                        for f in batch
                    ],
                )

            try:
                await self._db.write(update)
            except Exception as exc:
                _settle(batch, exc)  # each waiting caller sees the failure; the next batch goes on
                continue
            except BaseException:
                _settle(batch, RuntimeError("commit interrupted"))
                raise
            _settle(batch, None)

    async def requeue(self, row: OutboxRow) -> None:
        await self.finish(row, "queued")

    def recover(self) -> int:
        """At start: rows a crash left in flight go back to the queue, flagged."""

        def update(db: sqlite_utils.Database) -> int:
            cursor = db.execute(
                "UPDATE outbox SET state='queued', reason=? WHERE state='inflight'", [RECOVERED]
            )
            return int(cursor.rowcount)

        return self._db.write_sync(update)

    async def cancel(self, alert_id: str) -> int:
        """Stop a broadcast at once: nothing still queued for this alert goes out."""

        def update(db: sqlite_utils.Database) -> int:
            cursor = db.execute(
                "UPDATE outbox SET state='cancelled', updated_at=? "
                "WHERE alert_id=? AND state='queued'",
                [now_ms(), alert_id],
            )
            return int(cursor.rowcount)

        return await self._db.write(update)

    async def delivered(
        self, alert_id: str, after: bytes = b"", limit: int = 500
    ) -> list[OutboxRow]:
        """Rows that reached Telegram, paged by user id (for edits on Update and Cancel)."""

        def select(db: sqlite_utils.Database) -> list[OutboxRow]:
            rows = db.execute(
                "SELECT alert_id, user_id, attempts, message_id FROM outbox "
                "WHERE alert_id=? AND state='sent' AND user_id>? ORDER BY user_id LIMIT ?",
                [alert_id, after, limit],
            )
            return [OutboxRow(str(r[0]), bytes(r[1]), int(r[2]), r[3]) for r in rows]

        return await self._db.read(select)

    async def pending(self, alert_id: str) -> int:
        def count(db: sqlite_utils.Database) -> int:
            return int(
                db.execute(
                    "SELECT count(*) FROM outbox "
                    "WHERE alert_id=? AND state IN ('queued','inflight')",
                    [alert_id],
                ).fetchone()[0]
            )

        return await self._db.read(count)

    async def stats(self, alert_id: str, started_ms: int | None = None) -> DeliveryStats:
        def select(db: sqlite_utils.Database) -> DeliveryStats:
            result = DeliveryStats()
            for state, reason, n in db.execute(
                "SELECT state, reason, count(*) FROM outbox "
                "WHERE alert_id=? GROUP BY state, reason",
                [alert_id],
            ):
                setattr(result, state, getattr(result, state) + int(n))
                if reason == RECOVERED:
                    result.possibly_duplicated += int(n)
                elif state == "failed" and reason:
                    result.failed_by_reason[reason] = result.failed_by_reason.get(reason, 0) + n
            if started_ms is not None and result.total:
                # Streamed, never listed: an alert to a million people must not cost a million
                # integers per status request.
                marks: dict[int, list[str]] = {}
                for label, share in (("p50", 0.5), ("p95", 0.95), ("p100", 1.0)):
                    marks.setdefault(max(1, int(result.total * share + 0.999999)), []).append(label)
                result.seconds_to = dict.fromkeys(("p50", "p95", "p100"))
                rows = db.execute(
                    "SELECT updated_at FROM outbox WHERE alert_id=? AND state='sent' "
                    "ORDER BY updated_at",
                    [alert_id],
                )
                for position, (updated_at,) in enumerate(rows, start=1):
                    for label in marks.get(position, ()):
                        result.seconds_to[label] = (int(updated_at) - started_ms) / 1000
            return result

        return await self._db.read(select)
