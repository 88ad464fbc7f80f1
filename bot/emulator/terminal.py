"""Chat with the bot from a terminal, as one virtual user of the emulator (`waymark try`).

The screen shows what the person would see now: the bot's messages and, under the newest one, its
buttons numbered `[1] English  [2] العربية`. Typing a number presses that button; anything else
(text or a /command) is sent as a message; `:quit` leaves. After each input the terminal waits
until the bot has answered and the chat is quiet, then prints only what changed.

Script mode (input piped in) echoes each line as `> line` before its result, so a transcript of a
session reads like a conversation; it stops with exit code 1 and one line on stderr-like output
if the bot does not answer in time, and returns 0 at the end of the input.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import shutil
import sys
import textwrap
import threading
from collections.abc import AsyncIterator, Callable, Iterable
from typing import TextIO

from bot.emulator.client import (
    Button,
    ChatMessage,
    ChatView,
    EmulatorClient,
    EmulatorError,
    EmulatorTimeout,
)

QUIT = ":quit"
DEFAULT_TIMEOUT = 10.0
HELP = f"Type a button's number to press it, any text or /command to send it, {QUIT} to leave."
Lines = AsyncIterator[str] | Iterable[str]


# --- rendering (pure) -------------------------------------------------------------------------


def _wrap(text: str, width: int) -> list[str]:
    """Wrap each line of `text`, keeping blank lines and long words (URLs) whole."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        lines.extend(
            textwrap.wrap(paragraph, width, break_long_words=False, break_on_hyphens=False) or [""]
        )
    return lines


def render_message(message: ChatMessage, width: int = 72) -> str:
    """One bot message: a photo marker if any, then its text or caption, wrapped."""
    lines: list[str] = []
    if message.has_photo:
        lines.append("[photo, hidden as a spoiler]" if message.has_spoiler else "[photo]")
    body = message.text if message.text is not None else message.caption
    if body:
        lines.extend(_wrap(body, width))
    return "\n".join(lines)


def _button_label(number: int, button: Button) -> str:
    if button.url and not button.callback_data:
        return f"[{number}] {button.text} <{button.url}>"
    return f"[{number}] {button.text}"


def render_buttons(message: ChatMessage, width: int = 72) -> str:
    """The message's inline keyboard, one line per row, numbered across rows from 1."""
    lines: list[str] = []
    number = 0
    for row in message.buttons:
        line = ""
        for button in row:
            number += 1
            label = _button_label(number, button)
            if line and len(line) + 2 + len(label) > width:
                lines.append(line)
                line = ""
            line = f"{line}  {label}" if line else label
        if line:
            lines.append(line)
    return "\n".join(lines)


def flat_buttons(message: ChatMessage | None) -> list[Button]:
    """The buttons in the order render_buttons numbers them."""
    if message is None:
        return []
    return [button for row in message.buttons for button in row]


def render_chat(view: ChatView, width: int = 72) -> str:
    """The whole chat as the user sees it: every bot message, then the newest one's buttons."""
    bot = view.bot_messages
    if not bot:
        return "(no messages from the bot)"
    blocks = [render_message(message, width) for message in bot]
    buttons = render_buttons(bot[-1], width)
    if buttons:
        blocks.append(buttons)
    return "\n\n".join(block for block in blocks if block)


def render_changes(old: ChatView | None, new: ChatView, width: int = 72) -> str:
    """What changed from `old` to `new`: new or edited bot messages, removals, current buttons."""
    separator = "-" * width
    if old is None:
        return f"{separator}\n{render_chat(new, width)}"
    before = {m.message_id: render_message(m, width) for m in old.bot_messages}
    after = {m.message_id: m for m in new.bot_messages}
    blocks: list[str] = []
    removed = sum(1 for message_id in before if message_id not in after)
    if removed:
        blocks.append(f"({removed} message{'s' if removed > 1 else ''} removed)")
    for message_id, message in after.items():
        rendered = render_message(message, width)
        if before.get(message_id) != rendered:
            blocks.append(rendered)
    last = new.last_bot
    buttons = render_buttons(last, width) if last is not None else ""
    if not blocks:
        blocks.append("(no visible change)" if last is not None else render_chat(new, width))
    if buttons:
        blocks.append(buttons)
    return "\n".join([separator, "\n\n".join(b for b in blocks if b)])


# --- input ------------------------------------------------------------------------------------


async def _in_daemon_thread(read: Callable[[], str | None]) -> str | None:
    """Run a blocking read without holding up the event loop or the exit at Ctrl-C.

    A daemon thread (not the default executor) so a read still blocked when the program ends
    does not keep it alive.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[str | None] = loop.create_future()

    def resolve(value: str | None) -> None:
        if not future.done():
            future.set_result(value)

    def work() -> None:
        try:
            value = read()
        except (EOFError, KeyboardInterrupt, OSError, ValueError):
            value = None
        with contextlib.suppress(RuntimeError):  # the loop may already be closed
            loop.call_soon_threadsafe(resolve, value)

    threading.Thread(target=work, name="terminal-input", daemon=True).start()
    return await future


def _lines(source: Lines | None, *, interactive: bool, out: TextIO) -> AsyncIterator[str]:
    """Input lines from an async iterator, a text stream read in a thread, or input()."""
    if isinstance(source, AsyncIterator):
        return source
    if interactive and (source is None or source is sys.stdin):
        return _read_all(lambda: _prompted_input(out))
    stream = sys.stdin if source is None else source
    if isinstance(stream, io.TextIOBase):
        readline = stream.readline
        return _read_all(lambda: readline() or None)
    return _iterate(stream)


async def _read_all(read: Callable[[], str | None]) -> AsyncIterator[str]:
    while (line := await _in_daemon_thread(read)) is not None:
        yield line


async def _iterate(lines: Iterable[str]) -> AsyncIterator[str]:
    for line in lines:
        yield line


def _prompted_input(out: TextIO) -> str:
    if out is sys.stdout:
        return input("> ")
    out.write("> ")
    out.flush()
    return input()


# --- the loop ---------------------------------------------------------------------------------


class _Session:
    """One terminal conversation: what is on screen and how to act on an input line."""

    def __init__(
        self, client: EmulatorClient, user_id: int, out: TextIO, width: int, timeout: float
    ) -> None:
        self.client = client
        self.user_id = user_id
        self.out = out
        self.width = width
        self.timeout = timeout
        self.shown: ChatView | None = None

    def write(self, text: str) -> None:
        self.out.write(text if text.endswith("\n") else text + "\n")
        self.out.flush()

    async def act(self, line: str) -> bool:
        """Press or send for one input line; False if the bot did not answer in time."""
        last = self.shown.last_bot if self.shown else None
        buttons = flat_buttons(last)
        if line.isdigit() and buttons and last is not None:
            button = self.pick(int(line), buttons)
            return True if button is None else await self.press(last, button)
        try:
            before = await self.client.send(self.user_id, line)
        except EmulatorError as exc:
            self.write(f"(could not send that: {exc.message})")
            return True
        return await self.show_answer(before)

    def pick(self, number: int, buttons: list[Button]) -> Button | None:
        """The numbered button, or None (after saying why) if it cannot be pressed here."""
        if not 1 <= number <= len(buttons):
            self.write(f"(there is no button {number}; choose 1-{len(buttons)})")
            return None
        button = buttons[number - 1]
        if not button.callback_data:
            self.write(f"(that button opens {button.url or 'something outside the chat'})")
            return None
        return button

    async def press(self, message: ChatMessage, button: Button) -> bool:
        seen = len(await self.client.callback_answers(self.user_id))
        try:
            before = await self.client.press(
                self.user_id, data=button.callback_data, message_id=message.message_id
            )
        except EmulatorError as exc:
            self.write(f"(could not press that: {exc.message})")
            return True
        return await self.show_answer(before, answers_seen=seen)

    async def show_answer(self, before: int, *, answers_seen: int | None = None) -> bool:
        """Wait for the bot, then print its toasts and what changed on screen."""
        try:
            view = await self.client.wait(self.user_id, before, timeout=self.timeout)
        except EmulatorTimeout:
            return False
        if answers_seen is not None:
            await self.show_answers(answers_seen)
        self.write(render_changes(self.shown, view, self.width))
        self.shown = view
        return True

    async def show_answers(self, seen: int) -> None:
        """Toasts and alerts the bot showed in answer to the press."""
        for answer in (await self.client.callback_answers(self.user_id))[seen:]:
            if answer.get("text"):
                kind = "alert" if answer.get("show_alert") else "notice"
                self.write(f"[{kind}] {answer['text']}")


async def _watch(session: _Session, lock: asyncio.Lock) -> None:
    """Interactive only: show what arrives on its own (a warning) without waiting for input."""
    while True:
        shown = session.shown.version if session.shown else 0
        try:
            view = await session.client.wait(session.user_id, shown, timeout=25)
        except EmulatorTimeout:
            continue
        async with lock:
            if session.shown is not None and view.version <= session.shown.version:
                continue  # the change answered our own input and is already on screen
            session.write("\n" + render_changes(session.shown, view, session.width))
            session.shown = view
            session.out.write("> ")
            session.out.flush()


async def run_terminal(
    client: EmulatorClient,
    user_id: int,
    lines: Lines | None,
    out: TextIO,
    *,
    interactive: bool,
    timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109 - how long to wait for each answer
    width: int | None = None,
) -> int:
    """Chat as `user_id` until `:quit` or the end of input; returns a process exit code.

    `lines` may be an async iterator, any iterable of lines, a text stream (read in a thread) or
    None for standard input; interactive mode prompts with input() in a thread. Exit code 0 at
    the end of input or on `:quit`, 1 if in script mode the bot did not answer within `timeout`.
    """
    if width is None:
        width = _terminal_width() if interactive else 72
    session = _Session(client, user_id, out, width, timeout)
    session.shown = await client.chat(user_id)
    if interactive:
        session.write(HELP)
    if session.shown.bot_messages:
        session.write(render_changes(None, session.shown, width))
    elif interactive:
        session.write("(no messages yet: send /start to begin)")
    lock = asyncio.Lock()
    watcher = asyncio.create_task(_watch(session, lock)) if interactive else None
    try:
        async for raw in _lines(lines, interactive=interactive, out=out):
            line = raw.rstrip("\r\n").strip()
            if not line:
                continue
            if not interactive:
                session.write(f"> {line}")
            if line == QUIT:
                return 0
            async with lock:
                answered = await session.act(line)
            if not answered:
                session.write(f"waymark: the bot did not answer within {timeout:g} s")
                if not interactive:
                    return 1
        return 0
    finally:
        if watcher is not None:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher


def _terminal_width() -> int:
    return max(40, min(100, shutil.get_terminal_size((72, 24)).columns))
