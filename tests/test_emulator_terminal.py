"""The terminal chat: pure rendering, and script mode against a tiny real PTB bot."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.emulator.client import Button, ChatMessage, ChatView, EmulatorClient
from bot.emulator.server import EmulatorServer
from bot.emulator.terminal import render_changes, render_chat, run_terminal
from tests.emulator_fixtures import ANN, running_application, stop_application

# The shared fixtures (emu, control, tg): pytest loads only conftest.py by itself.
pytest_plugins = ["tests.emulator_fixtures"]

RULE = "-" * 72


def message(
    message_id: int,
    text: str | None,
    *,
    from_bot: bool = True,
    buttons: list[list[Button]] | None = None,
    photo: bool = False,
    spoiler: bool = False,
    caption: str | None = None,
) -> ChatMessage:
    return ChatMessage(
        message_id=message_id,
        from_bot=from_bot,
        text=text,
        html=text,
        caption=caption,
        has_photo=photo,
        has_spoiler=spoiler,
        buttons=buttons or [],
        date=0,
        edit_date=None,
        disable_notification=False,
    )


LANGUAGES = [
    [Button("English", "1|lang|en"), Button("العربية", "1|lang|ar")],
    [Button("Site", url="https://example.org/")],
]


def test_render_chat_shows_bot_messages_and_the_newest_buttons() -> None:
    view = ChatView(
        version=3,
        messages=[
            message(1, "/start", from_bot=False),
            message(2, None, photo=True, spoiler=True, caption="Map of the shelters"),
            message(3, "Choose your language:\nاللغة", buttons=LANGUAGES),
        ],
    )
    assert render_chat(view) == (
        "[photo, hidden as a spoiler]\n"
        "Map of the shelters\n"
        "\n"
        "Choose your language:\n"
        "اللغة\n"
        "\n"
        "[1] English  [2] العربية\n"
        "[3] Site <https://example.org/>"
    )


def test_render_chat_wraps_long_lines_and_button_rows() -> None:
    words = " ".join(["shelter"] * 12)
    row = [Button(f"Option {n}", str(n)) for n in range(1, 5)]
    view = ChatView(version=1, messages=[message(1, words, buttons=[row])])
    lines = render_chat(view, width=30).split("\n")
    assert all(len(line) <= 30 for line in lines)
    assert lines[-2:] == ["[1] Option 1  [2] Option 2", "[3] Option 3  [4] Option 4"]
    assert render_chat(ChatView(version=0, messages=[])) == "(no messages from the bot)"


def test_render_changes_prints_only_what_changed() -> None:
    old = ChatView(1, [message(1, "Alerts are on"), message(2, "Menu", buttons=LANGUAGES)])
    edited = ChatView(2, [message(1, "Alerts are on"), message(2, "Menu (French)")])
    assert render_changes(old, edited) == f"{RULE}\nMenu (French)"
    removed = ChatView(3, [message(2, "Menu (French)")])
    assert render_changes(edited, removed) == f"{RULE}\n(1 message removed)"
    assert render_changes(removed, removed) == f"{RULE}\n(no visible change)"


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_chat is not None
    await context.bot.send_message(
        update.effective_chat.id,
        "<b>Choose your language</b>",
        parse_mode=ParseMode.HTML,
        reply_markup=InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton("English", callback_data="lang|en"),
                    InlineKeyboardButton("العربية", callback_data="lang|ar"),
                ],
                [InlineKeyboardButton("Website", url="https://example.org/")],
            ]
        ),
    )


async def choose(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    await query.answer("Saved")
    await query.edit_message_text(
        f"Language: {query.data.split('|')[1]}",
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("Menu", callback_data="m")]]),
    )


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_chat is not None and update.effective_message is not None
    await context.bot.send_message(
        update.effective_chat.id, f"You said: {update.effective_message.text}"
    )


def tiny_bot(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(choose))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))


async def test_script_mode_against_a_tiny_bot(emu: EmulatorServer, control: EmulatorClient) -> None:
    script = io.StringIO("/start\n3\n7\n\n1\nhello\n:quit\nnot read\n")
    out = io.StringIO()
    app = await running_application(emu, tiny_bot)
    try:
        code = await run_terminal(control, ANN, script, out, interactive=False)
    finally:
        await stop_application(app)
    assert code == 0
    assert out.getvalue() == (
        "> /start\n"
        f"{RULE}\n"
        "Choose your language\n"
        "\n"
        "[1] English  [2] العربية\n"
        "[3] Website <https://example.org/>\n"
        "> 3\n"
        "(that button opens https://example.org/)\n"
        "> 7\n"
        "(there is no button 7; choose 1-3)\n"
        "> 1\n"
        "[notice] Saved\n"
        f"{RULE}\n"
        "Language: en\n"
        "\n"
        "[1] Menu\n"
        "> hello\n"
        f"{RULE}\n"
        "You said: hello\n"
        "> :quit\n"
    )
    texts = (await control.chat(ANN)).texts
    assert "not read" not in texts, "nothing after :quit is sent"


async def test_script_mode_fails_clearly_when_the_bot_is_silent(
    control: EmulatorClient,
) -> None:
    out = io.StringIO()
    code = await run_terminal(
        control, ANN, io.StringIO("/start\nnever sent\n"), out, interactive=False, timeout=0.3
    )
    assert code == 1
    assert out.getvalue() == "> /start\nwaymark: the bot did not answer within 0.3 s\n"


async def test_async_lines_and_end_of_input(emu: EmulatorServer, control: EmulatorClient) -> None:
    async def lines() -> AsyncIterator[str]:
        for line in ("first", "second"):
            yield line

    out = io.StringIO()
    app = await running_application(emu, tiny_bot)
    try:
        code = await run_terminal(control, ANN, lines(), out, interactive=False)
    finally:
        await stop_application(app)
    assert code == 0
    assert out.getvalue().endswith(f"> second\n{RULE}\nYou said: second\n")
