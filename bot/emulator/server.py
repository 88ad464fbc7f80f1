"""EmulatorServer: a local Telegram Bot API server plus its control API, on aiohttp.

Point an unmodified python-telegram-bot at `base_url` and drive the user's side through
`control_url` (see client.EmulatorClient). Every token given authenticates the one emulated bot.
Nothing here logs tokens, chat ids or texts; the aiohttp access log is off for that reason.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import time
from collections.abc import Iterable
from types import TracebackType
from typing import Any

from aiohttp import web

from bot.emulator import errors
from bot.emulator.botapi import BotApi, error_body
from bot.emulator.control import ControlApi, loopback_only
from bot.emulator.errors import ApiError
from bot.emulator.params import Params, Upload
from bot.emulator.ratelimit import Limits, RateLimiter
from bot.emulator.signals import KeyedSignals
from bot.emulator.state import World
from bot.emulator.webhook import WebhookDelivery

MAX_BODY = 60 * 1024 * 1024  # room for a 50 MB upload and the form around it
_dumps = functools.partial(json.dumps, ensure_ascii=False, separators=(",", ":"))


def _bot_user(token: str, username: str) -> dict[str, Any]:
    """The bot's User object; its id is the token's numeric prefix, as on Telegram."""
    prefix = token.split(":", 1)[0]
    bot_id = int(prefix) if prefix.isdigit() else 100_000_001
    words = username.removesuffix("_bot").removesuffix("bot").replace("_", " ").split()
    first_name = " ".join(word.capitalize() for word in words) or "Bot"
    return {"id": bot_id, "is_bot": True, "first_name": first_name, "username": username}


class EmulatorServer:
    """The whole emulator: `async with EmulatorServer([token]) as emu: ... emu.base_url ...`."""

    def __init__(
        self,
        tokens: Iterable[str],
        *,
        bot_username: str = "waymark_demo_bot",
        global_per_second: float | None = 30.0,
        per_chat_per_second: float | None = 1.0,
        per_chat_burst: int = 3,
        paid_per_second: float | None = 1000.0,
        per_group_per_minute: int | None = 20,
    ) -> None:
        self._tokens = list(dict.fromkeys(tokens))
        if not self._tokens:
            raise ValueError("the emulator needs at least one bot token")
        self._token_set = frozenset(self._tokens)
        self.initial_limits = Limits(
            global_per_second=global_per_second,
            per_chat_per_second=per_chat_per_second,
            per_chat_burst=per_chat_burst,
            paid_per_second=paid_per_second,
            per_group_per_minute=per_group_per_minute,
        )
        self.world = World(_bot_user(self._tokens[0], bot_username))
        self.limiter = RateLimiter(dataclasses.replace(self.initial_limits))
        self.api = BotApi(self.world, self.limiter)
        self.chat_signals = KeyedSignals()
        self.webhook = WebhookDelivery(self.world)
        self.control = ControlApi(
            self.world, self.api, self.limiter, self.initial_limits, self.chat_signals
        )
        self.world.on_chat_change = self.chat_signals.fire
        self.world.on_update = self._on_update
        self.api.on_webhook_change = self.webhook.poke
        self._runner: web.AppRunner | None = None
        self._url: str | None = None

    def _on_update(self) -> None:
        self.api.wake_pollers()
        self.webhook.poke()

    # --- lifecycle -------------------------------------------------------------------------

    def make_app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY, middlewares=[loopback_only])
        app.add_routes(self.control.routes())
        app.router.add_route("*", "/bot{token}/{method}", self._bot_call)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on host:port (0 picks a free port) and start webhook delivery."""
        if self._runner is not None:
            raise RuntimeError("the emulator is already running")
        runner = web.AppRunner(
            self.make_app(), access_log=None, handle_signals=False, shutdown_timeout=0.5
        )
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self.api.closing = False
        bound_port = runner.addresses[0][1]
        self._url = f"http://{_url_host(host)}:{bound_port}"
        await self.webhook.start()

    async def stop(self) -> None:
        if self._runner is None:
            return
        await self.webhook.stop()
        self.api.closing = True  # open long polls answer now instead of holding up the shutdown
        self.api.wake_pollers()
        await self._runner.cleanup()
        self._runner = None

    async def __aenter__(self) -> EmulatorServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        if self._url is None:
            raise RuntimeError("the emulator is not running: call start() first")
        return self._url

    @property
    def base_url(self) -> str:
        """For PTB: ApplicationBuilder().base_url(emu.base_url); PTB appends the token."""
        return f"{self.url}/bot"

    @property
    def control_url(self) -> str:
        return f"{self.url}/control"

    # --- the Bot API route -----------------------------------------------------------------

    async def _bot_call(self, request: web.Request) -> web.Response:
        started = time.monotonic()
        method = request.match_info["method"]
        if request.match_info["token"] not in self._token_set:
            self.api.record(started, method[:64], None, 401, None, False)
            return _reply(401, error_body(ApiError(401, errors.UNAUTHORIZED)))
        try:
            params = await read_params(request)
        except ApiError as exc:
            self.api.record(started, method[:64], None, exc.status, None, False)
            return _reply(exc.status, error_body(exc))
        status, body = await self.api.handle(method, params, started)
        return _reply(status, body)


def _reply(status: int, body: dict[str, Any]) -> web.Response:
    return web.json_response(body, status=status, dumps=_dumps)


def _url_host(host: str) -> str:
    if host in ("", "0.0.0.0"):  # noqa: S104 - naming the wildcard, not binding to it
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


async def read_params(request: web.Request) -> Params:
    """Parameters from the query string and a JSON, urlencoded or multipart body."""
    values: dict[str, object] = dict(request.query)
    if not request.can_read_body:
        return Params(values)
    content_type = request.content_type
    if content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise errors.bad_request("can't parse JSON encoded request body") from None
        if not isinstance(body, dict):
            raise errors.bad_request("JSON object expected as the request body")
        values.update(body)
    elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        for name, value in form.items():
            if isinstance(value, web.FileField):
                values[name] = Upload(value.filename, value.content_type, value.file.read())
            elif isinstance(value, bytes):
                values[name] = value.decode("utf-8", errors="replace")
            else:
                values[name] = value
    return Params(values)
