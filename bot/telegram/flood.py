"""Drops a flooding person's updates before any handler runs (see flood_gate for the limits)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.telegram.screen import send_patiently
from bot.telegram.services import services


async def guard(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Runs before every handler (group -1); stops the update for a flooding person."""
    chat = update.effective_chat
    if chat is None:
        return
    svc = services(context)
    verdict = svc.flood.check(chat.id)
    if verdict == "ok":
        return
    if verdict == "notice":
        record = await svc.store.users.get(chat.id)
        tr = svc.catalogs.get(record.lang if record else None)
        await send_patiently(
            context,
            chat.id,
            text=tr._(
                "You are sending a lot very fast. Waymark will not answer for a minute, "
                "then everything works again."
            ),
        )
    if update.callback_query is not None:
        await update.callback_query.answer()
    raise ApplicationHandlerStop
