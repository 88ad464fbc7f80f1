"""Per-update context: who is asking, in which language, with what stored state."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from telegram import Update
from telegram.ext import ContextTypes

from bot.i18n.catalogs import Translator
from bot.store.records import UserRecord
from bot.store.users import today
from bot.telegram.services import Services, services


@dataclass
class Visit:
    """One update's view of the person: their chat, record (if any) and translator."""

    chat_id: int
    record: UserRecord | None
    tr: Translator
    suggested_lang: str | None
    svc: Services
    # What to say in the button's pop-up once the handler is done (None: nothing).
    answer: str | None = None
    answer_alert: bool = False

    def ensure_record(self) -> UserRecord:
        if self.record is None:
            self.record = UserRecord(chat_id=self.chat_id, created_day=today())
        return self.record

    async def save(self) -> None:
        if self.record is not None:
            await self.svc.store.users.save(self.record)


@contextlib.asynccontextmanager
async def visiting(
    update: Update, context: ContextTypes.DEFAULT_TYPE
) -> AsyncIterator[Visit | None]:
    """Hold the person's chat lock, then load their state: updates run concurrently, and a
    record read before the lock could be stale by the time it is written back."""
    chat = update.effective_chat
    if chat is None or chat.type != "private":
        yield None
        return
    svc = services(context)
    async with svc.chat_lock(chat.id):
        yield await visit(update, context)


async def visit(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Visit | None:
    """Load the visit; only private chats are served (groups would expose who uses Waymark)."""
    chat = update.effective_chat
    if chat is None or chat.type != "private":
        return None
    svc = services(context)
    record = await svc.store.users.get(chat.id)
    user = update.effective_user
    suggested = svc.catalogs.negotiate(user.language_code if user else None)
    lang = record.lang if record and record.lang else suggested
    return Visit(chat.id, record, svc.catalogs.get(lang), suggested, svc)
