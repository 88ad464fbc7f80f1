"""Every translatable string of the guides, for the i18n layer's extraction into messages.pot.

Babel cannot find these by scanning code: content strings live in YAML and the renderer's labels
are passed to an injected ``tr``. ``iter_messages`` yields each one with the pgettext context the
renderer uses, so a PO entry written for it is found at runtime.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from bot.guides.model import Catalog, field_context, guide_context
from bot.guides.render import UI_MESSAGES


@dataclass(frozen=True)
class Message:
    context: str  # pgettext context, e.g. "signal.security.registration-lock|why"
    text: str  # English source (msgid)
    location: str  # "content/guides/signal.yaml:12", for translators' reference ("" for labels)


def iter_messages(catalog: Catalog) -> Iterator[Message]:
    for context, text in UI_MESSAGES:
        yield Message(context, text, "bot/guides/render.py")
    for platform in catalog.platforms:
        yield Message(guide_context(platform.slug, "name"), platform.name, "")
        for guide in platform.guides:
            yield Message(guide_context(guide.key, "title"), guide.title, "")
            yield Message(guide_context(guide.key, "intro"), guide.intro, "")
            for step in guide.steps:
                where = f"{step.path}:{step.line}"
                yield Message(field_context(step.id, "title"), step.title, where)
                for key, text in step.do:
                    yield Message(field_context(step.id, f"do.{key}"), text, where)
                yield Message(field_context(step.id, "why"), step.why, where)
                yield Message(field_context(step.id, "limits"), step.limits, where)
                if step.note:
                    yield Message(field_context(step.id, "note"), step.note, where)
