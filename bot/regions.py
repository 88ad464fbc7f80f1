"""A deployment's regions (country → province → district) and the CAP geocodes that name them."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.errors import StartupError

CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")  # fits in callback data with room to spare


BBox = tuple[float, float, float, float]  # south, west, north, east, in WGS 84 degrees


@dataclass(frozen=True)
class Region:
    code: str
    name: str  # English source; translated through the catalogs with context "region"
    parent: str | None
    bbox: BBox | None = None  # optional: lets CAP polygons and circles find the region


def overlaps(a: BBox, b: BBox) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


class Regions:
    def __init__(
        self, regions: list[Region], geocodes: dict[tuple[str, str], str], fictional: bool
    ) -> None:
        self._by_code = {r.code: r for r in regions}
        self._order = [r.code for r in regions]
        self.geocodes = geocodes
        self.fictional = fictional

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def get(self, code: str) -> Region | None:
        return self._by_code.get(code)

    def children(self, parent: str | None) -> list[Region]:
        return [self._by_code[c] for c in self._order if self._by_code[c].parent == parent]

    def ancestors(self, code: str) -> list[str]:
        found: list[str] = []
        region = self._by_code.get(code)
        while region is not None and region.parent is not None:
            found.append(region.parent)
            region = self._by_code.get(region.parent)
        return found

    def descendants(self, code: str) -> list[str]:
        found: list[str] = []
        for child in self.children(code):
            found.append(child.code)
            found.extend(self.descendants(child.code))
        return found

    def covers(self, allowed: Iterable[str], code: str) -> bool:
        """A partner allowed a province may warn each of its districts, not the reverse."""
        allowed_set = set(allowed)
        return code in allowed_set or any(a in allowed_set for a in self.ancestors(code))

    def touching(self, box: BBox) -> set[str]:
        """Regions whose bounding box meets the shape's; coarse on purpose, since warning a
        neighbouring district too is better than missing the one in danger."""
        hit = {r.code for r in self._by_code.values() if r.bbox and overlaps(r.bbox, box)}
        # Keep the most specific: a province is dropped when one of its districts was hit.
        return {code for code in hit if not any(code in self.ancestors(o) for o in hit)}

    def audience(self, codes: Iterable[str]) -> list[str]:
        """Subscriptions an alert for these regions reaches: the regions, what they contain,
        and what contains them (someone following a province hears about its districts)."""
        result: set[str] = set()
        for code in codes:
            result.add(code)
            result.update(self.descendants(code))
            result.update(self.ancestors(code))
        return sorted(result)


def _walk(items: Any, parent: str | None, out: list[Region], path: Path) -> None:
    if not isinstance(items, list):
        raise StartupError(f"{path}: 'regions' and 'children' must be lists")
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("code"), str):
            raise StartupError(f"{path}: every region needs a code")
        code, name = item["code"], item.get("name")
        if not CODE.match(code):
            raise StartupError(f"{path}: region code {code!r} is not lower-case letters/digits/-")
        if not isinstance(name, str) or not name.strip():
            raise StartupError(f"{path}: region {code!r} needs a name")
        if any(r.code == code for r in out):
            raise StartupError(f"{path}: region code {code!r} is used twice")
        out.append(Region(code, name, parent, _bbox(item.get("bbox"), code, path)))
        _walk(item.get("children", []), code, out, path)


def _bbox(raw: Any, code: str, path: Path) -> BBox | None:
    if raw is None:
        return None
    ok = isinstance(raw, list) and len(raw) == 4 and all(isinstance(v, int | float) for v in raw)
    if not ok or not (-90 <= raw[0] <= raw[2] <= 90 and -180 <= raw[1] <= raw[3] <= 180):
        raise StartupError(f"{path}: region {code!r} bbox must be [south, west, north, east]")
    return (float(raw[0]), float(raw[1]), float(raw[2]), float(raw[3]))


def load_regions(path: Path) -> Regions:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise StartupError(f"{path}: cannot read regions ({type(exc).__name__})") from None
    regions: list[Region] = []
    _walk(data.get("regions", []), None, regions, path)
    known = {r.code for r in regions}
    geocodes: dict[tuple[str, str], str] = {}
    for entry in data.get("geocodes", []) or []:
        key = (str(entry.get("valueName")), str(entry.get("value")))
        if entry.get("region") not in known:
            raise StartupError(
                f"{path}: geocode {key} names unknown region {entry.get('region')!r}"
            )
        geocodes[key] = str(entry["region"])
    return Regions(regions, geocodes, bool(data.get("fictional", False)))
