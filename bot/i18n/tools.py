"""The translation workflow behind ``waymark i18n``: extract, init, update, status and check.

Everything works on babel's catalog objects in memory; nothing shells out to pybabel or gettext,
so the same functions run in tests, in CI and on a volunteer's laptop with only the project's
dependencies installed. The PO file a translator edits stays the only truth: ``update`` merges
the template into it, never the other way round.

Two kinds of strings share one catalog:

* interface strings, found in ``bot/**/*.py`` (``tr._``, ``tr.ngettext``, ``tr.pgettext``) and
  the guide renderer's labels; a locale is only offered once these are complete;
* content strings, from ``content/guides/*.yaml`` (context ``"<step id>|<field>"``) and
  ``content/regions.yaml`` (context ``"region"``); each one falls back to English on its own.

They are told apart by where they come from (the location comment), or, for an entry without
one, by its context. See docs/translating.md for the volunteer's side of this.
"""

from __future__ import annotations

import difflib
import html
import io
import re
import string
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from babel import Locale, UnknownLocaleError
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import (
    PoFileError,
    escape,
    normalize,
    read_po,
    unescape,
    write_po,
)

from bot.config import project_root
from bot.errors import StartupError
from bot.guides.check import Problem  # one `file:line: message` shape for every checker
from bot.i18n.catalogs import DOMAIN, REVIEW_HEADER, SOURCE_LANGUAGE, is_unreviewed

PROJECT = "Waymark"
VERSION = "0.1"
BUGS_ADDRESS = "translators@waymark.invalid"
TEMPLATE = f"{DOMAIN}.pot"
REGION_CONTEXT = "region"
WIDTH = 76  # GNU gettext's wrapping, so Poedit and Weblate rewrite few lines

# What the code calls: tr._(text), tr.ngettext(singular, plural, n), tr.pgettext(context, text).
KEYWORDS: dict[str, Any] = {"_": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2)}
COMMENT_TAGS = ("Translators:",)

# Telegram-facing limits of guide content, as the guide checker enforces them for English.
MAX_TITLE = 60
MAX_FIELD = 400
TITLE_FIELDS = ("title", "name")

_HEADER_COMMENT = (
    "# {title} for Waymark.\n"
    "# This file is distributed under the same license as the Waymark project.\n"
    "# See docs/translating.md before you edit it.\n"
    "#"
)
# Header fields babel itself reads and writes; any other (X-Waymark-Review, X-Generator from
# Poedit or Weblate) would be dropped by a babel round trip, so they are carried over by hand.
_BABEL_HEADERS = frozenset(
    {
        "project-id-version",
        "report-msgid-bugs-to",
        "pot-creation-date",
        "po-revision-date",
        "last-translator",
        "language",
        "language-team",
        "plural-forms",
        "mime-version",
        "content-type",
        "content-transfer-encoding",
        "generated-by",
    }
)
_CREATION_LINE = re.compile(r'^"POT-Creation-Date: [^"]*"\n', re.MULTILINE)
FUZZY_CUTOFF = 0.6  # difflib ratio above which a changed string keeps its old translation


class I18nError(Exception):
    """A workflow step cannot run (unknown locale, missing template, unreadable file)."""


# --- paths -------------------------------------------------------------------------------


def locales_dir(root: Path) -> Path:
    return root / "locales"


def template_path(root: Path) -> Path:
    return locales_dir(root) / TEMPLATE


def po_path(root: Path, lang: str) -> Path:
    return locales_dir(root) / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def locale_codes(root: Path) -> list[str]:
    """Every locale with a catalog, in the order Catalogs.load finds them."""
    found = locales_dir(root).glob(f"*/LC_MESSAGES/{DOMAIN}.po")
    return sorted(p.parent.parent.name for p in found)


def _location(path: str, line: int | None) -> tuple[str, int]:
    """babel accepts a location without a line number, though its type hints do not say so."""
    return cast(tuple[str, int], (path, line))


def _rel(root: Path, path: str | Path) -> str:
    try:
        return Path(path).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return Path(path).as_posix()


# --- classification ----------------------------------------------------------------------


def is_content(message: Message) -> bool:
    """Guide and region text (may stay English) as opposed to interface text (must not)."""
    if message.locations:
        return all(not path.endswith(".py") for path, _ in message.locations)
    context = message.context or ""
    return context == REGION_CONTEXT or "|" in context


def is_translated(message: Message) -> bool:
    if isinstance(message.string, (list, tuple)):
        return bool(message.string) and all(message.string)
    return bool(message.string)


def _key(message: Message) -> tuple[str, str | None]:
    msgid = message.id if isinstance(message.id, str) else message.id[0]
    return msgid, message.context


def _singular(msgid: str | tuple[str, ...] | list[str]) -> str:
    return msgid if isinstance(msgid, str) else msgid[0]


# --- extract -----------------------------------------------------------------------------


def _interface_messages(root: Path) -> list[Message]:
    """Strings passed to tr._ / ngettext / pgettext in bot/**/*.py, in file and line order."""
    source = root / "bot"
    found: dict[tuple[str, str | None], Message] = {}
    if not source.is_dir():
        return []
    for filename, lineno, msgid, comments, context in extract_from_dir(
        source, [("**.py", "python")], keywords=KEYWORDS, comment_tags=COMMENT_TAGS
    ):
        if not msgid or not _singular(msgid):
            continue
        location = (f"bot/{Path(filename).as_posix()}", lineno)
        key = (_singular(msgid), context)
        if key in found:
            old = found[key]
            old.locations.append(location)
            old.auto_comments.extend(c for c in comments if c not in old.auto_comments)
            continue
        found[key] = Message(
            msgid, locations=[location], auto_comments=list(comments), context=context
        )
    return sorted(
        found.values(), key=lambda m: (m.locations[0], _singular(m.id), m.context or "")
    )


def _limit_note(context: str) -> str:
    field_name = context.rsplit("|", 1)[-1]
    limit = MAX_TITLE if field_name in TITLE_FIELDS else MAX_FIELD
    return f"Guide text ({field_name}): at most {limit} characters."


def _guide_messages(root: Path) -> list[Message]:
    """Every guide string with the context the renderer translates it with."""
    from bot.guides import iter_messages, load_catalog

    directory = root / "content" / "guides"
    if not directory.is_dir():
        return []
    try:
        catalog = load_catalog(directory)
    except StartupError as exc:
        raise I18nError(f"cannot read the guides: {exc}") from None
    messages: list[Message] = []
    for item in iter_messages(catalog):
        if item.location.endswith(".py"):  # the renderer's own labels: interface strings
            messages.append(Message(item.text, locations=[_location(item.location, None)],
                                    context=item.context))
            continue
        if item.location:
            path, _, line = item.location.rpartition(":")
            location = _location(_rel(root, path), int(line))
        else:
            platform = item.context.split("|", 1)[0].split(".", 1)[0]
            location = _location(_rel(root, directory / f"{platform}.yaml"), None)
        messages.append(Message(item.text, locations=[location], context=item.context,
                                auto_comments=[_limit_note(item.context)]))
    return messages


def _region_messages(root: Path) -> list[Message]:
    from bot.regions import load_regions

    path = root / "content" / "regions.yaml"
    if not path.is_file():
        return []
    try:
        regions = load_regions(path)
    except StartupError as exc:
        raise I18nError(f"cannot read the regions: {exc}") from None
    lines = path.read_text(encoding="utf-8").splitlines()

    def line_of(code: str) -> int | None:
        pattern = re.compile(rf"\bcode:\s*['\"]?{re.escape(code)}['\"]?\s*[,}}]?\s*$")
        return next((i + 1 for i, text in enumerate(lines) if pattern.search(text)), None)

    def walk(parent: str | None) -> Iterator[Message]:
        for region in regions.children(parent):
            yield Message(
                region.name,
                locations=[_location(_rel(root, path), line_of(region.code))],
                context=REGION_CONTEXT,
                auto_comments=[f"Name of the region {region.code}."],
            )
            yield from walk(region.code)

    return list(walk(None))


def extract(root: Path | None = None, *, write: bool = True) -> Catalog:
    """Build the template from code and content; write locales/messages.pot if it changed.

    The file is left untouched (same creation date) when nothing but the date would differ, so
    running extract on unchanged code produces no diff.
    """
    root = root or project_root()
    catalog = Catalog(
        project=PROJECT,
        version=VERSION,
        msgid_bugs_address=BUGS_ADDRESS,
        copyright_holder="Waymark contributors",
        header_comment=_HEADER_COMMENT.format(title="Translations template"),
        fuzzy=True,
    )
    for message in [*_interface_messages(root), *_guide_messages(root), *_region_messages(root)]:
        key = _key(message)
        existing = catalog.get(key[0], key[1])
        if existing is not None:
            existing.locations.extend(
                loc for loc in message.locations if loc not in existing.locations
            )
            continue
        catalog[message.id] = message
    if write:
        path = template_path(root)
        path.parent.mkdir(parents=True, exist_ok=True)
        text = render(catalog)
        if path.is_file():
            old = path.read_text(encoding="utf-8")
            if _CREATION_LINE.sub("", old) == _CREATION_LINE.sub("", text):
                catalog.creation_date = read_po(io.StringIO(old)).creation_date
                return catalog
        path.write_text(text, encoding="utf-8")
    return catalog


# --- reading and writing -----------------------------------------------------------------


def render(catalog: Catalog, extra_headers: Iterable[tuple[str, str]] = ()) -> str:
    """A catalog as PO text, with header fields babel does not know appended to the header."""
    # babel wraps "#| msgid" comments as prose, which garbles long strings: write a token and
    # put the properly quoted lines in its place afterwards.
    previous: dict[str, str] = {}
    for message in catalog:
        if not message.id:
            continue
        if not message.fuzzy:
            message.previous_id = []
        tokens = []
        for text in message.previous_id:
            token = f"@@previous-{len(previous)}@@"
            previous[token] = text
            tokens.append(token)
        message.previous_id = tokens
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=WIDTH, include_previous=True)
    text = buffer.getvalue().decode("utf-8")
    for message in catalog:
        if message.id:
            message.previous_id = [previous[t] for t in message.previous_id]
    if previous:
        text = _PREVIOUS_TOKEN.sub(lambda m: _previous_lines(m[1], previous[m[2]]), text)
    extras = [escape(f"{name}: {value}\n") for name, value in extra_headers]
    if not extras:
        return text
    head, sep, rest = text.partition("\n\n")
    return head + "\n" + "\n".join(extras) + sep + rest


_PREVIOUS_TOKEN = re.compile(r'^#\| (msgid|msgid_plural) "(@@previous-\d+@@)"$', re.MULTILINE)


def _previous_lines(keyword: str, text: str) -> str:
    lines = normalize(text, width=WIDTH).split("\n")
    return "\n".join([f"#| {keyword} {lines[0]}", *(f"#| {line}" for line in lines[1:])])


def header_fields(text: str) -> list[tuple[str, str]]:
    """The header entry's fields, in order, read from the raw PO text."""
    lines = text.splitlines()
    fields: list[tuple[str, str]] = []
    try:
        start = next(i for i, line in enumerate(lines) if line.startswith('msgid ""'))
    except StopIteration:
        return fields
    if start + 1 >= len(lines) or not lines[start + 1].startswith("msgstr"):
        return fields
    parts = [lines[start + 1][len("msgstr"):].strip()]
    for line in lines[start + 2:]:
        if not line.startswith('"'):
            break
        parts.append(line.strip())
    value = "".join(unescape(p) for p in parts if p.startswith('"'))
    for row in value.split("\n"):
        name, sep, content = row.partition(":")
        if sep and name.strip():
            fields.append((name.strip(), content.strip()))
    return fields


def extra_headers(text: str) -> list[tuple[str, str]]:
    return [(k, v) for k, v in header_fields(text) if k.lower() not in _BABEL_HEADERS]


def read_catalog(path: Path) -> tuple[Catalog, str]:
    """A PO file as babel reads it, plus its raw text (for the headers babel drops)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise I18nError(f"{path}: cannot read ({exc})") from None
    clean, previous = _split_previous(text)
    try:
        catalog = read_po(io.StringIO(clean), abort_invalid=True)
    except (PoFileError, ValueError) as exc:
        raise I18nError(f"{path}: not a valid PO file ({exc})") from None
    for message in catalog:
        if message.id and message.lineno in previous:
            message.previous_id = previous[message.lineno]
    return catalog, text


def _split_previous(text: str) -> tuple[str, dict[int, list[str]]]:
    """Take out ``#|`` (previous msgid) comments, which babel would misread as user comments.

    They are blanked rather than removed, so babel's line numbers still point into the file;
    the returned map gives each entry's previous msgid by the line of its ``msgid``.
    """
    lines = text.split("\n")
    previous: dict[int, list[str]] = {}
    pending: list[str] = []
    for index, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith("#~|"):
            lines[index] = ""
        elif stripped.startswith("#|"):
            pending.append(stripped[2:].strip())
            lines[index] = ""
        elif stripped.startswith("msgid "):
            if pending:
                ids = _previous_ids(pending)
                if ids:
                    previous[index + 1] = ids
            pending = []
    return "\n".join(lines), previous


def _previous_ids(lines: list[str]) -> list[str]:
    parts: dict[str, str] = {}
    keyword = ""
    for line in lines:
        if line.startswith('"') and keyword:
            parts[keyword] += unescape(line)
            continue
        keyword, _, value = line.partition(" ")
        parts[keyword] = unescape(value.strip()) if value.strip().startswith('"') else ""
    ids = [parts.get("msgid", "")]
    if parts.get("msgid_plural"):
        ids.append(parts["msgid_plural"])
    return ids if ids[0] else []


def _write_if_changed(path: Path, text: str) -> bool:
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return True


def _template(root: Path) -> Catalog:
    path = template_path(root)
    if not path.is_file():
        raise I18nError(f"{path} does not exist: run `waymark i18n extract` first")
    return read_catalog(path)[0]


# --- init --------------------------------------------------------------------------------


def init(lang: str, root: Path | None = None) -> Path:
    """Start a catalog for a new language from the template, marked as not yet reviewed."""
    root = root or project_root()
    if "-" in lang:
        raise I18nError(f"write the locale code with '_' (as in pt_BR), not {lang!r}")
    try:
        locale = Locale.parse(lang)
    except (UnknownLocaleError, ValueError):
        raise I18nError(f"{lang!r} is not a locale code babel knows (try 'sw' or 'pt_BR')") \
            from None
    if str(locale) != lang:
        raise I18nError(f"write the locale code as {str(locale)!r}, not {lang!r}")
    if lang == SOURCE_LANGUAGE:
        raise I18nError(f"{lang!r} is the source language; it needs no catalog")
    path = po_path(root, lang)
    if path.exists():
        raise I18nError(f"{path} already exists: use `waymark i18n update`")
    template = _template(root)
    english = locale.english_name or lang
    catalog = Catalog(
        locale=locale,
        domain=DOMAIN,
        project=PROJECT,
        version=VERSION,
        msgid_bugs_address=BUGS_ADDRESS,
        copyright_holder="Waymark contributors",
        header_comment=_HEADER_COMMENT.format(title=f"{english} translations"),
        creation_date=template.creation_date,
        revision_date=datetime.now(UTC),
        last_translator=f"{english} volunteers <{BUGS_ADDRESS}>",
        language_team=f"{english} volunteers <{BUGS_ADDRESS}>",
        fuzzy=False,
    )
    for message in template:
        if message.id:
            catalog[message.id] = _blank(message, catalog.num_plurals)
    _write_if_changed(path, render(catalog, [(REVIEW_HEADER, "unreviewed")]))
    return path


def _blank(message: Message, num_plurals: int) -> Message:
    clone = message.clone()
    clone.string = ("",) * num_plurals if isinstance(message.id, (list, tuple)) else ""
    clone.flags.discard("fuzzy")
    return clone


# --- update ------------------------------------------------------------------------------


@dataclass
class UpdateResult:
    lang: str
    added: int = 0  # new source strings, untranslated
    fuzzy: list[str] = field(default_factory=list)  # changed source strings (new msgids)
    obsolete: int = 0  # translations whose source string is gone (kept as #~)
    written: bool = False


def _adapt(old: Any, new_id: Any, num_plurals: int) -> str | tuple[str, ...]:
    """An old translation reshaped for a new msgid that may have gained or lost a plural."""
    forms = list(old) if isinstance(old, (list, tuple)) else [old or ""]
    if isinstance(new_id, (list, tuple)):
        return tuple((forms + [""] * num_plurals)[:num_plurals])
    return forms[0] if forms else ""


def _merge_catalog(catalog: Catalog, template: Catalog, lang: str) -> UpdateResult:
    """Merge so that exactly the entries whose English changed become fuzzy.

    babel's own fuzzy matching compares a new string with every translated one, including
    strings still in use, and ignores context, so an added guide step could borrow an unrelated
    translation. Here a new string may only inherit from a string that disappeared in this same
    run: the same guide field (same context, "<step id>|why"), else the most similar string
    with the same context.
    """
    result = UpdateResult(lang)
    before = {_key(m): m for m in catalog if m.id}
    old_obsolete = dict(catalog.obsolete)
    catalog.update(template, no_fuzzy_matching=True, update_creation_date=True)
    # A fuzzy entry keeps the English it was translated from, so the translator sees the diff.
    for message in catalog:
        old = before.get(_key(message)) if message.id else None
        if old is not None and old.fuzzy and old.previous_id:
            message.previous_id = list(old.previous_id)
    new = [m for m in catalog if m.id and _key(m) not in before]
    gone = {
        k: m for k, m in catalog.obsolete.items()
        if k not in old_obsolete and is_translated(m)
    }
    # Strings that came back exactly as they were keep their old translation.
    for message in new[:]:
        revived = _obsolete_match(catalog, message)
        if revived is not None:
            message.string = _adapt(revived.string, message.id, catalog.num_plurals)
            if revived.fuzzy:
                message.flags.add("fuzzy")
            new.remove(message)
    pairs: list[tuple[Message, Message]] = []
    by_context = {m.context: m for m in gone.values() if m.context and "|" in m.context}
    for message in new[:]:
        if message.context and "|" in message.context and message.context in by_context:
            pairs.append((message, by_context.pop(message.context)))
            new.remove(message)
    left = [m for m in gone.values() if not any(m is old for _, old in pairs)]
    scored = sorted(
        (
            (_similarity(m, old), i, j)
            for i, m in enumerate(new)
            for j, old in enumerate(left)
            if m.context == old.context
        ),
        reverse=True,
    )
    used_new: set[int] = set()
    used_old: set[int] = set()
    for ratio, i, j in scored:
        if ratio < FUZZY_CUTOFF or i in used_new or j in used_old:
            continue
        used_new.add(i)
        used_old.add(j)
        pairs.append((new[i], left[j]))
    for message, old in pairs:
        message.string = _adapt(old.string, message.id, catalog.num_plurals)
        message.flags.add("fuzzy")
        message.previous_id = [old.id] if isinstance(old.id, str) else list(old.id)
        if old.user_comments:
            message.user_comments = list(old.user_comments)
        _drop_obsolete(catalog, old)
        result.fuzzy.append(_singular(message.id))
    # An entry in use must never also be written as obsolete: msgfmt rejects the duplicate.
    active = {_key(m) for m in catalog if m.id}
    for obsolete_key, obsolete in list(catalog.obsolete.items()):
        if _key(obsolete) in active:
            del catalog.obsolete[obsolete_key]
    paired = {id(m) for m, _ in pairs}
    result.added = sum(1 for m in catalog if m.id and _key(m) not in before
                       and id(m) not in paired)
    result.obsolete = sum(1 for k in catalog.obsolete if k not in old_obsolete)
    return result


def _obsolete_match(catalog: Catalog, message: Message) -> Message | None:
    for old in catalog.obsolete.values():
        if _key(old) == _key(message) and is_translated(old):
            return old
    return None


def _drop_obsolete(catalog: Catalog, message: Message) -> None:
    for obsolete_key, obsolete in list(catalog.obsolete.items()):
        if obsolete is message:
            del catalog.obsolete[obsolete_key]


def _similarity(a: Message, b: Message) -> float:
    return difflib.SequenceMatcher(
        None, _singular(a.id).lower().strip(), _singular(b.id).lower().strip()
    ).ratio()


def update(root: Path | None = None, langs: Iterable[str] | None = None) -> list[UpdateResult]:
    """Merge the template into every catalog (or the ones named); files change only if needed."""
    root = root or project_root()
    template = _template(root)
    results = []
    for lang in langs or locale_codes(root):
        path = po_path(root, lang)
        catalog, text = read_catalog(path)
        result = _merge_catalog(catalog, template, lang)
        result.written = _write_if_changed(path, render(catalog, extra_headers(text)))
        results.append(result)
    return results


# --- status ------------------------------------------------------------------------------


@dataclass
class Counts:
    translated: int = 0
    fuzzy: int = 0  # stale: the English changed since this was translated; shown in English
    missing: int = 0

    @property
    def total(self) -> int:
        return self.translated + self.fuzzy + self.missing

    @property
    def percent(self) -> float:
        return 100.0 * self.translated / self.total if self.total else 100.0

    def add(self, message: Message) -> None:
        if message.fuzzy and is_translated(message):
            self.fuzzy += 1
        elif message.fuzzy or not is_translated(message):
            self.missing += 1
        else:
            self.translated += 1


@dataclass
class LocaleStatus:
    lang: str
    unreviewed: bool
    interface: Counts = field(default_factory=Counts)
    content: Counts = field(default_factory=Counts)


def status(root: Path | None = None) -> list[LocaleStatus]:
    """Per locale: interface and content completeness, and whether a native speaker reviewed it."""
    root = root or project_root()
    found = []
    for lang in locale_codes(root):
        catalog, text = read_catalog(po_path(root, lang))
        entry = LocaleStatus(lang, is_unreviewed(text))
        for message in catalog:
            if message.id:
                (entry.content if is_content(message) else entry.interface).add(message)
        found.append(entry)
    return found


# --- check -------------------------------------------------------------------------------




_PERCENT = re.compile(
    r"%(?:\((?P<name>\w*)\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?(?P<conv>[diouxXeEfFgGcrs%])"
)
_TAG = re.compile(r"<\s*(/?)\s*([A-Za-z][\w-]*)\b[^<>]*?(/?)\s*>")
_COMMAND = re.compile(r"(?<![\w/.:])/[a-z][a-z0-9_]*\b")
_ISOLATE_OPEN = ("\u2066", "\u2067", "\u2068")
_ISOLATE_CLOSE = "\u2069"
_HTML_CONTEXT_TAGS = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
    "tg-spoiler", "span", "blockquote", "tg-emoji",
}


def _brace_fields(text: str) -> Counter[str] | None:
    """Replacement fields of a str.format string, or None if the braces do not parse."""
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError:
        return None
    return Counter(name for _, name, _, _ in parsed if name is not None)


def _percent_fields(text: str) -> Counter[str]:
    return Counter(
        f"%({m['name']}){m['conv']}" if m["name"] is not None else f"%{m['conv']}"
        for m in _PERCENT.finditer(text)
        if m["conv"] != "%"
    )


def _tags(text: str) -> list[tuple[str, str]]:
    return [(m[1], m[2].lower()) for m in _TAG.finditer(text) if not m[3]]


def _tag_problem(source: str, translation: str) -> str | None:
    wanted, got = _tags(source), _tags(translation)
    stack: list[str] = []
    for closing, name in got:
        if not closing:
            stack.append(name)
        elif not stack or stack.pop() != name:
            return f"HTML tag </{name}> closes a tag that is not open"
    if stack:
        return f"HTML tag <{stack[-1]}> is never closed"
    if Counter(wanted) != Counter(got):
        show = " ".join(f"<{c}{n}>" for c, n in got) or "none"
        need = " ".join(f"<{c}{n}>" for c, n in wanted) or "none"
        return f"HTML tags differ from the English: has {show}, needs {need}"
    if wanted and any(n in _HTML_CONTEXT_TAGS for _, n in wanted):
        bare = _TAG.sub("", translation)
        if "<" in bare or ">" in bare:
            return "a '<' or '>' that is not a tag: write &lt; or &gt; (this text is HTML)"
    return None


def _field_limit(context: str | None) -> int | None:
    if not context or "|" not in context:
        return None
    name = context.rsplit("|", 1)[-1]
    if name in TITLE_FIELDS:
        return MAX_TITLE
    return MAX_FIELD


def utf16_length(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units), tags and entities not counted."""
    visible = html.unescape(_TAG.sub("", text))
    return len(visible.encode("utf-16-le")) // 2


def message_problems(message: Message) -> list[str]:
    """What is wrong with one translated, non-fuzzy entry (fuzzy ones are never shown)."""
    if not message.id or message.fuzzy:
        return []
    sources = [message.id] if isinstance(message.id, str) else list(message.id)
    if isinstance(message.string, (list, tuple)):
        translations = list(message.string)
    else:
        translations = [message.string or ""]
    if not any(translations):
        return []  # missing, not wrong: the English is shown
    problems: list[str] = []
    plural = len(sources) > 1
    if plural:
        for index, text in enumerate(translations):
            if not text:
                problems.append(f"plural form {index} is empty while others are translated")
    brace_source: Counter[str] = Counter()
    percent_source: Counter[str] = Counter()
    for source in sources:
        brace_source |= _brace_fields(source) or Counter()
        percent_source |= _percent_fields(source)
    source_is_format = _brace_fields(sources[0]) is not None
    for index, text in enumerate(translations):
        if not text:
            continue
        source = sources[min(index, len(sources) - 1)]
        where = f"plural form {index}: " if plural else ""
        fields = _brace_fields(text)
        if fields is None:
            if source_is_format and brace_source:
                problems.append(f"{where}unbalanced {{ }} braces")
        elif fields != brace_source and (brace_source or fields):
            unknown = sorted(set(fields) - set(brace_source))
            lost = sorted(set(brace_source) - set(fields))
            if unknown:
                problems.append(
                    f"{where}placeholder {', '.join('{' + n + '}' for n in unknown)} "
                    "is not in the English (keep placeholders exactly as written)"
                )
            if lost and not (plural and index < len(translations) - 1 and len(lost) == 1
                             and not unknown):
                problems.append(
                    f"{where}placeholder {', '.join('{' + n + '}' for n in lost)} "
                    "is missing (copy it unchanged into the translation)"
                )
        if "python-format" in message.flags and _percent_fields(text) != percent_source:
            problems.append(f"{where}%-placeholders differ from the English")
        tag = _tag_problem(source, text)
        if tag:
            problems.append(where + tag)
        commands = set(_COMMAND.findall(_TAG.sub(" ", source)))
        for command in sorted(commands - set(_COMMAND.findall(_TAG.sub(" ", text)))):
            problems.append(f"{where}command {command} must stay as written (do not translate)")
        if PROJECT in source and PROJECT not in text:
            problems.append(f"{where}keep the name {PROJECT} in Latin letters")
        for edge, name in ((source.startswith("\n"), "start"), (source.endswith("\n"), "end")):
            ends = text.startswith("\n") if name == "start" else text.endswith("\n")
            if edge != ends:
                problems.append(f"{where}the English {'does' if edge else 'does not'} "
                                f"{name} with a line break; the translation must match")
        if sum(text.count(c) for c in _ISOLATE_OPEN) != text.count(_ISOLATE_CLOSE):
            problems.append(f"{where}unbalanced direction isolates (U+2066..U+2069)")
        limit = _field_limit(message.context) if is_content(message) else None
        if limit is not None and utf16_length(text) > limit:
            problems.append(
                f"{where}{utf16_length(text)} characters; Telegram screens allow {limit} here"
            )
    return problems


def check_file(path: Path, root: Path | None = None) -> list[Problem]:
    root = root or project_root()
    shown = _rel(root, path)
    try:
        catalog, text = read_catalog(path)
    except I18nError as exc:
        return [Problem(shown, 1, str(exc).removeprefix(f"{path}: "))]
    problems: list[Problem] = []
    lang = path.parent.parent.name
    try:
        Locale.parse(lang)
    except (UnknownLocaleError, ValueError):
        problems.append(Problem(shown, 1, f"{lang!r} is not a known locale code"))
    if catalog.locale is not None and str(catalog.locale) != lang:
        problems.append(Problem(shown, 1, f"header says Language: {catalog.locale}, "
                                          f"but the folder is {lang}"))
    for name, value in extra_headers(text):
        if name == REVIEW_HEADER and value != "unreviewed":
            problems.append(Problem(shown, 1, f"{REVIEW_HEADER} can only be 'unreviewed'; "
                                              "remove the line once a reviewer has checked"))
    for message in catalog:
        for problem in message_problems(message):
            problems.append(Problem(shown, message.lineno or 1, problem))
    return problems


def check(root: Path | None = None) -> dict[str, list[Problem]]:
    """Problems per locale; an empty list means the catalog is safe to ship."""
    root = root or project_root()
    return {lang: check_file(po_path(root, lang), root) for lang in locale_codes(root)}
