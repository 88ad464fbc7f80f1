"""Webhook delivery: POST each queued update to the bot's URL, in order, like Telegram.

A delivery that fails (connection refused, non-2xx answer) is retried a few times with a growing
pause; after the last attempt the update is dropped and the error shows in getWebhookInfo. Updates
go one at a time so the bot sees them in order. The URL is never logged: it may hold a secret.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import aiohttp

from bot.emulator.signals import Signal
from bot.emulator.state import Webhook, World

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name


class WebhookDelivery:
    """A background task that empties the update queue into the webhook while one is set."""

    def __init__(
        self, world: World, *, attempts: int = 4, backoff: float = 0.1, timeout: float = 10.0
    ) -> None:
        self.world = world
        self.attempts = attempts
        self.backoff = backoff
        self.timeout = timeout
        self.signal = Signal()
        self._session: aiohttp.ClientSession | None = None
        self._task: asyncio.Task[None] | None = None

    def poke(self) -> None:
        """Something changed: a new update or a new webhook."""
        self.signal.fire()

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=self.timeout), trust_env=False
        )
        self._task = asyncio.create_task(self._run(), name="emulator-webhook")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _run(self) -> None:
        while True:
            waiter = self.signal.waiter()
            hook = self.world.webhook
            if hook is None or not self.world.updates:
                await waiter.wait()
                continue
            update = self.world.updates[0]
            delivered = await self._deliver(hook, update)
            # Delivered, or given up on: either way Telegram moves on to the next update.
            moved_on = delivered or self.world.webhook is hook
            if moved_on and self.world.updates and self.world.updates[0] is update:
                self.world.updates.popleft()

    async def _deliver(self, hook: Webhook, update: dict[str, Any]) -> bool:
        headers = {SECRET_HEADER: hook.secret_token} if hook.secret_token else {}
        for attempt in range(self.attempts):
            error = await self._post(hook.url, update, headers)
            if error is None:
                return True
            hook.last_error_date = self.world.now()
            hook.last_error_message = error
            log.debug("webhook delivery failed (attempt %d): %s", attempt + 1, error)
            if attempt + 1 < self.attempts:
                await asyncio.sleep(self.backoff * 2**attempt)
            if self.world.webhook is not hook:
                return False
        return False

    async def _post(self, url: str, update: dict[str, Any], headers: dict[str, str]) -> str | None:
        """None on success, else the error text Telegram would show in getWebhookInfo."""
        assert self._session is not None
        try:
            async with self._session.post(url, json=update, headers=headers) as response:
                if 200 <= response.status < 300:
                    return None
                return f"Wrong response from the webhook: {response.status} {response.reason}"
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return _connection_error(exc)


def _connection_error(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "Read timeout expired"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return "Connection refused"
    return f"Connection failed: {type(exc).__name__}"
