"""Bot API method names as Waymark calls them through do_api_request, which ones Telegram
counts against a bot's message limits, and how long a 429 asks to wait.

Waymark keeps Telegram's JSON answers instead of letting PTB build a Message from each of them
(a third of a paid broadcast's CPU, and the largest cost of a button press, in bench/RESULTS.md).
The names are lower case on purpose: the Bot API matches method names case-insensitively, and PTB
asks callers to use its own method instead of do_api_request only for the names it defines.
"""

from __future__ import annotations

from telegram.error import RetryAfter

SEND_MESSAGE = "sendmessage"
SEND_PHOTO = "sendphoto"
EDIT_MESSAGE_TEXT = "editmessagetext"

# Calls that count against Telegram's messages per second (compare in lower case).
COUNTED = frozenset({SEND_MESSAGE, SEND_PHOTO, "senddocument", "sendvideo", "copymessage"})


def retry_seconds(exc: RetryAfter) -> float:
    """A 429's retry_after in seconds (PTB gives a number or a timedelta, by version)."""
    retry = exc.retry_after
    return float(retry if isinstance(retry, int | float) else retry.total_seconds())
