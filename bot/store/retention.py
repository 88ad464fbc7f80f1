"""Retention: what Waymark no longer needs is deleted on a schedule, and logged by counts only.

- Telegram message ids of warnings: kept while a warning can still be updated or cancelled (until
  it expires), and never beyond the 48 hours a wipe could use them; then cleared.
- Alerts, their outbox rows and idempotency keys: deleted a configurable time after expiry (the
  audit log keeps the record of what happened).
- Inactive people: deleted only if the deployment enables it.
"""

from __future__ import annotations

import time

import sqlite_utils

from bot.store.database import Database
from bot.store.users import today

WIPE_WINDOW_MS = 48 * 3600 * 1000
FINAL = "('sent','failed','blocked','cancelled')"


def _purge(
    db: sqlite_utils.Database, now: float, alert_retention_days: int, inactive_days: int
) -> dict[str, int]:
    now_s, now_ms = int(now), int(now * 1000)
    counts: dict[str, int] = {}
    counts["message_ids"] = db.execute(
        "UPDATE outbox SET message_id=NULL WHERE message_id IS NOT NULL "
        f"AND state IN {FINAL} AND updated_at<? "
        "AND alert_id IN (SELECT id FROM alerts WHERE expires_at<?)",
        [now_ms - WIPE_WINDOW_MS, now_s],
    ).rowcount
    cutoff = now_s - alert_retention_days * 86400
    old = (
        "SELECT id FROM alerts WHERE expires_at<? "
        "AND state IN ('sent','rejected','cancelled','expired')"
    )
    counts["outbox_rows"] = db.execute(
        f"DELETE FROM outbox WHERE alert_id IN ({old})", [cutoff]
    ).rowcount
    db.execute(f"DELETE FROM idempotency WHERE alert_id IN ({old})", [cutoff])
    # Follow-ups (Update/Cancel) point at older alerts: delete them first.
    counts["alerts"] = 0
    while True:
        removed = db.execute(
            f"DELETE FROM alerts WHERE id IN ({old}) "
            "AND id NOT IN (SELECT refers_to FROM alerts WHERE refers_to IS NOT NULL)",
            [cutoff],
        ).rowcount
        counts["alerts"] += removed
        if not removed:
            break
    counts["inactive_users"] = 0
    if inactive_days > 0:
        stale = "SELECT id FROM users WHERE active_day<?"
        limit = today(now) - inactive_days
        db.execute(f"DELETE FROM subscriptions WHERE user_id IN ({stale})", [limit])
        db.execute(f"DELETE FROM outbox WHERE user_id IN ({stale})", [limit])
        counts["inactive_users"] = db.execute(
            "DELETE FROM users WHERE active_day<?", [limit]
        ).rowcount
    return counts


class Retention:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def purge(
        self, *, alert_retention_days: int, inactive_days: int, now: float | None = None
    ) -> dict[str, int]:
        moment = time.time() if now is None else now
        return await self._db.write(
            lambda db: _purge(db, moment, alert_retention_days, inactive_days)
        )
