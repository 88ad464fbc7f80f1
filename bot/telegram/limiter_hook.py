"""Plugs Waymark's send limiter into python-telegram-bot.

Interactive replies pass straight through and are only counted, so a broadcast leaves them room;
broadcast sends (marked with rate_limit_args=BROADCAST) already waited in the limiter. A 429 on any
request pauses broadcasting.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.alerts.broadcaster import BROADCAST
from bot.alerts.ratelimit import SendLimiter
from bot.bot_methods import COUNTED, retry_seconds


class SharedLimiterHook(BaseRateLimiter[str]):
    def __init__(self, limiter: SendLimiter) -> None:
        self.limiter = limiter

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: str | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        if rate_limit_args != BROADCAST and endpoint.lower() in COUNTED:
            self.limiter.note_interactive()
        generation = self.limiter.generation
        try:
            return await callback(*args, **kwargs)
        except RetryAfter as exc:
            if rate_limit_args != BROADCAST:
                self.limiter.retry_after(generation, retry_seconds(exc))
            raise
