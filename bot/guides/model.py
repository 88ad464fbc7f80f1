"""The guides' content model: platforms, their guides, and the steps a person ticks off.

Content lives in ``content/guides/<platform>.yaml`` (see ``content/guides/README.md``); the
checker (``bot.guides.check``) validates it and builds these objects. Every text here is English
source text; screens translate it through ``pgettext`` with the contexts given by
:func:`field_context` and :func:`guide_context`.

Step ids are stable (``<platform>.<kind>.<slug>``): saved progress refers to them, so a step's
text may change but its id must not. A removed id is dropped from saved progress by
:func:`prune_progress`, never an error.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Literal, get_args

Tier = Literal["everyone", "higher_risk"]
Kind = Literal["security", "privacy", "leave", "before", "after"]
DoKey = Literal["all", "android", "ios", "web", "desktop"]

TIERS: tuple[Tier, ...] = get_args(Tier)
KINDS: tuple[Kind, ...] = get_args(Kind)
# Display order of the per-device instructions.
DO_KEYS: tuple[DoKey, ...] = get_args(DoKey)

# Kinds each file may hold. The detention plan has "before" and "after"; everything else
# (platforms and the phone guide) has security, privacy and leave.
DETENTION = "detention"
PHONE = "phone"
PLATFORM_KINDS: tuple[Kind, ...] = ("security", "privacy", "leave")
DETENTION_KINDS: tuple[Kind, ...] = ("before", "after")


def kinds_for(platform: str) -> tuple[Kind, ...]:
    return DETENTION_KINDS if platform == DETENTION else PLATFORM_KINDS


@dataclass(frozen=True)
class Step:
    id: str  # "<platform>.<kind>.<slug>", stable forever
    title: str
    tier: Tier
    do: tuple[tuple[DoKey, str], ...]  # in DO_KEYS order; at least one entry
    why: str
    limits: str  # what this step does NOT protect against; never empty
    source: str  # https URL of the text this step was checked against
    reviewed: date
    note: str | None = None  # differences by app version or country
    path: str = ""  # where the step was read from, for messages
    line: int = 0

    @property
    def essential(self) -> bool:
        return self.tier == "everyone"

    def instructions(self) -> dict[DoKey, str]:
        return dict(self.do)


@dataclass(frozen=True)
class Guide:
    platform: str
    kind: Kind
    title: str
    intro: str
    steps: tuple[Step, ...]

    @property
    def key(self) -> str:
        """``<platform>.<kind>``: the guide's stable id (and its translation context prefix)."""
        return f"{self.platform}.{self.kind}"

    def visible_steps(self, essentials_only: bool) -> tuple[Step, ...]:
        if not essentials_only:
            return self.steps
        return tuple(s for s in self.steps if s.essential)

    def step(self, step_id: str) -> Step | None:
        return next((s for s in self.steps if s.id == step_id), None)


@dataclass(frozen=True)
class Platform:
    slug: str  # stable; equals the file name without ".yaml"
    name: str
    guides: tuple[Guide, ...]  # in kinds_for(slug) order
    order: int = 100  # menu position; ties broken by slug
    source_domains: tuple[str, ...] = ()

    def guide(self, kind: str) -> Guide | None:
        return next((g for g in self.guides if g.kind == kind), None)

    @property
    def kinds(self) -> tuple[Kind, ...]:
        return tuple(g.kind for g in self.guides)


@dataclass(frozen=True)
class Catalog:
    platforms: tuple[Platform, ...]  # menu order

    def platform(self, slug: str) -> Platform | None:
        return next((p for p in self.platforms if p.slug == slug), None)

    def guide(self, platform: str, kind: str) -> Guide | None:
        found = self.platform(platform)
        return found.guide(kind) if found is not None else None

    def guides(self) -> Iterator[Guide]:
        for platform in self.platforms:
            yield from platform.guides

    def steps(self) -> Iterator[Step]:
        for guide in self.guides():
            yield from guide.steps

    def step(self, step_id: str) -> Step | None:
        return next((s for s in self.steps() if s.id == step_id), None)

    def guide_of(self, step_id: str) -> Guide | None:
        """The guide a step id belongs to (by its prefix), whether or not the step still exists."""
        platform, _, rest = step_id.partition(".")
        kind = rest.partition(".")[0]
        return self.guide(platform, kind)

    @property
    def step_ids(self) -> frozenset[str]:
        return frozenset(s.id for s in self.steps())


def known_step_ids(catalog: Catalog) -> frozenset[str]:
    """Every step id the shipped content has; saved progress may only keep these."""
    return catalog.step_ids


def prune_progress(progress: Iterable[str], catalog: Catalog) -> set[str]:
    """Saved progress without ids of steps that no longer exist (content was edited)."""
    known = catalog.step_ids
    return {step_id for step_id in progress if step_id in known}


def field_context(step_id: str, field: str) -> str:
    """pgettext context of a step's field: ``"signal.security.registration-lock|why"``.

    ``field`` is ``title``, ``why``, ``limits``, ``note`` or ``do.<key>`` (``do.android``).
    """
    return f"{step_id}|{field}"


def guide_context(guide_key: str, field: str) -> str:
    """pgettext context of a guide's field: ``"signal.security|title"`` / ``"|intro"``;
    a platform's name uses ``"<platform>|name"``."""
    return f"{guide_key}|{field}"
