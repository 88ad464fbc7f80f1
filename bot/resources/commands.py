"""`waymark resources import|export`, the seed at start, and the resources `content check`."""

from __future__ import annotations

import logging
import sys
from datetime import date
from pathlib import Path
from typing import TextIO

from bot.config import Settings
from bot.errors import StartupError
from bot.regions import Regions, load_regions
from bot.resources.files import FileReport, export_csv, export_yaml, read_resources
from bot.store.store import DB_NAME, Store

log = logging.getLogger(__name__)

SEED_FILE = "resources.yaml"


def seed_if_empty(store: Store, regions: Regions, content_dir: Path) -> int:
    """On a fresh database, import the deployment's content/resources.yaml (so `waymark try` has
    data). Expired entries are imported too: they are never shown, and a demo must still start."""
    path = content_dir / SEED_FILE
    if not path.exists() or store.resources.count_sync() > 0:
        return 0
    report = read_resources(path, regions, allow_expired=True)
    if report.errors:
        raise StartupError(f"{report.errors[0]} (run `waymark content check`)")
    created, _ = store.resources.import_sync(report.resources, actor="operator/seed")
    log.info("imported %d resources from %s", created, path.name)
    return created


def check_resources(settings: Settings, regions: Regions, today: date) -> FileReport:
    """For `waymark content check`: the seed file's problems, with file:line."""
    path = settings.content_dir / SEED_FILE
    if not path.exists():
        return FileReport()
    return read_resources(path, regions, today=today)


def _open(settings: Settings) -> tuple[Store, Regions]:
    regions = load_regions(settings.content_dir / "regions.yaml")
    if not (settings.data_dir / DB_NAME).exists():
        raise StartupError(
            f"no Waymark database in {settings.data_dir} (set --data-dir or WAYMARK_DATA_DIR)"
        )
    return Store.open(settings.data_dir), regions


def import_command(settings: Settings, path: Path, out: TextIO) -> int:
    regions = load_regions(settings.content_dir / "regions.yaml")
    report = read_resources(path, regions)
    if report.errors:
        for line in report.errors:
            print(line, file=sys.stderr)
        print(f"{len(report.errors)} problems; nothing was imported", file=sys.stderr)
        return 1
    store, _ = _open(settings)
    try:
        created, updated = store.resources.import_sync(report.resources)
    finally:
        store.close()
    for line in report.warnings:
        print(f"warning: {line}", file=out)
    print(f"{created} resources added, {updated} updated from {path}", file=out)
    return 0


def export_command(settings: Settings, fmt: str, target: Path | None, out: TextIO) -> int:
    store, _ = _open(settings)
    try:
        resources = store.resources.all_sync()
    finally:
        store.close()
    text = export_csv(resources) if fmt == "csv" else export_yaml(resources)
    if target is None:
        out.write(text)
    else:
        target.write_text(text, encoding="utf-8")
        print(f"{len(resources)} resources written to {target}", file=out)
    return 0
