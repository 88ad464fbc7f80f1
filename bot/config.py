"""Settings from the environment and an optional TOML file, checked once at start.

A wrong setting stops Waymark with one line naming it, not a traceback an hour later.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from bot.errors import StartupError

TELEGRAM_API = "https://api.telegram.org/bot"
# Just under Telegram's limits (30/s, 1000/s paid): the margin absorbs the few milliseconds by
# which requests trail the limiter's grants, so Telegram never counts more than its limit.
FREE_BROADCAST_RATE = 29.0
PAID_BROADCAST_RATE = 970.0
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def project_root() -> Path:
    return Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    token: str = field(default="", repr=False)
    api_base_url: str = TELEGRAM_API
    data_dir: Path = Path("var")
    locales_dir: Path = field(default_factory=lambda: project_root() / "locales")
    content_dir: Path = field(default_factory=lambda: project_root() / "content")
    log_level: str = "INFO"
    poll_timeout: int = 10
    partner_api_host: str = "127.0.0.1"
    partner_api_port: int = 8080  # 0 picks a free port (tests, `waymark try`)
    broadcast_rate: float = FREE_BROADCAST_RATE  # messages/second (PAID_BROADCAST_RATE if paid)
    paid_broadcast: bool = False  # up to 1000/s, billed in Telegram Stars
    broadcast_concurrency: int = 16
    alert_retention_days: int = 30  # delete alerts this long after they expired (audit stays)
    purge_inactive_days: int = 0  # 0 keeps inactive people; N deletes them after N idle days

    @property
    def telegram_rate_limit(self) -> float:
        """Messages per second Telegram accepts from one bot in all."""
        return 1000.0 if self.paid_broadcast else 30.0

    def check(self) -> Settings:
        if self.log_level not in LOG_LEVELS:
            raise StartupError(f"log_level must be one of {', '.join(LOG_LEVELS)}")
        if not self.api_base_url.startswith(("https://", "http://127.", "http://localhost")):
            raise StartupError("api_base_url must be https (or loopback http for the emulator)")
        if not 0 < self.poll_timeout <= 60:
            raise StartupError("poll_timeout must be between 1 and 60 seconds")
        limit = self.telegram_rate_limit
        if not 0 < self.broadcast_rate <= limit:
            raise StartupError(f"broadcast_rate must be above 0 and at most {limit:g}")
        if not 0 <= self.partner_api_port <= 65535:
            raise StartupError("partner_api_port must be a port number")
        if self.alert_retention_days < 0 or self.purge_inactive_days < 0:
            raise StartupError("retention periods cannot be negative")
        if not 1 <= self.broadcast_concurrency <= 512:
            raise StartupError("broadcast_concurrency must be between 1 and 512")
        return self


_ENV = {
    "TELEGRAM_BOT_TOKEN": "token",
    "WAYMARK_API_BASE_URL": "api_base_url",
    "WAYMARK_DATA_DIR": "data_dir",
    "WAYMARK_LOCALES_DIR": "locales_dir",
    "WAYMARK_CONTENT_DIR": "content_dir",
    "WAYMARK_LOG_LEVEL": "log_level",
    "WAYMARK_POLL_TIMEOUT": "poll_timeout",
    "WAYMARK_PARTNER_API_HOST": "partner_api_host",
    "WAYMARK_PARTNER_API_PORT": "partner_api_port",
    "WAYMARK_BROADCAST_RATE": "broadcast_rate",
    "WAYMARK_PAID_BROADCAST": "paid_broadcast",
    "WAYMARK_BROADCAST_CONCURRENCY": "broadcast_concurrency",
    "WAYMARK_ALERT_RETENTION_DAYS": "alert_retention_days",
    "WAYMARK_PURGE_INACTIVE_DAYS": "purge_inactive_days",
}


def _coerce(name: str, value: Any) -> Any:
    kinds = {f.name: f.type for f in fields(Settings)}
    kind = kinds[name]
    try:
        if kind == "Path":
            return Path(str(value)).expanduser()
        if kind == "int":
            if isinstance(value, bool):
                raise TypeError
            return int(value)
        if kind == "float":
            if isinstance(value, bool):
                raise TypeError
            return float(value)
        if kind == "bool":
            if isinstance(value, bool):
                return value
            if str(value).lower() in ("1", "true", "yes", "on"):
                return True
            if str(value).lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError
        if kind == "str":
            if not isinstance(value, str):
                raise TypeError
            return value.upper() if name == "log_level" else value
    except (TypeError, ValueError):
        raise StartupError(f"setting {name!r} has the wrong type") from None
    raise StartupError(f"setting {name!r} cannot be set here")  # pragma: no cover


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Defaults, then the TOML file, then the environment, then explicit overrides."""
    values: dict[str, Any] = {}
    known = {f.name for f in fields(Settings)} - {"token"}
    if config_file is not None:
        try:
            data = tomllib.loads(config_file.read_text())
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise StartupError(f"cannot read config file {config_file}: {exc}") from None
        for key, value in data.items():
            if key not in known:
                raise StartupError(f"unknown setting {key!r} in {config_file}")
            values[key] = _coerce(key, value)
    for env_name, name in _ENV.items():
        if env_name in os.environ:
            values[name] = _coerce(name, os.environ[env_name])
    values.update({k: v for k, v in overrides.items() if v is not None})
    if values.get("paid_broadcast") and "broadcast_rate" not in values:
        values["broadcast_rate"] = PAID_BROADCAST_RATE
    return replace(Settings(), **values).check()
