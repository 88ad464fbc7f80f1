"""Validate guide content and build the catalog from it.

``check_content`` never raises on bad content: it returns every problem it finds as
``path:line: message``. ``load_catalog`` is what the bot calls at start: it refuses content with
errors (one :class:`~bot.errors.StartupError` listing them) and returns the :class:`Catalog`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

from bot.errors import StartupError
from bot.guides.loader import KeyPath, LoadedFile, load_directory
from bot.guides.model import (
    DO_KEYS,
    TIERS,
    Catalog,
    DoKey,
    Guide,
    Kind,
    Platform,
    Step,
    Tier,
    kinds_for,
)

CONTENT_DIR = Path(__file__).resolve().parents[2] / "content" / "guides"
MAX_AGE_DAYS = 180
MAX_TITLE = 60
MAX_FIELD = 400

SLUG = re.compile(r"^[a-z][a-z0-9-]{0,30}$")
STEP_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,40}$")
DOMAIN = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)+$")

FILE_KEYS = {"platform": True, "name": True, "source_domains": True, "order": False,
             "guides": True}
GUIDE_KEYS = {"title": True, "intro": True, "steps": True}
STEP_KEYS = {"id": True, "title": True, "tier": True, "do": True, "why": True, "limits": True,
             "source": True, "reviewed": True, "note": False}


@dataclass(frozen=True)
class Problem:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass
class CheckReport:
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    catalog: Catalog = field(default_factory=lambda: Catalog(()))  # the valid parts

    @property
    def ok(self) -> bool:
        return not self.errors


class _FileChecker:
    def __init__(self, loaded: LoadedFile, report: CheckReport, today: date, max_age_days: int,
                 seen_ids: dict[str, str]) -> None:
        self.loaded = loaded
        self.report = report
        self.today = today
        self.max_age_days = max_age_days
        self.seen_ids = seen_ids
        self.path = str(loaded.path)

    # -- reporting ------------------------------------------------------------------------------

    def error(self, at: KeyPath, message: str, *, key: bool = False) -> None:
        line = self.loaded.key_line(at) if key else self.loaded.line(at)
        self.report.errors.append(Problem(self.path, line, message))

    def warn(self, at: KeyPath, message: str) -> None:
        self.report.warnings.append(Problem(self.path, self.loaded.line(at), message))

    def keys(self, value: dict[str, Any], at: KeyPath, allowed: dict[str, bool],
             what: str) -> bool:
        """Unknown keys and missing required keys; False if a required key is missing."""
        complete = True
        for key in value:
            if key not in allowed:
                self.error((*at, key), f"unknown key {key!r} in {what}", key=True)
        for key, required in allowed.items():
            if required and key not in value:
                self.error(at, f"{what} is missing required key {key!r}")
                complete = False
        return complete

    def text(self, value: Any, at: KeyPath, name: str, limit: int = MAX_FIELD) -> str | None:
        if not isinstance(value, str):
            self.error(at, f"{name} must be text, not {_type_name(value)}")
            return None
        if not value.strip():
            self.error(at, f"{name} must not be empty")
            return None
        stripped = value.strip()
        if len(stripped) > limit:
            self.error(at, f"{name} is {len(stripped)} characters; at most {limit}")
        return " ".join(stripped.split()) if "\n" in stripped else stripped

    # -- file -----------------------------------------------------------------------------------

    def check(self) -> Platform | None:
        for problem in self.loaded.problems:
            self.report.errors.append(Problem(self.path, problem.line, problem.message))
        data = self.loaded.data
        if self.loaded.problems and data is None:
            return None
        if not isinstance(data, dict):
            self.error((), "a guide file must be a mapping with platform, name, guides")
            return None
        self.keys(data, (), FILE_KEYS, "guide file")
        slug = data.get("platform")
        if not isinstance(slug, str) or not SLUG.match(slug):
            if "platform" in data:
                self.error(("platform",), f"platform must be a lower-case slug, not {slug!r}")
            return None
        if slug != self.loaded.path.stem:
            self.error(("platform",), f"platform {slug!r} must match the file name "
                                      f"({self.loaded.path.stem!r})")
        name = self.text(data.get("name"), ("name",), "name", MAX_TITLE) if "name" in data else None
        order = data.get("order", 100)
        if not isinstance(order, int) or isinstance(order, bool):
            self.error(("order",), f"order must be a whole number, not {_type_name(order)}")
            order = 100
        domains = self.domains(data.get("source_domains"))
        guides_value = data.get("guides")
        guides: list[Guide] = []
        if "guides" in data:
            if not isinstance(guides_value, dict) or not guides_value:
                self.error(("guides",), "guides must be a mapping of kind to guide")
            else:
                allowed = kinds_for(slug)
                for kind, guide_value in guides_value.items():
                    if kind not in allowed:
                        self.error(("guides", kind), f"unknown guide kind {kind!r} for {slug!r}; "
                                   f"expected one of: {', '.join(allowed)}", key=True)
                        continue
                    guide = self.guide(slug, cast(Kind, kind), guide_value, domains)
                    if guide is not None:
                        guides.append(guide)
        if name is None:
            return None
        guides.sort(key=lambda g: kinds_for(slug).index(g.kind))
        return Platform(slug, name, tuple(guides), order, domains)

    def domains(self, value: Any) -> tuple[str, ...]:
        at: KeyPath = ("source_domains",)
        if value is None:
            return ()
        if not isinstance(value, list) or not value:
            self.error(at, "source_domains must be a list of host names")
            return ()
        found: list[str] = []
        for index, item in enumerate(value):
            if not isinstance(item, str) or not DOMAIN.match(item):
                self.error((*at, index), f"not a host name: {item!r}")
            else:
                found.append(item)
        return tuple(found)

    # -- guide ----------------------------------------------------------------------------------

    def guide(self, slug: str, kind: Kind, value: Any, domains: tuple[str, ...]) -> Guide | None:
        at: KeyPath = ("guides", kind)
        if not isinstance(value, dict):
            self.error(at, f"guide {kind!r} must be a mapping with title, intro, steps")
            return None
        complete = self.keys(value, at, GUIDE_KEYS, f"guide {kind!r}")
        title = self.text(value.get("title"), (*at, "title"), "title", MAX_TITLE) \
            if "title" in value else None
        intro = self.text(value.get("intro"), (*at, "intro"), "intro") \
            if "intro" in value else None
        steps: list[Step] = []
        raw_steps = value.get("steps")
        if "steps" in value:
            if not isinstance(raw_steps, list) or not raw_steps:
                self.error((*at, "steps"), "steps must be a non-empty list")
            else:
                for index, raw in enumerate(raw_steps):
                    step = self.step(f"{slug}.{kind}", raw, (*at, "steps", index), domains)
                    if step is not None:
                        steps.append(step)
        if not complete or title is None or intro is None:
            return None
        return Guide(slug, kind, title, intro, tuple(steps))

    # -- step -----------------------------------------------------------------------------------

    def step(self, prefix: str, value: Any, at: KeyPath, domains: tuple[str, ...]) -> Step | None:
        if not isinstance(value, dict):
            self.error(at, "a step must be a mapping")
            return None
        raw_id = value.get("id")
        label = f"step {raw_id!r}" if isinstance(raw_id, str) else "step"
        ok = self.keys(value, at, STEP_KEYS, label)
        step_id = self.step_id(raw_id, (*at, "id"), prefix) if "id" in value else None
        ok = ok and step_id is not None
        fields: dict[str, str | None] = {}
        for name in ("why", "limits", "note"):
            if name in value:
                fields[name] = self.text(value[name], (*at, name), name)
                ok = ok and fields[name] is not None
        title = self.text(value.get("title"), (*at, "title"), "title", MAX_TITLE) \
            if "title" in value else None
        tier = value.get("tier")
        if "tier" in value and tier not in TIERS:
            self.error((*at, "tier"), f"unknown tier {tier!r}; expected one of: {', '.join(TIERS)}")
            ok = False
        do = self.do(value.get("do"), (*at, "do")) if "do" in value else None
        source = self.source(value.get("source"), (*at, "source"), domains) \
            if "source" in value else None
        reviewed = self.reviewed(value.get("reviewed"), (*at, "reviewed")) \
            if "reviewed" in value else None
        if not ok or title is None or do is None or source is None or reviewed is None:
            return None
        assert step_id is not None
        return Step(
            id=step_id, title=title, tier=cast(Tier, tier), do=do,
            why=cast(str, fields["why"]), limits=cast(str, fields["limits"]),
            source=source, reviewed=reviewed, note=fields.get("note"),
            path=self.path, line=self.loaded.line(at))

    def step_id(self, value: Any, at: KeyPath, prefix: str) -> str | None:
        if not isinstance(value, str):
            self.error(at, f"id must be text, not {_type_name(value)}")
            return None
        head, dot, slug = value.rpartition(".")
        if head != prefix or not dot or not STEP_SLUG.match(slug):
            self.error(at, f"step id {value!r} must be {prefix}.<slug> "
                           "(lower-case letters, digits and -)")
            return None
        first = self.seen_ids.get(value)
        if first is not None:
            self.error(at, f"duplicate step id {value!r} (first at {first})")
            return None
        self.seen_ids[value] = f"{self.path}:{self.loaded.line(at)}"
        return value

    def do(self, value: Any, at: KeyPath) -> tuple[tuple[DoKey, str], ...] | None:
        if not isinstance(value, dict) or not value:
            self.error(at, f"do must be a mapping with any of: {', '.join(DO_KEYS)}")
            return None
        ok = True
        found: dict[str, str] = {}
        for key, text in value.items():
            if key not in DO_KEYS:
                self.error((*at, key), f"unknown key {key!r} in do; expected any of: "
                           f"{', '.join(DO_KEYS)}", key=True)
                ok = False
                continue
            checked = self.text(text, (*at, key), f"do.{key}")
            if checked is None:
                ok = False
            else:
                found[key] = checked
        if not ok:
            return None
        return tuple((key, found[key]) for key in DO_KEYS if key in found)

    def source(self, value: Any, at: KeyPath, domains: tuple[str, ...]) -> str | None:
        if not isinstance(value, str):
            self.error(at, f"source must be an https URL, not {_type_name(value)}")
            return None
        url = value.strip()
        try:
            parts = urlsplit(url)
            hostname = parts.hostname
        except ValueError:  # e.g. an unclosed "[" in the host
            hostname = None
        if hostname is None or parts.scheme != "https":
            self.error(at, f"source must be an https URL: {url!r}")
            return None
        host = hostname.lower()
        if domains and not any(host == d or host.endswith("." + d) for d in domains):
            self.error(at, f"source host {host!r} is not in this file's source_domains "
                           f"({', '.join(domains)})")
            return None
        return url

    def reviewed(self, value: Any, at: KeyPath) -> date | None:
        day: date | None = None
        if isinstance(value, date) and not isinstance(value, datetime):
            day = value
        elif isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            try:
                day = date.fromisoformat(value)
            except ValueError:
                day = None
        if day is None:
            self.error(at, f"reviewed must be a date as YYYY-MM-DD, not {value!r}")
            return None
        if day > self.today:
            self.error(at, f"reviewed date {day.isoformat()} is in the future")
            return None
        age = (self.today - day).days
        if age > self.max_age_days:
            self.warn(at, f"reviewed {age} days ago (more than {self.max_age_days}); "
                          "check the source again")
        return day


def _type_name(value: Any) -> str:
    return {dict: "a mapping", list: "a list", type(None): "nothing"}.get(
        type(value), type(value).__name__)


def check_content(directory: Path, *, today: date, max_age_days: int = MAX_AGE_DAYS) -> CheckReport:
    """Every problem in a content directory; ``report.catalog`` holds what was valid."""
    report = CheckReport()
    directory = Path(directory)
    if not directory.is_dir():
        report.errors.append(Problem(str(directory), 0, "not a directory"))
        return report
    seen_ids: dict[str, str] = {}
    platforms: list[Platform] = []
    for loaded in load_directory(directory):
        platform = _FileChecker(loaded, report, today, max_age_days, seen_ids).check()
        if platform is not None:
            platforms.append(platform)
    if not platforms and not report.errors:
        report.errors.append(Problem(str(directory), 0, "no guide files (*.yaml)"))
    platforms.sort(key=lambda p: (p.order, p.slug))
    report.catalog = Catalog(tuple(platforms))
    return report


def load_catalog(directory: Path = CONTENT_DIR, *, today: date | None = None,
                 max_age_days: int = MAX_AGE_DAYS) -> Catalog:
    """The catalog for the bot; content with any error stops the start with every problem."""
    report = check_content(directory, today=today or date.today(), max_age_days=max_age_days)
    if report.errors:
        listed = "; ".join(str(p) for p in report.errors[:10])
        more = f" (and {len(report.errors) - 10} more)" if len(report.errors) > 10 else ""
        raise StartupError(f"guide content has errors: {listed}{more}")
    return report.catalog
