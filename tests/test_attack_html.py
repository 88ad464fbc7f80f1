"""Telegram HTML injection: markup in a partner's warning or in a translation reaches the person as
the literal characters, never as a hidden link or formatting.

The emulator parses HTML exactly as Telegram does (an unbalanced tag is refused, <a href> becomes a
text_link entity), so what the person sees here is what they would see in Telegram.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from bot.app import Waymark
from bot.config import Settings, load_settings
from bot.emulator.client import ChatMessage, EmulatorClient
from bot.emulator.markup import parse_html
from bot.emulator.server import EmulatorServer
from tests.conftest import TOKEN
from tests.partner_fixtures import PartnerClient, Tokens, api, subscribe, tokens, warning
from tests.test_e2e_alerts import wait_for_text

__all__ = ["api", "tokens"]  # fixtures

PERSON, FRENCH = 2_400_000_001, 2_400_000_002
LINK = '<a href="tg://resolve?domain=x">tap</a>'
HEADLINE = f"{LINK} <b>now</b> &amp; <i>run"  # unbalanced <i>: Telegram would refuse the message
BODY = "Fish &amp; chips </b> <tg-spoiler>hidden</tg-spoiler> &lt;b&gt; <script>alert(1)</script>"
INSTRUCTION = '<blockquote>quote <pre>x</pre> <code>y</code> <span class="tg-spoiler">z</span>'
# Only Waymark's own template formats a warning: bold labels, a struck-through cancelled headline.
TEMPLATE_ENTITIES = {"bold", "strikethrough"}

# A translation that a careless or hostile translator could submit.
EVIL_PO = textwrap.dedent(
    """\
    msgid ""
    msgstr ""
    "Language: fr\\n"
    "Plural-Forms: nplurals=2; plural=(n > 1);\\n"
    "MIME-Version: 1.0\\n"
    "Content-Type: text/plain; charset=utf-8\\n"
    "Content-Transfer-Encoding: 8bit\\n"

    msgid "What do you want to do?"
    msgstr "<a href=\\"tg://resolve?domain=evil\\">Touchez ici</a> pour continuer"

    msgid "Waymark"
    msgstr "<b>Waymark"

    msgid "What to do:"
    msgstr "Que faire &amp; <i>comment :"
    """
)


@pytest.fixture
def settings(emulator: EmulatorServer, data_dir: Path, tmp_path: Path) -> Settings:
    """The usual settings, with a locales directory holding only the hostile French catalog."""
    catalog = tmp_path / "locales" / "fr" / "LC_MESSAGES" / "messages.po"
    catalog.parent.mkdir(parents=True)
    catalog.write_text(EVIL_PO, encoding="utf-8")
    return load_settings(
        token=TOKEN,
        api_base_url=emulator.base_url,
        data_dir=data_dir,
        locales_dir=tmp_path / "locales",
        poll_timeout=1,
        partner_api_port=0,
    )


def entity_types(message: ChatMessage) -> set[str]:
    """The entities Telegram made of what the bot sent (the emulator keeps the sent markup)."""
    assert message.html is not None
    return {str(entity["type"]) for entity in parse_html(message.html).entities}


def shown(view_messages: list[ChatMessage], needle: str) -> ChatMessage:
    found = [m for m in view_messages if needle in (m.text or "")]
    assert found, f"no message shows {needle!r}"
    return found[-1]


async def test_partner_markup_is_shown_as_literal_text_in_every_form_of_a_warning(
    waymark: Waymark, client: EmulatorClient, api: PartnerClient, tokens: Tokens
) -> None:
    await subscribe(client, PERSON, "en", "dl-north-riverside")
    texts = {"en": {"headline": HEADLINE, "body": BODY, "instruction": INSTRUCTION}}
    status, alert = await api.call(
        "POST", "/v1/alerts", tokens.author, json=warning(texts=texts, language="en"), key="h1"
    )
    assert status == 201, alert
    await api.call("POST", f"/v1/alerts/{alert['id']}/approve", tokens.approver)
    view = await wait_for_text(client, PERSON, LINK)
    message = shown(view.bot_messages, LINK)
    delivered = message.message_id
    for literal in (HEADLINE, BODY, INSTRUCTION):
        assert literal in (message.text or ""), "the partner's characters arrive as written"
    assert entity_types(message) <= TEMPLATE_ENTITIES, "no link, spoiler, code or quote"

    # The Update edits the delivered message; its markup must stay just as inert.
    update_texts = {"en": {"headline": "<b>Moved</b> " + LINK, "body": BODY}}
    _, update = await api.call(
        "POST",
        f"/v1/alerts/{alert['id']}/update",
        tokens.author,
        json={"texts": update_texts},
        key="h2",
    )
    await api.call("POST", f"/v1/alerts/{update['id']}/approve", tokens.approver)
    view = await wait_for_text(client, PERSON, "<b>Moved</b>")
    message = shown(view.bot_messages, "<b>Moved</b>")
    assert message.message_id == delivered and message.edit_date, "edited in place"
    assert entity_types(message) <= TEMPLATE_ENTITIES

    # And the cancelled version, whose headline is struck through by Waymark itself.
    await api.call("POST", f"/v1/alerts/{update['id']}/cancel", tokens.author)
    view = await wait_for_text(client, PERSON, "CANCELLED")
    message = shown(view.bot_messages, "CANCELLED")
    assert "<b>Moved</b> " + LINK in (message.text or "")
    assert entity_types(message) <= TEMPLATE_ENTITIES


async def test_markup_in_a_translation_is_shown_as_literal_text(
    waymark: Waymark, client: EmulatorClient, api: PartnerClient, tokens: Tokens
) -> None:
    await subscribe(client, FRENCH, "fr", "dl-north-riverside")
    view = await client.press_and_wait(FRENCH, data="1|menu")
    menu = view.bot_messages[-1]
    assert '<a href="tg://resolve?domain=evil">Touchez ici</a> pour continuer' in (menu.text or "")
    assert "<b>Waymark" in (menu.text or ""), "an unbalanced tag is text, and the menu still shows"
    assert "text_link" not in entity_types(menu)

    # The same catalog labels a partner's warning.
    _, alert = await api.call("POST", "/v1/alerts", tokens.author, json=warning(), key="t1")
    await api.call("POST", f"/v1/alerts/{alert['id']}/approve", tokens.approver)
    view = await wait_for_text(client, FRENCH, "Que faire &amp; <i>comment :")
    message = shown(view.bot_messages, "Que faire &amp; <i>comment :")
    assert "Restez à l’intérieur" in (message.text or "")
    assert entity_types(message) <= TEMPLATE_ENTITIES
