"""Find help near you: region → category → entries partners have verified, the fallback card for
when Telegram or the internet is cut off, and "check before you share".

The region picked here is not saved: it only travels in the buttons' callback data.
"""

from __future__ import annotations

import html
from datetime import date

from telegram import Update
from telegram.ext import ContextTypes

from bot.i18n.catalogs import Translator
from bot.regions import Regions
from bot.resources.model import CATEGORIES, EDITORIAL, Resource
from bot.telegram.callbacks import Callback
from bot.telegram.context import Visit
from bot.telegram.menu import back_row
from bot.telegram.screen import Button, Screen, pressed_message, show
from bot.telegram.warnings import region_name

PAGE_SIZE = 5
PAGE_CHARS = 3600  # Telegram allows 4096; room for the title and page line in any language
CARD_ITEMS = 10
CARD_PHONE_CHARS = 1500  # with the channels and the card's own text, well under 4096
CARD_CHANNEL_CHARS = 1000
MAX_ARG = 40  # callbacks.py: an argument is at most 40 characters
INFO = "verified-info"
ICONS = {
    "emergency-medical": "🏥",
    "shelter": "🏠",
    "food-water": "💧",
    "legal-aid": "⚖️",
    "psychosocial": "💬",
    "family-tracing": "👪",
    "digital-security": "🔐",
    "verified-info": "✅",
}
CONTACT_ICONS = {"tel": "📞", "https": "🌐", "telegram": "✈️"}


def category_name(tr: Translator, category: str) -> str:
    names = {
        "emergency-medical": tr._("Emergency medical care"),
        "shelter": tr._("Shelter"),
        "food-water": tr._("Food and water"),
        "legal-aid": tr._("Legal aid and protection"),
        "psychosocial": tr._("Someone to talk to"),
        "family-tracing": tr._("Finding family members"),
        "digital-security": tr._("Digital security help"),
        "verified-info": tr._("Verified information sources"),
    }
    return names[category]


# -- region references in callback data ------------------------------------------------------
def _all_codes(regions: Regions, parent: str | None = None) -> list[str]:
    codes: list[str] = []
    for region in regions.children(parent):
        codes.append(region.code)
        codes.extend(_all_codes(regions, region.code))
    return codes


def region_ref(regions: Regions, code: str, room: int = MAX_ARG) -> str:
    """The code itself, or "_<index>" when a long code would not fit beside other arguments."""
    if len(code) <= room:
        return code
    return f"_{_all_codes(regions).index(code)}"


def resolve_ref(regions: Regions, ref: str | None) -> str | None:
    if not ref:
        return None
    if ref.startswith("_") and ref[1:].isdigit():
        codes = _all_codes(regions)
        index = int(ref[1:])
        return codes[index] if index < len(codes) else None
    return ref if ref in regions else None


def _list_arg(regions: Regions, category: str, page: int, code: str) -> str:
    prefix = f"{CATEGORIES.index(category)}.{page}."
    return prefix + region_ref(regions, code, MAX_ARG - len(prefix))


# -- what a person sees ----------------------------------------------------------------------
def _language_names(tr: Translator, codes: tuple[str, ...]) -> str:
    names = tr.locale.languages
    return ", ".join(names.get(code.replace("-", "_"), names.get(code, code)) for code in codes)


def verifier_name(v: Visit, partner_id: str) -> str:
    if partner_id == EDITORIAL:
        return v.tr._("Waymark editors")
    partner = v.svc.store.partners.get(partner_id)
    return partner.name if partner else partner_id


def entry_text(v: Visit, resource: Resource, today: date) -> str:
    tr = v.tr
    lines = ["<b>" + html.escape(resource.name) + "</b>"]
    for contact in resource.contacts:
        lines.append(CONTACT_ICONS[contact.kind] + " " + html.escape(contact.shown()))
    if resource.hours:
        lines.append("🕒 " + html.escape(resource.hours))
    if resource.languages:
        lines.append(
            "🗣 "
            + html.escape(
                tr._("Languages: {languages}").format(
                    languages=_language_names(tr, resource.languages)
                )
            )
        )
    verified = tr._("Verified by {partner} · {date}").format(
        partner=verifier_name(v, resource.verified_by), date=tr.date(resource.last_verified)
    )
    lines.append("<i>" + html.escape(verified) + "</i>")
    if resource.expiring_soon(today):
        note = tr._("Last verified {date} — may be out of date soon.").format(
            date=tr.date(resource.last_verified)
        )
        lines.append("⚠️ " + html.escape(note))
    return "\n".join(lines)


def _ordered(found: list[Resource]) -> list[Resource]:
    """Entries for the region before the ones that work everywhere, then by name."""
    return sorted(found, key=lambda r: (r.is_global, r.name.lower(), r.id))


def paginate(blocks: list[str]) -> list[list[str]]:
    """At most PAGE_SIZE entries a page, and never more text than one message holds."""
    pages: list[list[str]] = [[]]
    size = 0
    for block in blocks:
        page = pages[-1]
        if page and (len(page) >= PAGE_SIZE or size + len(block) + 2 > PAGE_CHARS):
            pages.append([])
            size = 0
        pages[-1].append(block)
        size += len(block) + 2
    return pages


async def _found(v: Visit, code: str) -> list[Resource]:
    audience = v.svc.regions.audience([code])
    return await v.svc.store.resources.shown(audience, date.today())


def home_screen(tr: Translator, regions: Regions, saved: list[str]) -> Screen:
    text = (
        "🆘 <b>"
        + html.escape(tr._("Find help near you"))
        + "</b>\n\n"
        + html.escape(
            tr._(
                "Choose the region you are in. You will see services that partner "
                "organizations have checked for it, and a few that work everywhere. "
                "Waymark does not save this choice."
            )
        )
    )
    rows = [
        [
            Button(
                "📍 " + region_name(tr, regions, code),
                Callback("fhpick", region_ref(regions, code)),
            )
        ]
        for code in saved
    ]
    rows.append([Button("🗺 " + tr._("Choose a region"), Callback("fhregions"))])
    rows.append([Button("🧭 " + tr._("Check before you share"), Callback("fhcheck"))])
    rows.append(back_row(tr))
    return Screen(text, rows)


def picker_screen(tr: Translator, regions: Regions, parent: str | None) -> Screen:
    title = region_name(tr, regions, parent) if parent else tr._("Choose a region")
    text = (
        "🗺 <b>"
        + html.escape(title)
        + "</b>\n\n"
        + html.escape(tr._("Tap the region you are in. › shows the areas inside it."))
    )
    rows: list[list[Button]] = []
    for region in regions.children(parent):
        ref = region_ref(regions, region.code)
        row = [Button(region_name(tr, regions, region.code), Callback("fhpick", ref))]
        if regions.children(region.code):
            row.append(Button("›", Callback("fhregions", ref)))
        rows.append(row)
    shown = regions.get(parent) if parent else None
    if shown is not None:
        up = shown.parent
        rows.append(
            [
                Button(
                    "⬆ " + tr._("Up"),
                    Callback("fhregions", region_ref(regions, up)) if up else Callback("fhregions"),
                )
            ]
        )
    rows.append([Button("⬅ " + tr._("Back"), Callback("findhelp"))])
    return Screen(text, rows)


def _contact_lines(found: list[Resource], kinds: tuple[str, ...], budget: int) -> list[str]:
    """At most CARD_ITEMS lines and `budget` characters: the card must stay one message."""
    lines: list[str] = []
    for resource in found:
        for contact in resource.contacts:
            if contact.kind not in kinds or len(lines) >= CARD_ITEMS:
                continue
            line = "• " + html.escape(resource.name) + ": " + html.escape(contact.shown())
            if budget - len(line) - 1 < 0:
                return lines
            budget -= len(line) + 1
            lines.append(line)
    return lines


def cutoff_screen(tr: Translator, regions: Regions, code: str, found: list[Resource]) -> Screen:
    local = [r for r in _ordered(found) if not r.is_global]
    parts = [
        "📵 <b>"
        + html.escape(tr._("If Telegram or the internet is cut off"))
        + "</b> — "
        + html.escape(region_name(tr, regions, code)),
        html.escape(
            tr._(
                "Write these numbers down on paper now. Phone calls can still work when the "
                "internet does not:"
            )
        ),
    ]
    phones = _contact_lines(local, ("tel",), CARD_PHONE_CHARS)
    parts.append(
        "\n".join(phones)
        if phones
        else html.escape(tr._("No phone numbers are listed for this region yet."))
    )
    channels = _contact_lines(local, ("https", "telegram"), CARD_CHANNEL_CHARS)
    if channels:
        parts.append(
            html.escape(tr._("Other ways to reach the partners for this region:"))
            + "\n"
            + "\n".join(channels)
        )
    parts.append(
        html.escape(
            tr._(
                "If Telegram is blocked but the internet works, Telegram can connect through a "
                "proxy. Ask a partner organization you trust for one: a proxy run by a stranger "
                "can see that you use Telegram, and from where."
            )
        )
    )
    parts.append(
        html.escape(
            tr._(
                "If the internet is shut down, Waymark cannot reach you. Keep other sources of "
                "news, such as the radio, and the numbers above."
            )
        )
    )
    ref = region_ref(regions, code)
    rows = [
        [Button("➡ " + tr._("Continue"), Callback("fhcats", ref))],
        [Button("⬅ " + tr._("Back"), Callback("findhelp"))],
    ]
    return Screen("\n\n".join(parts), rows)


def categories_screen(tr: Translator, regions: Regions, code: str, found: list[Resource]) -> Screen:
    text = (
        "🆘 <b>"
        + html.escape(tr._("Help in {region}").format(region=region_name(tr, regions, code)))
        + "</b>\n\n"
        + html.escape(tr._("What do you need?"))
    )
    rows: list[list[Button]] = []
    for category in CATEGORIES:
        count = sum(r.category == category for r in found)
        label = f"{ICONS[category]} {category_name(tr, category)} ({count})"
        rows.append([Button(label, Callback("fhlist", _list_arg(regions, category, 0, code)))])
    ref = region_ref(regions, code)
    rows.append(
        [Button("📵 " + tr._("If Telegram or the internet is cut off"), Callback("fhcut", ref))]
    )
    rows.append([Button("🧭 " + tr._("Check before you share"), Callback("fhcheck", ref))])
    rows.append([Button("🗺 " + tr._("Another region"), Callback("fhregions"))])
    rows.append(back_row(tr))
    return Screen(text, rows)


def list_screen(
    v: Visit, code: str, category: str, page: int, found: list[Resource], today: date
) -> Screen:
    tr, regions = v.tr, v.svc.regions
    entries = _ordered([r for r in found if r.category == category])
    title = (
        f"{ICONS[category]} <b>"
        + html.escape(category_name(tr, category))
        + "</b> — "
        + html.escape(region_name(tr, regions, code))
    )
    rows: list[list[Button]] = []
    if not entries:
        body = html.escape(
            tr._(
                "Nothing is listed here for this region yet. Partner organizations add and "
                "check entries; ask one you trust."
            )
        )
        text = f"{title}\n\n{body}"
    else:
        pages = paginate([entry_text(v, r, today) for r in entries])
        page = min(max(page, 0), len(pages) - 1)
        text = title + "\n\n" + "\n\n".join(pages[page])
        if len(pages) > 1:
            text += "\n\n" + html.escape(
                tr._("Page {page} of {pages}").format(page=page + 1, pages=len(pages))
            )
            nav: list[Button] = []
            if page > 0:
                nav.append(
                    Button(
                        "◀ " + tr._("Previous"),
                        Callback("fhlist", _list_arg(regions, category, page - 1, code)),
                    )
                )
            if page < len(pages) - 1:
                nav.append(
                    Button(
                        tr._("Next") + " ▶",
                        Callback("fhlist", _list_arg(regions, category, page + 1, code)),
                    )
                )
            rows.append(nav)
    rows.append([Button("⬅ " + tr._("Back"), Callback("fhcats", region_ref(regions, code)))])
    rows.append(back_row(tr))
    return Screen(text, rows)


def check_screen(tr: Translator, back: Callback) -> Screen:
    points = [
        tr._(
            "Old pictures reused: many photos and videos shared in a crisis were taken "
            "somewhere else, or years ago. Look for clues to when and where (weather, signs, "
            "language, buildings) and whether the picture has been published before."
        ),
        tr._(
            "Edited or staged pictures and videos: look for odd edges, blurred or repeated "
            "details, and sound that does not fit. If you cannot tell, do not share it as fact."
        ),
        tr._(
            "Words that make people less than human: messages calling a group animals, vermin "
            "or a disease prepare people to accept violence against them. Do not pass them on."
        ),
        tr._(
            'False urgency: "share before it is deleted", "forward to everyone now". '
            "Pressure to hurry is used to stop you checking."
        ),
        tr._(
            "Ask who the source is. Prefer the verified information sources listed here and "
            "organizations you know."
        ),
    ]
    text = (
        "🧭 <b>"
        + html.escape(tr._("Check before you share"))
        + "</b>\n\n"
        + html.escape(
            tr._(
                "In a crisis, false and old information spreads fast and can get people hurt. "
                "Before you forward something:"
            )
        )
        + "\n\n"
        + "\n\n".join("• " + html.escape(p) for p in points)
        + "\n\n"
        + html.escape(
            tr._(
                "If a rumour could put people in danger, tell a partner organization from the "
                "verified information sources, using the contact they give, and say where you "
                "saw it. Waymark itself cannot check rumours."
            )
        )
    )
    return Screen(text, [[Button("⬅ " + tr._("Back"), back)], back_row(tr)])


# -- handlers ---------------------------------------------------------------------------------
async def _show(update: Update, context: ContextTypes.DEFAULT_TYPE, v: Visit, s: Screen) -> None:
    await show(context, v.chat_id, v.record, s, edit=pressed_message(update))


async def findhelp_pressed(
    update: Update, context: ContextTypes.DEFAULT_TYPE, v: Visit, cb: Callback
) -> None:
    regions = v.svc.regions
    saved = [c for c in (v.record.regions if v.record else []) if c in regions]
    await _show(update, context, v, home_screen(v.tr, regions, saved))


async def regions_pressed(
    update: Update, context: ContextTypes.DEFAULT_TYPE, v: Visit, cb: Callback
) -> None:
    parent = resolve_ref(v.svc.regions, cb.arg)
    await _show(update, context, v, picker_screen(v.tr, v.svc.regions, parent))


async def pick_pressed(
    update: Update, context: ContextTypes.DEFAULT_TYPE, v: Visit, cb: Callback
) -> None:
    """A region was picked: first the card for when Telegram or the internet is cut off."""
    code = resolve_ref(v.svc.regions, cb.arg)
    if code is None:
        await findhelp_pressed(update, context, v, cb)
        return
    found = await _found(v, code)
    await _show(update, context, v, cutoff_screen(v.tr, v.svc.regions, code, found))


async def categories_pressed(
    update: Update, context: ContextTypes.DEFAULT_TYPE, v: Visit, cb: Callback
) -> None:
    code = resolve_ref(v.svc.regions, cb.arg)
    if code is None:
        await findhelp_pressed(update, context, v, cb)
        return
    found = await _found(v, code)
    await _show(update, context, v, categories_screen(v.tr, v.svc.regions, code, found))


async def list_pressed(
    update: Update, context: ContextTypes.DEFAULT_TYPE, v: Visit, cb: Callback
) -> None:
    category_index, _, rest = (cb.arg or "").partition(".")
    page_text, _, ref = rest.partition(".")
    code = resolve_ref(v.svc.regions, ref)
    if (
        code is None
        or not category_index.isdigit()
        or int(category_index) >= len(CATEGORIES)
        or not page_text.isdigit()
    ):
        await findhelp_pressed(update, context, v, cb)
        return
    found = await _found(v, code)
    screen = list_screen(
        v, code, CATEGORIES[int(category_index)], int(page_text), found, date.today()
    )
    await _show(update, context, v, screen)


async def cutoff_pressed(
    update: Update, context: ContextTypes.DEFAULT_TYPE, v: Visit, cb: Callback
) -> None:
    await pick_pressed(update, context, v, cb)


async def check_pressed(
    update: Update, context: ContextTypes.DEFAULT_TYPE, v: Visit, cb: Callback
) -> None:
    code = resolve_ref(v.svc.regions, cb.arg)
    back = Callback("fhcats", cb.arg) if code is not None else Callback("findhelp")
    await _show(update, context, v, check_screen(v.tr, back))
