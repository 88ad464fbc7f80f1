"""`waymark content check|feedback` and `waymark qr`: the operator's view of the content."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TextIO

from bot.config import Settings
from bot.emulator.markup import HtmlError, parse_html, utf16_len
from bot.errors import StartupError
from bot.guides import check_content, render_checklist_page
from bot.guides.check import MAX_AGE_DAYS
from bot.i18n.catalogs import Catalogs
from bot.regions import load_regions

MESSAGE_LIMIT = 4096


def content_check(settings: Settings, out: TextIO, *, max_age_days: int = MAX_AGE_DAYS) -> int:
    """Schema, ids, sources, dates; then every page in every locale against Telegram's rules."""
    report = check_content(
        settings.content_dir / "guides", today=date.today(), max_age_days=max_age_days
    )
    errors = [str(p) for p in report.errors]
    warnings = [str(p) for p in report.warnings]
    try:
        regions = load_regions(settings.content_dir / "regions.yaml")
    except StartupError as exc:
        errors.append(str(exc))
    else:
        from bot.resources.commands import check_resources

        resources = check_resources(settings, regions, date.today())
        errors.extend(resources.errors)
        warnings.extend(resources.warnings)
    catalogs = Catalogs.load(settings.locales_dir)
    pages = 0
    for code in catalogs.codes:
        tr = catalogs.get(code)
        for guide in report.catalog.guides():
            page, total = 0, 1
            while page < total:
                rendered = render_checklist_page(
                    guide, set(), page, tr=tr.pgettext, fmt_date=tr.date, essentials_only=False
                )
                total, pages = rendered.pages, pages + 1
                where = f"{guide.key} page {page + 1} [{code}]"
                try:
                    length = utf16_len(parse_html(rendered.text).text)
                except HtmlError as exc:
                    errors.append(f"{where}: not Telegram HTML ({exc})")
                else:
                    if length > MESSAGE_LIMIT:
                        errors.append(f"{where}: {length} characters, over Telegram's 4096")
                page += 1
    for line in warnings:
        print(f"warning: {line}", file=out)
    for line in errors:
        print(line, file=out)
    print(
        f"{len(errors)} errors, {len(warnings)} warnings; {pages} pages rendered in "
        f"{len(catalogs.codes)} languages",
        file=out,
    )
    return 1 if errors else 0


def content_feedback(settings: Settings, out: TextIO) -> int:
    from bot.store.store import Store

    store = Store.open(settings.data_dir)
    try:
        rows = store.feedback.report()
    finally:
        store.close()
    if not rows:
        print("no mismatch reports yet", file=out)
    for step_id, app, count in rows:
        print(f"{count:6d}  {app:<8} {step_id}", file=out)
    return 0


def qr_command(
    settings: Settings, bot: str, guide: str, lang: str, target: Path, out: TextIO
) -> int:
    """A PNG QR code of a deep link that opens a guide in a language (for partners' flyers)."""
    import segno

    from bot.guides import load_catalog
    from bot.telegram.guides import deep_link_payload

    platform, _, kind = guide.partition(".")
    if load_catalog(settings.content_dir / "guides").guide(platform, kind) is None:
        raise StartupError(f"no guide {guide!r} (use <platform>.<kind>, e.g. telegram.security)")
    if lang not in Catalogs.load(settings.locales_dir).codes:
        raise StartupError(f"{lang!r} is not a shipped language")
    username = bot.removeprefix("@")
    link = f"https://t.me/{username}?start={deep_link_payload(platform, kind, lang)}"
    segno.make(link, error="m").save(str(target), scale=8, border=4)
    print(f"{target}: {link}", file=out)
    return 0
