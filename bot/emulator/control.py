"""The control API under /control: play the user's side and steer the emulator.

Tests and the terminal create users, type messages, press buttons and read the chat as the user
sees it; they can also block the bot, inject Telegram failures, move the clock and change limits.
Plain JSON, no auth, and only from loopback addresses: it can impersonate anyone.
"""

from __future__ import annotations

import asyncio
import dataclasses
import ipaddress
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bot.emulator.botapi import BotApi
from bot.emulator.ratelimit import Limits, RateLimiter
from bot.emulator.signals import KeyedSignals, wait_for
from bot.emulator.state import Chat, ControlError, Fault, Message, User, World

JSON = dict[str, Any]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

MAX_WAIT = 120.0
MAX_BULK_PRESSES = 100_000
_LIMIT_FIELDS = {f.name for f in dataclasses.fields(Limits)}


def message_view(message: Message) -> JSON:
    """A message as the person sees it: visible text, photo markers and buttons."""
    caption = message.caption.text if message.caption and message.caption.text else None
    return {
        "message_id": message.message_id,
        "from_bot": message.from_bot,
        "text": message.text.text if message.text is not None else None,
        "html": message.html,
        "caption": caption,
        "has_photo": message.photo is not None,
        "has_spoiler": message.has_spoiler,
        "buttons": [
            [
                {
                    "text": button.get("text", ""),
                    "callback_data": button.get("callback_data"),
                    "url": button.get("url"),
                }
                for button in row
            ]
            for row in message.buttons()
        ],
        "date": message.date,
        "edit_date": message.edit_date,
        "disable_notification": message.disable_notification,
    }


def chat_view(chat: Chat, *, timed_out: bool = False) -> JSON:
    return {
        "version": chat.version,
        "timed_out": timed_out,
        "messages": [message_view(m) for m in chat.messages.values()],
    }


@web.middleware
async def loopback_only(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The control API can act as any user, so it answers only on this machine."""
    if request.path.startswith("/control") and not _is_loopback(request.remote):
        return web.json_response({"error": "the control API is loopback only"}, status=403)
    try:
        return await handler(request)
    except ControlError as exc:
        return web.json_response({"error": exc.message}, status=exc.status)


def _is_loopback(remote: str | None) -> bool:
    if not remote:
        return False
    try:
        return ipaddress.ip_address(remote.split("%")[0]).is_loopback
    except ValueError:
        return False


class ControlApi:
    """Handlers for /control/...; all state lives in the World they share with the Bot API."""

    def __init__(
        self,
        world: World,
        api: BotApi,
        limiter: RateLimiter,
        initial_limits: Limits,
        chat_signals: KeyedSignals,
    ) -> None:
        self.world = world
        self.api = api
        self.limiter = limiter
        self.initial_limits = initial_limits
        self.chat_signals = chat_signals

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post("/control/users", self.create_user),
            web.post("/control/users/bulk", self.create_users),
            web.post("/control/presses", self.press_many),
            web.post("/control/users/{id}/messages", self.send),
            web.post("/control/users/{id}/press", self.press),
            web.get("/control/users/{id}/chat", self.chat),
            web.get("/control/users/{id}/callback_answers", self.callback_answers),
            web.post("/control/users/{id}/block", self.block),
            web.post("/control/faults", self.add_fault),
            web.delete("/control/faults", self.clear_faults),
            web.get("/control/clock", self.clock),
            web.post("/control/clock", self.clock),
            web.get("/control/limits", self.limits),
            web.post("/control/limits", self.limits),
            web.get("/control/transcript", self.transcript),
            web.get("/control/commands", self.commands),
            web.post("/control/reset", self.reset),
        ]

    async def create_user(self, request: web.Request) -> web.Response:
        body = await _body(request)
        user = User(
            id=_int(body.get("id"), "id"),
            first_name=str(body.get("first_name") or "Test"),
            language_code=_optional_str(body.get("language_code", "en")),
            username=_optional_str(body.get("username")),
        )
        return web.json_response(self.world.add_user(user).control())

    async def create_users(self, request: web.Request) -> web.Response:
        """Many users at once: {"first_id", "count", "language_code"} (benchmarks)."""
        body = await _body(request)
        created = self.world.add_users(
            _int(body.get("first_id"), "first_id"),
            _int(body.get("count"), "count"),
            _optional_str(body.get("language_code", "en")),
        )
        return web.json_response({"created": created, "users": len(self.world.chats)})

    async def send(self, request: web.Request) -> web.Response:
        body = await _body(request)
        text = body.get("text")
        if not isinstance(text, str):
            raise ControlError(400, "text must be a string")
        before = self.world.user_sends(_user_id(request), text)
        # t: when the update was queued, on the clock of the transcript's t (time.monotonic).
        return web.json_response({"version": before, "t": time.monotonic()})

    async def press(self, request: web.Request) -> web.Response:
        body = await _body(request)
        message_id = body.get("message_id")
        before = self.world.user_presses(
            _user_id(request),
            label=_optional_str(body.get("label")),
            data=_optional_str(body.get("data")),
            message_id=None if message_id is None else _int(message_id, "message_id"),
            forge=bool(body.get("forge", False)),
        )
        return web.json_response({"version": before, "t": time.monotonic()})

    async def press_many(self, request: web.Request) -> web.Response:
        """Queue many presses in one go: {"presses": [{"user_id", "data", "message_id"?,
        "forge"? (default true)}]}, a backlog for throughput benchmarks. Unknown users refuse the
        whole batch; another refused press stops it there (the presses before it stay queued)."""
        body = await _body(request)
        presses = body.get("presses")
        if not isinstance(presses, list) or len(presses) > MAX_BULK_PRESSES:
            raise ControlError(400, f"presses must be a list of at most {MAX_BULK_PRESSES}")
        checked: list[tuple[int, str, int | None, bool]] = []
        for item in presses:
            if not isinstance(item, dict) or not isinstance(item.get("data"), str):
                raise ControlError(400, "each press needs a user_id and data")
            message_id = item.get("message_id")
            user_id = _int(item.get("user_id"), "user_id")
            self.world.chat(user_id)  # an unknown user refuses the whole batch
            checked.append(
                (
                    user_id,
                    item["data"],
                    None if message_id is None else _int(message_id, "message_id"),
                    bool(item.get("forge", True)),
                )
            )
        for user_id, data, message_id, forge in checked:
            self.world.user_presses(user_id, data=data, message_id=message_id, forge=forge)
        return web.json_response({"count": len(checked), "t": time.monotonic()})

    async def chat(self, request: web.Request) -> web.Response:
        """The chat now, or with ?after=V: once the bot has changed it after V and it settled."""
        chat = self.world.chat(_user_id(request))
        after = request.query.get("after")
        if after is None:
            return web.json_response(chat_view(chat))
        timeout = min(MAX_WAIT, max(0.0, _float(request.query.get("timeout", "5"), "timeout")))
        quiet = max(0.0, _float(request.query.get("quiet_ms", "150"), "quiet_ms")) / 1000
        answered = await self.wait_for_bot(chat, _int(after, "after"), timeout, quiet)
        return web.json_response(chat_view(chat, timed_out=not answered))

    async def wait_for_bot(self, chat: Chat, after: int, within: float, quiet: float) -> bool:
        """Wait until the bot changed the chat after version `after`, then until it is quiet."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while chat.bot_version <= after:
            waiter = self.chat_signals.waiter(chat.id)
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            await wait_for(waiter, remaining)
        while True:
            waiter = self.chat_signals.waiter(chat.id)
            remaining = deadline - loop.time()
            if remaining <= 0 or not await wait_for(waiter, min(quiet, remaining)):
                return True

    async def callback_answers(self, request: web.Request) -> web.Response:
        chat = self.world.chat(_user_id(request))
        return web.json_response(chat.callback_answers)

    async def block(self, request: web.Request) -> web.Response:
        body = await _body(request)
        blocked = bool(body.get("blocked", True))
        user_id = _user_id(request)
        self.world.set_blocked(user_id, blocked)
        return web.json_response(self.world.chat(user_id).user.control())

    async def add_fault(self, request: web.Request) -> web.Response:
        body = await _body(request)
        retry_after, chat_id = body.get("retry_after"), body.get("chat_id")
        fault = Fault(
            method=str(body.get("method") or "*"),
            status=_int(body.get("status"), "status"),
            description=str(body.get("description") or ""),
            retry_after=None if retry_after is None else _int(retry_after, "retry_after"),
            times=_int(body.get("times", 1), "times"),
            chat_id=None if chat_id is None else _int(chat_id, "chat_id"),
            delay=_float(body.get("delay", 0), "delay"),
        )
        if not fault.description:
            raise ControlError(400, "a fault needs the description Telegram would send")
        if not 0 <= fault.delay <= 60:
            raise ControlError(400, "a fault's delay must be 0 to 60 seconds")
        self.world.faults.add(fault)
        return web.json_response({"faults": len(self.world.faults.items)})

    async def clear_faults(self, request: web.Request) -> web.Response:
        self.world.faults.clear()
        return web.json_response({"faults": 0})

    async def clock(self, request: web.Request) -> web.Response:
        if request.method == "POST":
            body = await _body(request)
            self.world.clock.advance(_float(body.get("advance", 0), "advance"))
        return web.json_response({"now": self.world.clock.now()})

    async def limits(self, request: web.Request) -> web.Response:
        if request.method == "POST":
            changes = await _body(request)
            unknown = set(changes) - _LIMIT_FIELDS
            if unknown:
                raise ControlError(400, f"unknown limits: {sorted(unknown)}")
            for name, value in changes.items():
                _check_limit(name, value)
            self.limiter.configure(dataclasses.replace(self.limiter.limits, **changes))
        return web.json_response(dataclasses.asdict(self.limiter.limits))

    async def transcript(self, request: web.Request) -> web.Response:
        since = _int(request.query.get("since", "0"), "since")
        return web.json_response([r.json() for r in self.world.transcript.since(since)])

    async def commands(self, request: web.Request) -> web.Response:
        return web.json_response(self.world.commands_view())

    async def reset(self, request: web.Request) -> web.Response:
        self.world.reset()
        self.limiter.configure(dataclasses.replace(self.initial_limits))
        return web.json_response({"reset": True})


async def _body(request: web.Request) -> JSON:
    if not request.can_read_body:
        return {}
    try:
        body = await request.json()
    except json.JSONDecodeError:
        raise ControlError(400, "the body must be JSON") from None
    if not isinstance(body, dict):
        raise ControlError(400, "the body must be a JSON object")
    return body


def _user_id(request: web.Request) -> int:
    return _int(request.match_info["id"], "user id")


def _int(value: object, name: str) -> int:
    if isinstance(value, bool):
        raise ControlError(400, f"{name} must be an integer")
    try:
        return int(str(value))
    except ValueError:
        raise ControlError(400, f"{name} must be an integer") from None


def _float(value: object, name: str) -> float:
    try:
        return float(str(value))
    except ValueError:
        raise ControlError(400, f"{name} must be a number") from None


def _optional_str(value: object) -> str | None:
    return None if value is None else str(value)


def _check_limit(name: str, value: object) -> None:
    if name == "per_chat_burst":
        if not isinstance(value, int) or value < 1:
            raise ControlError(400, "per_chat_burst must be a positive integer")
        return
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ControlError(400, f"{name} must be a positive number or null")
