"""An alert as one Telegram message in the reader's language, escaped and within limits.

Partner text is always escaped: a partner (or an attacker holding its token) must not be able to
inject links or formatting into a warning.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime

from babel.dates import format_datetime

from bot.alerts.lifecycle import Alert
from bot.alerts.model import AlertText
from bot.i18n.catalogs import Translator

MESSAGE_LIMIT = 4096
SEVERITY_ICONS = {"Extreme": "🚨", "Severe": "⚠️", "Moderate": "⚠️", "Minor": "ℹ️", "Unknown": "⚠️"}


def severity_label(tr: Translator, severity: str) -> str:
    labels = {
        "Extreme": tr._("EXTREME DANGER"),
        "Severe": tr._("SEVERE WARNING"),
        "Moderate": tr._("Warning"),
        "Minor": tr._("Advisory"),
        "Unknown": tr._("Warning"),
    }
    return labels.get(severity, labels["Unknown"])


def pick_text(alert: Alert, tr: Translator) -> tuple[AlertText, bool]:
    """The reader's language if the partner wrote it, else the partner's own (and say so)."""
    texts = alert.draft.texts
    if tr.code in texts:
        return texts[tr.code], False
    return texts[alert.draft.language], True


def expiry_text(tr: Translator, expires_at: int) -> str:
    moment = datetime.fromtimestamp(expires_at, tz=UTC)
    return format_datetime(moment, format="medium", tzinfo=UTC, locale=tr.locale) + " UTC"


def render_alert(
    alert: Alert,
    tr: Translator,
    *,
    partner_name: str,
    area: list[str],
    quiet: bool,
    kind: str = "alert",
    limit: int = MESSAGE_LIMIT,
) -> str:
    """kind: "alert" for a new warning, "update" for an edited one, "cancel" when withdrawn.

    `limit` is 4096 for a message and 1024 for a photo caption.
    """
    text, fallback = pick_text(alert, tr)
    parts = {"body": text.body, "instruction": text.instruction}
    message = _compose(alert, tr, text, parts, partner_name, area, quiet, kind, fallback)
    for name in ("body", "instruction"):
        # Cut the partner's long fields, raw (never escaped HTML), until the message fits.
        while len(message) > limit and parts[name]:
            keep = max(0, len(parts[name]) - (len(message) - limit) - 8)
            parts[name] = parts[name][:keep].rstrip() + "…" if keep else ""
            message = _compose(alert, tr, text, parts, partner_name, area, quiet, kind, fallback)
    return message


def _compose(
    alert: Alert,
    tr: Translator,
    text: AlertText,
    parts: dict[str, str],
    partner_name: str,
    area: list[str],
    quiet: bool,
    kind: str,
    fallback: bool,
) -> str:
    lines: list[str] = []
    if quiet:
        # The first line is what a lock screen shows: keep it neutral.
        lines.append(html.escape(tr._("Waymark: new message")))
    if kind == "cancel":
        lines.append("❌ <b>" + html.escape(tr._("CANCELLED: this warning was withdrawn")) + "</b>")
    elif kind == "update":
        lines.append("🔄 <b>" + html.escape(tr._("UPDATED WARNING")) + "</b>")
    if alert.draft.status != "Actual":
        lines.append("<b>" + html.escape(tr._("EXERCISE — NOT A REAL WARNING")) + "</b>")
    icon = SEVERITY_ICONS.get(alert.draft.severity, "⚠️")
    label = html.escape(severity_label(tr, alert.draft.severity))
    lines.append(f"{icon} <b>{label}</b> · {html.escape(partner_name)}")
    headline = html.escape(text.headline)
    lines.append(f"<s>{headline}</s>" if kind == "cancel" else f"<b>{headline}</b>")
    if kind != "cancel":
        if alert.draft.media is not None:
            note = tr._(
                "Content note: {note}. The image is blurred; tap it only if you want to see it."
            ).format(note=alert.draft.media.content_note)
            lines.append("<i>" + html.escape(note) + "</i>")
        lines.append(html.escape(parts["body"]))
        if parts["instruction"]:
            what = html.escape(tr._("What to do:"))
            lines.append(f"<b>{what}</b> {html.escape(parts['instruction'])}")
    lines.append(html.escape(tr._("Area:")) + " " + html.escape(", ".join(area)))
    if kind != "cancel":
        until = expiry_text(tr, alert.draft.expires_at)
        lines.append(html.escape(tr._("Valid until:")) + " " + html.escape(until))
    if fallback:
        note = tr._(
            "This warning is not available in your language; it is shown as the partner wrote it."
        )
        lines.append("<i>" + html.escape(note) + "</i>")
    return "\n\n".join(lines)
