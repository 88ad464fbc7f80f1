"""Delivers queued alerts from the outbox at the rate limit, surviving crashes.

Rows are claimed (intent recorded) a few at a time, so memory stays flat whatever the audience;
each chat id is decrypted just before its send and forgotten right after.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import ExtBot

from bot.alerts.lifecycle import Alert
from bot.alerts.ratelimit import SendLimiter
from bot.alerts.render import render_alert
from bot.bot_methods import EDIT_MESSAGE_TEXT, SEND_MESSAGE, SEND_PHOTO, retry_seconds
from bot.i18n.catalogs import Catalogs
from bot.regions import Regions
from bot.store.outbox import OutboxRow
from bot.store.records import UserRecord
from bot.store.store import Store

log = logging.getLogger(__name__)

MAX_NETWORK_TRIES = 4
FINISH_CHECK_SECONDS = 0.2
CAPTION_LIMIT = 1024
BROADCAST = "broadcast"  # rate_limit_args marking sends that already waited in the limiter


class Broadcaster:
    def __init__(
        self,
        store: Store,
        bot: ExtBot[str],
        catalogs: Catalogs,
        regions: Regions,
        limiter: SendLimiter,
        *,
        concurrency: int = 16,
        paid: bool = False,
    ) -> None:
        self.store = store
        self.bot = bot
        self.catalogs = catalogs
        self.regions = regions
        self.limiter = limiter
        self.concurrency = concurrency
        self._claim_batch = max(1, concurrency // 4)
        self.paid = paid
        self._partner_names: dict[str, str] = {}  # a partner's name is fixed at registration
        # When people were deleted (/forget, blocked): a row claimed before that is never sent.
        self._forgotten: dict[bytes, float] = {}
        store.users.forgotten_listeners.append(self._note_forgotten)
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._alerts: dict[str, Alert] = {}

    def _note_forgotten(self, user_id: bytes) -> None:
        self._forgotten[user_id] = time.monotonic()

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        recovered = self.store.outbox.recover()
        if recovered:
            log.warning("resending %d messages that were in flight at a crash", recovered)
        self._task = asyncio.create_task(self._run(), name="waymark-broadcaster")
        self.wake()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        workers: set[asyncio.Task[None]] = set()
        checked = 0.0
        while True:
            if time.monotonic() - checked > FINISH_CHECK_SECONDS:
                # An alert is "sent" as soon as its own rows are done, not when the queue drains.
                await self._finish_sending_alerts()
                checked = time.monotonic()
            room = self.concurrency - len(workers)
            if workers and room < self._claim_batch:
                # Claim in batches: a claim is a write transaction, and claiming each freed
                # slot alone cost one per message at the paid rate.
                await asyncio.wait(workers, return_when=asyncio.FIRST_COMPLETED)
                continue
            claimed_at = time.monotonic()
            rows = await self.store.outbox.claim(room) if room > 0 else []
            if rows:
                await self._refresh_alerts({row.alert_id for row in rows})
            for row in rows:
                task = asyncio.create_task(self._deliver(row, claimed_at))
                workers.add(task)
                task.add_done_callback(workers.discard)
            if not rows:
                await self._finish_sending_alerts()
                self._wake.clear()
                if workers:
                    await asyncio.wait(workers, return_when=asyncio.FIRST_COMPLETED)
                else:
                    self._forgotten.clear()  # nothing is claimed: no row can refer to them
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), timeout=1.0)
            elif room <= len(rows):
                await asyncio.wait(workers, return_when=asyncio.FIRST_COMPLETED)

    async def _refresh_alerts(self, alert_ids: set[str]) -> None:
        for alert_id in alert_ids:
            alert = await self.store.alerts.get(alert_id)
            if alert is not None:
                self._alerts[alert_id] = alert
                if alert.partner_id not in self._partner_names:
                    partner = await self.store.partners.find(alert.partner_id)
                    self._partner_names[alert.partner_id] = (
                        partner.name if partner else alert.partner_id
                    )

    async def _call(self, method: str, params: dict[str, object]) -> Any:
        """One Bot API call, answered as plain JSON (see bot/bot_methods.py)."""
        return await self.bot.do_api_request(method, api_kwargs=params, rate_limit_args=BROADCAST)

    async def _finish_sending_alerts(self) -> None:
        for alert_id, alert in list(self._alerts.items()):
            if alert.state != "sending" or await self.store.outbox.pending(alert_id):
                continue
            current = await self.store.alerts.get(alert_id)
            if current is not None and current.state == "sending":
                with contextlib.suppress(Exception):
                    await self.store.alerts.move(alert_id, "sent", actor="system")
            self._alerts.pop(alert_id, None)

    async def _deliver(self, row: OutboxRow, claimed_at: float) -> None:
        try:
            await self._deliver_row(row, claimed_at)
        except Exception as exc:
            log.error("delivery failed: %s", type(exc).__name__)
            await self.store.outbox.finish(row, "failed", reason="internal")

    async def _deliver_row(self, row: OutboxRow, claimed_at: float) -> None:
        alert = self._alerts.get(row.alert_id)
        if alert is None or alert.state in ("cancelled", "expired", "rejected"):
            await self.store.outbox.finish(row, "cancelled", reason="alert-stopped")
            return
        if alert.draft.expires_at <= time.time() and alert.draft.msg_type != "Cancel":
            await self.store.outbox.finish(row, "cancelled", reason="expired")
            return
        record = self.store.users.open_sealed(row.user_id, row.sealed)
        if record is None:
            await self.store.outbox.finish(row, "failed", reason="no-user")
            return
        # Everything but the request itself happens before taking a slot: the limiter paces
        # grants, and Telegram counts arrivals, so the time from grant to wire must stay short
        # and steady.
        send = await self._prepare(alert, record, row)
        for attempt in range(MAX_NETWORK_TRIES):
            generation = await self.limiter.acquire(record.chat_id)
            if self._forgotten.get(row.user_id, -1.0) >= claimed_at:
                await self.store.outbox.finish(row, "cancelled", reason="forgotten")
                return
            try:
                message_id = await send()
            except RetryAfter as exc:
                self.limiter.retry_after(generation, retry_seconds(exc))
                continue
            except Forbidden:
                await self.store.users.forget_row(row.user_id, keep_deliveries=True)
                await self.store.outbox.finish(row, "blocked", reason="blocked")
                return
            except BadRequest as exc:
                reason = "chat-not-found" if "chat not found" in str(exc).lower() else "bad-request"
                if reason == "chat-not-found":
                    await self.store.users.forget_row(row.user_id, keep_deliveries=True)
                    await self.store.outbox.finish(row, "blocked", reason=reason)
                else:
                    await self.store.outbox.finish(row, "failed", reason=reason)
                return
            except (NetworkError, TelegramError):
                await asyncio.sleep(min(8.0, 0.25 * 2**attempt) * (0.5 + random.random()))  # noqa: S311
                continue
            await self.store.outbox.finish(row, "sent", message_id=message_id)
            return
        await self.store.outbox.finish(row, "failed", reason="network")

    async def _prepare(
        self, alert: Alert, record: UserRecord, row: OutboxRow
    ) -> Callable[[], Awaitable[int]]:
        """Render the message for one person; returns the call that sends it."""
        tr = self.catalogs.get(record.lang)
        area = [
            tr.pgettext("region", r.name)
            for c in alert.draft.regions
            if (r := self.regions.get(c)) is not None
        ]
        partner = self._partner_names.get(alert.partner_id, alert.partner_id)
        silent = record.quiet or alert.draft.severity == "Minor"
        kind = {"Cancel": "cancel", "Update": "update"}.get(alert.draft.msg_type, "alert")
        target = alert.draft.refers_to
        original = None
        if kind == "cancel":
            original = await self.store.alerts.get(target) if target else None
        subject = original or alert
        text = render_alert(
            subject, tr, partner_name=partner, area=area, quiet=record.quiet, kind=kind
        )
        chat_id = record.chat_id
        earlier = None
        if kind in ("cancel", "update") and target:
            earlier = await self.store.outbox.message_of(target, row.user_id)
        media = subject.draft.media if kind != "cancel" else None
        caption = (
            render_alert(
                subject,
                tr,
                partner_name=partner,
                area=area,
                quiet=record.quiet,
                kind=kind,
                limit=CAPTION_LIMIT,
            )
            if media is not None
            else ""
        )

        base: dict[str, object] = {"chat_id": chat_id, "parse_mode": ParseMode.HTML}
        new = {**base, "disable_notification": silent}
        if self.paid:
            new["allow_paid_broadcast"] = True

        async def send() -> int:
            if earlier is not None:
                with contextlib.suppress(BadRequest):  # too old or deleted: a new message
                    edited = await self._call(
                        EDIT_MESSAGE_TEXT, {**base, "message_id": earlier, "text": text}
                    )
                    return int(edited["message_id"]) if isinstance(edited, dict) else earlier
            if media is not None:
                # One message: the image blurred as a spoiler, the warning as its caption.
                photo = {"photo": media.url, "caption": caption, "has_spoiler": True}
                sent = await self._call(SEND_PHOTO, {**new, **photo})
            else:
                sent = await self._call(SEND_MESSAGE, {**new, "text": text})
            return int(sent["message_id"])

        return send
