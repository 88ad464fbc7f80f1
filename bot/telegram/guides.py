"""Guides for people: pick an app, then a checklist that remembers what was ticked, page by page,
all in the one living message."""

from __future__ import annotations

import html

from telegram import Update
from telegram.ext import ContextTypes

from bot.guides import Guide, render_checklist_page
from bot.guides.model import DETENTION, PLATFORM_KINDS, Catalog, prune_progress
from bot.i18n.catalogs import Translator
from bot.telegram.callbacks import Callback
from bot.telegram.context import Visit
from bot.telegram.menu import back_row, show_menu
from bot.telegram.screen import Button, Screen, pressed_message, show

# Menu features and the guide kind each opens; "detained" opens the detention plan.
FEATURE_KINDS = {"secure": "security", "lockdown": "privacy", "leave": "leave"}


def kind_title(tr: Translator, kind: str) -> str:
    titles = {
        "security": tr._("Secure my accounts"),
        "privacy": tr._("Lock down my privacy"),
        "leave": tr._("Deactivate or delete an account"),
        "before": tr._("Before: prepare"),
        "after": tr._("After: what a trusted person can do"),
    }
    return titles.get(kind, kind)


def platform_screen(tr: Translator, catalog: Catalog, kind: str) -> Screen:
    """The apps that have a guide of this kind; missing apps are named as not ready, not hidden."""
    rows: list[list[Button]] = []
    for platform in catalog.platforms:
        if platform.slug == DETENTION or platform.guide(kind) is None:
            continue
        name = tr.pgettext(f"{platform.slug}|name", platform.name)
        rows.append([Button(name, Callback("guide", f"{platform.slug}.{kind}.0"))])
    text = (
        "<b>"
        + html.escape(kind_title(tr, kind))
        + "</b>\n\n"
        + html.escape(
            tr._(
                "Choose an app. Guides for more apps appear here once every step has been checked "
                "against the app's own help pages."
            )
        )
    )
    rows.append(back_row(tr))
    return Screen(text, rows)


def detention_screen(tr: Translator, catalog: Catalog) -> Screen:
    platform = catalog.platform(DETENTION)
    text = (
        "⚠️ <b>"
        + html.escape(tr._("If you are detained"))
        + "</b>\n\n"
        + html.escape(
            tr._(
                "Prepare before anything happens, and agree with someone you trust what they "
                "will do."
            )
        )
    )
    rows = []
    if platform is not None:
        rows = [
            [Button(kind_title(tr, g.kind), Callback("guide", f"{DETENTION}.{g.kind}.0"))]
            for g in platform.guides
        ]
    rows.append(back_row(tr))
    return Screen(text, rows)


def parse_guide_arg(catalog: Catalog, arg: str | None) -> tuple[Guide, int, int | None] | None:
    """ "<platform>.<kind>.<page>[.<step index>]" → the guide, page and step index (if any)."""
    parts = (arg or "").split(".")
    if len(parts) not in (3, 4) or not all(p.isdigit() for p in parts[2:]):
        return None
    guide = catalog.guide(parts[0], parts[1])
    if guide is None:
        return None
    index = int(parts[3]) if len(parts) == 4 else None
    if index is not None and index >= len(guide.steps):
        return None
    return guide, int(parts[2]), index


def checklist_screen(tr: Translator, guide: Guide, done: set[str], page: int) -> Screen:
    def progress(finished: int, total: int) -> str:
        return tr.ngettext("{done} of {total} done", "{done} of {total} done", total).format(
            done=finished, total=total
        )

    rendered = render_checklist_page(
        guide,
        done,
        page,
        tr=tr.pgettext,
        fmt_date=tr.date,
        essentials_only=False,
        progress=progress,
    )
    rows: list[list[Button]] = []
    for step_id in rendered.step_ids_on_page:
        index = next(i for i, s in enumerate(guide.steps) if s.id == step_id)
        mark = "✅" if step_id in done else "⬜"
        title = tr.pgettext(f"{step_id}|title", guide.steps[index].title)
        label = f"{mark} {index + 1}. {title}"
        rows.append(
            [
                Button(
                    label[:60],
                    Callback("tick", f"{guide.platform}.{guide.kind}.{rendered.page}.{index}"),
                )
            ]
        )
    nav: list[Button] = []
    if rendered.page > 0:
        nav.append(
            Button(
                "◀ " + tr._("Previous"),
                Callback("guide", f"{guide.platform}.{guide.kind}.{rendered.page - 1}"),
            )
        )
    if rendered.page + 1 < rendered.pages:
        nav.append(
            Button(
                tr._("Next") + " ▶",
                Callback("guide", f"{guide.platform}.{guide.kind}.{rendered.page + 1}"),
            )
        )
    if nav:
        rows.append(nav)
    if rendered.done:
        rows.append(
            [Button("↺ " + tr._("Reset"), Callback("reset", f"{guide.platform}.{guide.kind}"))]
        )
    mismatch = Callback("mism", f"{guide.platform}.{guide.kind}.{rendered.page}")
    rows.append([Button("⚑ " + tr._("Something here doesn't match my app"), mismatch)])
    rows.append(back_row(tr))
    return Screen(rendered.text, rows)


async def feature_pressed(
    update: Update, context: ContextTypes.DEFAULT_TYPE, v: Visit, feature: str
) -> None:
    catalog = v.svc.guides
    if feature == "detained":
        screen = detention_screen(v.tr, catalog)
    else:
        screen = platform_screen(v.tr, catalog, FEATURE_KINDS[feature])
    await show(context, v.chat_id, v.record, screen, edit=pressed_message(update))


def _done(v: Visit) -> set[str]:
    return prune_progress(v.record.done_steps if v.record else [], v.svc.guides)


async def guide_pressed(
    update: Update, context: ContextTypes.DEFAULT_TYPE, v: Visit, cb: Callback
) -> None:
    found = parse_guide_arg(v.svc.guides, cb.arg)
    if found is None:
        await show_menu(context, v, update)
        return
    guide, page, _ = found
    await show(
        context,
        v.chat_id,
        v.record,
        checklist_screen(v.tr, guide, _done(v), page),
        edit=pressed_message(update),
    )


async def tick_pressed(
    update: Update, context: ContextTypes.DEFAULT_TYPE, v: Visit, cb: Callback
) -> None:
    found = parse_guide_arg(v.svc.guides, cb.arg)
    if found is None or found[2] is None:
        await guide_pressed(update, context, v, cb)
        return
    guide, page, index = found[0], found[1], found[2]
    record = v.ensure_record()
    done = _done(v)
    done.symmetric_difference_update({guide.steps[index].id})
    record.done_steps = sorted(done)
    await v.save()
    await show(
        context,
        v.chat_id,
        record,
        checklist_screen(v.tr, guide, done, page),
        edit=pressed_message(update),
    )


async def reset_pressed(
    update: Update, context: ContextTypes.DEFAULT_TYPE, v: Visit, cb: Callback
) -> None:
    found = parse_guide_arg(v.svc.guides, f"{cb.arg}.0")
    if found is None:
        await guide_pressed(update, context, v, cb)
        return
    guide = found[0]
    ids = {s.id for s in guide.steps}
    done = _done(v) - ids
    if v.record is not None:
        v.record.done_steps = sorted(done)
        await v.save()
    await show(
        context,
        v.chat_id,
        v.record,
        checklist_screen(v.tr, guide, done, 0),
        edit=pressed_message(update),
    )


__all__ = ["PLATFORM_KINDS", "feature_pressed", "guide_pressed", "reset_pressed", "tick_pressed"]


# -- deep links ---------------------------------------------------------------------------------
# https://t.me/<bot>?start=<payload>: Telegram allows 64 characters of A-Z, a-z, 0-9, _ and -.
PAYLOAD_PREFIX = "g"


def deep_link_payload(platform: str, kind: str, lang: str) -> str:
    payload = f"{PAYLOAD_PREFIX}_{platform}_{kind}_{lang}"
    if len(payload) > 64 or not all(c.isalnum() or c in "_-" for c in payload):
        raise ValueError("the guide and language do not fit a Telegram start payload")
    return payload


def parse_payload(catalog: Catalog, payload: str) -> tuple[Guide, str] | None:
    parts = payload.split("_", 3)
    if len(parts) != 4 or parts[0] != PAYLOAD_PREFIX:
        return None
    guide = catalog.guide(parts[1], parts[2])
    return (guide, parts[3]) if guide is not None else None


async def open_deep_link(
    update: Update, context: ContextTypes.DEFAULT_TYPE, v: Visit, payload: str
) -> bool:
    """Open the linked guide in the linked language; False if the payload names nothing."""
    found = parse_payload(v.svc.guides, payload)
    if found is None:
        return False
    guide, lang = found
    if lang in v.svc.catalogs.codes and (v.record is None or v.record.lang is None):
        record = v.ensure_record()
        record.lang = lang
        v.tr = v.svc.catalogs.get(lang)
        await v.save()
    await show(context, v.chat_id, v.record, checklist_screen(v.tr, guide, _done(v), 0))
    return True


# -- "this doesn't match my app" ----------------------------------------------------------------
APP_CODES = {"a": "android", "i": "ios", "w": "web"}


def mismatch_screen(
    tr: Translator, guide: Guide, page: int, done: set[str], index: int | None
) -> Screen:
    key = f"{guide.platform}.{guide.kind}.{page}"
    if index is None:
        text = html.escape(tr._("Which step does not match what you see in your app?"))
        rendered = render_checklist_page(
            guide, done, page, tr=tr.pgettext, fmt_date=tr.date, essentials_only=False
        )
        rows = []
        for step_id in rendered.step_ids_on_page:
            i = next(n for n, s in enumerate(guide.steps) if s.id == step_id)
            title = tr.pgettext(f"{step_id}|title", guide.steps[i].title)
            rows.append([Button(f"{i + 1}. {title}"[:60], Callback("mism", f"{key}.{i}"))])
    else:
        text = html.escape(
            tr._("On which kind of device? Only this count is kept, never who sent it.")
        )
        labels = {"a": "Android", "i": "iPhone", "w": tr._("Web / computer")}
        rows = [
            [Button(label, Callback("mism", f"{key}.{index}.{code}"))]
            for code, label in labels.items()
        ]
    rows.append([Button("⬅ " + tr._("Back"), Callback("guide", key))])
    return Screen(text, rows)


async def mismatch_pressed(
    update: Update, context: ContextTypes.DEFAULT_TYPE, v: Visit, cb: Callback
) -> None:
    parts = (cb.arg or "").split(".")
    app = APP_CODES.get(parts[-1]) if len(parts) == 5 else None
    base = ".".join(parts[:4] if app else parts)
    found = parse_guide_arg(v.svc.guides, base)
    if found is None:
        await show_menu(context, v, update)
        return
    guide, page, index = found
    if app is not None and index is not None:
        await v.svc.store.feedback.mismatch(guide.steps[index].id, app)
        v.answer = v.tr._("Thank you. This step will be checked again first.")
        await show(
            context,
            v.chat_id,
            v.record,
            checklist_screen(v.tr, guide, _done(v), page),
            edit=pressed_message(update),
        )
        return
    await show(
        context,
        v.chat_id,
        v.record,
        mismatch_screen(v.tr, guide, page, _done(v), index),
        edit=pressed_message(update),
    )
