"""Bot API errors with Telegram's own status codes and descriptions.

Bots (and python-telegram-bot) branch on the HTTP status and match on the description text, so the
emulator must answer exactly what Telegram answers; every description lives here, in one place.
"""

from __future__ import annotations

import math


class ApiError(Exception):
    """A Bot API error: answered as `{"ok": false, "error_code": status, "description": ...}`."""

    def __init__(self, status: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after


def bad_request(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: {detail}")


def too_many_requests(seconds: float) -> ApiError:
    """429 with the whole number of seconds to wait, never less than one (as Telegram does)."""
    retry_after = max(1, math.ceil(seconds))
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)


UNAUTHORIZED = "Unauthorized"
METHOD_NOT_FOUND = "Not Found: method not found"

CHAT_NOT_FOUND = "chat not found"
BOT_BLOCKED = "Forbidden: bot was blocked by the user"
TEXT_EMPTY = "message text is empty"
TEXT_TOO_LONG = "message is too long"
CAPTION_TOO_LONG = "message caption is too long"
BUTTON_DATA_INVALID = "BUTTON_DATA_INVALID"
BUTTON_URL_INVALID = "BUTTON_URL_INVALID"
EDIT_NOT_FOUND = "message to edit not found"
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
NO_TEXT_TO_EDIT = "there is no text in the message to edit"
NO_CAPTION_TO_EDIT = "there is no caption in the message to edit"
CANT_DELETE = "message can't be deleted"
DELETE_NOT_FOUND = "message to delete not found"
QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"
WEBHOOK_ACTIVE = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete "
    "the webhook first"
)
POLL_TERMINATED = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is "
    "running"
)
