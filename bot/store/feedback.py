"""Mismatch reports on guide steps, counted per step and app platform only (no one's identity)."""

from __future__ import annotations

import sqlite_utils

from bot.store.database import Database

APPS = ("android", "ios", "web", "desktop")


class Feedback:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def mismatch(self, step_id: str, app: str) -> None:
        if app not in APPS:
            raise ValueError("unknown app platform")

        def bump(db: sqlite_utils.Database) -> None:
            db.execute(
                "INSERT INTO step_feedback(step_id, app, count) VALUES (?,?,1) "
                "ON CONFLICT(step_id, app) DO UPDATE SET count=count+1",
                [step_id, app],
            )

        await self._db.write(bump)

    def report(self) -> list[tuple[str, str, int]]:
        """Most reported first: the steps to review before any other."""

        def select(db: sqlite_utils.Database) -> list[tuple[str, str, int]]:
            rows = db.execute(
                "SELECT step_id, app, count FROM step_feedback ORDER BY count DESC, step_id, app"
            )
            return [(str(r[0]), str(r[1]), int(r[2])) for r in rows]

        return self._db.read_sync(select)
