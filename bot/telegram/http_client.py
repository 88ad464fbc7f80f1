"""python-telegram-bot's transport on aiohttp instead of httpx.

Measured on this project's benchmarks (bench/RESULTS.md): PTB's default httpx transport spends
2.8–6.5 ms of CPU per Bot API call, growing with the number of pooled connections, and that CPU is
taken from the one event loop that also answers people. aiohttp (already the partner API's server)
costs under 1 ms per call whatever the concurrency, which is what lets a paid broadcast approach
Telegram's limit without starving interactive replies.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

USER_AGENT = "Waymark (python-telegram-bot on aiohttp)"


def _seconds(value: Any, default: float | None) -> float | None:
    """PTB passes DEFAULT_NONE for "use the default" and None for "no limit"."""
    if isinstance(value, int | float) or value is None:
        return value
    return default


class AiohttpRequest(BaseRequest):
    """One aiohttp session with a bounded connection pool, created in initialize()."""

    def __init__(
        self,
        *,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read = read_timeout
        self._write = write_timeout
        self._connect = connect_timeout
        self._pool = pool_timeout
        self._media_write = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size, enable_cleanup_closed=True)
            self._session = aiohttp.ClientSession(
                connector=connector, headers={"User-Agent": USER_AGENT}
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        files = request_data.multipart_data if request_data else None
        fields = request_data.json_parameters if request_data else None
        body: aiohttp.FormData | dict[str, str] | None = fields
        if files:
            form = aiohttp.FormData()
            for name, value in (fields or {}).items():
                form.add_field(name, value)
            for name, part in files.items():
                filename, content, *rest = part
                form.add_field(
                    name,
                    content,
                    filename=filename,
                    content_type=rest[0] if rest else "application/octet-stream",
                )
            body = form
        read = _seconds(read_timeout, self._read)
        write = _seconds(write_timeout, self._media_write if files else self._write)
        # aiohttp has no separate write timeout: the sending of the body is bounded by the total,
        # which is the sum of what each phase may take.
        phases = [_seconds(connect_timeout, self._connect), write, read]
        total = None if any(p is None for p in phases) else sum(p for p in phases if p)
        timeout = aiohttp.ClientTimeout(
            total=total,
            connect=_seconds(pool_timeout, self._pool),  # waiting for a pooled connection
            sock_connect=_seconds(connect_timeout, self._connect),
            sock_read=read,
        )
        try:
            async with self._session.request(method, url, data=body, timeout=timeout) as res:
                return res.status, await res.read()
        except TimeoutError as exc:
            raise TimedOut from exc
        except asyncio.CancelledError:
            raise
        except aiohttp.ClientError as exc:
            # The exception's class only: its text may carry the URL, and the URL holds the token.
            raise NetworkError(f"aiohttp.{type(exc).__name__}") from exc
