"""Early warnings for people: choose regions (drill-down, several at once), see active warnings,
stop them, and choose quiet notifications."""

from __future__ import annotations

import html
import time

from telegram import Update
from telegram.ext import ContextTypes

from bot.alerts.render import render_alert
from bot.i18n.catalogs import Translator
from bot.regions import Regions
from bot.store.records import UserRecord
from bot.telegram.callbacks import Callback
from bot.telegram.context import Visit
from bot.telegram.menu import back_row
from bot.telegram.screen import Button, Screen, pressed_message, show


def region_name(tr: Translator, regions: Regions, code: str) -> str:
    region = regions.get(code)
    return tr.pgettext("region", region.name) if region else code


def home_screen(tr: Translator, regions: Regions, record: UserRecord | None) -> Screen:
    chosen = [c for c in (record.regions if record else []) if c in regions]
    lines = ["📣 <b>" + html.escape(tr._("Early warnings")) + "</b>"]
    if chosen:
        names = ", ".join(region_name(tr, regions, c) for c in chosen)
        lines.append(html.escape(tr._("You get warnings for: {regions}").format(regions=names)))
    else:
        lines.append(
            html.escape(
                tr._("You do not get warnings yet. Choose the regions you want to hear about.")
            )
        )
    lines.append(
        html.escape(
            tr._(
                "Warnings come only from registered partner organizations, and each one names "
                "who sent it. Waymark cannot guarantee a warning reaches you in time: keep other "
                "sources too."
            )
        )
    )
    quiet = bool(record and record.quiet)
    quiet_label = tr._("Quiet notifications: on") if quiet else tr._("Quiet notifications: off")
    rows = [[Button("🗺 " + tr._("Choose regions"), Callback("regions"))]]
    if chosen:
        rows.append([Button("📋 " + tr._("Active warnings"), Callback("active"))])
        rows.append([Button("🔕 " + quiet_label, Callback("quiet"))])
        rows.append([Button("🚫 " + tr._("Stop all warnings"), Callback("unsub"))])
    rows.append(back_row(tr))
    return Screen("\n\n".join(lines), rows)


def picker_screen(
    tr: Translator, regions: Regions, record: UserRecord | None, parent: str | None
) -> Screen:
    chosen = set(record.regions if record else [])
    title = region_name(tr, regions, parent) if parent else tr._("Choose regions")
    lines = [
        "🗺 <b>" + html.escape(title) + "</b>",
        html.escape(tr._("Tap a region to add or remove it. › shows the areas inside it.")),
    ]
    rows: list[list[Button]] = []
    for region in regions.children(parent):
        mark = "✅ " if region.code in chosen else "▫️ "
        row = [
            Button(mark + region_name(tr, regions, region.code), Callback("toggle", region.code))
        ]
        if regions.children(region.code):
            row.append(Button("›", Callback("regions", region.code)))
        rows.append(row)
    shown = regions.get(parent) if parent else None
    up = shown.parent if shown else None
    if parent:
        rows.append(
            [Button("⬆ " + tr._("Up"), Callback("regions", up) if up else Callback("regions"))]
        )
    rows.append([Button("✔ " + tr._("Done"), Callback("alerts"))])
    return Screen("\n\n".join(lines), rows)


def active_screen(tr: Translator, v: Visit, texts: list[str]) -> Screen:
    title = "📋 <b>" + html.escape(tr._("Active warnings")) + "</b>"
    if not texts:
        body = html.escape(tr._("There are no active warnings for your regions."))
        return Screen(f"{title}\n\n{body}", [[Button("⬅ " + tr._("Back"), Callback("alerts"))]])
    text = title
    for item in texts:
        if len(text) + len(item) + 30 > 4000:
            break  # Telegram's 4096 limit: the newest warnings come first
        text += "\n\n———\n\n" + item
    return Screen(text, [[Button("⬅ " + tr._("Back"), Callback("alerts"))]])


async def alerts_pressed(
    update: Update, context: ContextTypes.DEFAULT_TYPE, v: Visit, cb: Callback
) -> None:
    screen = home_screen(v.tr, v.svc.regions, v.record)
    await show(context, v.chat_id, v.record, screen, edit=pressed_message(update))


async def regions_pressed(
    update: Update, context: ContextTypes.DEFAULT_TYPE, v: Visit, cb: Callback
) -> None:
    parent = cb.arg if cb.arg in v.svc.regions else None
    screen = picker_screen(v.tr, v.svc.regions, v.record, parent)
    await show(context, v.chat_id, v.record, screen, edit=pressed_message(update))


async def toggle_pressed(
    update: Update, context: ContextTypes.DEFAULT_TYPE, v: Visit, cb: Callback
) -> None:
    regions = v.svc.regions
    region = regions.get(cb.arg or "")
    if region is None:
        await alerts_pressed(update, context, v, cb)
        return
    record = v.ensure_record()
    chosen = set(record.regions)
    chosen.symmetric_difference_update({region.code})
    await v.svc.store.users.set_regions(record, sorted(chosen))
    screen = picker_screen(v.tr, regions, record, region.parent)
    await show(context, v.chat_id, record, screen, edit=pressed_message(update))


async def unsub_pressed(
    update: Update, context: ContextTypes.DEFAULT_TYPE, v: Visit, cb: Callback
) -> None:
    if v.record is not None:
        await v.svc.store.users.set_regions(v.record, [])
    await alerts_pressed(update, context, v, cb)


async def quiet_pressed(
    update: Update, context: ContextTypes.DEFAULT_TYPE, v: Visit, cb: Callback
) -> None:
    record = v.ensure_record()
    record.quiet = not record.quiet
    await v.save()
    await alerts_pressed(update, context, v, cb)


async def active_pressed(
    update: Update, context: ContextTypes.DEFAULT_TYPE, v: Visit, cb: Callback
) -> None:
    svc, tr = v.svc, v.tr
    mine = svc.regions.audience(v.record.regions if v.record else [])
    alerts = await svc.store.alerts.active(mine, int(time.time()))
    texts = []
    for alert in alerts:
        partner = svc.store.partners.get(alert.partner_id)
        area = [region_name(tr, svc.regions, c) for c in alert.draft.regions]
        texts.append(
            render_alert(
                alert, tr, partner_name=partner.name if partner else "?", area=area, quiet=False
            )
        )
    await show(
        context, v.chat_id, v.record, active_screen(tr, v, texts), edit=pressed_message(update)
    )
