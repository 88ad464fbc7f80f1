"""A CAP 1.2 message from a partner becomes an alert draft, a cancel, or a clear refusal."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from bot.alerts.cap import CapError, map_areas_to_regions, parse_cap
from bot.alerts.errors import AlertRequestError, forbidden, invalid
from bot.alerts.lifecycle import (
    DEFAULT_LIFETIME_SECONDS,
    MAX_LIFETIME_SECONDS,
    SEVERITY_PRIORITY,
    AlertDraft,
)
from bot.alerts.model import AlertText, CapAlert
from bot.regions import Regions
from bot.store.alerts import Alerts


@dataclass(frozen=True)
class CapIntake:
    """Either a draft to vet (Alert, Update) or the id of an alert to cancel."""

    draft: AlertDraft | None = None
    cancel_of: str | None = None


async def _referenced(cap: CapAlert, partner_id: str, alerts: Alerts) -> str:
    """The stored alert an Update or Cancel names; only the same partner's alerts count."""
    for reference in reversed(cap.references):
        own = await alerts.find_cap(reference.sender, reference.identifier, partner_id)
        if own is not None:
            return own.id
        if await alerts.find_cap(reference.sender, reference.identifier) is not None:
            raise forbidden("other_partner", "the referenced alert belongs to another partner")
    raise AlertRequestError(
        404, "reference_not_found", "none of the references names an alert this partner sent"
    )


def _texts(cap: CapAlert) -> dict[str, AlertText]:
    texts = {}
    for language, text in cap.texts_by_language().items():
        headline = text.headline.strip()
        body = text.body.strip() or headline
        if headline:
            texts[language] = AlertText(headline, body, text.instruction.strip())
    if not texts:
        raise invalid("missing_element", "the alert has no info block with a headline or event")
    return texts


def _expiry(cap: CapAlert, now: int) -> int:
    expires = cap.expires
    at = int(expires.timestamp()) if expires is not None else now + DEFAULT_LIFETIME_SECONDS
    if at <= now:
        raise invalid("expired", "the alert's <expires> is already past")
    return min(at, now + MAX_LIFETIME_SECONDS)


def _by_geocode(cap: CapAlert, regions: Regions) -> set[str]:
    try:
        return map_areas_to_regions(cap, regions.geocodes)
    except CapError:
        return set()


def _by_shape(cap: CapAlert, regions: Regions) -> set[str]:
    """Regions whose box meets any polygon's or circle's box."""
    found: set[str] = set()
    for info in cap.infos:
        for area in info.areas:
            for polygon in area.polygons:
                lats, lons = [p[0] for p in polygon], [p[1] for p in polygon]
                found |= regions.touching((min(lats), min(lons), max(lats), max(lons)))
            for circle in area.circles:
                dlat = circle.radius_km / 111.32
                dlon = circle.radius_km / (111.32 * max(0.01, math.cos(math.radians(circle.lat))))
                found |= regions.touching(
                    (circle.lat - dlat, circle.lon - dlon, circle.lat + dlat, circle.lon + dlon)
                )
    return found


async def intake_cap(
    body: bytes,
    *,
    partner_id: str,
    partner_language: str,
    regions: Regions,
    alerts: Alerts,
    now: int | None = None,
) -> CapIntake:
    try:
        cap = parse_cap(body)
    except CapError as exc:
        raise AlertRequestError(exc.http_status, exc.code, exc.message) from None
    if cap.msg_type not in ("Alert", "Update", "Cancel"):
        raise invalid("unsupported_msg_type", f"Waymark does not act on CAP {cap.msg_type}")
    if cap.scope != "Public":
        raise invalid("scope_not_public", "Waymark delivers only CAP scope Public messages")
    refers_to = await _referenced(cap, partner_id, alerts) if cap.msg_type != "Alert" else None
    if cap.msg_type == "Cancel":
        return CapIntake(cancel_of=refers_to)
    moment = int(time.time()) if now is None else now
    codes = set(_by_geocode(cap, regions)) | _by_shape(cap, regions)
    if not codes:
        raise invalid(
            "no_region",
            "none of the alert's areas (geocodes, polygons, circles) lies in a region served here",
        )
    texts = _texts(cap)
    language = partner_language if partner_language in texts else next(iter(texts))
    # Several info blocks may disagree: the most severe one decides how loudly we warn.
    lead = min(cap.infos, key=lambda info: SEVERITY_PRIORITY.get(info.severity, 3))
    draft = AlertDraft(
        regions=tuple(sorted(codes)),
        texts=texts,
        language=language,
        severity=lead.severity,
        urgency=lead.urgency,
        certainty=lead.certainty,
        expires_at=_expiry(cap, moment),
        status=cap.status,
        msg_type=cap.msg_type,
        refers_to=refers_to,
        cap=cap.as_reference(),
        source="cap",
    )
    return CapIntake(draft=draft)
