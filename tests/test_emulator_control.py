"""The control API and the Bot API's edges: presses, waits, faults, transcript, commands, photos."""

from __future__ import annotations

import asyncio
import json
import struct
import zlib

import aiohttp
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
)
from telegram.error import BadRequest, Conflict, InvalidToken, NetworkError, RetryAfter

from bot.emulator.client import EmulatorClient, EmulatorError, EmulatorTimeout
from bot.emulator.control import _is_loopback
from bot.emulator.server import EmulatorServer
from tests.emulator_fixtures import ANN, BEN, EMU_TOKEN, polls_waiting

# The shared fixtures (emu, control, tg): pytest loads only conftest.py by itself.
pytest_plugins = ["tests.emulator_fixtures"]

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


def buttons(*labels: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=f"1|{label.lower()}") for label in labels]]
    )


def png(width: int, height: int) -> bytes:
    """A real (tiny, valid) PNG file of the given size."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


async def test_press_finds_the_newest_visible_button(tg: Bot, control: EmulatorClient) -> None:
    await control.set_limits(per_chat_per_second=None)
    old = await tg.send_message(ANN, "old", reply_markup=buttons("Menu", "Help"))
    new = await tg.send_message(ANN, "new", reply_markup=buttons("Menu"))
    await control.press(ANN, label="Menu")
    await control.press(ANN, label="Help")
    await control.press(ANN, data="1|menu", message_id=old.message_id)
    queries = [u.callback_query for u in await tg.get_updates() if u.callback_query]
    assert [(q.data, q.message.message_id) for q in queries if q.message] == [
        ("1|menu", new.message_id),
        ("1|help", old.message_id),
        ("1|menu", old.message_id),
    ]
    assert queries[0].from_user.id == ANN


async def test_press_refuses_invisible_buttons_unless_forged(
    tg: Bot, control: EmulatorClient
) -> None:
    with pytest.raises(EmulatorError, match="no bot message to press"):
        await control.press(ANN, data="1|menu", forge=True)
    sent = await tg.send_message(ANN, "menu", reply_markup=buttons("Menu"))
    with pytest.raises(EmulatorError, match=r"no visible button with label 'Gone'.*'Menu'"):
        await control.press(ANN, label="Gone")
    await control.press(ANN, data="1|admin|delete-all", forge=True)
    (update,) = await tg.get_updates()
    assert update.callback_query is not None
    assert update.callback_query.data == "1|admin|delete-all"
    assert update.callback_query.message is not None
    assert update.callback_query.message.message_id == sent.message_id


async def test_wait_counts_only_the_bots_changes(tg: Bot, control: EmulatorClient) -> None:
    with pytest.raises(EmulatorTimeout, match=r"did not answer within 0\.2 s"):
        await control.send_and_wait(ANN, "is anyone there?", timeout=0.2)
    before = await control.send(ANN, "hello")
    waiting = asyncio.create_task(control.wait(ANN, before, timeout=5, quiet_ms=100))
    await tg.send_message(ANN, "answer 1")
    await tg.send_message(ANN, "answer 2")
    view = await waiting
    assert view.texts == ["is anyone there?", "hello", "answer 1", "answer 2"]
    assert view.version == 4


async def test_faults_answer_before_anything_else(tg: Bot, control: EmulatorClient) -> None:
    await control.inject_fault(
        method="sendMessage",
        status=429,
        description="Too Many Requests: retry after 7",
        retry_after=7,
        times=2,
    )
    for _ in range(2):
        with pytest.raises(RetryAfter, match="Retry in 7 seconds"):
            await tg.send_message(ANN, "x")
    await tg.send_message(ANN, "third time lucky")
    await control.inject_fault(
        status=400, description="Bad Request: chat not found", chat_id=BEN, times=5
    )
    await tg.send_message(ANN, "other chats are unaffected")
    with pytest.raises(BadRequest, match="Chat not found"):
        await tg.send_message(BEN, "x")
    await control.clear_faults()
    await tg.send_message(BEN, "cleared")
    await control.inject_fault(method="*", status=502, description="Bad Gateway")
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await tg.get_me()
    statuses = [(r["method"], r["status"]) for r in await control.transcript()]
    assert statuses[-7:] == [
        ("sendMessage", 429),
        ("sendMessage", 429),
        ("sendMessage", 200),
        ("sendMessage", 200),
        ("sendMessage", 400),
        ("sendMessage", 200),
        ("getMe", 502),
    ]


async def test_transcript_is_small_records_in_order(
    emu: EmulatorServer, tg: Bot, control: EmulatorClient
) -> None:
    first = await control.transcript()
    sent = await tg.send_message(ANN, "one", allow_paid_broadcast=True)
    await tg.edit_message_text("two", chat_id=ANN, message_id=sent.message_id)
    records = await control.transcript(since=first[-1]["seq"])
    assert [(r["method"], r["chat_id"], r["message_id"], r["paid"]) for r in records] == [
        ("sendMessage", ANN, sent.message_id, True),
        ("editMessageText", ANN, sent.message_id, False),
    ]
    assert set(records[0]) == {"seq", "t", "method", "chat_id", "status", "message_id", "paid"}
    assert records[0]["t"] <= records[1]["t"]
    stranger = Bot("999:wrong-token-CCCCCCCCCCCCCCCCCCCCCCCC", base_url=emu.base_url)
    with pytest.raises(InvalidToken, match="rejected by the server"):
        await stranger.initialize()
    await stranger.shutdown()
    last = (await control.transcript(since=records[-1]["seq"]))[-1]
    assert (last["method"], last["status"]) == ("getMe", 401)


async def test_raw_http_shapes_and_encodings(emu: EmulatorServer, control: EmulatorClient) -> None:
    base = f"{emu.base_url}{EMU_TOKEN}"
    markup = {"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]}
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{emu.base_url}nope:token/getMe") as response:
            assert response.status == 401
            assert await response.json() == {
                "ok": False,
                "error_code": 401,
                "description": "Unauthorized",
            }
        async with http.post(f"{base}/launchRockets") as response:
            assert response.status == 404
            body = await response.json()
            assert body["description"] == "Not Found: method not found"
        form = {"chat_id": str(ANN), "text": "<b>form</b>", "parse_mode": "HTML"}
        form["reply_markup"] = json.dumps(markup)
        async with http.post(f"{base}/sendMessage", data=form) as response:
            result = (await response.json())["result"]
            assert result["text"] == "form" and result["reply_markup"] == markup
        async with http.post(
            f"{base}/SENDMESSAGE", json={"chat_id": BEN, "text": "json", "reply_markup": markup}
        ) as response:
            assert (await response.json())["result"]["chat"]["id"] == BEN
        async with http.get(f"{base}/sendMessage", params={"chat_id": ANN, "text": "q"}) as r:
            assert (await r.json())["result"]["text"] == "q"
        async with http.get(f"{base}/sendMessage", params={"chat_id": ANN, "text": "q"}) as r:
            assert (await r.json())["result"]["text"] == "q"
        async with http.get(f"{base}/sendMessage", params={"chat_id": ANN, "text": "4th"}) as r:
            assert r.status == 429
            assert await r.json() == {
                "ok": False,
                "error_code": 429,
                "description": "Too Many Requests: retry after 1",
                "parameters": {"retry_after": 1},
            }


async def test_commands_per_scope_and_language(tg: Bot, control: EmulatorClient) -> None:
    english = [BotCommand("start", "Open the menu"), BotCommand("forget", "Delete my data")]
    french = [BotCommand("start", "Ouvrir le menu")]
    assert await tg.set_my_commands(english)
    assert await tg.set_my_commands(french, language_code="fr")
    assert await tg.set_my_commands(french, scope=BotCommandScopeChat(ANN))
    assert [c.command for c in await tg.get_my_commands()] == ["start", "forget"]
    assert await tg.get_my_commands(language_code="fr") == tuple(french)
    assert await tg.get_my_commands(scope=BotCommandScopeAllPrivateChats()) == ()
    view = {(e["scope"]["type"], e["language_code"]): e for e in await control.commands()}
    assert set(view) == {("default", ""), ("default", "fr"), ("chat", "")}
    assert view["default", "fr"]["commands"] == [
        {"command": "start", "description": "Ouvrir le menu"}
    ]
    assert await tg.delete_my_commands(language_code="fr")
    assert await tg.get_my_commands(language_code="fr") == ()
    for bad in (BotCommand("Start", "upper case"), BotCommand("a" * 33, "too long")):
        with pytest.raises(BadRequest, match="Bot_command_invalid"):
            await tg.set_my_commands([bad])
    with pytest.raises(BadRequest, match="Bot_command_description_invalid"):
        await tg.set_my_commands([BotCommand("help", "d" * 257)])


async def test_photos_with_spoilers(tg: Bot, control: EmulatorClient) -> None:
    await control.set_limits(per_chat_per_second=None)
    sent = await tg.send_photo(
        ANN, png(1600, 1200), caption="<b>Shelter</b> map", parse_mode="HTML", has_spoiler=True
    )
    assert [(p.width, p.height) for p in sent.photo] == [
        (90, 68),
        (320, 240),
        (800, 600),
        (1280, 960),
        (1600, 1200),
    ]
    assert sent.caption == "Shelter map" and sent.has_media_spoiler
    again = await tg.send_photo(ANN, sent.photo[-1].file_id)
    assert again.photo[-1].file_unique_id == sent.photo[-1].file_unique_id
    view = await control.chat(ANN)
    photo = view.messages[0]
    assert photo.has_photo and photo.has_spoiler and photo.caption == "Shelter map"
    assert photo.text is None and photo.html == "<b>Shelter</b> map"
    edited = await tg.edit_message_caption(ANN, sent.message_id, caption="Updated")
    assert not isinstance(edited, bool) and edited.caption == "Updated"
    with pytest.raises(BadRequest, match="Image_process_failed"):
        await tg.send_photo(ANN, b"this is not an image")
    with pytest.raises(BadRequest, match="Wrong file identifier"):
        await tg.send_photo(ANN, "AgAC-unknown-file-id")


async def test_chat_actions(tg: Bot, control: EmulatorClient) -> None:
    assert await tg.send_chat_action(ANN, "typing")
    with pytest.raises(BadRequest, match="Wrong parameter action"):
        await tg.send_chat_action(ANN, "dancing")
    await control.block(BEN)
    with pytest.raises(Exception, match="blocked"):
        await tg.send_chat_action(BEN, "typing")


async def test_a_newer_poll_ends_the_older_one(
    emu: EmulatorServer, tg: Bot, control: EmulatorClient
) -> None:
    async with Bot(EMU_TOKEN, base_url=emu.base_url) as second:
        older = asyncio.create_task(tg.get_updates(timeout=10))
        await polls_waiting(emu)
        newer = asyncio.create_task(second.get_updates(timeout=10))
        with pytest.raises(Conflict, match="terminated by other getUpdates request"):
            await asyncio.wait_for(older, 5)
        await control.send(ANN, "for the newer one")
        (update,) = await asyncio.wait_for(newer, 5)
        assert update.message is not None and update.message.text == "for the newer one"


async def test_reset_forgets_people_but_update_ids_keep_growing(
    tg: Bot, control: EmulatorClient
) -> None:
    await control.set_limits(per_chat_per_second=0.1)
    await control.send(ANN, "before")
    (before,) = await tg.get_updates()
    await control.advance_clock(3600)
    await control.reset()
    with pytest.raises(EmulatorError, match="no such user"):
        await control.chat(ANN)
    await control.create_user(ANN)
    for n in range(3):
        await tg.send_message(ANN, f"default limits again {n}")
    await control.send(ANN, "after")
    (after,) = await tg.get_updates(offset=before.update_id + 1)
    assert after.update_id > before.update_id
    assert after.message is not None and after.message.message_id == 4
    assert abs(after.message.date.timestamp() - before.message.date.timestamp()) < 60  # type: ignore[union-attr]


async def test_control_refuses_bad_input(control: EmulatorClient) -> None:
    with pytest.raises(EmulatorError, match="no such user"):
        await control.send(424242, "hello")
    with pytest.raises(EmulatorError, match="positive"):
        await control.create_user(-5)
    with pytest.raises(EmulatorError, match="only moves forward"):
        await control.advance_clock(-1)
    with pytest.raises(EmulatorError, match="per_chat_per_second"):
        await control.set_limits(per_chat_per_second=0)
    now = await control.now()
    assert await control.advance_clock(10) >= now + 10


def test_control_api_is_for_loopback_only() -> None:
    assert _is_loopback("127.0.0.1") and _is_loopback("::1") and _is_loopback("127.8.9.10")
    assert not _is_loopback("192.168.1.20")
    assert not _is_loopback("10.0.0.1")
    assert not _is_loopback(None)


async def test_bulk_users_are_plain_and_leave_existing_ones_alone(
    emu: EmulatorServer, tg: Bot, control: EmulatorClient
) -> None:
    assert await control.create_users(ANN, 1000, language_code="fr") == 998, "Ann and Ben existed"
    assert (await control.chat(ANN + 500)).messages == []
    assert emu.world.chat(ANN).user.first_name == "Ann"
    newcomer = emu.world.chat(ANN + 999).user
    assert (newcomer.first_name, newcomer.language_code, newcomer.username) == ("Test", "fr", None)
    assert await control.create_users(ANN, 1000) == 0
    sent = await tg.send_message(ANN + 999, "hello")
    assert sent.chat.id == ANN + 999
    for first, count in ((0, 5), (10, -1), (10, 3_000_000)):
        with pytest.raises(EmulatorError, match="count between"):
            await control.create_users(first, count)


async def test_timed_actions_share_the_transcripts_clock(tg: Bot, control: EmulatorClient) -> None:
    message = await control.send_timed(ANN, "hello")
    sent = await tg.send_message(ANN, "menu", reply_markup=buttons("Menu"))
    pressed = await control.press_timed(ANN, label="Menu")
    assert pressed.version == message.version + 2
    (query,) = [u.callback_query for u in await tg.get_updates() if u.callback_query]
    await query.answer()
    answer = (await control.transcript())[-1]
    assert answer["method"] == "answerCallbackQuery" and answer["message_id"] == sent.message_id
    assert message.t < pressed.t < answer["t"]


async def test_press_many_queues_a_backlog_in_order(tg: Bot, control: EmulatorClient) -> None:
    await control.set_limits(per_chat_per_second=None)
    ann = await tg.send_message(ANN, "a", reply_markup=buttons("Menu"))
    ben = await tg.send_message(BEN, "b", reply_markup=buttons("Menu"))
    with pytest.raises(EmulatorError, match="no such user"):
        await control.press_many([(ANN, "1|x", None), (424242, "1|y", None)])
    queued_at = await control.press_many(
        [(ANN, "1|help", None), (BEN, "1|menu", ben.message_id), (ANN, "1|menu", ann.message_id)]
    )
    queries = [u.callback_query for u in await tg.get_updates() if u.callback_query]
    assert [(q.from_user.id, q.data) for q in queries] == [
        (ANN, "1|help"),
        (BEN, "1|menu"),
        (ANN, "1|menu"),
    ], "the refused batch queued nothing"
    assert queued_at <= (await control.transcript())[-1]["t"]
