"""Figures, the results table, the machine description and the RESULTS.md section."""

from __future__ import annotations

import datetime
import math
import os
import platform
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
HEADER = """# Waymark benchmark results

Appended by `python -m bench` (see `bench/__init__.py`): one section per run, newest last.
Targets are from the performance issue; a quick run (`--quick`) is a smoke test with small
numbers, so its PASS/MISS says little. Figures marked "—" are context, not targets.
"""


@dataclass(frozen=True)
class Figure:
    """One measured value, with its target if it has one (passed None: context only)."""

    bench: str
    name: str
    value: float | None
    unit: str
    target: str = ""
    passed: bool | None = None

    @property
    def verdict(self) -> str:
        if self.passed is None:
            return "—"
        return "PASS" if self.passed else "MISS"

    @property
    def shown(self) -> str:
        if self.value is None:
            return "n/a"
        value = self.value
        if math.isinf(value):
            return "∞ (unanswered)"
        if self.unit == "%":
            return f"{value:.1f} %"
        if self.unit in ("", "count"):
            return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"
        if abs(value) >= 100:
            return f"{value:,.0f} {self.unit}"
        return f"{value:.3g} {self.unit}"


def info(bench: str, name: str, value: float | None, unit: str) -> Figure:
    return Figure(bench, name, value, unit)


def at_least(bench: str, name: str, value: float | None, unit: str, limit: float) -> Figure:
    target = f"≥ {limit:g}{' ' + unit if unit else ''}"
    return Figure(bench, name, value, unit, target, value is not None and value >= limit)


def at_most(bench: str, name: str, value: float | None, unit: str, limit: float) -> Figure:
    target = f"≤ {limit:g}{' ' + unit if unit else ''}"
    return Figure(bench, name, value, unit, target, value is not None and value <= limit)


def failed(bench: str, reason: str) -> Figure:
    return Figure(bench, f"did not complete: {reason}", None, "", "completes", False)


def table(figures: Sequence[Figure]) -> str:
    """A Markdown table (also readable as plain text in a terminal)."""
    rows = [("benchmark", "figure", "value", "target", "result")]
    rows += [(f.bench, f.name, f.shown, f.target or "—", f.verdict) for f in figures]
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
        for row in rows
    ]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def _git(*args: str) -> str:
    try:
        done = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip()


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _ram_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return 0.0


def machine() -> str:
    commit = _git("rev-parse", "--short", "HEAD") or "unknown"
    if _git("status", "--porcelain", "--untracked-files=no"):
        commit += " with uncommitted changes"
    return (
        f"{_cpu_model()}, {os.cpu_count()} cores, {_ram_gib():.1f} GiB RAM, "
        f"Python {platform.python_version()}, commit {commit}"
    )


def section(
    figures: Sequence[Figure],
    notes: Sequence[str],
    *,
    quick: bool,
    command: str,
    minutes: float,
    machine_at_start: str,
    only: Sequence[str] = (),
) -> str:
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    mode = "quick (smoke test)" if quick else "full"
    if only:
        mode += f", only {', '.join(only)}"
    lines = [
        f"## {now} — {mode}",
        "",
        f"- Machine: {machine_at_start}",
        f"- Command: `{command}` ({minutes:.1f} minutes)",
        "",
        table(figures),
        "",
    ]
    at_end = machine()
    if at_end != machine_at_start:
        notes = [*notes, f"the repository changed during the run; at its end: {at_end}"]
    if notes:
        lines += ["Notes:", ""] + [f"- {note}" for note in notes] + [""]
    return "\n".join(lines)


def append(text: str, path: Path = RESULTS) -> None:
    if not path.exists():
        path.write_text(HEADER)
    with path.open("a") as out:
        out.write("\n" + text)
