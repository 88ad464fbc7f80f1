"""``waymark i18n {extract,init,update,status,check}``: the translation workflow from a terminal.

bot/cli.py only wires this in (``commands.add_parser(sub)`` and ``commands.run(args)``), so the
workflow can change without touching the rest of the command line.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

from babel import Locale

from bot.config import project_root
from bot.errors import StartupError
from bot.i18n import tools


def add_parser(subparsers: Any) -> None:
    """Add the ``i18n`` command to the top-level ``waymark`` parser's subparsers."""
    parser = subparsers.add_parser(
        "i18n", help="translations: extract strings, add a language, update, status, check"
    )
    parser.add_argument(
        "--root", type=Path, default=None, help="project folder (default: this checkout)"
    )
    sub = parser.add_subparsers(dest="i18n_command", required=True)
    sub.add_parser("extract", help="write locales/messages.pot from the code and the content")
    init = sub.add_parser("init", help="start a catalog for a new language from the template")
    init.add_argument("lang", help="locale code, e.g. sw, pt_BR")
    sub.add_parser("update", help="merge the template into every catalog (changed = fuzzy)")
    status = sub.add_parser("status", help="how complete and how reviewed each language is")
    status.add_argument(
        "--fail-under",
        type=float,
        default=None,
        metavar="N",
        help="exit 1 if any language has less than N%% of the interface translated",
    )
    sub.add_parser("check", help="placeholders, tags, commands and lengths in every catalog")


def run(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run one i18n action; 0 on success, 1 when status or check find a failure, 2 on errors."""
    out = out or sys.stdout
    err = err or sys.stderr
    root: Path = args.root or project_root()
    try:
        action = args.i18n_command
        if action == "extract":
            return _extract(root, out)
        if action == "init":
            path = tools.init(args.lang, root)
            print(f"{_rel(root, path)}: created, marked unreviewed; run `waymark i18n status`",
                  file=out)
            return 0
        if action == "update":
            return _update(root, out)
        if action == "status":
            return _status(root, args.fail_under, out)
        if action == "check":
            return _check(root, out)
    except (tools.I18nError, StartupError) as exc:
        print(f"waymark i18n: {exc}", file=err)
        return 2
    print(f"waymark i18n: unknown action {args.i18n_command!r}", file=err)
    return 2


def _rel(root: Path, path: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def _extract(root: Path, out: TextIO) -> int:
    path = tools.template_path(root)
    before = path.read_text(encoding="utf-8") if path.is_file() else None
    catalog = tools.extract(root)
    content = sum(1 for m in catalog if m.id and tools.is_content(m))
    interface = sum(1 for m in catalog if m.id) - content
    changed = path.read_text(encoding="utf-8") != before
    print(
        f"{_rel(root, path)}: {interface} interface and {content} content strings"
        f" ({'updated' if changed else 'unchanged'})",
        file=out,
    )
    return 0


def _update(root: Path, out: TextIO) -> int:
    for result in tools.update(root):
        line = (
            f"{result.lang}: {result.added} new, {len(result.fuzzy)} changed (now fuzzy), "
            f"{result.obsolete} no longer used"
        )
        print(line + ("" if result.written else " (unchanged)"), file=out)
        for msgid in result.fuzzy:
            short = msgid if len(msgid) <= 60 else msgid[:57] + "..."
            print(f"    fuzzy: {short!r}", file=out)
    return 0


def _counts(counts: tools.Counts) -> str:
    return (
        f"{counts.percent:5.1f}% {counts.translated:>4}/{counts.total:<4}"
        f" {counts.fuzzy:>3} fuzzy {counts.missing:>4} missing"
    )


def _status(root: Path, fail_under: float | None, out: TextIO) -> int:
    rows = tools.status(root)
    header = f"{'lang':<7} {'language':<16} {'review':<11} {'interface':<34} content"
    print(header, file=out)
    failed = []
    for row in rows:
        english = Locale.parse(row.lang).english_name or row.lang
        review = "unreviewed" if row.unreviewed else "reviewed"
        print(
            f"{row.lang:<7} {english[:16]:<16} {review:<11} {_counts(row.interface):<34} "
            f"{_counts(row.content)}",
            file=out,
        )
        if fail_under is not None and row.interface.percent < fail_under:
            failed.append(row.lang)
    print(
        "interface = bot/**/*.py; content = guides and regions"
        " (English where missing); fuzzy = English changed, translation needs a check",
        file=out,
    )
    if failed:
        print(f"interface below {fail_under:g}%: {', '.join(failed)}", file=out)
        return 1
    return 0


def _check(root: Path, out: TextIO) -> int:
    found = tools.check(root)
    total = 0
    for problems in found.values():
        for problem in problems:
            print(problem, file=out)
            total += 1
    print(f"{total} problem(s) in {len(found)} catalog(s)", file=out)
    return 1 if total else 0
