"""Bot API request parameters, read the way Telegram reads them.

Telegram takes the same parameters as a query string, a form, multipart or JSON. In forms every
value is a string: numbers as digits, booleans as "true"/"false", and objects (reply_markup,
entities, scope...) as JSON text. Typed accessors hide that difference from the methods.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

from bot.emulator.errors import ApiError, bad_request

_INTEGER = re.compile(r"^\s*[-+]?\d{1,20}\s*$")


@dataclass(frozen=True)
class Upload:
    """A file sent as a multipart part."""

    filename: str | None
    content_type: str | None
    data: bytes


class Params:
    """Read-only parameters with Telegram's coercions."""

    def __init__(self, values: Mapping[str, object]) -> None:
        self._values = dict(values)

    def has(self, name: str) -> bool:
        return self._values.get(name) not in (None, "")

    def raw(self, name: str) -> object:
        return self._values.get(name)

    def text(self, name: str) -> str | None:
        value = self._values.get(name)
        if value is None or isinstance(value, Upload):
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, dict | list):
            return json.dumps(value)
        return str(value)

    def integer(self, name: str) -> int | None:
        value = self._values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and _INTEGER.match(value):
            return int(value)
        raise bad_request(f"invalid {name} specified")

    def number(self, name: str) -> float | None:
        value = self._values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        try:
            return float(str(value))
        except ValueError:
            raise bad_request(f"invalid {name} specified") from None

    def boolean(self, name: str) -> bool:
        value = self._values.get(name)
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float):
            return value != 0
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1", "yes", "on")
        return False

    def json_value(self, name: str) -> object:
        """An object parameter: JSON text in forms, already an object in JSON bodies."""
        value = self._values.get(name)
        if isinstance(value, str):
            if value == "":
                return None
            try:
                decoded: object = json.loads(value)
            except ValueError:
                raise bad_request(f"can't parse {name} JSON object") from None
            return decoded
        return value

    def upload(self, name: str) -> Upload | None:
        value = self._values.get(name)
        return value if isinstance(value, Upload) else None

    def chat_id(self) -> int | None:
        """The target chat, or None for a missing, malformed or @username chat_id."""
        try:
            return self.integer("chat_id")
        except ApiError:  # an unreadable chat id is "chat not found" later, not a crash here
            return None


@dataclass
class Call:
    """One Bot API call: its parameters and what the transcript will say about it."""

    method: str
    params: Params
    chat_id: int | None = None
    message_id: int | None = None
    paid: bool = False
