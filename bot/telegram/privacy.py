"""The privacy screen (what is stored, what cannot be protected) and /forget."""

from __future__ import annotations

import contextlib
import html
import time
from datetime import date

from telegram import Message, Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.i18n.catalogs import Translator
from bot.telegram.callbacks import Callback
from bot.telegram.context import Visit
from bot.telegram.menu import show_menu
from bot.telegram.screen import Button, Screen, close_row, pressed_message, show

WIPE_WINDOW_SECONDS = 48 * 3600


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
            [Button("🔎 " + tr._("What Waymark stores about you"), Callback("mydata"))],
            [Button("🗑 " + tr._("Delete my data"), Callback("forget"))],
            [Button("⬅ " + tr._("Menu"), Callback("menu")), *close_row(tr)],
        ]
    return Screen("\n\n".join(parts), rows)


def forget_screen(tr: Translator) -> Screen:
    body = tr._(
        "This deletes your language, your progress and your warning regions from the Waymark "
        "server. It cannot be undone."
    )
    limits = tr._(
        "Clearing the chat also deletes Waymark's own messages from the last 48 hours. It cannot "
        "delete your own older messages, notifications already shown on your phone or other "
        "devices, or copies Telegram keeps on its servers. To remove the whole chat from your "
        "phone, delete the chat in Telegram."
    )
    rows = [
        [Button("🧹 " + tr._("Delete everything and clear the chat"), Callback("forget!", "wipe"))],
        [Button(tr._("Delete my data only"), Callback("forget!"))],
        [Button(tr._("Cancel"), Callback("menu"))],
    ]
    text = "🗑 " + section(tr._("Delete everything?"), body) + "\n\n" + html.escape(limits)
    return Screen(text, rows)


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
    users = v.svc.store.users
    if cb.arg == "wipe":
        await wipe_chat(context, v, pressed_message(update))
        await users.forget(v.chat_id)
        v.record = None
        # A pop-up, not a message: after a wipe nothing new should sit in the chat.
        v.answer = v.tr._("Done. Waymark deleted your data and its messages.")
        v.answer_alert = True
        return
    await users.forget(v.chat_id)
    v.record = None
    await show(context, v.chat_id, None, forgotten_screen(v.tr), edit=pressed_message(update))


async def wipe_chat(context: ContextTypes.DEFAULT_TYPE, v: Visit, pressed: Message | None) -> int:
    """Delete the bot's own messages of the last 48 hours, in batches of 100 (Telegram's cap)."""
    since = int((time.time() - WIPE_WINDOW_SECONDS) * 1000)
    store = v.svc.store
    ids = set(await store.outbox.recent_messages(store.users.row_id(v.chat_id), since))
    if v.record is not None and v.record.screen_id is not None:
        ids.add(v.record.screen_id)
    if pressed is not None:
        ids.add(pressed.message_id)
    ordered = sorted(ids)
    deleted = 0
    for start in range(0, len(ordered), 100):
        batch = ordered[start : start + 100]
        with contextlib.suppress(TelegramError):
            if await context.bot.delete_messages(v.chat_id, batch):
                deleted += len(batch)
    return deleted


def mydata_screen(tr: Translator, v: Visit) -> Screen:
    """Everything stored about the person, decrypted, in plain words."""
    record = v.record
    title = "🔎 <b>" + html.escape(tr._("What Waymark stores about you")) + "</b>"
    if record is None:
        body = html.escape(tr._("Nothing. Waymark has no record about you."))
        return Screen(f"{title}\n\n{body}", [close_row(tr)])
    regions = v.svc.regions
    names = [tr.pgettext("region", r.name) for c in record.regions if (r := regions.get(c))]
    since = date.fromtimestamp(record.created_day * 86400) if record.created_day else None
    lines = [
        "• " + html.escape(tr._("Your Telegram chat number, to reply to you (encrypted).")),
        "• " + html.escape(tr._("Language: {language}").format(language=tr.native_name())),
        "• "
        + html.escape(
            tr._("Warning regions: {regions}").format(
                regions=", ".join(names) if names else tr._("none")
            )
        ),
        "• "
        + html.escape(
            tr._("Quiet notifications: on") if record.quiet else tr._("Quiet notifications: off")
        ),
        "• "
        + html.escape(
            tr.ngettext(
                "{n} checklist step marked done",
                "{n} checklist steps marked done",
                len(record.done_steps),
            ).format(n=len(record.done_steps))
        ),
        "• "
        + html.escape(
            tr._(
                "The number of Waymark's current message in this chat, so it "
                "can replace or delete it."
            )
        ),
    ]
    if since is not None:
        lines.append("• " + html.escape(tr._("First use: {date}").format(date=tr.date(since))))
    outro = tr._(
        "Nothing else: no name, username, phone number or anything you typed. The server also "
        "knows the last day you used Waymark. Send /forget to delete it all."
    )
    text = title + "\n\n" + "\n".join(lines) + "\n\n" + html.escape(outro)
    return Screen(text, [[Button("⬅ " + tr._("Menu"), Callback("menu")), *close_row(tr)]])


async def mydata_command(update: Update, context: ContextTypes.DEFAULT_TYPE, v: Visit) -> None:
    await show(context, v.chat_id, v.record, mydata_screen(v.tr, v))


async def mydata_pressed(
    update: Update, context: ContextTypes.DEFAULT_TYPE, v: Visit, cb: Callback
) -> None:
    await show(context, v.chat_id, v.record, mydata_screen(v.tr, v), edit=pressed_message(update))
