"""Telegram's content limits: text and caption lengths, keyboards, commands, answers, actions.

A bot that passes the emulator should not be surprised by Telegram, so the checks follow Telegram's
order and wording: markup is parsed first, then lengths are counted on the parsed text in UTF-16
code units (what Telegram counts), and each failure is the 400 that Telegram answers.
"""

from __future__ import annotations

import re
from typing import Any

from bot.emulator import errors
from bot.emulator.errors import bad_request
from bot.emulator.markup import Formatted, normalize_url, parse_html, strip_formatted, utf16_len

JSON = dict[str, Any]

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER = 200
MAX_COMMANDS = 100


def format_input(text: str, parse_mode: str | None, entities: object) -> Formatted:
    """The text a message will carry, from the raw parameter and parse_mode or entities."""
    if entities is not None:
        return strip_formatted(Formatted(text, tuple(parse_entities(entities, text))))
    mode = (parse_mode or "").strip().lower()
    if mode == "":
        return strip_formatted(Formatted(text))
    if mode == "html":
        return strip_formatted(parse_html(text))
    if mode in ("markdown", "markdownv2"):
        raise bad_request("the Waymark emulator supports only parse_mode HTML")
    raise bad_request("unsupported parse_mode")


def parse_entities(raw: object, text: str) -> list[JSON]:
    """Explicit entities: a list of objects with type, offset and length inside the text."""
    if not isinstance(raw, list):
        raise bad_request("can't parse entities JSON object")
    size = utf16_len(text)
    result: list[JSON] = []
    for item in raw:
        if not isinstance(item, dict):
            raise bad_request("can't parse MessageEntity: MessageEntity must be an Object")
        offset, length = item.get("offset"), item.get("length")
        if not isinstance(item.get("type"), str) or not isinstance(offset, int):
            raise bad_request('can\'t parse MessageEntity: Field "type" must be of type String')
        if not isinstance(length, int) or offset < 0 or length <= 0 or offset + length > size:
            continue
        result.append(dict(item))
    return result


def check_text(value: Formatted) -> Formatted:
    """A message text: not empty, at most 4096 UTF-16 code units after parsing."""
    if not value.text:
        raise bad_request(errors.TEXT_EMPTY)
    if utf16_len(value.text) > MAX_TEXT:
        raise bad_request(errors.TEXT_TOO_LONG)
    return value


def check_caption(value: Formatted) -> Formatted:
    if utf16_len(value.text) > MAX_CAPTION:
        raise bad_request(errors.CAPTION_TOO_LONG)
    return value


def parse_reply_markup(raw: object) -> JSON | None:
    """The reply_markup a message will carry; only inline keyboards are kept on the message."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" not in raw:
        _check_other_markup(raw)
        return None
    rows = raw["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(
            'Field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays'
        )
    return {"inline_keyboard": [[_check_button(button) for button in row] for row in rows]}


def _check_other_markup(raw: JSON) -> None:
    known = ("keyboard", "remove_keyboard", "force_reply")
    if not any(key in raw for key in known):
        raise bad_request("can't parse reply keyboard markup JSON object")


_BUTTON_ACTIONS = (
    "callback_data",
    "url",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)


def _check_button(button: object) -> JSON:
    if not isinstance(button, dict):
        raise bad_request(
            "can't parse InlineKeyboardButton: InlineKeyboardButton must be an Object"
        )
    text = button.get("text")
    if not isinstance(text, str):
        raise bad_request('can\'t parse InlineKeyboardButton: Field "text" must be of type String')
    if not text.strip():
        raise bad_request("BUTTON_TEXT_INVALID")
    present = [key for key in _BUTTON_ACTIONS if button.get(key) not in (None, "")]
    if not present:
        raise bad_request(
            "can't parse InlineKeyboardButton: Text buttons are not allowed in the inline keyboard"
        )
    data = button.get("callback_data")
    if data not in (None, "") and (
        not isinstance(data, str) or len(data.encode()) > MAX_CALLBACK_DATA_BYTES
    ):
        raise bad_request(errors.BUTTON_DATA_INVALID)
    url = button.get("url")
    if url not in (None, "") and (not isinstance(url, str) or normalize_url(url) is None):
        raise bad_request(errors.BUTTON_URL_INVALID)
    return {key: value for key, value in button.items() if value is not None}


_COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")


def check_commands(raw: object) -> list[JSON]:
    """setMyCommands: at most 100 commands of [a-z0-9_]{1,32} with 1-256 character descriptions."""
    if not isinstance(raw, list):
        raise bad_request("can't parse commands JSON object")
    if len(raw) > MAX_COMMANDS:
        raise bad_request("too many commands specified")
    commands: list[JSON] = []
    for item in raw:
        if not isinstance(item, dict):
            raise bad_request("can't parse BotCommand: BotCommand must be an Object")
        command, description = item.get("command"), item.get("description")
        if not isinstance(command, str) or not _COMMAND.match(command):
            raise bad_request("BOT_COMMAND_INVALID")
        if not isinstance(description, str) or not description.strip() or len(description) > 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        commands.append({"command": command, "description": description})
    return commands


def check_callback_answer(text: str | None) -> None:
    if text is not None and len(text) > MAX_CALLBACK_ANSWER:
        raise bad_request("MESSAGE_TOO_LONG")


CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)


def check_chat_action(action: str | None) -> str:
    if action not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    return action
