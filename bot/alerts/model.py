"""What a parsed CAP 1.2 message holds, as frozen values the rest of Waymark can trust.

Everything here was checked by `bot.alerts.cap`; texts are plain text exactly as the sender wrote
them (an escaped `&lt;b&gt;` arrives as the characters `<b>`): escaping them for display is the
renderer's job, never the parser's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

CIVILIAN_MSG_TYPES = frozenset({"Alert", "Update", "Cancel"})

LatLon = tuple[float, float]
Polygon = tuple[LatLon, ...]
Pair = tuple[str, str]


def language_key(tag: str) -> str:
    """The primary subtag in lower case ("en-US" → "en"): how Waymark groups translations."""
    return tag.split("-", 1)[0].lower()


@dataclass(frozen=True)
class AlertText:
    headline: str
    body: str
    instruction: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"headline": self.headline, "body": self.body, "instruction": self.instruction}


@dataclass(frozen=True)
class CapReference:
    """One earlier message named in <references>: how an Update or Cancel finds its target."""

    sender: str
    identifier: str
    sent: datetime


@dataclass(frozen=True)
class CapCircle:
    """A <circle>: centre in WGS 84 degrees and a radius in kilometres."""

    lat: float
    lon: float
    radius_km: float


@dataclass(frozen=True)
class CapArea:
    """An <area>: the description is required, shapes and geocodes are optional."""

    description: str
    polygons: tuple[Polygon, ...] = ()
    circles: tuple[CapCircle, ...] = ()
    geocodes: tuple[Pair, ...] = ()
    altitude: float | None = None
    ceiling: float | None = None


@dataclass(frozen=True)
class CapResource:
    """A <resource> as described; embedded content (<derefUri>) is never kept, only flagged."""

    description: str
    mime_type: str
    size: int | None = None
    uri: str | None = None
    digest: str | None = None
    has_embedded_content: bool = False


@dataclass(frozen=True)
class CapInfo:
    """One <info> block: the event in one language for one set of areas."""

    language: str
    categories: tuple[str, ...]
    event: str
    urgency: str
    severity: str
    certainty: str
    response_types: tuple[str, ...] = ()
    audience: str | None = None
    event_codes: tuple[Pair, ...] = ()
    effective: datetime | None = None
    onset: datetime | None = None
    expires: datetime | None = None
    sender_name: str | None = None
    headline: str | None = None
    description: str | None = None
    instruction: str | None = None
    web: str | None = None
    contact: str | None = None
    parameters: tuple[Pair, ...] = ()
    resources: tuple[CapResource, ...] = ()
    areas: tuple[CapArea, ...] = ()

    @property
    def language_key(self) -> str:
        return language_key(self.language)


@dataclass(frozen=True)
class CapAlert:
    """A whole <alert>; unknown elements and signatures were dropped, never trusted."""

    identifier: str
    sender: str
    sent: datetime
    status: str
    msg_type: str
    scope: str
    source: str | None = None
    restriction: str | None = None
    addresses: str | None = None
    codes: tuple[str, ...] = ()
    note: str | None = None
    references: tuple[CapReference, ...] = ()
    incidents: str | None = None
    infos: tuple[CapInfo, ...] = ()

    @property
    def is_civilian_facing(self) -> bool:
        """Only real, public alerts, updates and cancels may reach civilians.

        Exercise, Test, Draft and System traffic, Ack and Error messages, and Restricted or
        Private messages (whose sender did not mean them for the public) never do.
        """
        return (
            self.status == "Actual"
            and self.msg_type in CIVILIAN_MSG_TYPES
            and self.scope == "Public"
        )

    @property
    def expires(self) -> datetime | None:
        """The earliest <expires> of any info block: a warning must not outlive its first end."""
        times = [info.expires for info in self.infos if info.expires is not None]
        return min(times) if times else None

    def as_reference(self) -> CapReference:
        """How a later Update or Cancel of this message would name it."""
        return CapReference(self.sender, self.identifier, self.sent)

    def geocodes(self) -> tuple[Pair, ...]:
        """Every distinct (valueName, value) of every area, in document order."""
        pairs = (pair for info in self.infos for area in info.areas for pair in area.geocodes)
        return tuple(dict.fromkeys(pairs))

    def language_tags(self) -> dict[str, tuple[str, ...]]:
        """Language key → the full tags seen for it ("en" → ("en-US",)), in document order."""
        tags: dict[str, dict[str, None]] = {}
        for info in self.infos:
            tags.setdefault(info.language_key, {})[info.language] = None
        return {key: tuple(seen) for key, seen in tags.items()}

    def texts_by_language(self) -> dict[str, AlertText]:
        """Language key → one text merging that language's info blocks in document order.

        A sender may split one language over several info blocks (per area or event); a person
        reading that language must see all of them, each distinct text once.
        """
        grouped: dict[str, list[CapInfo]] = {}
        for info in self.infos:
            grouped.setdefault(info.language_key, []).append(info)
        return {key: _merge(infos) for key, infos in grouped.items()}


def _distinct(values: Iterable[str | None]) -> list[str]:
    return list(dict.fromkeys(value for value in values if value))


def _merge(infos: list[CapInfo]) -> AlertText:
    """One language's text; the event name stands in for a missing headline."""
    headlines = _distinct(info.headline for info in infos) or _distinct(i.event for i in infos)
    return AlertText(
        headline=" / ".join(headlines),
        body="\n\n".join(_distinct(info.description for info in infos)),
        instruction="\n\n".join(_distinct(info.instruction for info in infos)),
    )
