"""End to end: unmodified python-telegram-bot <-> the emulator over HTTP, real SQLite, real keys."""

from __future__ import annotations

import pytest
from telegram.error import BadRequest, Forbidden, RetryAfter

from bot.app import Waymark
from bot.emulator.client import ChatView, EmulatorClient

ALICE = 1_234_567_890  # fits in 4 bytes: the byte scan checks that form too
BORIS = 5_550_000_001


async def onboard(client: EmulatorClient, user_id: int, language_code: str = "en") -> ChatView:
    """Start, choose English, accept the privacy screen: the path every new person takes."""
    await client.create_user(user_id, language_code=language_code, username=f"user{user_id}")
    await client.send_and_wait(user_id, "/start")
    await client.press_and_wait(user_id, label="English")
    return await client.press_and_wait(user_id, label="I understand, continue")


def only_bot_message(view: ChatView) -> str:
    assert len(view.bot_messages) == 1, "navigation must keep one living message"
    text = view.bot_messages[0].text
    assert text is not None
    return text


def labels(view: ChatView) -> list[str]:
    last = view.last_bot
    assert last is not None
    return [button.text for row in last.buttons for button in row]


async def test_start_language_privacy_menu(waymark: Waymark, client: EmulatorClient) -> None:
    await client.create_user(ALICE, language_code="fr")
    view = await client.send_and_wait(ALICE, "/start")
    assert "Choisissez votre langue" in only_bot_message(view)
    assert labels(view)[:2] == ["Français", "English"], "Telegram's language is suggested first"
    assert not [m for m in view.messages if not m.from_bot], "the typed /start is tidied away"

    view = await client.press_and_wait(ALICE, label="English")
    text = only_bot_message(view)
    assert "not end-to-end encrypted" in text and "/forget" in text

    view = await client.press_and_wait(ALICE, label="I understand, continue")
    assert "What do you want to do?" in only_bot_message(view)
    assert "🔐 Secure my accounts" in labels(view)
    assert "✖ Close" in labels(view)


async def test_close_deletes_the_living_message(waymark: Waymark, client: EmulatorClient) -> None:
    await onboard(client, ALICE)
    view = await client.press_and_wait(ALICE, label="✖ Close")
    assert view.bot_messages == []


async def test_switching_language_changes_the_texts(
    waymark: Waymark, client: EmulatorClient
) -> None:
    await onboard(client, ALICE)
    view = await client.press_and_wait(ALICE, label="🌐 Language")
    view = await client.press_and_wait(ALICE, label="Français")
    text = only_bot_message(view)
    assert "Que voulez-vous faire ?" in text
    assert "attend la relecture" in text, "an unreviewed translation says so"
    assert "🔐 Sécuriser mes comptes" in labels(view)
    view = await client.send_and_wait(ALICE, "/help")
    assert "supprimer tout ce que Waymark conserve sur vous" in only_bot_message(view)


async def test_forget_removes_the_row(waymark: Waymark, client: EmulatorClient) -> None:
    await onboard(client, ALICE)
    await onboard(client, BORIS)
    users = waymark.store.users
    assert await users.count() == 2
    view = await client.send_and_wait(ALICE, "/forget")
    assert "Delete everything?" in only_bot_message(view)
    view = await client.press_and_wait(ALICE, label="Delete my data only")
    assert "no longer stores anything" in only_bot_message(view)
    assert await users.get(ALICE) is None
    assert await users.get(BORIS) is not None
    assert await users.count() == 1


async def test_forget_can_be_cancelled(waymark: Waymark, client: EmulatorClient) -> None:
    await onboard(client, ALICE)
    await client.send_and_wait(ALICE, "/forget")
    view = await client.press_and_wait(ALICE, label="Cancel")
    assert "What do you want to do?" in only_bot_message(view)
    assert await waymark.store.users.get(ALICE) is not None


async def test_unknown_command_and_stray_text_get_a_clear_answer(
    waymark: Waymark, client: EmulatorClient
) -> None:
    await onboard(client, ALICE)
    view = await client.send_and_wait(ALICE, "/launch")
    text = only_bot_message(view)
    assert "I don't know that command" in text and "What do you want to do?" in text
    view = await client.send_and_wait(ALICE, "where is the shelter?")
    text = only_bot_message(view)
    assert "Please use the buttons" in text and "What do you want to do?" in text


async def test_stray_text_before_onboarding_offers_languages(
    waymark: Waymark, client: EmulatorClient
) -> None:
    await client.create_user(BORIS, language_code="en")
    view = await client.send_and_wait(BORIS, "hello?")
    assert "Choose your language" in only_bot_message(view)


@pytest.mark.parametrize("data", ["1|launch", "9|menu", "garbage", "1|lang|../../etc", "x" * 64])
async def test_stale_or_forged_buttons_are_answered(
    waymark: Waymark, client: EmulatorClient, data: str
) -> None:
    await onboard(client, ALICE)
    view = await client.press_and_wait(ALICE, data=data, forge=True)
    answers = await client.callback_answers(ALICE)
    assert answers and answers[-1]["text"] in (
        "This button has expired. Here is a fresh screen.",
        None,
        "",
    )
    assert "What do you want to do?" in only_bot_message(view)


async def test_forged_language_code_is_not_stored(waymark: Waymark, client: EmulatorClient) -> None:
    await onboard(client, ALICE)
    view = await client.press_and_wait(ALICE, data="1|lang|xx", forge=True)
    assert "What do you want to do?" in only_bot_message(view)
    record = await waymark.store.users.get(ALICE)
    assert record is not None and record.lang == "en"


async def test_emulator_speaks_telegrams_errors_to_the_real_bot(
    waymark: Waymark, client: EmulatorClient
) -> None:
    await onboard(client, ALICE)
    bot = waymark.application.bot
    with pytest.raises(BadRequest, match="too long"):
        await bot.send_message(ALICE, "x" * 4097)
    await client.set_limits(per_chat_per_second=1.0)
    with pytest.raises(RetryAfter) as burst:
        for _ in range(10):
            await bot.send_message(ALICE, "burst")
    assert burst.value.retry_after
    await client.block(ALICE)
    with pytest.raises(Forbidden, match="blocked"):
        await bot.send_message(ALICE, "are you there?")


async def test_setmycommands_for_every_language(waymark: Waymark, client: EmulatorClient) -> None:
    commands = await client.commands()
    by_language = {entry.get("language_code") or "": entry for entry in commands}
    assert {"", "en", "fr"} <= set(by_language)
    french = {c["command"]: c["description"] for c in by_language["fr"]["commands"]}
    assert french["forget"] == "Supprimer tout ce que Waymark conserve sur vous"
