"""Wipe and /mydata end to end: what the person sees, what the database holds afterwards."""

from __future__ import annotations

import asyncio

from bot.app import Waymark
from bot.emulator.client import EmulatorClient
from tests.partner_fixtures import PartnerClient, Tokens, api, subscribe, tokens, warning
from tests.test_e2e_alerts import wait_for_text
from tests.test_e2e_skeleton import ALICE, onboard, only_bot_message

__all__ = ["api", "tokens"]


async def test_wipe_removes_the_bots_messages_and_the_row(
    waymark: Waymark, client: EmulatorClient, api: PartnerClient, tokens: Tokens
) -> None:
    await subscribe(client, ALICE, "en", "dl-north-riverside")
    _, alert = await api.call("POST", "/v1/alerts", tokens.author, json=warning(), key="w")
    await api.call("POST", f"/v1/alerts/{alert['id']}/approve", tokens.approver)
    view = await wait_for_text(client, ALICE, "Shelling expected")
    assert len(view.bot_messages) >= 2, "the living message and the warning"
    for _ in range(50):  # the delivery is recorded just after Telegram accepted it
        if (await waymark.store.outbox.stats(alert["id"])).sent == 1:
            break
        await asyncio.sleep(0.05)

    view = await client.send_and_wait(ALICE, "/forget")
    assert view.last_bot is not None
    assert "cannot delete your own older messages" in (view.last_bot.text or "")
    view = await client.press_and_wait(ALICE, label="🧹 Delete everything and clear the chat")
    assert view.bot_messages == [], "every bot message of the last 48 hours is gone"
    answers = await client.callback_answers(ALICE)
    assert answers[-1]["text"] == "Done. Waymark deleted your data and its messages."
    assert await waymark.store.users.get(ALICE) is None
    assert await waymark.store.outbox.recent_messages(waymark.store.users.row_id(ALICE), 0) == []


async def test_mydata_shows_what_the_database_decrypts_to(
    waymark: Waymark, client: EmulatorClient
) -> None:
    await onboard(client, ALICE)
    await client.press_and_wait(ALICE, data="1|alerts")
    await client.press_and_wait(ALICE, data="1|regions")
    await client.press_and_wait(ALICE, data="1|regions|dl")
    await client.press_and_wait(ALICE, data="1|toggle|dl-south")
    await client.press_and_wait(ALICE, data="1|alerts")
    await client.press_and_wait(ALICE, label="🔕 Quiet notifications: off")

    record = await waymark.store.users.get(ALICE)
    assert record is not None and record.regions == ["dl-south"] and record.quiet
    view = await client.send_and_wait(ALICE, "/mydata")
    text = only_bot_message(view)
    assert "Language: English" in text
    assert "Warning regions: Southern Province" in text
    assert "Quiet notifications: on" in text
    assert "0 checklist steps marked done" in text
    assert str(ALICE) not in text


async def test_mydata_for_a_stranger_says_nothing_is_stored(
    waymark: Waymark, client: EmulatorClient
) -> None:
    await client.create_user(ALICE, language_code="en")
    view = await client.send_and_wait(ALICE, "/mydata")
    assert "Nothing. Waymark has no record about you." in only_bot_message(view)
