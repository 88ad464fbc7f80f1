"""Render guides and steps as Telegram HTML pages. Pure: no I/O, no Telegram, no globals.

Every user-visible word goes through ``tr(context, text)`` (pgettext-style):

* a step's fields use the context ``"<step id>|<field>"`` (``"signal.security.pin|why"``,
  ``"...|do.android"``), see :func:`bot.guides.model.field_context`;
* a guide's title and intro use ``"<platform>.<kind>|title"`` / ``"|intro"``;
* the labels this module adds ("Why it matters", "Android", ...) use the context ``"guides"``;
  :data:`UI_MESSAGES` lists them all for extraction into the catalog.

Progress ("4 of 9 done") needs plural forms, which only the caller's catalog knows: pass
``progress=lambda done, total: ...`` (e.g. built on ``ngettext``) and the line is shown under the
guide's title on every page. Without it no progress line is drawn; ``Page.done`` and
``Page.total`` still carry the counts so the caller can show them in its own header or footer.

Content is escaped with :func:`html.escape` before any tag is added. A page's text is at most
:data:`PAGE_LIMIT` characters after tag removal and entity decoding (counted in UTF-16 code units,
as Telegram counts), leaving room under Telegram's 4096 for the caller's header and footer. Long
guides are split between steps; a step too long for one page is split between its fields, and a
field too long for a page (a long translation) between words.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from bot.guides.model import DoKey, Guide, Step, field_context, guide_context

Translate = Callable[[str, str], str]
FormatDate = Callable[[date], str]
Progress = Callable[[int, int], str]

PAGE_LIMIT = 3500
MAX_AGE_DAYS = 180
UI = "guides"  # pgettext context of this module's own labels

DONE_MARK = "✅"
TODO_MARK = "⬜"
STALE_MARK = "⚠️"

# The labels this module shows, for message extraction: (context, English text).
DO_LABELS: dict[DoKey, str] = {
    "all": "",
    "android": "Android",
    "ios": "iPhone",
    "web": "Web",
    "desktop": "Computer",
}
WHY = "Why it matters"
LIMITS = "What it does not protect"
NOTE = "Note"
SOURCE = "Source"
LAST_CHECKED = "last checked {date}"
STALE = "This step may be out of date. Check the source before you rely on it."
HIGHER_RISK = "for higher risk"
CONTINUED = "(continued)"
UI_MESSAGES: tuple[tuple[str, str], ...] = tuple(
    (UI, text) for text in (*[t for t in DO_LABELS.values() if t], WHY, LIMITS, NOTE, SOURCE,
                            LAST_CHECKED, STALE, HIGHER_RISK, CONTINUED))

_TAG = re.compile(r"<[^>]*>")


@dataclass(frozen=True)
class Page:
    text: str  # Telegram HTML (parse_mode="HTML")
    page: int  # 0-based, clamped into range
    pages: int
    step_ids_on_page: list[str] = field(default_factory=list)  # whole or in part, page order
    done: int = 0  # among the steps shown (essentials only, if asked)
    total: int = 0


def visible_length(text: str) -> int:
    """Length Telegram counts for an HTML message: tags removed, entities decoded, UTF-16."""
    return len(html.unescape(_TAG.sub("", text)).encode("utf-16-le")) // 2


def is_stale(reviewed: date, today: date, max_age_days: int = MAX_AGE_DAYS) -> bool:
    return (today - reviewed).days > max_age_days


@dataclass(frozen=True)
class _Block:
    """One line of a page: raw text (escaped here) between two pieces of trusted HTML."""

    before: str
    text: str
    after: str = ""

    def html(self) -> str:
        return f"{self.before}{html.escape(self.text, quote=False)}{self.after}"

    def size(self) -> int:
        return visible_length(self.html())

    def split(self, budget: int) -> list[_Block]:
        """This block cut between words into blocks of at most ``budget`` visible characters."""
        if self.size() <= budget:
            return [self]
        frame = visible_length(self.before + self.after)
        room = max(budget - frame, 20)
        chunks: list[str] = []
        current = ""
        for word in self.text.split(" "):
            candidate = f"{current} {word}" if current else word
            if _utf16(candidate) <= room:
                current = candidate
                continue
            if current:
                chunks.append(current)
            while _utf16(word) > room:  # a single word longer than a page: cut it
                cut = room
                while _utf16(word[:cut]) > room:
                    cut -= 1
                chunks.append(word[:cut])
                word = word[cut:]
            current = word
        if current:
            chunks.append(current)
        first = _Block(self.before, chunks[0], self.after)
        return [first, *(_Block("", chunk, self.after) for chunk in chunks[1:])]


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True)
class _Unit:
    step_id: str
    blocks: list[_Block]


class _Labels:
    def __init__(self, tr: Translate) -> None:
        self.tr = tr

    def ui(self, text: str) -> str:
        return self.tr(UI, text)


def _step_blocks(step: Step, number: int | None, done: bool, *, tr: Translate,
                 fmt_date: FormatDate, today: date, max_age_days: int) -> list[_Block]:
    labels = _Labels(tr)
    mark = DONE_MARK if done else TODO_MARK
    prefix = f"{number}. " if number is not None else ""
    title = tr(field_context(step.id, "title"), step.title)
    after = "</b>"
    if not step.essential:
        after += f" <i>({html.escape(labels.ui(HIGHER_RISK), quote=False)})</i>"
    blocks = [_Block(f"{mark} <b>{html.escape(prefix, quote=False)}", title, after)]
    for key, text in step.do:
        translated = tr(field_context(step.id, f"do.{key}"), text)
        label = DO_LABELS[key]
        before = f"<i>{html.escape(labels.ui(label), quote=False)}:</i> " if label else ""
        blocks.append(_Block(f"▸ {before}", translated))
    blocks.append(_Block(f"<b>{html.escape(labels.ui(WHY), quote=False)}:</b> ",
                         tr(field_context(step.id, "why"), step.why)))
    blocks.append(_Block(f"<b>{html.escape(labels.ui(LIMITS), quote=False)}:</b> ",
                         tr(field_context(step.id, "limits"), step.limits)))
    if step.note:
        blocks.append(_Block(f"<i>{html.escape(labels.ui(NOTE), quote=False)}:</i> ",
                             tr(field_context(step.id, "note"), step.note)))
    link = (f'<a href="{html.escape(step.source, quote=True)}">'
            f"{html.escape(labels.ui(SOURCE), quote=False)}</a> · ")
    checked = labels.ui(LAST_CHECKED)
    day = fmt_date(step.reviewed)
    # A translation that lost its placeholder still shows the date.
    checked = checked.replace("{date}", day) if "{date}" in checked else f"{checked} {day}"
    blocks.append(_Block(link, checked))
    if is_stale(step.reviewed, today, max_age_days):
        blocks.append(_Block(f"{STALE_MARK} <i>", labels.ui(STALE), "</i>"))
    return blocks


def _head(guide: Guide, page: int, tr: Translate, progress_line: str | None) -> str:
    title = _cap(tr(guide_context(guide.key, "title"), guide.title), 200)
    parts = [f"<b>{html.escape(title, quote=False)}</b>"]
    if page == 0:
        intro = _cap(tr(guide_context(guide.key, "intro"), guide.intro), 1200)
        parts.append(html.escape(intro, quote=False))
    if progress_line:
        parts.append(f"<i>{html.escape(_cap(progress_line, 200), quote=False)}</i>")
    return "\n".join(parts)


def _cap(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _paginate(units: Sequence[_Unit], head: Callable[[int], str],
              limit: int) -> list[tuple[str, list[str]]]:
    """Pack units into pages of at most ``limit`` visible characters, between units where
    possible, else between a unit's blocks (and within a block, between words)."""
    sep = "\n\n"
    pages: list[tuple[str, list[str]]] = []
    parts: list[str] = []  # html of the current page's units (or unit fragments)
    ids: list[str] = []

    def used() -> int:
        text = head(len(pages))
        return visible_length(sep.join([text, *parts]) if text else sep.join(parts))

    def flush() -> None:
        text = head(len(pages))
        pages.append((sep.join([text, *parts]) if text else sep.join(parts), list(ids)))
        parts.clear()
        ids.clear()

    def room() -> int:
        return limit - used() - (len(sep) if parts or head(len(pages)) else 0)

    for unit in units:
        whole = "\n".join(b.html() for b in unit.blocks)
        if visible_length(whole) > room() and parts:
            flush()
        if visible_length(whole) <= room():
            parts.append(whole)
            ids.append(unit.step_id)
            continue
        # Too long for a page of its own: split between blocks, continuing on fresh pages.
        fresh_room = limit - visible_length(head(1)) - len(sep) - 1
        pieces = [piece for block in unit.blocks for piece in block.split(fresh_room)]
        fragment: list[str] = []
        for piece in pieces:
            candidate = "\n".join([*fragment, piece.html()])
            first_page_short = not pages and visible_length(head(0)) > visible_length(head(1))
            if visible_length(candidate) > room() and (fragment or parts or first_page_short):
                if fragment:
                    parts.append("\n".join(fragment))
                    ids.append(unit.step_id)
                flush()
                fragment = []
            fragment.append(piece.html())
        if fragment:
            parts.append("\n".join(fragment))
            ids.append(unit.step_id)
    if parts or not pages:
        flush()
    return pages


def render_checklist_page(
    guide: Guide,
    done: set[str] | frozenset[str],
    page: int,
    *,
    tr: Translate,
    fmt_date: FormatDate,
    essentials_only: bool,
    today: date | None = None,
    max_age_days: int = MAX_AGE_DAYS,
    progress: Progress | None = None,
    limit: int = PAGE_LIMIT,
) -> Page:
    """One page of a guide: its title, intro (first page), progress, and whole steps.

    ``page`` is 0-based and clamped into range; ``essentials_only`` shows only everyone-tier
    steps (numbering and progress count only the steps shown).
    """
    today = today or date.today()
    steps = guide.visible_steps(essentials_only)
    finished = sum(1 for s in steps if s.id in done)
    progress_line = progress(finished, len(steps)) if progress is not None else None
    units = [
        _Unit(s.id, _step_blocks(s, number, s.id in done, tr=tr, fmt_date=fmt_date,
                                 today=today, max_age_days=max_age_days))
        for number, s in enumerate(steps, start=1)
    ]
    pages = _paginate(units, lambda index: _head(guide, index, tr, progress_line), limit)
    index = min(max(page, 0), len(pages) - 1)
    text, ids = pages[index]
    return Page(text, index, len(pages), ids, finished, len(steps))


def render_step(
    step: Step,
    page: int = 0,
    *,
    done: bool,
    tr: Translate,
    fmt_date: FormatDate,
    number: int | None = None,
    today: date | None = None,
    max_age_days: int = MAX_AGE_DAYS,
    limit: int = PAGE_LIMIT,
) -> Page:
    """One step on its own (a "step" screen); almost always one page, split between fields if a
    translation makes it too long. ``number`` is its position in the guide, if shown."""
    today = today or date.today()
    unit = _Unit(step.id, _step_blocks(step, number, done, tr=tr, fmt_date=fmt_date,
                                       today=today, max_age_days=max_age_days))
    pages = _paginate([unit], lambda index: "", limit)
    index = min(max(page, 0), len(pages) - 1)
    text, ids = pages[index]
    return Page(text, index, len(pages), ids, int(done), 1)


def button_label(step: Step, number: int, done: bool, *, tr: Translate,
                 max_chars: int = 40) -> str:
    """Plain text for an inline button toggling or opening a step: "✅ 3. Set a PIN"."""
    title = tr(field_context(step.id, "title"), step.title)
    mark = DONE_MARK if done else TODO_MARK
    return _cap(f"{mark} {number}. {title}", max_chars)
