"""Screens and the one living message they are shown in.

A screen is plain data (text and buttons) built from the user's state. Showing it happens only
here: edit the living message in place when a button was pressed, otherwise send a new one and
delete the old, so the chat holds as little as possible if a phone is seized.

Screens are sent as plain JSON and Telegram's answer is kept as JSON (see bot/bot_methods.py): PTB
would build a Message, with an object for each of its buttons, from every answer.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from telegram import Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter
from telegram.ext import ContextTypes

from bot.bot_methods import EDIT_MESSAGE_TEXT, SEND_MESSAGE, retry_seconds
from bot.i18n.catalogs import Translator
from bot.store.records import UserRecord
from bot.telegram.callbacks import Callback
from bot.telegram.services import services

log = logging.getLogger(__name__)

DELETE_WINDOW_HOURS = 47  # Telegram allows 48; keep an hour of margin for clock skew
MAX_INTERACTIVE_WAIT = 10.0  # seconds; a longer 429 is better reported than waited out


@dataclass(frozen=True)
class Button:
    label: str
    callback: Callback | None = None
    url: str | None = None

    def to_telegram(self) -> dict[str, str]:
        """The Bot API's InlineKeyboardButton."""
        if self.url:
            return {"text": self.label, "url": self.url}
        assert self.callback is not None
        return {"text": self.label, "callback_data": self.callback.encode()}


@dataclass(frozen=True)
class Screen:
    text: str  # Telegram HTML
    rows: list[list[Button]] = field(default_factory=list)

    def markup(self) -> str:
        """The Bot API's InlineKeyboardMarkup, as the JSON the request carries."""
        rows = [[b.to_telegram() for b in row] for row in self.rows]
        return json.dumps({"inline_keyboard": rows}, ensure_ascii=False, separators=(",", ":"))


def pressed_message(update: Update) -> Message | None:
    """The message whose button was pressed, if Telegram still lets us edit it."""
    query = update.callback_query
    if query is not None and isinstance(query.message, Message):
        return query.message
    return None


def close_row(tr: Translator) -> list[Button]:
    return [Button("✖ " + tr._("Close"), Callback("close"))]


def now_hour() -> int:
    return int(time.time() // 3600)


async def show(
    context: ContextTypes.DEFAULT_TYPE,
    chat_id: int,
    record: UserRecord | None,
    screen: Screen,
    *,
    edit: Message | None = None,
) -> None:
    """Show a screen as the living message; persist where it lives if the user has a record."""
    content = {"text": screen.text, "parse_mode": ParseMode.HTML, "reply_markup": screen.markup()}
    if edit is not None:
        try:
            await context.bot.do_api_request(
                EDIT_MESSAGE_TEXT,
                api_kwargs={"chat_id": edit.chat_id, "message_id": edit.message_id, **content},
            )
            return
        except BadRequest as exc:
            if "not modified" in str(exc).lower():
                return
            # The message is gone or too old to edit: fall through and send a fresh one.
    try:
        sent_id = await send_patiently(context, chat_id, **content)
    except Forbidden:
        # The person blocked the bot: keep nothing about them.
        await services(context).store.users.forget(chat_id)
        log.info("user blocked the bot; record deleted")
        return
    if record is None:
        return
    old_id, old_hour = record.screen_id, record.screen_hour
    record.screen_id, record.screen_hour = sent_id, now_hour()
    await services(context).store.users.save(record)
    if old_id is not None and old_id != sent_id:
        await delete_quietly(context, chat_id, old_id, old_hour)


async def send_patiently(context: ContextTypes.DEFAULT_TYPE, chat_id: int, **content: Any) -> int:
    """Send a reply, waiting out one short 429 (Telegram's per-chat limit) instead of failing;
    returns its message id."""
    params = {"chat_id": chat_id, **content}
    try:
        sent = await context.bot.do_api_request(SEND_MESSAGE, api_kwargs=params)
    except RetryAfter as exc:
        seconds = retry_seconds(exc)
        if seconds > MAX_INTERACTIVE_WAIT:
            raise
        await asyncio.sleep(seconds)
        sent = await context.bot.do_api_request(SEND_MESSAGE, api_kwargs=params)
    return int(sent["message_id"])


async def delete_quietly(
    context: ContextTypes.DEFAULT_TYPE, chat_id: int, message_id: int, sent_hour: int | None
) -> bool:
    """Delete a message if Telegram still allows it; an old or missing one is not an error."""
    if sent_hour is not None and now_hour() - sent_hour > DELETE_WINDOW_HOURS:
        return False
    try:
        return bool(await context.bot.delete_message(chat_id, message_id))
    except (BadRequest, Forbidden):
        return False
