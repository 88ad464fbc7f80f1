"""The emulator as an unmodified python-telegram-bot sees it: Telegram's answers and errors."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MessageEntity,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Conflict, Forbidden, RetryAfter
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from bot.emulator.client import EmulatorClient
from bot.emulator.server import EmulatorServer
from tests.emulator_fixtures import ANN, BEN, polls_waiting, running_application, stop_application

# The shared fixtures (emu, control, tg): pytest loads only conftest.py by itself.
pytest_plugins = ["tests.emulator_fixtures"]

DAY = 24 * 3600
# PTB warns about RetryAfter.retry_after becoming a timedelta whenever one is raised.
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


def keyboard(*rows: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(text, callback_data=data) for text, data in row] for row in rows]
    )


async def test_send_edit_delete_round_trip(tg: Bot, control: EmulatorClient) -> None:
    me = await tg.get_me()
    assert me.is_bot and me.username == "waymark_demo_bot" and me.id == 200000002

    sent = await tg.send_message(
        ANN,
        "<b>Waymark</b> &amp; you 🔐 <i>safe</i>",
        parse_mode=ParseMode.HTML,
        reply_markup=keyboard([("English", "1|lang|en"), ("العربية", "1|lang|ar")]),
    )
    assert sent.text == "Waymark & you 🔐 safe"
    assert sent.entities == (
        MessageEntity(MessageEntity.BOLD, 0, 7),
        MessageEntity(MessageEntity.ITALIC, 17, 4),  # the emoji counts two UTF-16 units
    )
    assert sent.chat.id == ANN and sent.chat.type == "private" and sent.chat.username == "ann"
    assert sent.from_user is not None and sent.from_user.id == me.id
    assert sent.edit_date is None

    view = await control.chat(ANN)
    assert view.texts == ["Waymark & you 🔐 safe"]
    assert view.last_bot is not None
    assert [b.text for b in view.last_bot.buttons[0]] == ["English", "العربية"]
    assert view.last_bot.html == "<b>Waymark</b> &amp; you 🔐 <i>safe</i>"

    edited = await tg.edit_message_text("Menu", chat_id=ANN, message_id=sent.message_id)
    assert not isinstance(edited, bool)
    assert edited.text == "Menu" and edited.edit_date is not None
    assert edited.reply_markup is None, "an edit without reply_markup removes the keyboard"
    after_edit = await control.chat(ANN)
    assert after_edit.version > view.version
    assert after_edit.texts == ["Menu"] and after_edit.bot_messages[0].buttons == []

    assert await tg.delete_message(ANN, sent.message_id) is True
    assert (await control.chat(ANN)).messages == []
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await tg.delete_message(ANN, sent.message_id)


async def test_message_ids_grow_per_chat_and_include_the_users_messages(
    tg: Bot, control: EmulatorClient
) -> None:
    await control.send(ANN, "hello")
    first = await tg.send_message(ANN, "one")
    other = await tg.send_message(BEN, "one")
    assert (first.message_id, other.message_id) == (2, 1)


async def test_text_limits_are_counted_after_parsing_in_utf16(tg: Bot) -> None:
    fits = await tg.send_message(ANN, "<b>" + "x" * 4096 + "</b>", parse_mode=ParseMode.HTML)
    assert fits.text is not None and len(fits.text) == 4096
    with pytest.raises(BadRequest, match="Message is too long"):
        await tg.send_message(BEN, "x" * 4097)
    with pytest.raises(BadRequest, match="Message is too long"):
        await tg.send_message(BEN, "🙂" * 2049)  # 2049 characters, 4098 UTF-16 units
    with pytest.raises(BadRequest, match="Message text is empty"):
        await tg.send_message(BEN, "<b> </b>", parse_mode=ParseMode.HTML)


async def test_caption_limit(tg: Bot, emu: EmulatorServer) -> None:
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await tg.send_photo(ANN, "https://example.org/a.png", caption="c" * 1025)


@pytest.mark.parametrize(
    ("markup", "detail"),
    [
        ("<div>hi</div>", 'Unsupported start tag "div" at byte offset 0'),
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
        ("é<b>x</i>", 'Unmatched end tag at byte offset 6, expected "</b>", found "</i>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ('<span class="x">s</span>', 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
    ],
)
async def test_bad_html_is_refused_like_telegram(tg: Bot, markup: str, detail: str) -> None:
    with pytest.raises(BadRequest) as refused:
        await tg.send_message(ANN, markup, parse_mode=ParseMode.HTML)
    # PTB capitalizes the description (and lowercases the rest): compare without case.
    assert refused.value.message.lower() == f"can't parse entities: {detail}".lower()


async def test_burst_in_one_chat_gets_retry_after(tg: Bot, control: EmulatorClient) -> None:
    for n in range(3):  # the burst
        await tg.send_message(ANN, f"message {n}")
    with pytest.raises(RetryAfter) as limited:
        await tg.send_message(ANN, "one too many")
    assert str(limited.value) == "Flood control exceeded. Retry in 1 seconds"
    await tg.send_message(BEN, "another chat is not limited")
    records = await control.transcript()
    assert [r["status"] for r in records if r["method"] == "sendMessage"] == [200] * 3 + [429, 200]
    # Edits are not rate limited.
    for n in range(5):
        await tg.edit_message_text(f"edit {n}", chat_id=ANN, message_id=1)


async def test_global_limit_and_paid_broadcasts(tg: Bot, control: EmulatorClient) -> None:
    await control.set_limits(per_chat_per_second=None, global_per_second=2, paid_per_second=5)
    await tg.send_message(ANN, "1")
    await tg.send_message(BEN, "2")
    with pytest.raises(RetryAfter):
        await tg.send_message(ANN, "3")
    for n in range(5):
        await tg.send_message(ANN, f"paid {n}", allow_paid_broadcast=True)
    with pytest.raises(RetryAfter):
        await tg.send_message(ANN, "paid 6", allow_paid_broadcast=True)
    paid = [r["paid"] for r in await control.transcript() if r["method"] == "sendMessage"]
    assert paid == [False] * 3 + [True] * 6


async def test_a_rejected_send_uses_no_capacity(tg: Bot, control: EmulatorClient) -> None:
    await control.set_limits(per_chat_per_second=None, global_per_second=1)
    await tg.send_message(ANN, "first")
    for _ in range(3):
        with pytest.raises(RetryAfter):
            await tg.send_message(ANN, "refused")
    await control.set_limits(global_per_second=None)
    await tg.send_message(ANN, "fine again")


async def test_blocked_user_gives_forbidden(tg: Bot, control: EmulatorClient) -> None:
    sent = await tg.send_message(ANN, "hello")
    await control.block(ANN)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await tg.send_message(ANN, "are you there?")
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await tg.edit_message_text("edited", chat_id=ANN, message_id=sent.message_id)
    updates = await tg.get_updates()
    member = updates[-1].my_chat_member
    assert member is not None and member.new_chat_member.status == "kicked"
    await control.send(ANN, "/start")  # writing again unblocks, as Telegram's Restart does
    assert (await tg.send_message(ANN, "welcome back")).text == "welcome back"


async def test_identical_edit_is_not_modified(tg: Bot) -> None:
    markup = keyboard([("Menu", "1|menu")])
    sent = await tg.send_message(ANN, "<b>Menu</b>", parse_mode=ParseMode.HTML, reply_markup=markup)
    with pytest.raises(BadRequest, match="Message is not modified"):
        await tg.edit_message_text(
            "<b>Menu</b>",
            chat_id=ANN,
            message_id=sent.message_id,
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
        )
    with pytest.raises(BadRequest, match="Message is not modified"):
        await tg.edit_message_reply_markup(ANN, sent.message_id, reply_markup=markup)
    changed = await tg.edit_message_text(
        "Menu", chat_id=ANN, message_id=sent.message_id, reply_markup=markup
    )
    assert not isinstance(changed, bool) and changed.entities == ()


async def test_edits_need_the_bots_own_text_message(tg: Bot, control: EmulatorClient) -> None:
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await tg.edit_message_text("x", chat_id=ANN, message_id=99)
    photo = await tg.send_photo(ANN, "https://example.org/p.jpg", caption="a photo")
    with pytest.raises(BadRequest, match="There is no text in the message to edit"):
        await tg.edit_message_text("x", chat_id=ANN, message_id=photo.message_id)
    with pytest.raises(BadRequest, match="Chat not found"):
        await tg.send_message(424242, "nobody")


async def test_delete_window_is_48_hours(tg: Bot, control: EmulatorClient) -> None:
    await control.send(ANN, "the user's own message")
    old = await tg.send_message(ANN, "old")
    await control.advance_clock(2 * DAY)
    fresh = await tg.send_message(BEN, "fresh")
    with pytest.raises(BadRequest, match="Message can't be deleted"):
        await tg.delete_message(ANN, old.message_id)
    with pytest.raises(BadRequest, match="Message can't be deleted"):
        await tg.delete_message(ANN, 1)
    assert await tg.delete_message(BEN, fresh.message_id)
    assert fresh.date.timestamp() - old.date.timestamp() >= 2 * DAY


async def test_delete_messages_skips_what_it_cannot_delete(
    tg: Bot, control: EmulatorClient
) -> None:
    await control.set_limits(per_chat_per_second=None)
    ids = [(await tg.send_message(ANN, str(n))).message_id for n in range(3)]
    assert await tg.delete_messages(ANN, [ids[0], 999, ids[2]])
    assert (await control.chat(ANN)).texts == ["1"]


@pytest.mark.parametrize("data", ["x" * 65, "é" * 33])
async def test_callback_data_over_64_bytes_is_refused(tg: Bot, data: str) -> None:
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await tg.send_message(ANN, "pick", reply_markup=keyboard([("Go", data)]))


async def test_callback_data_of_64_bytes_is_fine(tg: Bot) -> None:
    sent = await tg.send_message(ANN, "pick", reply_markup=keyboard([("Go", "é" * 32)]))
    assert sent.reply_markup is not None


async def test_long_poll_returns_as_soon_as_the_user_writes(
    emu: EmulatorServer, tg: Bot, control: EmulatorClient
) -> None:
    assert await tg.get_updates(timeout=0) == ()
    started = time.monotonic()
    poll = asyncio.create_task(tg.get_updates(timeout=10))
    await polls_waiting(emu)
    await control.send(ANN, "/start")
    updates = await asyncio.wait_for(poll, 2)
    assert time.monotonic() - started < 2
    assert len(updates) == 1 and updates[0].message is not None
    message = updates[0].message
    assert message.text == "/start" and message.chat.id == ANN
    assert message.entities[0].type == MessageEntity.BOT_COMMAND
    assert message.from_user is not None and message.from_user.language_code == "en"
    # Asking past an update confirms it; it is not sent again.
    assert await tg.get_updates(offset=updates[0].update_id + 1, timeout=0) == ()


async def test_allowed_updates_are_remembered(tg: Bot, control: EmulatorClient) -> None:
    await tg.get_updates(timeout=0, allowed_updates=["callback_query"])
    await control.send(ANN, "ignored: not an allowed update")
    sent = await tg.send_message(ANN, "pick", reply_markup=keyboard([("Go", "go")]))
    await control.press(ANN, label="Go")
    updates = await tg.get_updates(timeout=0)  # no allowed_updates: the last list still holds
    assert [u.callback_query.data for u in updates if u.callback_query] == ["go"]
    assert len(updates) == 1
    assert updates[0].callback_query is not None
    assert updates[0].callback_query.message is not None
    assert updates[0].callback_query.message.message_id == sent.message_id


async def test_answer_callback_query_once(tg: Bot, control: EmulatorClient) -> None:
    await tg.send_message(ANN, "pick", reply_markup=keyboard([("Go", "go")]))
    await control.press(ANN, label="Go")
    query = (await tg.get_updates(timeout=0))[-1].callback_query
    assert query is not None
    with pytest.raises(BadRequest, match="Message_too_long"):
        await query.answer("x" * 201)
    assert await query.answer("Saved", show_alert=True)
    with pytest.raises(BadRequest, match="Query is too old"):
        await query.answer("again")
    answers = await control.callback_answers(ANN)
    assert [(a["text"], a["show_alert"], a["data"]) for a in answers] == [("Saved", True, "go")]


class WebhookReceiver:
    """A small aiohttp server standing in for a bot's webhook endpoint."""

    def __init__(self, failures: int = 0) -> None:
        self.received: asyncio.Queue[tuple[str | None, dict[str, object]]] = asyncio.Queue()
        self.failures = failures
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        if self.failures:
            self.failures -= 1
            return web.Response(status=500)
        secret = request.headers.get("X-Telegram-Bot-Api-Secret-Token")
        await self.received.put((secret, await request.json()))
        return web.Response(text="ok")

    async def __aenter__(self) -> WebhookReceiver:
        app = web.Application()
        app.router.add_post("/hook", self.handle)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self.runner.addresses[0][1]}/hook"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.runner is not None
        await self.runner.cleanup()


@pytest.fixture
async def receiver() -> AsyncIterator[WebhookReceiver]:
    async with WebhookReceiver(failures=1) as hook:
        yield hook


async def test_webhook_delivery_with_secret_and_retry(
    tg: Bot, control: EmulatorClient, receiver: WebhookReceiver
) -> None:
    assert await tg.set_webhook(receiver.url, secret_token="s3cret-Token_1")
    info = await tg.get_webhook_info()
    assert info.url == receiver.url
    with pytest.raises(Conflict, match="webhook is active"):
        await tg.get_updates()
    await control.send(ANN, "via webhook")
    secret, update = await asyncio.wait_for(receiver.received.get(), 5)
    assert secret == "s3cret-Token_1"
    parsed = Update.de_json(update, tg)
    assert parsed.message is not None and parsed.message.text == "via webhook"
    info = await tg.get_webhook_info()
    assert info.pending_update_count == 0
    assert info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"
    assert await tg.delete_webhook()
    await control.send(ANN, "polling again")
    assert [u.message.text for u in await tg.get_updates() if u.message] == ["polling again"]


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None and update.effective_chat is not None
    text = update.effective_message.text or ""
    await context.bot.send_message(
        update.effective_chat.id,
        f"<b>echo:</b> {text}",
        parse_mode=ParseMode.HTML,
        reply_markup=keyboard([("Again", "again"), ("Bye", "bye")]),
    )


async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer("pressed " + (query.data or ""))
    await query.edit_message_text(f"you pressed {query.data}")


def echo_handlers(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(MessageHandler(filters.TEXT, echo))
    app.add_handler(CallbackQueryHandler(pressed))


async def test_ptb_application_end_to_end(emu: EmulatorServer, control: EmulatorClient) -> None:
    app = await running_application(emu, echo_handlers)
    try:
        view = await control.send_and_wait(ANN, "where is the shelter?")
        assert view.texts == ["where is the shelter?", "echo: where is the shelter?"]
        view = await control.press_and_wait(ANN, label="Bye")
        assert view.texts[-1] == "you pressed bye"
        assert view.last_bot is not None and view.last_bot.edit_date is not None
        answers = await control.callback_answers(ANN)
        assert answers[-1]["text"] == "pressed bye"
    finally:
        await stop_application(app)
