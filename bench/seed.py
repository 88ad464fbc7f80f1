"""A data directory with many subscribers, sealed by the real store, and a benchmark partner."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.store.records import UserRecord
from bot.store.store import DB_NAME, Store
from bot.store.users import today

PARTNER = "bench"


@dataclass(frozen=True)
class Group:
    """`count` people with chat ids from `first_id`, English, following `region` (or none)."""

    first_id: int
    count: int
    region: str | None

    @property
    def ids(self) -> range:
        return range(self.first_id, self.first_id + self.count)


def _records(groups: Sequence[Group]) -> Iterator[UserRecord]:
    day = today()
    for group in groups:
        regions = [group.region] if group.region else []
        for chat_id in group.ids:
            yield UserRecord(
                chat_id=chat_id, lang="en", created_day=day, privacy_seen=True, regions=regions
            )


def seed(data_dir: Path, groups: Sequence[Group]) -> int:
    """Add the groups' people (import_many: sealed rows plus blind-index subscriptions)."""
    store = Store.open(data_dir)
    try:
        return store.users.import_many(_records(groups))
    finally:
        store.close()


def add_partner(data_dir: Path) -> str:
    """An instant-trust partner for all of Demoland; returns its author token."""
    store = Store.open(data_dir)
    try:
        store.partners.add(PARTNER, "Benchmark siren feed", ["dl"], trust="instant")
        _, token = store.partners.add_credential(PARTNER, "feed", ["author"])
        return token
    finally:
        store.close()


def checkpointed_size(data_dir: Path) -> int:
    """Bytes of the database file plus its WAL after a full checkpoint (no process has it open)."""
    path = data_dir / DB_NAME
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    wal = path.with_name(DB_NAME + "-wal")
    return path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)
