"""Logging that cannot leak who uses Waymark.

Our own code never logs chat ids, texts or tokens. Libraries do at DEBUG (python-telegram-bot logs
whole requests, httpx logs URLs that contain the bot token), so they are held at WARNING whatever
the level, and a last filter scrubs anything shaped like a token or a chat id from what is left.
"""

from __future__ import annotations

import logging
import re

CHATTY_LIBRARIES = ("telegram", "httpx", "httpcore", "aiohttp.access", "apscheduler", "hpack")
_TOKEN = re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}")
_LONG_NUMBER = re.compile(r"(?<![\d.])-?\d{6,}(?![\d.])")


def scrub(text: str) -> str:
    return _LONG_NUMBER.sub("<id>", _TOKEN.sub("<token>", text))


class RedactingFilter(logging.Filter):
    """Rewrites the final message; a second line of defence, not the first."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            record.exc_text = f"{type(exc).__name__}: {scrub(str(exc))}"
            record.exc_info = None
        return True


def quiet_libraries() -> None:
    for name in CHATTY_LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING)


class _WaymarkHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Marks our handler so configuring twice replaces it and leaves others' handlers alone."""


def configure(level: str) -> None:
    handler = _WaymarkHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _WaymarkHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    quiet_libraries()
