"""Alerts and idempotency keys; every state change is audited in the same transaction."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlite_utils

from bot.alerts.lifecycle import Alert, AlertDraft, AlertMedia, can_move
from bot.alerts.model import AlertText, CapReference
from bot.store import audit
from bot.store.database import Database

_COLUMNS = (
    "id, partner_id, author, state, status, msg_type, refers_to, severity, urgency, certainty,"
    " regions, texts, language, expires_at, created_at, decided_by, decided_at, reason,"
    " cap_sender, cap_identifier, cap_sent, source, sending_started_ms, media"
)


class TransitionError(Exception):
    """The alert is not in a state that allows the requested change."""

    def __init__(self, state: str) -> None:
        super().__init__(f"the alert is {state}")
        self.state = state


def _alert(row: tuple[Any, ...]) -> Alert:
    texts = {lang: AlertText(**value) for lang, value in json.loads(row[11]).items()}
    cap = CapReference(row[18], row[19], datetime.fromisoformat(row[20])) if row[18] else None
    media = AlertMedia(**json.loads(row[23])) if row[23] else None
    draft = AlertDraft(
        regions=tuple(json.loads(row[10])),
        texts=texts,
        language=row[12],
        severity=row[7],
        urgency=row[8],
        certainty=row[9],
        expires_at=int(row[13]),
        status=row[4],
        msg_type=row[5],
        refers_to=row[6],
        cap=cap,
        source=row[21],
        media=media,
    )
    return Alert(
        id=row[0],
        partner_id=row[1],
        author=row[2],
        state=row[3],
        draft=draft,
        created_at=int(row[14]),
        decided_by=row[15],
        decided_at=row[16],
        reason=row[17],
        sending_started_ms=row[22],
    )


def new_alert_id() -> str:
    return "al_" + secrets.token_hex(8)


class Alerts:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(
        self,
        draft: AlertDraft,
        *,
        partner_id: str,
        author: str,
        state: str,
        idempotency_key: str,
        request_hash: str,
    ) -> tuple[Alert, bool]:
        """Store a new alert, or return the one this idempotency key already created.

        Returns (alert, created). A replayed key with a different body raises KeyError.
        """

        def insert(db: sqlite_utils.Database) -> tuple[str, bool]:
            row = db.execute(
                "SELECT request_hash, alert_id FROM idempotency WHERE partner_id=? AND key=?",
                [partner_id, idempotency_key],
            ).fetchone()
            if row is not None:
                if row[0] != request_hash:
                    raise KeyError("idempotency key reused with a different request")
                return str(row[1]), False
            alert_id, now = new_alert_id(), int(time.time())
            cap = draft.cap
            db.execute(
                f"INSERT INTO alerts ({_COLUMNS}) VALUES "
                "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,NULL,?)",
                [
                    alert_id,
                    partner_id,
                    author,
                    state,
                    draft.status,
                    draft.msg_type,
                    draft.refers_to,
                    draft.severity,
                    draft.urgency,
                    draft.certainty,
                    json.dumps(list(draft.regions)),
                    json.dumps(
                        {k: v.to_dict() for k, v in draft.texts.items()}, ensure_ascii=False
                    ),
                    draft.language,
                    draft.expires_at,
                    now,
                    author if state == "approved" else None,
                    now if state == "approved" else None,
                    None,
                    cap.sender if cap else None,
                    cap.identifier if cap else None,
                    cap.sent.isoformat() if cap else None,
                    draft.source,
                    json.dumps(draft.media.to_dict()) if draft.media else None,
                ],
            )
            db.execute(
                "INSERT INTO idempotency VALUES (?,?,?,?,?)",
                [partner_id, idempotency_key, request_hash, alert_id, now],
            )
            audit.append(
                db,
                f"{partner_id}/{author}",
                "alert.create",
                alert_id,
                {
                    "state": state,
                    "status": draft.status,
                    "msg_type": draft.msg_type,
                    "refers_to": draft.refers_to,
                    "regions": list(draft.regions),
                },
            )
            return alert_id, True

        alert_id, created = await self._db.write(insert)
        alert = await self.get(alert_id)
        assert alert is not None
        return alert, created

    async def get(self, alert_id: str) -> Alert | None:
        def select(db: sqlite_utils.Database) -> Alert | None:
            row = db.execute(
                f"SELECT {_COLUMNS} FROM alerts WHERE id=?",
                [alert_id],
            ).fetchone()
            return _alert(row) if row else None

        return await self._db.read(select)

    async def of_partner(self, partner_id: str, limit: int = 100) -> list[Alert]:
        def select(db: sqlite_utils.Database) -> list[Alert]:
            rows = db.execute(
                f"SELECT {_COLUMNS} FROM alerts WHERE partner_id=? "
                "ORDER BY created_at DESC, id LIMIT ?",
                [partner_id, limit],
            )
            return [_alert(row) for row in rows]

        return await self._db.read(select)

    async def find_cap(
        self, sender: str, identifier: str, partner_id: str | None = None
    ) -> Alert | None:
        """The newest alert a CAP reference names, among one partner's alerts or anyone's.

        CAP's <sender> is self-declared, so two partners may use the same one: the owner's own
        alert must be found first.
        """

        def select(db: sqlite_utils.Database) -> Alert | None:
            row = db.execute(
                f"SELECT {_COLUMNS} FROM alerts WHERE cap_sender=? AND cap_identifier=? "
                "AND (? IS NULL OR partner_id=?) ORDER BY created_at DESC LIMIT 1",
                [sender, identifier, partner_id, partner_id],
            ).fetchone()
            return _alert(row) if row else None

        return await self._db.read(select)

    async def move(
        self,
        alert_id: str,
        to: str,
        *,
        actor: str,
        allowed_from: Iterable[str] | None = None,
        reason: str | None = None,
        decision: bool = False,
    ) -> Alert:
        """Change state if the lifecycle allows it, audited in the same transaction."""

        def update(db: sqlite_utils.Database) -> None:
            row = db.execute("SELECT state FROM alerts WHERE id=?", [alert_id]).fetchone()
            if row is None:
                raise LookupError(alert_id)
            state = str(row[0])
            if not can_move(state, to) or (allowed_from is not None and state not in allowed_from):
                raise TransitionError(state)
            now = int(time.time())
            if decision:
                db.execute(
                    "UPDATE alerts SET state=?, decided_by=?, decided_at=?, reason=? WHERE id=?",
                    [to, actor, now, reason, alert_id],
                )
            else:
                db.execute("UPDATE alerts SET state=? WHERE id=?", [to, alert_id])
            if to == "sending":
                db.execute(
                    "UPDATE alerts SET sending_started_ms=? WHERE id=?",
                    [int(time.time() * 1000), alert_id],
                )
            detail: dict[str, Any] = {"from": state, "to": to}
            if reason:
                detail["reason"] = reason
            audit.append(db, actor, f"alert.{to}", alert_id, detail, at=now)

        await self._db.write(update)
        alert = await self.get(alert_id)
        assert alert is not None
        return alert

    async def active(self, regions: Iterable[str], now: int, limit: int = 20) -> list[Alert]:
        """Alerts civilians may see now for any of these regions, newest first."""
        wanted = set(regions)

        def select(db: sqlite_utils.Database) -> list[Alert]:
            rows = db.execute(
                f"SELECT {_COLUMNS} FROM alerts WHERE state IN ('sending','sent') "
                "AND status='Actual' AND msg_type!='Cancel' AND expires_at>? "
                "ORDER BY created_at DESC LIMIT 500",
                [now],
            )
            found = [a for a in map(_alert, rows) if wanted & set(a.draft.regions)]
            return found[:limit]

        return await self._db.read(select)

    async def due_for_expiry(self, now: int) -> list[str]:
        def select(db: sqlite_utils.Database) -> list[str]:
            rows = db.execute(
                "SELECT id FROM alerts WHERE expires_at<=? AND state IN "
                "('pending','approved','sending','sent')",
                [now],
            )
            return [str(r[0]) for r in rows]

        return await self._db.read(select)
