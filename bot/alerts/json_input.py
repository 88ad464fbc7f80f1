"""The partner API's JSON alert format, validated field by field into an AlertDraft."""

from __future__ import annotations

import re
import time
from datetime import datetime
from typing import Any

from bot.alerts.errors import invalid
from bot.alerts.lifecycle import (
    CERTAINTIES,
    DEFAULT_LIFETIME_SECONDS,
    MAX_LIFETIME_SECONDS,
    SEVERITIES,
    STATUSES,
    URGENCIES,
    AlertDraft,
    AlertMedia,
)
from bot.alerts.model import AlertText

LANGUAGE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*", re.ASCII)  # fullmatch: no "en\n"
LIMITS = {"headline": 160, "body": 2500, "instruction": 1000}
FIELDS = {
    "regions",
    "texts",
    "language",
    "severity",
    "urgency",
    "certainty",
    "status",
    "expires_at",
    "expires_in_minutes",
    "media",
}


def _choice(data: dict[str, Any], name: str, options: tuple[str, ...], default: str | None) -> str:
    value = data.get(name, default)
    if value not in options:
        raise invalid("invalid_value", f"{name} must be one of {', '.join(options)}")
    return str(value)


def parse_media(raw: Any) -> AlertMedia | None:
    """An image is only ever shown blurred behind a content note the partner must write."""
    if raw is None:
        return None
    if not isinstance(raw, dict) or set(raw) != {"url", "content_note"}:
        raise invalid("invalid_value", "media takes exactly url and content_note")
    url, note = raw["url"], raw["content_note"]
    if not isinstance(url, str) or not url.startswith("https://") or len(url) > 2000:
        raise invalid("invalid_value", "media.url must be an https URL")
    if not isinstance(note, str) or not note.strip() or len(note) > 200:
        raise invalid("invalid_value", "media.content_note must say what the image shows (≤ 200)")
    return AlertMedia(url, note.strip())


def parse_texts(raw: Any) -> dict[str, AlertText]:
    if not isinstance(raw, dict) or not raw:
        raise invalid("missing_field", "texts must map at least one language to a text")
    texts: dict[str, AlertText] = {}
    for language, value in raw.items():
        if not isinstance(language, str) or not LANGUAGE.fullmatch(language):
            raise invalid("invalid_value", "texts keys must be language codes such as 'en'")
        if not isinstance(value, dict) or set(value) - set(LIMITS):
            raise invalid("invalid_value", f"texts.{language} takes headline, body, instruction")
        parts: dict[str, str] = {}
        for name, limit in LIMITS.items():
            part = value.get(name, "")
            if not isinstance(part, str) or len(part) > limit:
                raise invalid("invalid_value", f"texts.{language}.{name}: text of at most {limit}")
            parts[name] = part.strip()
        if not parts["headline"] or not parts["body"]:
            raise invalid("missing_field", f"texts.{language} needs a headline and a body")
        texts[language.split("-")[0].lower()] = AlertText(**parts)
    return texts


def expiry(data: dict[str, Any], now: int) -> int:
    """An explicit expiry, or the default lifetime; never beyond the cap, never in the past."""
    if "expires_at" in data:
        try:
            moment = datetime.fromisoformat(str(data["expires_at"]))
        except ValueError:
            raise invalid("invalid_value", "expires_at must be an ISO 8601 date-time") from None
        if moment.tzinfo is None:
            raise invalid("invalid_value", "expires_at needs a time zone offset")
        at = int(moment.timestamp())
    elif "expires_in_minutes" in data:
        minutes = data["expires_in_minutes"]
        if not isinstance(minutes, int) or isinstance(minutes, bool) or minutes <= 0:
            raise invalid("invalid_value", "expires_in_minutes must be a positive whole number")
        at = now + minutes * 60
    else:
        at = now + DEFAULT_LIFETIME_SECONDS
    if at <= now:
        raise invalid("expired", "the alert would already be expired")
    return min(at, now + MAX_LIFETIME_SECONDS)


def parse_json_alert(data: Any, *, default_language: str, now: int | None = None) -> AlertDraft:
    if not isinstance(data, dict):
        raise invalid("invalid_body", "the body must be a JSON object")
    unknown = set(data) - FIELDS
    if unknown:
        raise invalid("unknown_field", f"unknown field {sorted(unknown)[0]!r}")
    moment = int(time.time()) if now is None else now
    regions = data.get("regions")
    if (
        not isinstance(regions, list)
        or not regions
        or not all(isinstance(r, str) and r for r in regions)
    ):
        raise invalid("missing_field", "regions must be a non-empty list of region codes")
    texts = parse_texts(data.get("texts"))
    language = data.get("language", default_language)
    if not isinstance(language, str) or language not in texts:
        raise invalid("invalid_value", "language must name one of the texts' languages")
    return AlertDraft(
        regions=tuple(sorted(set(regions))),
        texts=texts,
        language=language,
        severity=_choice(data, "severity", SEVERITIES, None),
        urgency=_choice(data, "urgency", URGENCIES, "Unknown"),
        certainty=_choice(data, "certainty", CERTAINTIES, "Unknown"),
        status=_choice(data, "status", STATUSES, "Actual"),
        expires_at=expiry(data, moment),
        media=parse_media(data.get("media")),
    )


def parse_update(
    data: Any, original: AlertDraft, *, refers_to: str, now: int | None = None
) -> AlertDraft:
    """An Update: the original alert with the fields the partner changed."""
    if not isinstance(data, dict):
        raise invalid("invalid_body", "the body must be a JSON object")
    merged: dict[str, Any] = {
        "regions": list(original.regions),
        "texts": {k: v.to_dict() for k, v in original.texts.items()},
        "language": original.language,
        "severity": original.severity,
        "urgency": original.urgency,
        "certainty": original.certainty,
        "status": original.status,
        "media": original.media.to_dict() if original.media else None,
    }
    merged.update(data)
    if "expires_at" not in data and "expires_in_minutes" not in data:
        merged["expires_at"] = datetime.fromtimestamp(original.expires_at).astimezone().isoformat()
    draft = parse_json_alert(merged, default_language=original.language, now=now)
    return AlertDraft(**{**draft.__dict__, "msg_type": "Update", "refers_to": refers_to})
