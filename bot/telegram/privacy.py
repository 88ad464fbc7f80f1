"""The privacy screen (what is stored, what cannot be protected) and /forget."""

from __future__ import annotations

import html

from telegram import Update
from telegram.ext import ContextTypes

from bot.i18n.catalogs import Translator
from bot.telegram.callbacks import Callback
from bot.telegram.context import Visit
from bot.telegram.menu import show_menu
from bot.telegram.screen import Button, Screen, close_row, pressed_message, show


def section(title: str, body: str) -> str:
    """A bold heading over a paragraph, both escaped: translations are text, never markup."""
    return f"<b>{html.escape(title)}</b>\n{html.escape(body)}"


def privacy_screen(tr: Translator, *, first_time: bool) -> Screen:
    stores = tr._(
        "Your language and the choices you make here, such as checklist progress and the "
        "regions you want warnings for. They are encrypted on the server and filed under a "
        "code computed from your Telegram account with a secret key. Waymark does not store "
        "your name, username, phone number or what you type."
    )
    cannot = tr._(
        "This chat is not end-to-end encrypted: Telegram and whoever runs this Waymark "
        "server can read it. Anyone who has your unlocked phone can read this chat."
    )
    deleting = tr._("Send /forget at any time to delete everything Waymark stores about you.")
    parts = [
        "🛡 <b>" + html.escape(tr._("Your privacy")) + "</b>",
        section(tr._("What Waymark stores"), stores),
        section(tr._("What Waymark cannot protect"), cannot),
        section(tr._("Deleting everything"), deleting),
    ]
    if first_time:
        rows = [[Button(tr._("I understand, continue"), Callback("continue"))], close_row(tr)]
    else:
        rows = [
            [Button("🗑 " + tr._("Delete my data"), Callback("forget"))],
            [Button("⬅ " + tr._("Menu"), Callback("menu")), *close_row(tr)],
        ]
    return Screen("\n\n".join(parts), rows)


def forget_screen(tr: Translator) -> Screen:
    body = tr._(
        "This deletes your language, your progress and your warning regions from the Waymark "
        "server. It cannot be undone. Messages already in this chat stay on your phone until "
        "you delete the chat in Telegram."
    )
    rows = [
        [Button(tr._("Yes, delete everything"), Callback("forget!"))],
        [Button(tr._("Cancel"), Callback("menu"))],
    ]
    return Screen("🗑 " + section(tr._("Delete everything?"), body), rows)


def forgotten_screen(tr: Translator) -> Screen:
    text = "✅ " + html.escape(
        tr._(
            "Done. Waymark no longer stores anything about you. To remove this chat from your "
            "phone too, delete the chat in Telegram. Send /start to begin again."
        )
    )
    return Screen(text, [close_row(tr)])


async def privacy_pressed(
    update: Update, context: ContextTypes.DEFAULT_TYPE, v: Visit, cb: Callback
) -> None:
    await show(
        context,
        v.chat_id,
        v.record,
        privacy_screen(v.tr, first_time=False),
        edit=pressed_message(update),
    )


async def continue_pressed(
    update: Update, context: ContextTypes.DEFAULT_TYPE, v: Visit, cb: Callback
) -> None:
    record = v.ensure_record()
    record.privacy_seen = True
    await v.save()
    await show_menu(context, v, update)


async def forget_command(update: Update, context: ContextTypes.DEFAULT_TYPE, v: Visit) -> None:
    await show(context, v.chat_id, v.record, forget_screen(v.tr))


async def forget_pressed(
    update: Update, context: ContextTypes.DEFAULT_TYPE, v: Visit, cb: Callback
) -> None:
    await show(context, v.chat_id, v.record, forget_screen(v.tr), edit=pressed_message(update))


async def forget_confirmed(
    update: Update, context: ContextTypes.DEFAULT_TYPE, v: Visit, cb: Callback
) -> None:
    await v.svc.store.users.forget(v.chat_id)
    v.record = None
    await show(context, v.chat_id, None, forgotten_screen(v.tr), edit=pressed_message(update))
