"""A whole session at DEBUG, bot and partner API together, leaves nothing personal in the logs.

tests/test_e2e_privacy.py covers the bot alone; here partners create, approve, update and cancel
warnings over HTTP (and fail to, with forged and revoked tokens and broken bodies), the broadcaster
delivers them, and people use the bot. Whoever reads the logs must not learn who uses Waymark,
what they or the partners wrote, or any token.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator

import pytest

from bot import logs
from bot.app import Waymark
from bot.emulator.client import EmulatorClient
from tests.conftest import TOKEN
from tests.partner_fixtures import PartnerClient, Tokens, api, subscribe, tokens, warning
from tests.test_e2e_alerts import wait_for_text
from tests.test_partner_cap import cap, post_cap

__all__ = ["api", "tokens"]  # fixtures

PEOPLE = {2_500_000_001: "en", 2_500_000_002: "fr"}
TYPED = "my brother hides at 12 Mill Street"
HEADLINE = "Checkpoint raid at the Mill Street bakery"
BODY = "Soldiers are checking phones of everyone leaving the bakery."
INSTRUCTION = "Delete the group chat called Mill Friends before you pass."
UPDATED = "Raid moved to the Old Bridge checkpoint"
FORGED = "wmk_c0ffee0ffee00_ForgedSecretThatMustNotBeLogged1234567890abcdef"
PRIVATE_REPLY = "a private reply that must stay out of the logs"


@pytest.fixture
def debug_logging() -> Iterator[None]:
    """Waymark's own DEBUG configuration, undone afterwards so other tests are not affected."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    library_levels = {name: logging.getLogger(name).level for name in logs.CHATTY_LIBRARIES}
    logs.configure("DEBUG")
    try:
        yield
    finally:
        for handler in [h for h in root.handlers if h not in handlers]:
            root.removeHandler(handler)
        root.setLevel(level)
        for name, value in library_levels.items():
            logging.getLogger(name).setLevel(value)


async def test_debug_logs_of_a_session_with_partners_and_a_broadcast_hold_nothing_private(
    waymark: Waymark,
    client: EmulatorClient,
    api: PartnerClient,
    tokens: Tokens,
    debug_logging: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    for user_id, language in PEOPLE.items():
        await subscribe(client, user_id, language, "dl-north-riverside")
        await client.send_and_wait(user_id, TYPED)

    # Telegram fails now and then: a refused reply to a person, then a 502 and a flood-wait
    # during the broadcast. Failures are where code tends to log what it holds.
    first, second = PEOPLE
    await client.inject_fault(
        method="sendMessage", status=400, description="Bad Request: message is too long"
    )
    await client.send(first, TYPED)
    for _ in range(50):
        calls = await client.transcript()
        if any(c["method"] == "sendMessage" and c["status"] == 400 for c in calls):
            break
        await asyncio.sleep(0.1)
    await client.inject_fault(method="sendMessage", status=502, description="Bad Gateway")
    await client.inject_fault(
        method="sendMessage",
        status=429,
        description="Too Many Requests: retry after 1",
        retry_after=1,
        chat_id=second,
    )

    texts = {"en": {"headline": HEADLINE, "body": BODY, "instruction": INSTRUCTION}}
    status, alert = await api.call(
        "POST", "/v1/alerts", tokens.author, json=warning(texts=texts, language="en"), key="L1"
    )
    assert status == 201
    await api.call("POST", f"/v1/alerts/{alert['id']}/approve", tokens.approver)
    for user_id in PEOPLE:
        await wait_for_text(client, user_id, HEADLINE)
    await api.call("GET", "/v1/alerts", tokens.author)
    await api.call("GET", f"/v1/alerts/{alert['id']}", tokens.approver)
    _, update = await api.call(
        "POST",
        f"/v1/alerts/{alert['id']}/update",
        tokens.author,
        json={"texts": {"en": {"headline": UPDATED, "body": BODY}}},
        key="L2",
    )
    await api.call("POST", f"/v1/alerts/{update['id']}/approve", tokens.approver)
    for user_id in PEOPLE:
        await wait_for_text(client, user_id, UPDATED)
    status, _ = await post_cap(api, tokens.author, cap("LOG-1"), "L3")
    assert status == 201

    # What goes wrong is logged too, so make things go wrong.
    assert (await api.call("GET", "/v1/me", FORGED))[0] == 401
    status, _ = await api.call(
        "POST",
        "/v1/alerts",
        tokens.author,
        data=f'{{"texts": "{HEADLINE}"'.encode(),
        content_type="application/json",
        key="L4",
    )
    assert status == 400
    await api.call("POST", f"/v1/alerts/{update['id']}/cancel", tokens.other_partner_approver)
    await api.call("POST", f"/v1/alerts/{update['id']}/cancel", tokens.author)
    for user_id in PEOPLE:
        await wait_for_text(client, user_id, "❌")  # the cancelled mark, in either language
    waymark.store.partners.revoke(tokens.author_credential)
    assert (await api.call("GET", "/v1/me", tokens.author))[0] == 401
    await waymark.application.bot.send_message(next(iter(PEOPLE)), PRIVATE_REPLY)

    secrets_ = [
        TOKEN,
        TOKEN.split(":")[1],
        *(str(user_id) for user_id in PEOPLE),
        *(f"user{user_id}" for user_id in PEOPLE),  # the usernames onboard() gives them
        TYPED,
        "Mill Street",
        HEADLINE,
        BODY,
        INSTRUCTION,
        UPDATED,
        "Clashes near the northern checkpoint",  # the CAP alert's headline
        PRIVATE_REPLY,
        FORGED,
    ]
    for token in (tokens.author, tokens.approver, tokens.other_partner_approver):
        secrets_ += [token, token.split("_", 2)[2]]
    assert len(caplog.records) > 10, "the test must see records to mean anything"
    for record in caplog.records:
        rendered = f"{record.name} {record.getMessage()}"
        if record.exc_info:
            rendered += logging.Formatter().formatException(record.exc_info)
        for secret in secrets_:
            assert secret not in rendered, f"{record.name} logged something private"


def test_the_last_filter_scrubs_what_a_library_might_still_log(
    capsys: pytest.CaptureFixture[str], debug_logging: None
) -> None:
    """The second line of defence: a token or chat id in a message or an exception that some
    library logs at WARNING or above never reaches the log output."""
    logs.configure("DEBUG")  # again, so Waymark's handler writes to the stream capsys reads
    chat_id = next(iter(PEOPLE))
    library = logging.getLogger("some.http.library")
    library.warning("POST https://api.telegram.org/bot%s/sendMessage chat_id=%d", TOKEN, chat_id)
    try:
        raise ConnectionError(f"reset while sending to {chat_id} with {TOKEN}")
    except ConnectionError:
        library.exception("request failed")
    output = capsys.readouterr().err
    assert "sendMessage" in output and "request failed" in output, "the records were written"
    assert "<token>" in output and "<id>" in output
    for secret in (TOKEN, TOKEN.split(":")[1], str(chat_id)):
        assert secret not in output
