"""Routes updates to the feature modules; the one place that knows every command and button."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from telegram import BotCommand, Update
from telegram.error import RetryAfter, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.i18n.catalogs import Catalogs, Translator
from bot.telegram import findhelp, flood, guides, menu, privacy, start, warnings
from bot.telegram.callbacks import Callback, decode
from bot.telegram.context import Visit, visit, visiting
from bot.telegram.screen import delete_quietly, now_hour, pressed_message, show

log = logging.getLogger(__name__)

CommandFn = Callable[[Update, ContextTypes.DEFAULT_TYPE, Visit], Awaitable[None]]
CallbackFn = Callable[[Update, ContextTypes.DEFAULT_TYPE, Visit, Callback], Awaitable[None]]


async def _help(update: Update, context: ContextTypes.DEFAULT_TYPE, v: Visit) -> None:
    await show(context, v.chat_id, v.record, menu.help_screen(v.tr))


COMMANDS: dict[str, CommandFn] = {
    "start": start.start_command,
    "help": _help,
    "language": start.language_command,
    "forget": privacy.forget_command,
    "mydata": privacy.mydata_command,
}


async def _menu(update: Update, context: ContextTypes.DEFAULT_TYPE, v: Visit, cb: Callback) -> None:
    await menu.show_menu(context, v, update)


async def _help_pressed(
    update: Update, context: ContextTypes.DEFAULT_TYPE, v: Visit, cb: Callback
) -> None:
    await show(context, v.chat_id, v.record, menu.help_screen(v.tr), edit=pressed_message(update))


async def _soon(update: Update, context: ContextTypes.DEFAULT_TYPE, v: Visit, cb: Callback) -> None:
    if cb.arg not in menu.SOON:
        await menu.show_menu(context, v, update)
        return
    await show(
        context, v.chat_id, v.record, menu.soon_screen(v.tr, cb.arg), edit=pressed_message(update)
    )


async def _feature(
    update: Update, context: ContextTypes.DEFAULT_TYPE, v: Visit, cb: Callback
) -> None:
    if cb.arg not in menu.GUIDE_FEATURES:
        await menu.show_menu(context, v, update)
        return
    await guides.feature_pressed(update, context, v, cb.arg)


async def _close(
    update: Update, context: ContextTypes.DEFAULT_TYPE, v: Visit, cb: Callback
) -> None:
    message = pressed_message(update)
    if message is None:
        return
    deleted = await delete_quietly(context, v.chat_id, message.message_id, None)
    if not deleted:
        # Too old to delete (48 hours): at least strip it down to nothing telling.
        with contextlib.suppress(TelegramError):
            await message.edit_text("·")
    if v.record is not None and v.record.screen_id == message.message_id:
        v.record.screen_id = v.record.screen_hour = None
        await v.save()


CALLBACKS: dict[str, CallbackFn] = {
    "menu": _menu,
    "lang": start.language_pressed,
    "privacy": privacy.privacy_pressed,
    "continue": privacy.continue_pressed,
    "help": _help_pressed,
    "close": _close,
    "forget": privacy.forget_pressed,
    "forget!": privacy.forget_confirmed,
    "soon": _soon,
    "alerts": warnings.alerts_pressed,
    "regions": warnings.regions_pressed,
    "toggle": warnings.toggle_pressed,
    "active": warnings.active_pressed,
    "unsub": warnings.unsub_pressed,
    "quiet": warnings.quiet_pressed,
    "mydata": privacy.mydata_pressed,
    "feature": _feature,
    "guide": guides.guide_pressed,
    "tick": guides.tick_pressed,
    "reset": guides.reset_pressed,
    "mism": guides.mismatch_pressed,
    "findhelp": findhelp.findhelp_pressed,
    "fhregions": findhelp.regions_pressed,
    "fhpick": findhelp.pick_pressed,
    "fhcats": findhelp.categories_pressed,
    "fhlist": findhelp.list_pressed,
    "fhcut": findhelp.cutoff_pressed,
    "fhcheck": findhelp.check_pressed,
}


def _command_handler(
    fn: CommandFn,
) -> Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]:
    async def handle(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        async with visiting(update, context) as v:
            if v is None:
                return
            await fn(update, context, v)
            await _tidy_input(update, context, v)
        log.debug("command handled: %s", fn.__name__)

    return handle


async def _tidy_input(update: Update, context: ContextTypes.DEFAULT_TYPE, v: Visit) -> None:
    """Delete what the person typed: the chat should hold as little as possible."""
    if update.message is not None:
        await delete_quietly(context, v.chat_id, update.message.message_id, now_hour())


async def _on_callback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None:
        return
    cb = decode(query.data)
    async with visiting(update, context) as v:
        if v is None:
            await query.answer()
            return
        if cb is None:
            # Stale (from an older version of Waymark) or forged: say so, show a fresh screen.
            await query.answer(v.tr._("This button has expired. Here is a fresh screen."))
            if v.record is None or v.record.lang is None:
                await start.start_command(update, context, v)
            else:
                await menu.show_menu(context, v, update)
            return
        await CALLBACKS[cb.action](update, context, v, cb)
        # Answered after the work so a handler can put its result in the pop-up.
        await query.answer(v.answer, show_alert=v.answer_alert)
    log.debug("button handled: %s", cb.action)


async def _on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    async with visiting(update, context) as v:
        if v is None:
            return
        if v.record is None or v.record.lang is None:
            await start.start_command(update, context, v)
        else:
            await menu.show_menu(
                context, v, update, notice=v.tr._("Please use the buttons, or send /help.")
            )
        await _tidy_input(update, context, v)


async def _on_unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    async with visiting(update, context) as v:
        if v is None:
            return
        notice = v.tr._("I don't know that command. Send /help to see what I understand.")
        if v.record is None or v.record.lang is None:
            await start.start_command(update, context, v)
        else:
            await menu.show_menu(context, v, update, notice=notice)
        await _tidy_input(update, context, v)


async def _on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the kind of failure only: the update and the exception text may hold personal data."""
    error = context.error
    log.error("handler failed: %s", type(error).__name__)
    if isinstance(error, RetryAfter):
        return  # telling the person would hit the same limit
    if isinstance(update, Update) and update.effective_chat is not None:
        v = await visit(update, context)
        if v is not None:
            with contextlib.suppress(TelegramError):
                await context.bot.send_message(
                    v.chat_id, v.tr._("Something went wrong. Please try again, or send /start.")
                )


def register(application: Application) -> None:  # type: ignore[type-arg]
    private = filters.ChatType.PRIVATE
    application.add_handler(TypeHandler(Update, flood.guard), group=-1)
    for name, fn in COMMANDS.items():
        application.add_handler(CommandHandler(name, _command_handler(fn), filters=private))
    application.add_handler(CallbackQueryHandler(_on_callback))
    application.add_handler(MessageHandler(private & filters.COMMAND, _on_unknown_command))
    application.add_handler(MessageHandler(private & ~filters.COMMAND, _on_text))
    application.add_error_handler(_on_error)


def command_list(tr: Translator) -> list[BotCommand]:
    return [
        BotCommand("start", tr._("Open the menu")),
        BotCommand("language", tr._("Change the language")),
        BotCommand("mydata", tr._("See what Waymark stores about you")),
        BotCommand("forget", tr._("Delete everything Waymark stores about you")),
        BotCommand("help", tr._("Help")),
    ]


async def publish_commands(application: Application, catalogs: Catalogs) -> None:  # type: ignore[type-arg]
    """The command menu in every shipped language (Telegram picks by the user's app language)."""
    bot = application.bot
    await bot.set_my_commands(command_list(catalogs.get(None)))
    for code in catalogs.codes:
        await bot.set_my_commands(command_list(catalogs.get(code)), language_code=code)
