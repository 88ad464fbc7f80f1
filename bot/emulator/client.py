"""EmulatorClient: the user's side of the emulator, for tests, benchmarks and the terminal.

`async with EmulatorClient(emu.url) as client:` then create users, send text, press buttons and
read the chat the way the person would see it. The `*_and_wait` calls return once the bot has
answered and the chat has been quiet for a moment, so tests need no sleeps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from types import EllipsisType, TracebackType
from typing import Any, NamedTuple

import aiohttp

JSON = dict[str, Any]

DEFAULT_TIMEOUT = 5.0
DEFAULT_QUIET_MS = 150


class Queued(NamedTuple):
    """A user's action as the emulator queued it: the chat version before it, and the moment
    (time.monotonic() of the emulator, the clock of the transcript's `t`)."""

    version: int
    t: float


class EmulatorError(RuntimeError):
    """The control API refused a request (unknown user, no such button...)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{message} (HTTP {status})")
        self.status = status
        self.message = message


class EmulatorTimeout(TimeoutError):
    """The bot did not change the chat within the timeout."""


@dataclass(frozen=True)
class Button:
    text: str
    callback_data: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class ChatMessage:
    """A message as the user sees it; `text` is plain text after HTML parsing."""

    message_id: int
    from_bot: bool
    text: str | None
    html: str | None
    caption: str | None
    has_photo: bool
    has_spoiler: bool
    buttons: list[list[Button]]
    date: int
    edit_date: int | None
    disable_notification: bool

    @classmethod
    def from_json(cls, data: JSON) -> ChatMessage:
        return cls(
            message_id=int(data["message_id"]),
            from_bot=bool(data["from_bot"]),
            text=data.get("text"),
            html=data.get("html"),
            caption=data.get("caption"),
            has_photo=bool(data.get("has_photo")),
            has_spoiler=bool(data.get("has_spoiler")),
            buttons=[[Button(**button) for button in row] for row in data.get("buttons", [])],
            date=int(data["date"]),
            edit_date=data.get("edit_date"),
            disable_notification=bool(data.get("disable_notification")),
        )

    @property
    def visible_text(self) -> str | None:
        return self.text if self.text is not None else self.caption


@dataclass(frozen=True)
class ChatView:
    """The chat at one version, oldest message first."""

    version: int
    messages: list[ChatMessage]
    timed_out: bool = False

    @classmethod
    def from_json(cls, data: JSON) -> ChatView:
        return cls(
            version=int(data["version"]),
            messages=[ChatMessage.from_json(m) for m in data["messages"]],
            timed_out=bool(data.get("timed_out", False)),
        )

    @property
    def bot_messages(self) -> list[ChatMessage]:
        return [m for m in self.messages if m.from_bot]

    @property
    def last_bot(self) -> ChatMessage | None:
        bot = self.bot_messages
        return bot[-1] if bot else None

    @property
    def texts(self) -> list[str]:
        """The visible text (or caption) of every message, oldest first."""
        return [m.visible_text for m in self.messages if m.visible_text is not None]


class EmulatorClient:
    """An aiohttp client for the emulator's control API (the server's root url)."""

    def __init__(self, url: str, *, max_connections: int = 100) -> None:
        """max_connections: open HTTP connections at most (waits hold one each)."""
        self.url = url.rstrip("/")
        self.max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> EmulatorClient:
        self._open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self.max_connections)
            self._session = aiohttp.ClientSession(connector=connector, trust_env=False)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _call(
        self,
        method: str,
        path: str,
        *,
        body: JSON | None = None,
        query: dict[str, str] | None = None,
        seconds: float = 30.0,
    ) -> Any:
        session = self._open()
        async with session.request(
            method,
            f"{self.url}/control{path}",
            json=body,
            params=query,
            timeout=aiohttp.ClientTimeout(total=seconds),
        ) as response:
            data = await response.json()
            if response.status >= 400:
                message = data.get("error", "error") if isinstance(data, dict) else str(data)
                raise EmulatorError(response.status, message)
            return data

    # --- users and their actions -----------------------------------------------------------

    async def create_user(
        self,
        user_id: int,
        *,
        first_name: str = "Test",
        language_code: str | None = "en",
        username: str | None = None,
    ) -> JSON:
        body = {
            "id": user_id,
            "first_name": first_name,
            "language_code": language_code,
            "username": username,
        }
        result: JSON = await self._call("POST", "/users", body=body)
        return result

    async def create_users(
        self, first_id: int, count: int, *, language_code: str | None = "en"
    ) -> int:
        """Users first_id .. first_id+count-1 in one request (benchmarks); returns how many
        were new."""
        body = {"first_id": first_id, "count": count, "language_code": language_code}
        data = await self._call("POST", "/users/bulk", body=body, seconds=300.0)
        return int(data["created"])

    async def send(self, user_id: int, text: str) -> int:
        """The user sends `text`; returns the chat version before it, for wait()."""
        return (await self.send_timed(user_id, text)).version

    async def send_timed(self, user_id: int, text: str) -> Queued:
        """send(), also returning when the emulator queued the message (for latencies)."""
        data = await self._call("POST", f"/users/{user_id}/messages", body={"text": text})
        return Queued(int(data["version"]), float(data["t"]))

    async def press(
        self,
        user_id: int,
        *,
        label: str | None = None,
        data: str | None = None,
        message_id: int | None = None,
        forge: bool = False,
    ) -> int:
        """Press the newest visible button with this label or data; returns the version before.

        forge=True sends `data` as if a button of `message_id` (or the newest bot message) had
        it: what a modified client can do, and what a bot must survive.
        """
        pressed = await self.press_timed(
            user_id, label=label, data=data, message_id=message_id, forge=forge
        )
        return pressed.version

    async def press_timed(
        self,
        user_id: int,
        *,
        label: str | None = None,
        data: str | None = None,
        message_id: int | None = None,
        forge: bool = False,
    ) -> Queued:
        """press(), also returning when the emulator queued the press (for latencies)."""
        body = {"label": label, "data": data, "message_id": message_id, "forge": forge}
        result = await self._call("POST", f"/users/{user_id}/press", body=body)
        return Queued(int(result["version"]), float(result["t"]))

    async def press_many(self, presses: Sequence[tuple[int, str, int | None]]) -> float:
        """Queue forged presses (user id, data, message id or None for the newest bot message)
        in one request, in order; returns the emulator's time.monotonic() once all are queued."""
        body = {
            "presses": [
                {"user_id": user_id, "data": data, "message_id": message_id}
                for user_id, data, message_id in presses
            ]
        }
        result = await self._call("POST", "/presses", body=body, seconds=300.0)
        return float(result["t"])

    async def chat(self, user_id: int) -> ChatView:
        return ChatView.from_json(await self._call("GET", f"/users/{user_id}/chat"))

    async def wait(
        self,
        user_id: int,
        after: int,
        *,
        timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109 - the server-side long-poll limit
        quiet_ms: int = DEFAULT_QUIET_MS,
    ) -> ChatView:
        """The chat once the bot changed it after version `after` and then stayed quiet.

        Raises EmulatorTimeout if the bot changed nothing within `timeout` seconds.
        """
        query = {"after": str(after), "timeout": str(timeout), "quiet_ms": str(quiet_ms)}
        data = await self._call("GET", f"/users/{user_id}/chat", query=query, seconds=timeout + 10)
        view = ChatView.from_json(data)
        if view.timed_out:
            raise EmulatorTimeout(f"the bot did not answer within {timeout:g} s")
        return view

    async def send_and_wait(
        self,
        user_id: int,
        text: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109 - passed on to wait()
        quiet_ms: int = DEFAULT_QUIET_MS,
    ) -> ChatView:
        before = await self.send(user_id, text)
        return await self.wait(user_id, before, timeout=timeout, quiet_ms=quiet_ms)

    async def press_and_wait(
        self,
        user_id: int,
        *,
        label: str | None = None,
        data: str | None = None,
        message_id: int | None = None,
        forge: bool = False,
        timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109 - passed on to wait()
        quiet_ms: int = DEFAULT_QUIET_MS,
    ) -> ChatView:
        before = await self.press(
            user_id, label=label, data=data, message_id=message_id, forge=forge
        )
        return await self.wait(user_id, before, timeout=timeout, quiet_ms=quiet_ms)

    async def callback_answers(self, user_id: int) -> list[JSON]:
        """What the bot answered to button presses (text, show_alert...), oldest first."""
        answers: list[JSON] = await self._call("GET", f"/users/{user_id}/callback_answers")
        return answers

    async def block(self, user_id: int, blocked: bool = True) -> None:
        await self._call("POST", f"/users/{user_id}/block", body={"blocked": blocked})

    # --- steering the emulator -------------------------------------------------------------

    async def inject_fault(
        self,
        *,
        method: str = "*",
        status: int,
        description: str,
        retry_after: int | None = None,
        times: int = 1,
        chat_id: int | None = None,
        delay: float = 0.0,
    ) -> None:
        """Make the next `times` matching Bot API calls fail with this Telegram error, answered
        after `delay` seconds."""
        body = {
            "method": method,
            "status": status,
            "description": description,
            "retry_after": retry_after,
            "times": times,
            "chat_id": chat_id,
            "delay": delay,
        }
        await self._call("POST", "/faults", body=body)

    async def clear_faults(self) -> None:
        await self._call("DELETE", "/faults")

    async def advance_clock(self, seconds: float) -> float:
        """Move the emulator's clock forward; returns its new "now" (epoch seconds)."""
        data = await self._call("POST", "/clock", body={"advance": seconds})
        return float(data["now"])

    async def now(self) -> float:
        data = await self._call("GET", "/clock")
        return float(data["now"])

    async def set_limits(
        self,
        *,
        global_per_second: float | EllipsisType | None = ...,
        per_chat_per_second: float | EllipsisType | None = ...,
        paid_per_second: float | EllipsisType | None = ...,
        per_group_per_minute: int | EllipsisType | None = ...,
        per_chat_burst: int | EllipsisType = ...,
    ) -> None:
        """Change flood limits (None switches one off, ... leaves it); counters start afresh."""
        given = {
            "global_per_second": global_per_second,
            "per_chat_per_second": per_chat_per_second,
            "paid_per_second": paid_per_second,
            "per_group_per_minute": per_group_per_minute,
            "per_chat_burst": per_chat_burst,
        }
        body = {name: value for name, value in given.items() if value is not ...}
        await self._call("POST", "/limits", body=body)

    async def transcript(self, since: int = 0) -> list[JSON]:
        """Bot API calls with seq > since: seq, t, method, chat_id, status, message_id, paid."""
        records: list[JSON] = await self._call("GET", "/transcript", query={"since": str(since)})
        return records

    async def commands(self) -> list[JSON]:
        """The bot's command lists: [{"scope", "language_code" ("" = all), "commands"}]."""
        commands: list[JSON] = await self._call("GET", "/commands")
        return commands

    async def reset(self) -> None:
        """Forget users, chats, updates, faults and the transcript; restore clock and limits."""
        await self._call("POST", "/reset")
