"""/start and the language picker: the first two screens a person sees."""

from __future__ import annotations

import html

from telegram import Update
from telegram.ext import ContextTypes

from bot.i18n.catalogs import Catalogs, Translator, language_name
from bot.telegram.callbacks import Callback
from bot.telegram.context import Visit
from bot.telegram.guides import open_deep_link
from bot.telegram.menu import show_menu
from bot.telegram.privacy import privacy_screen
from bot.telegram.screen import Button, Screen, close_row, pressed_message, show


def language_screen(tr: Translator, catalogs: Catalogs, suggested: str | None) -> Screen:
    """Every shipped language in its own name; Telegram's suggestion first."""
    codes = catalogs.codes
    if suggested in codes:
        codes = [suggested, *[c for c in codes if c != suggested]]
    text = "🌐 <b>" + html.escape(tr._("Choose your language")) + "</b>"
    if tr.code != "en":
        text += "\nChoose your language"
    rows = [[Button(language_name(code), Callback("lang", code))] for code in codes]
    rows.append(close_row(tr))
    return Screen(text, rows)


async def start_command(update: Update, context: ContextTypes.DEFAULT_TYPE, v: Visit) -> None:
    payload = context.args[0] if context.args else None
    if payload and await open_deep_link(update, context, v, payload):
        return
    if v.record is None or v.record.lang is None:
        screen = language_screen(v.tr, v.svc.catalogs, v.suggested_lang)
        await show(context, v.chat_id, v.record, screen)
        return
    await show_menu(context, v, update)


async def language_command(update: Update, context: ContextTypes.DEFAULT_TYPE, v: Visit) -> None:
    await show(
        context, v.chat_id, v.record, language_screen(v.tr, v.svc.catalogs, v.suggested_lang)
    )


async def language_pressed(
    update: Update, context: ContextTypes.DEFAULT_TYPE, v: Visit, cb: Callback
) -> None:
    catalogs = v.svc.catalogs
    edit = pressed_message(update)
    if cb.arg is None:
        await show(
            context,
            v.chat_id,
            v.record,
            language_screen(v.tr, catalogs, v.suggested_lang),
            edit=edit,
        )
        return
    if cb.arg not in catalogs.codes:
        await show_menu(context, v, update)
        return
    record = v.ensure_record()
    record.lang = cb.arg
    v.tr = catalogs.get(cb.arg)
    if edit is not None:
        record.screen_id = edit.message_id
    if not record.privacy_seen:
        await v.save()
        await show(context, v.chat_id, record, privacy_screen(v.tr, first_time=True), edit=edit)
        return
    await v.save()
    await show_menu(context, v, update)
