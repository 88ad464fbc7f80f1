"""Bot API methods that change what the user sees: send, edit, delete, answer, chat actions.

Each method validates in Telegram's order (parameters and markup, then the chat, then whether the
user blocked the bot, then flood limits), so the first error a bot gets is the one Telegram gives.
"""

from __future__ import annotations

import itertools
from typing import Any

from bot.emulator import errors
from bot.emulator.errors import ApiError, bad_request
from bot.emulator.limits import (
    check_callback_answer,
    check_caption,
    check_chat_action,
    check_text,
    format_input,
    parse_reply_markup,
)
from bot.emulator.markup import Formatted
from bot.emulator.media import URL_PHOTO_SIZE, image_size, photo_sizes
from bot.emulator.params import Call, Params, Upload
from bot.emulator.ratelimit import RateLimiter
from bot.emulator.state import Chat, Message, World

JSON = dict[str, Any]
MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_DELETE_IDS = 100


class MessageMethods:
    """sendMessage, sendPhoto, edits, deletes, answerCallbackQuery, sendChatAction."""

    def __init__(self, world: World, limiter: RateLimiter) -> None:
        self.world = world
        self.limiter = limiter
        self._photo_ids = itertools.count(1)

    # --- shared checks ---------------------------------------------------------------------

    def chat(self, call: Call) -> Chat:
        if call.chat_id is None:
            if not call.params.has("chat_id"):
                raise bad_request("chat_id is empty")
            raise bad_request(errors.CHAT_NOT_FOUND)
        chat = self.world.chats.get(call.chat_id)
        if chat is None:
            raise bad_request(errors.CHAT_NOT_FOUND)
        return chat

    def writable_chat(self, call: Call) -> Chat:
        chat = self.chat(call)
        if chat.user.blocked:
            raise ApiError(403, errors.BOT_BLOCKED)
        return chat

    def message_id(self, call: Call) -> int:
        if call.params.has("inline_message_id"):
            raise bad_request("MESSAGE_ID_INVALID")  # the emulator has no inline messages
        message_id = call.params.integer("message_id")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        call.message_id = message_id
        return message_id

    def editable(self, call: Call) -> tuple[Chat, Message]:
        chat = self.writable_chat(call)
        message = chat.messages.get(self.message_id(call))
        if message is None:
            raise bad_request(errors.EDIT_NOT_FOUND)
        if not message.from_bot:
            raise bad_request("message can't be edited")
        return chat, message

    def post(self, call: Call, chat: Chat, message: Message) -> JSON:
        """Count the new message against flood limits, then show it in the chat."""
        self.limiter.acquire(chat.id, paid=call.paid)
        self.world.add_message(chat, message, by_bot=True)
        call.message_id = message.message_id
        return self.world.message_api(chat, message)

    def edited(self, chat: Chat, message: Message) -> JSON:
        message.edit_date = self.world.now()
        self.world.changed(chat, by_bot=True)
        return self.world.message_api(chat, message)

    # --- sending ---------------------------------------------------------------------------

    async def send_message(self, call: Call) -> object:
        p = call.params
        raw = p.text("text") or ""
        text = check_text(format_input(raw, p.text("parse_mode"), p.json_value("entities")))
        markup = parse_reply_markup(p.json_value("reply_markup"))
        chat = self.writable_chat(call)
        message = Message(
            0,
            from_bot=True,
            date=self.world.now(),
            text=text,
            html=raw,
            reply_markup=markup,
            disable_notification=p.boolean("disable_notification"),
        )
        return self.post(call, chat, message)

    async def send_photo(self, call: Call) -> object:
        p = call.params
        raw = p.text("caption") or ""
        caption = check_caption(
            format_input(raw, p.text("parse_mode"), p.json_value("caption_entities"))
        )
        markup = parse_reply_markup(p.json_value("reply_markup"))
        sizes = self.photo(p)
        chat = self.writable_chat(call)
        message = Message(
            0,
            from_bot=True,
            date=self.world.now(),
            html=raw or None,
            caption=caption,
            photo=sizes,
            has_spoiler=p.boolean("has_spoiler"),
            reply_markup=markup,
            disable_notification=p.boolean("disable_notification"),
        )
        return self.post(call, chat, message)

    def photo(self, p: Params) -> list[JSON]:
        """The PhotoSize list for an upload, a known file_id or a URL (not fetched)."""
        value = p.raw("photo")
        if isinstance(value, str) and value.startswith("attach://"):
            value = p.raw(value.removeprefix("attach://"))
        if isinstance(value, Upload):
            return self.uploaded(value)
        if isinstance(value, str) and value.strip():
            known = self.world.files.get(value.strip())
            if known is not None:
                return [dict(s) for s in known]
            if value.startswith(("http://", "https://")):
                return self.new_photo(URL_PHOTO_SIZE, 65_536)
            raise bad_request("wrong file identifier/HTTP URL specified")
        raise bad_request("there is no photo in the request")

    def uploaded(self, upload: Upload) -> list[JSON]:
        if not upload.data:
            raise bad_request("file must be non-empty")
        if len(upload.data) > MAX_PHOTO_BYTES:
            raise bad_request("file is too big")
        size = image_size(upload.data)
        if size is None:
            raise bad_request("IMAGE_PROCESS_FAILED")
        return self.new_photo(size, len(upload.data))

    def new_photo(self, size: tuple[int, int], file_size: int) -> list[JSON]:
        sizes = photo_sizes(f"photo:{next(self._photo_ids)}", size[0], size[1], file_size)
        for entry in sizes:
            self.world.files[entry["file_id"]] = sizes
        return [dict(s) for s in sizes]

    # --- editing ---------------------------------------------------------------------------

    async def edit_message_text(self, call: Call) -> object:
        p = call.params
        raw = p.text("text") or ""
        text = check_text(format_input(raw, p.text("parse_mode"), p.json_value("entities")))
        markup = parse_reply_markup(p.json_value("reply_markup"))
        chat, message = self.editable(call)
        if message.photo is not None:
            raise bad_request(errors.NO_TEXT_TO_EDIT)
        if message.text == text and message.reply_markup == markup:
            raise bad_request(errors.NOT_MODIFIED)
        message.text, message.html, message.reply_markup = text, raw, markup
        return self.edited(chat, message)

    async def edit_message_caption(self, call: Call) -> object:
        p = call.params
        raw = p.text("caption") or ""
        caption = check_caption(
            format_input(raw, p.text("parse_mode"), p.json_value("caption_entities"))
        )
        markup = parse_reply_markup(p.json_value("reply_markup"))
        chat, message = self.editable(call)
        if message.photo is None:
            raise bad_request(errors.NO_CAPTION_TO_EDIT)
        old = message.caption or Formatted("")
        if old == caption and message.reply_markup == markup:
            raise bad_request(errors.NOT_MODIFIED)
        message.caption, message.html, message.reply_markup = caption, raw or None, markup
        return self.edited(chat, message)

    async def edit_message_reply_markup(self, call: Call) -> object:
        markup = parse_reply_markup(call.params.json_value("reply_markup"))
        chat, message = self.editable(call)
        if message.reply_markup == markup:
            raise bad_request(errors.NOT_MODIFIED)
        message.reply_markup = markup
        return self.edited(chat, message)

    # --- deleting --------------------------------------------------------------------------

    async def delete_message(self, call: Call) -> object:
        chat = self.chat(call)
        message_id = self.message_id(call)
        message = chat.messages.get(message_id)
        if message is None:
            raise bad_request(errors.DELETE_NOT_FOUND)
        if not self.world.can_delete(message):
            raise bad_request(errors.CANT_DELETE)
        self.world.delete_message(chat, message_id)
        self.world.changed(chat, by_bot=True)
        return True

    async def delete_messages(self, call: Call) -> object:
        ids = call.params.json_value("message_ids")
        if not isinstance(ids, list) or not ids:
            raise bad_request("message identifiers are not specified")
        if len(ids) > MAX_DELETE_IDS:
            raise bad_request("too many message identifiers specified")
        if not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
            raise bad_request("can't parse message identifiers")
        chat = self.chat(call)
        deleted = False
        for message_id in ids:
            message = chat.messages.get(message_id)
            if message is not None and self.world.can_delete(message):
                self.world.delete_message(chat, message_id)
                deleted = True
        if deleted:
            self.world.changed(chat, by_bot=True)
        return True

    # --- answers and actions ---------------------------------------------------------------

    async def answer_callback_query(self, call: Call) -> object:
        p = call.params
        text = p.text("text")
        check_callback_answer(text)
        query_id = p.text("callback_query_id") or ""
        query = self.world.queries.pop(query_id, None)
        if query is None:
            raise bad_request(errors.QUERY_INVALID)
        call.chat_id, call.message_id = query.chat_id, query.message_id
        chat = self.world.chats.get(query.chat_id)
        if chat is not None:
            chat.callback_answers.append(
                {
                    "callback_query_id": query_id,
                    "message_id": query.message_id,
                    "data": query.data,
                    "text": text,
                    "show_alert": p.boolean("show_alert"),
                    "url": p.text("url"),
                    "cache_time": p.integer("cache_time") or 0,
                }
            )
            self.world.changed(chat, by_bot=True)  # the spinner stops, a toast may show
        return True

    async def send_chat_action(self, call: Call) -> object:
        check_chat_action(call.params.text("action"))
        self.writable_chat(call)
        return True
