"""The Bot API surface: method dispatch, faults, the transcript, updates, webhooks and commands.

`BotApi.handle` answers one call the way Telegram would, `{"ok": true, "result": ...}` or an error
with Telegram's status and description, and records a small fixed record of it in the transcript.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import traceback
from collections.abc import Awaitable, Callable
from typing import Any

from bot.emulator import errors
from bot.emulator.errors import ApiError, bad_request
from bot.emulator.limits import check_commands
from bot.emulator.messages import MessageMethods
from bot.emulator.params import Call, Params
from bot.emulator.ratelimit import RateLimiter
from bot.emulator.signals import Signal, wait_for
from bot.emulator.state import Webhook, World

JSON = dict[str, Any]
Handler = Callable[[Call], Awaitable[object]]

log = logging.getLogger(__name__)

MAX_POLL_TIMEOUT = 600
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_LANGUAGE = re.compile(r"^[a-z]{2}$")
_SCOPES = {
    "default": (),
    "all_private_chats": (),
    "all_group_chats": (),
    "all_chat_administrators": (),
    "chat": ("chat_id",),
    "chat_administrators": ("chat_id",),
    "chat_member": ("chat_id", "user_id"),
}


def error_body(error: ApiError) -> JSON:
    body: JSON = {"ok": False, "error_code": error.status, "description": error.description}
    if error.retry_after is not None:
        body["parameters"] = {"retry_after": error.retry_after}
    return body


class BotApi:
    """Every Bot API method the emulator speaks, for one bot."""

    def __init__(self, world: World, limiter: RateLimiter) -> None:
        self.world = world
        self.limiter = limiter
        self.updates_signal = Signal()
        self.on_webhook_change: Callable[[], None] = lambda: None
        self._poll_generation = 0
        self.closing = False
        self.waiting_polls = 0  # getUpdates calls waiting for an update right now
        self.polls_changed = Signal()  # fires when waiting_polls changes (tests wait on it)
        messages = MessageMethods(world, limiter)
        handlers: dict[str, Handler] = {
            "getMe": self.get_me,
            "getUpdates": self.get_updates,
            "setWebhook": self.set_webhook,
            "deleteWebhook": self.delete_webhook,
            "getWebhookInfo": self.get_webhook_info,
            "setMyCommands": self.set_my_commands,
            "getMyCommands": self.get_my_commands,
            "deleteMyCommands": self.delete_my_commands,
            "sendMessage": messages.send_message,
            "sendPhoto": messages.send_photo,
            "editMessageText": messages.edit_message_text,
            "editMessageCaption": messages.edit_message_caption,
            "editMessageReplyMarkup": messages.edit_message_reply_markup,
            "deleteMessage": messages.delete_message,
            "deleteMessages": messages.delete_messages,
            "answerCallbackQuery": messages.answer_callback_query,
            "sendChatAction": messages.send_chat_action,
        }
        # Telegram matches method names case-insensitively.
        self._methods = {name.lower(): (name, handler) for name, handler in handlers.items()}

    def method_name(self, method: str) -> str | None:
        entry = self._methods.get(method.lower())
        return entry[0] if entry else None

    async def handle(self, method: str, params: Params, started: float) -> tuple[int, JSON]:
        """Answer one call: (HTTP status, JSON body); also recorded in the transcript."""
        entry = self._methods.get(method.lower())
        if entry is None:
            self.record(started, method[:64], None, 404, None, False)
            return 404, error_body(ApiError(404, errors.METHOD_NOT_FOUND))
        name, handler = entry
        call = Call(name, params, chat_id=params.chat_id())
        try:
            call.paid = params.boolean("allow_paid_broadcast")
            await self.raise_fault(call)
            result = await handler(call)
            status, body = 200, {"ok": True, "result": result}
        except ApiError as exc:
            status, body = exc.status, error_body(exc)
        except Exception as exc:  # an emulator bug: say so without echoing request data
            log.error(
                "emulator failed in %s: %s\n%s",
                name,
                type(exc).__name__,
                "".join(traceback.format_tb(exc.__traceback__)),
            )
            status, body = 500, error_body(ApiError(500, "Internal Server Error"))
        self.record(started, name, call.chat_id, status, call.message_id, call.paid)
        return status, body

    def record(
        self,
        started: float,
        method: str,
        chat_id: int | None,
        status: int,
        message_id: int | None,
        paid: bool,
    ) -> None:
        self.world.transcript.add(started, method, chat_id, status, message_id, paid)

    async def raise_fault(self, call: Call) -> None:
        fault = self.world.faults.take(call.method, call.chat_id)
        if fault is None:
            return
        retry_after = fault.retry_after
        if fault.status == 429 and retry_after is None:
            retry_after = 1  # a 429 without retry_after would not be a RetryAfter for the bot
        if fault.delay > 0:
            await asyncio.sleep(fault.delay)
        raise ApiError(fault.status, fault.description, retry_after=retry_after)

    # --- the bot itself --------------------------------------------------------------------

    async def get_me(self, call: Call) -> object:
        return {
            **self.world.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    # --- updates ---------------------------------------------------------------------------

    def wake_pollers(self) -> None:
        self.updates_signal.fire()

    async def get_updates(self, call: Call) -> object:
        """Long polling: answer at once if updates wait, else when one arrives or time runs out."""
        p = call.params
        if self.world.webhook is not None:
            raise ApiError(409, errors.WEBHOOK_ACTIVE)
        limit = min(100, max(1, p.integer("limit") or 100))
        timeout = min(MAX_POLL_TIMEOUT, max(0.0, p.number("timeout") or 0.0))
        self.world.set_allowed_updates(_update_kinds(p.json_value("allowed_updates")))
        self.world.confirm(p.integer("offset"))
        # A newer getUpdates ends an older one, as on Telegram.
        self._poll_generation += 1
        generation = self._poll_generation
        self.updates_signal.fire()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            waiter = self.updates_signal.waiter()
            batch = self.world.pending(limit)
            remaining = deadline - loop.time()
            if batch or remaining <= 0 or self.closing or self.world.webhook is not None:
                return batch
            self._count_poll(+1)
            try:
                await wait_for(waiter, remaining)
            finally:
                self._count_poll(-1)
            if generation != self._poll_generation:
                raise ApiError(409, errors.POLL_TERMINATED)

    def _count_poll(self, change: int) -> None:
        self.waiting_polls += change
        self.polls_changed.fire()

    # --- webhooks --------------------------------------------------------------------------

    async def set_webhook(self, call: Call) -> object:
        p = call.params
        url = (p.text("url") or "").strip()
        if not url:
            return await self.delete_webhook(call)
        if not url.startswith(("https://", "http://")):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = p.text("secret_token")
        if secret is not None and not _SECRET.match(secret):
            raise bad_request("secret token contains unallowed characters")
        max_connections = p.integer("max_connections") or 40
        if not 1 <= max_connections <= 100:
            raise bad_request("bad webhook: max_connections must be between 1 and 100")
        self.world.set_allowed_updates(_update_kinds(p.json_value("allowed_updates")))
        if p.boolean("drop_pending_updates"):
            self.world.updates.clear()
        self.world.webhook = Webhook(url, secret or None, max_connections)
        self.wake_pollers()
        self.on_webhook_change()
        return True

    async def delete_webhook(self, call: Call) -> object:
        if call.params.boolean("drop_pending_updates"):
            self.world.updates.clear()
        self.world.webhook = None
        self.on_webhook_change()
        return True

    async def get_webhook_info(self, call: Call) -> object:
        hook = self.world.webhook
        info: JSON = {
            "url": hook.url if hook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self.world.updates),
        }
        if hook is not None:
            info["max_connections"] = hook.max_connections
            if hook.last_error_date is not None:
                info["last_error_date"] = hook.last_error_date
                info["last_error_message"] = hook.last_error_message
            info["allowed_updates"] = sorted(self.world.allowed_updates)
        return info

    # --- commands --------------------------------------------------------------------------

    async def set_my_commands(self, call: Call) -> object:
        commands = check_commands(call.params.json_value("commands"))
        key = _commands_key(call.params)
        if commands:
            self.world.commands[key] = commands
        else:
            self.world.commands.pop(key, None)
        return True

    async def get_my_commands(self, call: Call) -> object:
        return list(self.world.commands.get(_commands_key(call.params), []))

    async def delete_my_commands(self, call: Call) -> object:
        self.world.commands.pop(_commands_key(call.params), None)
        return True


def _update_kinds(raw: object) -> list[str] | None:
    if raw is None:
        return None
    if not isinstance(raw, list) or not all(isinstance(kind, str) for kind in raw):
        raise bad_request("can't parse allowed_updates JSON object")
    return list(raw)


def _commands_key(p: Params) -> tuple[str, str]:
    """Commands are stored per (scope, language_code), exactly as Telegram keys them."""
    scope = p.json_value("scope") or {"type": "default"}
    if not isinstance(scope, dict) or scope.get("type") not in _SCOPES:
        raise bad_request("can't parse BotCommandScope JSON object")
    for field in _SCOPES[scope["type"]]:
        if scope.get(field) in (None, ""):
            raise bad_request(f"can't parse BotCommandScope: field {field} is missing")
    language = p.text("language_code") or ""
    if language and not _LANGUAGE.match(language):
        raise bad_request("invalid language code specified")
    return json.dumps(scope, sort_keys=True, separators=(",", ":")), language
