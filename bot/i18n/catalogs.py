"""Gettext catalogs from locales/<lang>/LC_MESSAGES/messages.po, compiled in memory at start.

Compiled .mo files are never committed: the PO file a translator edits is the only truth, and a
new locale appears in the language picker after a restart with no code change.
"""

from __future__ import annotations

import gettext
import io
import logging
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.core import negotiate_locale
from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import PoFileError, read_po

from bot.errors import StartupError

log = logging.getLogger(__name__)

SOURCE_LANGUAGE = "en"
DOMAIN = "messages"
# Babel drops unknown PO headers, so the review flag is read from the header block directly.
REVIEW_HEADER = "X-Waymark-Review"
_REVIEW_HEADER = re.compile(r'^"X-Waymark-Review:\s*unreviewed\\n"\s*$', re.MULTILINE)
# Right-to-left marks keep Latin names and numbers from scrambling an Arabic or Farsi line.
RLM = "\u200f"


@dataclass(frozen=True)
class Translator:
    """One locale's strings; missing or fuzzy entries fall back to English, string by string."""

    code: str
    translations: gettext.NullTranslations = field(repr=False)
    unreviewed: bool = False

    @property
    def locale(self) -> Locale:
        return Locale.parse(self.code)

    @property
    def rtl(self) -> bool:
        return self.locale.character_order == "right-to-left"

    def _(self, message: str) -> str:
        return self.translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.translations.ngettext(singular, plural, n)

    def pgettext(self, context: str, message: str) -> str:
        return self.translations.pgettext(context, message)

    def date(self, day: date) -> str:
        return format_date(day, format="medium", locale=self.locale)

    def native_name(self) -> str:
        return language_name(self.code)


def language_name(code: str) -> str:
    """The language's name in itself, from CLDR via babel ("العربية", "Français")."""
    locale = Locale.parse(code)
    name = locale.get_display_name(locale) or code
    return name[:1].upper() + name[1:]


def is_unreviewed(po_text: str) -> bool:
    """Whether a PO file still carries ``X-Waymark-Review: unreviewed`` in its header."""
    return bool(_REVIEW_HEADER.search(po_text.split("\n\n", 1)[0]))


def _compile(po_path: Path) -> tuple[gettext.GNUTranslations, bool]:
    text = po_path.read_text(encoding="utf-8")
    try:
        catalog = read_po(io.StringIO(text), abort_invalid=True)
    except (PoFileError, ValueError) as exc:
        raise StartupError(f"{po_path}: cannot read catalog ({exc})") from None
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer), is_unreviewed(text)


class Catalogs:
    """Every shipped locale, the source language first."""

    def __init__(self, translators: dict[str, Translator]) -> None:
        self._translators = translators

    @classmethod
    def load(cls, locales_dir: Path) -> Catalogs:
        translators = {SOURCE_LANGUAGE: Translator(SOURCE_LANGUAGE, gettext.NullTranslations())}
        if locales_dir.is_dir():
            for po_path in sorted(locales_dir.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
                code = po_path.parent.parent.name
                try:
                    Locale.parse(code)
                except (UnknownLocaleError, ValueError):
                    raise StartupError(f"{po_path}: {code!r} is not a known locale") from None
                compiled, unreviewed = _compile(po_path)
                translators[code] = Translator(code, compiled, unreviewed)
        return cls(translators)

    @property
    def codes(self) -> list[str]:
        rest = sorted(code for code in self._translators if code != SOURCE_LANGUAGE)
        return [SOURCE_LANGUAGE, *rest]

    def get(self, code: str | None) -> Translator:
        if code and code in self._translators:
            return self._translators[code]
        return self._translators[SOURCE_LANGUAGE]

    def negotiate(self, telegram_code: str | None) -> str | None:
        """Map Telegram's language_code ("pt-br", "ar") to a shipped locale, if any."""
        if not telegram_code:
            return None
        wanted = telegram_code.replace("-", "_")
        return negotiate_locale([wanted, wanted.split("_")[0]], self.codes, sep="_")
