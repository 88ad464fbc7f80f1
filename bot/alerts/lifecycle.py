"""An alert's life: who may move it from which state to which, and what it holds.

pending → approved → sending → sent, or rejected, cancelled, expired. An alert always expires;
an expired alert is never sent late.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.alerts.model import AlertText, CapReference

STATES = ("pending", "approved", "sending", "sent", "rejected", "cancelled", "expired")
FINAL_STATES = frozenset({"sent", "rejected", "cancelled", "expired"})
TRANSITIONS: dict[str, frozenset[str]] = {
    "pending": frozenset({"approved", "rejected", "cancelled", "expired"}),
    "approved": frozenset({"sending", "cancelled", "expired"}),
    "sending": frozenset({"sent", "cancelled", "expired"}),
    "sent": frozenset({"cancelled", "expired"}),
    "rejected": frozenset(),
    "cancelled": frozenset(),
    "expired": frozenset(),
}

STATUSES = ("Actual", "Exercise", "System", "Test", "Draft")
MSG_TYPES = ("Alert", "Update", "Cancel")
SEVERITIES = ("Extreme", "Severe", "Moderate", "Minor", "Unknown")
URGENCIES = ("Immediate", "Expected", "Future", "Past", "Unknown")
CERTAINTIES = ("Observed", "Likely", "Possible", "Unlikely", "Unknown")

# Higher severity jumps the broadcast queue: lower number = sent first.
SEVERITY_PRIORITY = {"Extreme": 0, "Severe": 1, "Moderate": 2, "Unknown": 3, "Minor": 4}

MAX_LIFETIME_SECONDS = 7 * 24 * 3600  # a partner default is capped: warnings must not linger
DEFAULT_LIFETIME_SECONDS = 6 * 3600


def can_move(state: str, to: str) -> bool:
    return to in TRANSITIONS.get(state, frozenset())


@dataclass(frozen=True)
class AlertMedia:
    """An image sent blurred (as a spoiler) under a content note: the person chooses to look."""

    url: str
    content_note: str

    def to_dict(self) -> dict[str, str]:
        return {"url": self.url, "content_note": self.content_note}


@dataclass(frozen=True)
class AlertDraft:
    """What a partner submitted, from JSON or CAP, before it becomes a stored alert."""

    regions: tuple[str, ...]
    texts: dict[str, AlertText]
    language: str
    severity: str
    urgency: str
    certainty: str
    expires_at: int
    status: str = "Actual"
    msg_type: str = "Alert"
    refers_to: str | None = None  # an alert id of the same partner (Update / Cancel)
    cap: CapReference | None = None  # how CAP names this message, for later Update/Cancel
    source: str = "json"
    media: AlertMedia | None = None

    @property
    def civilian_facing(self) -> bool:
        """Exercise, Test, Draft and System messages never reach civilians."""
        return self.status == "Actual"


@dataclass(frozen=True)
class Alert:
    id: str
    partner_id: str
    author: str
    state: str
    draft: AlertDraft
    created_at: int
    decided_by: str | None = None
    decided_at: int | None = None
    reason: str | None = None
    sending_started_ms: int | None = None
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def priority(self) -> int:
        return SEVERITY_PRIORITY.get(self.draft.severity, 3)

    def to_api(self) -> dict[str, Any]:
        d = self.draft
        return {
            "id": self.id,
            "partner": self.partner_id,
            "author": self.author,
            "state": self.state,
            "status": d.status,
            "msg_type": d.msg_type,
            "refers_to": d.refers_to,
            "regions": list(d.regions),
            "severity": d.severity,
            "urgency": d.urgency,
            "certainty": d.certainty,
            "language": d.language,
            "texts": {lang: text.to_dict() for lang, text in d.texts.items()},
            "expires_at": d.expires_at,
            "created_at": self.created_at,
            "decided_by": self.decided_by,
            "decided_at": self.decided_at,
            "reason": self.reason,
            "source": d.source,
            "media": d.media.to_dict() if d.media else None,
            "delivery": self.stats,
        }
