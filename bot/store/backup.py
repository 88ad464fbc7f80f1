"""Encrypted, consistent backups: `waymark backup FILE` and `waymark restore FILE`.

The snapshot comes from SQLite's online backup API (consistent while the bot runs). It is then
encrypted in 1 MiB chunks with AES-GCM under a key derived from the master key, each chunk bound
to its position and to whether it is the last, so a backup cannot be truncated, reordered or
spliced without detection. A backup therefore opens only with the same master key.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import struct
import tempfile
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bot.errors import StartupError
from bot.store.keys import MasterKey
from bot.store.store import DB_NAME, Store

MAGIC = b"WAYMARK-BACKUP-1\n"
CHUNK = 1 << 20


def _aead(master: MasterKey) -> AESGCM:
    return AESGCM(master.derive("backup"))


def _aad(header: bytes, index: int, last: bool) -> bytes:
    return header + struct.pack(">Q?", index, last)


def snapshot(store: Store, out: Path) -> int:
    """Write an encrypted snapshot of the store's database; returns the bytes written."""
    with tempfile.TemporaryDirectory(prefix="waymark-backup-") as tmp:
        plain = Path(tmp) / "snapshot.db"
        source = sqlite3.connect(store.db.path)
        target = sqlite3.connect(plain)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
        return _encrypt(plain, out, store.master)


def _encrypt(plain: Path, out: Path, master: MasterKey) -> int:
    aead = _aead(master)
    prefix = secrets.token_bytes(4)
    header = MAGIC + master.key_id.encode() + b"\n" + prefix
    size = plain.stat().st_size
    tmp = out.with_name(out.name + ".partial")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    written = 0
    with os.fdopen(fd, "wb") as sink, plain.open("rb") as source:
        sink.write(header)
        index, offset = 0, 0
        while True:
            data = source.read(CHUNK)
            offset += len(data)
            last = offset >= size
            nonce = prefix + struct.pack(">Q", index)
            sealed = aead.encrypt(nonce, data, _aad(header, index, last))
            sink.write(struct.pack(">I", len(sealed)) + sealed)
            written += len(sealed) + 4
            index += 1
            if last:
                break
        sink.flush()
        os.fsync(sink.fileno())
    os.replace(tmp, out)
    return written + len(header)


def _decrypt(backup: Path, plain: Path, master: MasterKey) -> None:
    aead = _aead(master)
    with backup.open("rb") as source, plain.open("wb") as sink:
        if source.read(len(MAGIC)) != MAGIC:
            raise StartupError(f"{backup} is not a Waymark backup")
        key_id = source.readline().rstrip(b"\n").decode(errors="replace")
        if key_id != master.key_id:
            raise StartupError(f"{backup} was made with another master key (key id {key_id[:12]})")
        prefix = source.read(4)
        header = MAGIC + key_id.encode() + b"\n" + prefix
        index = 0
        while True:
            length_bytes = source.read(4)
            if len(length_bytes) != 4:
                raise StartupError(f"{backup} is truncated")
            sealed = source.read(struct.unpack(">I", length_bytes)[0])
            nonce = prefix + struct.pack(">Q", index)
            for last in (False, True):
                try:
                    data = aead.decrypt(nonce, sealed, _aad(header, index, last))
                    break
                except InvalidTag:
                    continue
            else:
                raise StartupError(f"{backup} is corrupt or was tampered with (chunk {index})")
            sink.write(data)
            index += 1
            if last:
                if source.read(1):
                    raise StartupError(f"{backup} has data after its last chunk")
                return


def restore(backup: Path, data_dir: Path, master: MasterKey, *, force: bool = False) -> int:
    """Decrypt, check (integrity, schema, key), then move into place; returns user count."""
    target = data_dir / DB_NAME
    if target.exists() and not force:
        raise StartupError(f"{target} exists: move it away or pass --force to replace it")
    data_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="waymark-restore-", dir=data_dir))
    try:
        plain = staging / DB_NAME
        _decrypt(backup, plain, master)
        conn = sqlite3.connect(plain)
        try:
            if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise StartupError(f"{backup} holds a damaged database")
        finally:
            conn.close()
        checked = Store.open(staging, master=master)
        users = checked.db.read_sync(
            lambda db: int(db.execute("SELECT count(*) FROM users").fetchone()[0])
        )
        checked.close()
        for suffix in ("-wal", "-shm"):
            (data_dir / (DB_NAME + suffix)).unlink(missing_ok=True)
        os.replace(plain, target)
        return users
    finally:
        for leftover in staging.iterdir():
            leftover.unlink()
        staging.rmdir()
