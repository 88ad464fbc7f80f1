"""What Waymark remembers about one person: everything lives in this one sealed record."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class UserRecord:
    """The decrypted user blob. Keep it small: every field here is something a seizure could expose
    if the key were taken too."""

    chat_id: int
    lang: str | None = None
    created_day: int = 0
    privacy_seen: bool = False
    # The one living message (see DESIGN: one message edited in place) and when it was sent,
    # in hours, so we know whether Telegram's 48-hour delete window still allows removing it.
    screen_id: int | None = None
    screen_hour: int | None = None
    regions: list[str] = field(default_factory=list)
    done_steps: list[str] = field(default_factory=list)
    quiet: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Only what differs from the defaults: every byte is multiplied by every subscriber."""
        return {
            k: v for k, v in asdict(self).items() if k == "chat_id" or _DEFAULTS.get(k) != v
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> UserRecord:
        known = {name for name in cls.__dataclass_fields__}
        return cls(**{key: value for key, value in data.items() if key in known})


_DEFAULTS = asdict(UserRecord(chat_id=0))
