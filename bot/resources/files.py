"""Resource files (YAML or CSV): read with line numbers, validate all, write back out.

YAML is read through the guides' node loader, so every value keeps its line and a problem reads
``file:line: message``; in CSV the line is the row's line in the file (the header is line 1).
Nothing is imported unless the whole file is valid.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from bot.guides.loader import load_file
from bot.regions import Regions
from bot.resources.model import (
    EXPIRY_WARNING_DAYS,
    FIELDS,
    Resource,
    check_resource,
)

CSV_COLUMNS = FIELDS
LIST_SEPARATOR = ";"  # inside a CSV cell: contacts, languages, regions


@dataclass
class FileReport:
    resources: list[Resource] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def read_resources(
    path: Path, regions: Regions, *, today: date | None = None, allow_expired: bool = False
) -> FileReport:
    """Every entry of a .yaml/.yml or .csv file, or every problem in it as file:line: message."""
    if path.suffix.lower() == ".csv":
        return _read_csv(path, regions, today or date.today(), allow_expired)
    if path.suffix.lower() in (".yaml", ".yml"):
        return _read_yaml(path, regions, today or date.today(), allow_expired)
    return FileReport(errors=[f"{path}:1: use a .yaml, .yml or .csv file"])


def _finish(
    report: FileReport,
    entries: list[tuple[int, dict[str, int], Any]],
    path: Path,
    regions: Regions,
    today: date,
    allow_expired: bool,
) -> FileReport:
    seen: dict[str, int] = {}
    for line, field_lines, raw in entries:
        checked = check_resource(raw, regions, today=today, allow_expired=allow_expired)
        for problem in checked.problems:
            where = field_lines.get(_field_key(problem.field), line)
            report.errors.append(f"{path}:{where}: {problem.message}")
        resource = checked.resource
        if resource is None:
            continue
        if resource.id in seen:
            report.errors.append(
                f"{path}:{line}: id {resource.id!r} is used twice "
                f"(first at line {seen[resource.id]})"
            )
            continue
        seen[resource.id] = line
        if resource.expiring_soon(today):
            report.warnings.append(
                f"{path}:{field_lines.get('expires', line)}: {resource.id} expires on "
                f"{resource.expires.isoformat()}, within {EXPIRY_WARNING_DAYS} days: re-verify it"
            )
        report.resources.append(resource)
    if report.errors:
        report.resources = []
    return report


def _field_key(where: tuple[str | int, ...]) -> str:
    return ".".join(str(p) for p in where)


def _read_yaml(path: Path, regions: Regions, today: date, allow_expired: bool) -> FileReport:
    report = FileReport()
    loaded = load_file(path)
    for problem in loaded.problems:
        report.errors.append(f"{path}:{problem.line}: {problem.message}")
    if loaded.problems:
        return report
    data = loaded.data
    items = data.get("resources") if isinstance(data, dict) else None
    if not isinstance(items, list):
        report.errors.append(f"{path}:{loaded.line(())}: the file needs a 'resources:' list")
        return report
    entries: list[tuple[int, dict[str, int], Any]] = []
    for index, item in enumerate(items):
        base: tuple[str | int, ...] = ("resources", index)
        lines: dict[str, int] = {}
        for key_path, line in loaded.value_lines.items():
            if key_path[: len(base)] == base and len(key_path) > len(base):
                lines[_field_key(key_path[len(base) :])] = line
        for key_path, line in loaded.key_lines.items():
            if key_path[: len(base)] == base and len(key_path) == len(base) + 1:
                lines.setdefault(_field_key(key_path[len(base) :]), line)
        entries.append((loaded.line(base), lines, item))
    return _finish(report, entries, path, regions, today, allow_expired)


def _split(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(LIST_SEPARATOR) if part.strip()]


def _read_csv(path: Path, regions: Regions, today: date, allow_expired: bool) -> FileReport:
    report = FileReport()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        report.errors.append(f"{path}:1: cannot read file ({type(exc).__name__})")
        return report
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    unknown = [h for h in header if h not in CSV_COLUMNS]
    if unknown or "id" not in header:
        report.errors.append(
            f"{path}:1: the header must name columns from: {', '.join(CSV_COLUMNS)}"
            + (f" (unknown: {', '.join(unknown)})" if unknown else "")
        )
        return report
    entries: list[tuple[int, dict[str, int], Any]] = []
    try:
        for row in reader:
            line = reader.line_num
            if None in row:
                report.errors.append(f"{path}:{line}: more cells than header columns")
                continue
            raw: dict[str, Any] = {}
            for key, cell in row.items():
                value = (cell or "").strip()
                if key in ("contacts", "languages", "regions"):
                    raw[key] = _split(value)
                else:
                    raw[key] = value or None
            entries.append((line, {}, raw))
    except csv.Error as exc:
        report.errors.append(f"{path}:{reader.line_num}: CSV error: {exc}")
        return report
    return _finish(report, entries, path, regions, today, allow_expired)


def export_yaml(resources: list[Resource]) -> str:
    items = []
    for resource in resources:
        data = resource.to_dict()
        if data["hours"] is None:
            del data["hours"]
        if not data["languages"]:
            del data["languages"]
        items.append(data)
    return yaml.safe_dump(
        {"resources": items}, sort_keys=False, allow_unicode=True, default_flow_style=False
    )


def export_csv(resources: list[Resource]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(CSV_COLUMNS), lineterminator="\n")
    writer.writeheader()
    for resource in resources:
        data = resource.to_dict()
        data["contacts"] = LIST_SEPARATOR.join(
            f"{c.kind}:{c.shown()}" if c.kind != "https" else c.value for c in resource.contacts
        )
        data["languages"] = LIST_SEPARATOR.join(resource.languages)
        data["regions"] = LIST_SEPARATOR.join(resource.regions)
        data["hours"] = resource.hours or ""
        writer.writerow(data)
    return out.getvalue()
