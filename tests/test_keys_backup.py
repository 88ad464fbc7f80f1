"""Key rotation, encrypted backups and retention on real files with real keys."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.alerts.lifecycle import AlertDraft
from bot.alerts.model import AlertText
from bot.errors import StartupError
from bot.store import rotation
from bot.store.backup import restore, snapshot
from bot.store.keys import ENV_VAR, read_key_file
from bot.store.records import UserRecord
from bot.store.store import DB_NAME, KEY_NAME, Store

ROOT = Path(__file__).resolve().parent.parent
PEOPLE = [4_100_000_000 + n for n in range(7)]


def seeded(data_dir: Path) -> Store:
    store = Store.open(data_dir)
    store.users.import_many(
        UserRecord(chat_id=c, lang="fr", regions=["dl-north"], done_steps=["x.y.z"]) for c in PEOPLE
    )
    return store


def key_ids(data_dir: Path) -> set[str]:
    import sqlite3

    conn = sqlite3.connect(data_dir / DB_NAME)
    try:
        return {row[0] for row in conn.execute("SELECT key_id FROM users")}
    finally:
        conn.close()


def test_rotation_as_an_operator_runs_it(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    store = seeded(data_dir)
    old_key = store.master
    row_before = store.users.row_id(PEOPLE[0])
    store.close()
    old_text = json.loads((data_dir / KEY_NAME).read_text())["current"]

    env = {k: v for k, v in os.environ.items() if not k.startswith(("WAYMARK_", "TELEGRAM_"))}
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "keys", "rotate", "--data-dir", str(data_dir)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert f"{len(PEOPLE)}/{len(PEOPLE)}" in done.stdout

    new_key = read_key_file(data_dir / KEY_NAME)
    assert old_text not in (data_dir / KEY_NAME).read_text(), "the old key is gone"
    assert key_ids(data_dir) == {new_key.key_id}, "every row is sealed under the new key"
    with pytest.raises(StartupError, match="does not open"):
        Store.open(data_dir, master=old_key)
    store = Store.open(data_dir)
    try:
        assert store.users.row_id(PEOPLE[0]) != row_before, "pseudonyms were re-keyed"
        record = asyncio.run(store.users.get(PEOPLE[0]))
        assert record is not None and record.lang == "fr" and record.regions == ["dl-north"]
        queued = asyncio.run(store.outbox.enqueue("al_test", ["dl-north"], 1))
        assert queued == len(PEOPLE), "blind indexes follow the new key"
    finally:
        store.close()


def test_interrupted_rotation_resumes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data_dir = tmp_path / "data"
    seeded(data_dir).close()
    monkeypatch.setattr(rotation, "BATCH", 2)
    calls = []

    def crash_after_two_batches(done: int, total: int) -> None:
        calls.append(done)
        if len(calls) == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        rotation.rotate(data_dir, data_dir / KEY_NAME, crash_after_two_batches)
    assert len(key_ids(data_dir)) == 2, "half moved, half not"
    with pytest.raises(StartupError, match="rotation was interrupted"):
        Store.open(data_dir)
    rotation.rotate(data_dir, data_dir / KEY_NAME, lambda done, total: None)
    store = Store.open(data_dir)
    try:
        assert key_ids(data_dir) == {store.vault.key_id}
        assert all(asyncio.run(store.users.get(c)) is not None for c in PEOPLE)
    finally:
        store.close()


def test_rotation_refuses_an_environment_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = tmp_path / "data"
    seeded(data_dir).close()
    monkeypatch.setenv(ENV_VAR, "a" * 64)
    with pytest.raises(StartupError, match="unset"):
        rotation.rotate(data_dir, data_dir / KEY_NAME, lambda d, t: None)


def test_backup_restores_and_refuses_tampering(tmp_path: Path) -> None:
    store = seeded(tmp_path / "live")
    backup = tmp_path / "waymark.backup"
    try:
        snapshot(store, backup)
        master = store.master
    finally:
        store.close()
    raw = backup.read_bytes()
    assert b"dl-north" not in raw and b"SQLite format" not in raw, "the backup is encrypted"

    assert restore(backup, tmp_path / "restored", master) == len(PEOPLE)
    restored = Store.open(tmp_path / "restored", master=master)
    try:
        record = asyncio.run(restored.users.get(PEOPLE[3]))
        assert record is not None and record.lang == "fr"
    finally:
        restored.close()

    with pytest.raises(StartupError, match="exists"):
        restore(backup, tmp_path / "restored", master)
    tampered = tmp_path / "tampered.backup"
    tampered.write_bytes(raw[:-40] + bytes([raw[-40] ^ 1]) + raw[-39:])
    with pytest.raises(StartupError, match="tampered"):
        restore(tampered, tmp_path / "t1", master)
    truncated = tmp_path / "truncated.backup"
    truncated.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(StartupError):
        restore(truncated, tmp_path / "t2", master)
    other = Store.open(tmp_path / "other")
    try:
        with pytest.raises(StartupError, match="another master key"):
            restore(backup, tmp_path / "t3", other.master)
    finally:
        other.close()


async def test_retention_purges_old_alerts_and_optionally_idle_people(tmp_path: Path) -> None:
    store = seeded(tmp_path / "data")
    try:
        store.partners.add("p", "Partner", ["dl"], trust="instant")
        long_ago = 1_600_000_000
        draft = AlertDraft(
            regions=("dl-north",),
            texts={"en": AlertText("h", "b")},
            language="en",
            severity="Severe",
            urgency="Immediate",
            certainty="Observed",
            expires_at=long_ago,
        )
        alert, _ = await store.alerts.create(
            draft,
            partner_id="p",
            author="c",
            state="approved",
            idempotency_key="k",
            request_hash="h",
        )
        await store.alerts.move(alert.id, "expired", actor="system")
        assert await store.outbox.enqueue(alert.id, ["dl-north"], 1) == len(PEOPLE)

        counts = await store.retention.purge(alert_retention_days=30, inactive_days=0)
        assert counts["alerts"] == 1 and counts["outbox_rows"] == len(PEOPLE)
        assert counts["inactive_users"] == 0
        assert await store.alerts.get(alert.id) is None
        assert store.audit.verify().ok, "the audit log keeps what happened"

        future = 10_000_000_000.0
        counts = await store.retention.purge(alert_retention_days=30, inactive_days=90, now=future)
        assert counts["inactive_users"] == len(PEOPLE)
        assert await store.users.count() == 0
    finally:
        store.close()
