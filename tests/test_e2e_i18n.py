"""Languages end to end: a person whose Telegram speaks Arabic or Burmese walks the bot in it, a
fuzzy translation falls back to English string by string, and a language added with
`waymark i18n init` is offered without a code change.

Every screen is scanned for interface strings left in English: the English msgid of any entry
the catalog locates in bot/**.py must not appear in the message or its buttons. Text a screen may
show in English on purpose (guide steps and region names not translated yet, what a partner
wrote) is taken out first, so only the bot's own words are judged.
"""

from __future__ import annotations

import argparse
import io
import re
import shutil
import string
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot import logs
from bot.app import Waymark
from bot.config import Settings, load_settings
from bot.emulator.client import ChatMessage, ChatView, EmulatorClient
from bot.emulator.server import EmulatorServer
from bot.i18n import commands, tools
from bot.i18n.catalogs import Catalogs, Translator, language_name
from tests.conftest import TOKEN
from tests.partner_fixtures import PartnerClient, Tokens, api, tokens, warning
from tests.test_e2e_alerts import wait_for_text

__all__ = ["api", "tokens"]  # fixtures

ROOT = Path(__file__).resolve().parents[1]
PERSON = 3_100_000_001
MESSAGE_LIMIT = 4096  # Telegram's limit for a text message, in UTF-16 code units
# Names that are the same in every language, and ids too short to be told from other text.
PROPER_NAMES = frozenset({"Waymark", "Android", "iPhone", "English", "Telegram"})
MIN_LETTERS = 4
REGION = "dl-north-riverside"
FALLBACK_NOTE = (
    "This warning is not available in your language; it is shown as the partner wrote it."
)
MENU_PROMPT = "What do you want to do?"


# --- the scan ------------------------------------------------------------------------------


def _letters(msgid: str) -> int:
    """Letters outside {placeholders}: "{n}" or "{regions}:" have none of their own."""
    try:
        literal = "".join(text for text, *_ in string.Formatter().parse(msgid))
    except ValueError:
        literal = msgid
    return sum(ch.isalpha() for ch in literal)


def _pattern(msgid: str) -> re.Pattern[str]:
    """The msgid as shown, any value in its {placeholders}; whole words at its ends ("Menu",
    not "Menus")."""
    try:
        parsed = list(string.Formatter().parse(msgid))
    except ValueError:
        parsed = [(msgid, None, None, None)]
    body = "".join(
        re.escape(text) + (".+?" if field is not None else "") for text, field, *_ in parsed
    )
    start = r"(?<!\w)" if msgid[:1].isalnum() else ""
    end = r"(?!\w)" if msgid[-1:].isalnum() else ""
    return re.compile(start + body + end)


@dataclass(frozen=True)
class Scanner:
    """What must not appear in English on a screen in one language, and what may."""

    lang: str
    tr: Translator
    interface: dict[str, re.Pattern[str]]  # English interface msgids (and plurals)
    untranslated: frozenset[str]  # the interface msgids this catalog shows in English
    content: list[str]  # guide and region texts as this language shows them (may be English)

    @classmethod
    def load(cls, locales: Path, lang: str) -> Scanner:
        catalog, _ = tools.read_catalog(locales / lang / "LC_MESSAGES" / "messages.po")
        tr = Catalogs.load(locales).get(lang)
        interface: dict[str, re.Pattern[str]] = {}
        untranslated: set[str] = set()
        content: set[str] = set()
        for message in catalog:
            if not message.id:
                continue
            ids = [message.id] if isinstance(message.id, str) else list(message.id)
            if not any(
                path.startswith("bot/") and path.endswith(".py") for path, _ in message.locations
            ):
                content.add(
                    tr.pgettext(message.context, ids[0]) if message.context else tr._(ids[0])
                )
                continue
            for msgid in ids:
                if msgid in PROPER_NAMES or _letters(msgid) < MIN_LETTERS:
                    continue
                if message.string == msgid and not message.fuzzy:
                    continue  # translated as itself on purpose (a name the language keeps)
                interface[msgid] = _pattern(msgid)
                if message.fuzzy or not tools.is_translated(message):
                    untranslated.add(msgid)
        assert len(interface) > 50, f"{lang}: the catalog lists the interface strings"
        return cls(
            lang, tr, interface, frozenset(untranslated), sorted(content, key=len, reverse=True)
        )

    def leaks(self, text: str, *, allowed: Iterable[str] = ()) -> list[str]:
        """English interface strings in `text`, after taking out what may be English.

        An interface string inside a content text shown in English ("If you are detained" is a
        menu button and a guide's name) cannot be told apart on screen: there, a leak is an
        interface string that appears and that the catalog does not translate.
        """
        found = {msgid for msgid, pattern in self.interface.items() if pattern.search(text)}
        stripped = text
        for shown in [*sorted(allowed, key=len, reverse=True), *self.content]:
            stripped = stripped.replace(shown, "\x00")
        return sorted(
            msgid
            for msgid in found
            if msgid in self.untranslated or self.interface[msgid].search(stripped)
        )


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def screen_text(message: ChatMessage) -> str:
    text = message.visible_text
    assert text is not None
    return text


def button_labels(message: ChatMessage) -> list[str]:
    return [button.text for row in message.buttons for button in row]


def assert_screen(
    scanner: Scanner, message: ChatMessage, name: str, *, allowed: Iterable[str] = ()
) -> str:
    """The message is in the person's language and fits Telegram; returns its text."""
    text = screen_text(message)
    assert utf16(text) <= MESSAGE_LIMIT, f"{scanner.lang} {name}: {utf16(text)} > 4096"
    labels = button_labels(message)
    assert all(label.strip() for label in labels), f"{scanner.lang} {name}: an empty button"
    leaked = scanner.leaks("\n".join([text, *labels]), allowed=allowed)
    assert not leaked, f"{scanner.lang} {name}: interface strings in English: {leaked}"
    return text


def living(view: ChatView) -> ChatMessage:
    assert len(view.bot_messages) == 1, "navigation keeps one living message"
    return view.bot_messages[0]


# --- a running bot on a catalog copy --------------------------------------------------------


@asynccontextmanager
async def running(
    emulator: EmulatorServer, data_dir: Path, locales: Path
) -> AsyncIterator[Waymark]:
    """The `waymark` fixture, with its catalogs read from `locales`."""
    settings: Settings = load_settings(
        token=TOKEN,
        api_base_url=emulator.base_url,
        data_dir=data_dir,
        poll_timeout=1,
        partner_api_port=0,
        locales_dir=locales,
    )
    app = Waymark(settings)
    await app.start()
    try:
        yield app
    finally:
        await app.stop()
        logs.quiet_libraries()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the tree the i18n tools work on: bot/, content/ and locales/."""
    root = tmp_path / "project"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo")
    for name in ("bot", "content", "locales"):
        shutil.copytree(ROOT / name, root / name, ignore=ignore)
    return root


def i18n_cli(*argv: str) -> tuple[int, str]:
    parser = argparse.ArgumentParser(prog="waymark")
    sub = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(sub)
    out = io.StringIO()
    code = commands.run(parser.parse_args(["i18n", *argv]), out=out, err=out)
    return code, out.getvalue()


# --- tests ---------------------------------------------------------------------------------


def test_the_scan_finds_english_interface_strings() -> None:
    scanner = Scanner.load(ROOT / "locales", "ar")
    assert scanner.leaks(f"<b>Waymark</b>\n{MENU_PROMPT}") == [MENU_PROMPT]
    assert scanner.leaks("🌐 Language · Languages") == ["Language"]
    assert scanner.leaks("Verified by North Civil Defence · 3 Jan 2026") == [
        "Verified by {partner} · {date}"
    ]
    assert scanner.leaks(scanner.tr._(MENU_PROMPT)) == []
    assert scanner.leaks("Choose your language", allowed=["Choose your language"]) == []
    detained = "If you are detained"  # a menu button, and the detention guide's name
    pattern = {detained: scanner.interface[detained]}
    shown_in_english = [detained]
    missing = Scanner("xx", scanner.tr, pattern, frozenset({detained}), shown_in_english)
    assert missing.leaks(f"⚠️ {detained}") == [detained]
    done = Scanner("xx", scanner.tr, pattern, frozenset(), shown_in_english)
    assert done.leaks(f"⚠️ {detained}") == []


@pytest.mark.parametrize("lang", ["ar", "my"])
async def test_a_person_uses_waymark_in_their_language(
    waymark: Waymark,
    client: EmulatorClient,
    api: PartnerClient,
    tokens: Tokens,
    lang: str,
) -> None:
    scanner = Scanner.load(ROOT / "locales", lang)
    tr = scanner.tr
    assert tr.code == lang and tr.unreviewed

    await client.create_user(PERSON, language_code=lang, username="person")
    view = await client.send_and_wait(PERSON, "/start")
    picker = living(view)
    # The picker repeats its title in English under the translation, for someone who cannot
    # read the language Telegram suggested (bot/telegram/start.py).
    assert_screen(scanner, picker, "language picker", allowed=["Choose your language"])
    assert button_labels(picker)[0] == language_name(lang), "Telegram's language comes first"

    view = await client.press_and_wait(PERSON, label=language_name(lang))
    text = assert_screen(scanner, living(view), "privacy")
    assert "/forget" in text

    view = await client.press_and_wait(PERSON, label=tr._("I understand, continue"))
    text = assert_screen(scanner, living(view), "menu")
    assert tr._(MENU_PROMPT) in text and tr._(MENU_PROMPT) != MENU_PROMPT
    assert tr._("This translation is awaiting review by a native speaker.") in text

    view = await client.press_and_wait(PERSON, label="🔐 " + tr._("Secure my accounts"))
    assert_screen(scanner, living(view), "apps")
    view = await client.press_and_wait(PERSON, label=tr.pgettext("telegram|name", "Telegram"))
    checklist = living(view)
    assert_screen(scanner, checklist, "Telegram checklist")
    assert any(label.startswith("⬜") for label in button_labels(checklist))
    pages = [label for label in button_labels(checklist) if tr._("Next") in label]
    if pages:
        view = await client.press_and_wait(PERSON, label=pages[0])
        assert_screen(scanner, living(view), "Telegram checklist, page 2")

    view = await client.press_and_wait(PERSON, label="⬅ " + tr._("Menu"))
    assert_screen(scanner, living(view), "menu again")
    view = await client.press_and_wait(PERSON, label="📣 " + tr._("Early warnings"))
    assert_screen(scanner, living(view), "early warnings")
    view = await client.press_and_wait(PERSON, label="🗺 " + tr._("Choose regions"))
    assert_screen(scanner, living(view), "regions")
    parts = REGION.split("-")
    for depth in range(1, len(parts)):
        parent = "-".join(parts[:depth])
        view = await client.press_and_wait(PERSON, data=f"1|regions|{parent}")
        assert_screen(scanner, living(view), f"regions in {parent}")
    view = await client.press_and_wait(PERSON, data=f"1|toggle|{REGION}")
    assert_screen(scanner, living(view), "region chosen")
    view = await client.press_and_wait(PERSON, label="✔ " + tr._("Done"))
    assert_screen(scanner, living(view), "early warnings, subscribed")

    body = warning()
    assert lang not in body["texts"], "the partner wrote no text in this language"
    status, alert = await api.call("POST", "/v1/alerts", tokens.author, json=body, key=lang)
    assert status == 201
    status, _ = await api.call("POST", f"/v1/alerts/{alert['id']}/approve", tokens.approver)
    assert status == 200
    english = body["texts"]["en"]
    view = await wait_for_text(client, PERSON, english["headline"])
    [received] = [m for m in view.bot_messages if english["headline"] in (m.text or "")]
    partner_wrote = [*english.values(), "North Civil Defence (demo)"]
    text = assert_screen(scanner, received, "warning", allowed=partner_wrote)
    assert tr._(FALLBACK_NOTE) in text and tr._(FALLBACK_NOTE) != FALLBACK_NOTE
    assert tr._("What to do:") in text and tr._("Valid until:") in text


async def test_a_fuzzy_translation_shows_the_english_string_only(
    emulator: EmulatorServer, client: EmulatorClient, data_dir: Path, project: Path
) -> None:
    # The French was made for an older English; `waymark i18n update` meets today's string,
    # keeps the French for the translator, and marks it fuzzy.
    path = tools.po_path(project, "fr")
    po = path.read_text(encoding="utf-8")
    old = 'msgid "What do you want to do?"\n'
    assert po.count(old) == 1
    path.write_text(po.replace(old, 'msgid "What do you want to do now?"\n'), encoding="utf-8")
    tools.extract(project)
    [result] = tools.update(project, ["fr"])
    assert MENU_PROMPT in result.fuzzy
    catalog, _ = tools.read_catalog(path)
    entry = catalog.get(MENU_PROMPT)
    assert entry is not None and entry.fuzzy and entry.string == "Que voulez-vous faire ?"

    locales = project / "locales"
    scanner = Scanner.load(locales, "fr")
    tr = scanner.tr
    async with running(emulator, data_dir, locales):
        await client.create_user(PERSON, language_code="fr")
        await client.send_and_wait(PERSON, "/start")
        await client.press_and_wait(PERSON, label="Français")
        view = await client.press_and_wait(PERSON, label=tr._("I understand, continue"))
    menu = living(view)
    text = screen_text(menu)
    assert MENU_PROMPT in text and "Que voulez-vous faire ?" not in text
    review = tr._("This translation is awaiting review by a native speaker.")
    assert review in text and "relecture" in review
    assert "🔐 Sécuriser mes comptes" in button_labels(menu)
    assert "🌐 " + tr._("Language") in button_labels(menu)
    assert tr._("Language") != "Language"
    assert scanner.leaks("\n".join([text, *button_labels(menu)])) == [MENU_PROMPT], (
        "only the fuzzy string falls back to English"
    )


async def test_a_language_added_with_init_is_offered(
    emulator: EmulatorServer, client: EmulatorClient, data_dir: Path, project: Path
) -> None:
    code, out = i18n_cli("--root", str(project), "init", "sw")
    assert code == 0, out
    assert tools.po_path(project, "sw").is_file()
    name = language_name("sw")
    assert name == "Kiswahili"

    async with running(emulator, data_dir, project / "locales"):
        await client.create_user(PERSON, language_code="sw")
        view = await client.send_and_wait(PERSON, "/start")
        assert button_labels(living(view))[0] == name, "Telegram's language comes first"
        view = await client.press_and_wait(PERSON, label=name)
        assert "/forget" in screen_text(living(view)), "nothing translated yet: English"
        view = await client.press_and_wait(PERSON, label="I understand, continue")
        menu = living(view)
        assert MENU_PROMPT in screen_text(menu)
        assert "awaiting review by a native speaker" in screen_text(menu), "init marks it"

        other = PERSON + 1
        await client.create_user(other, language_code="en")
        view = await client.send_and_wait(other, "/start")
        assert name in button_labels(living(view)), "offered to everyone"
