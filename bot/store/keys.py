"""The master key and the purpose-bound sub-keys derived from it.

One master key, never used directly: HKDF derives a separate key per purpose so that a leak of one
derived key (say, the blind-index key used in queries) does not expose user records.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bot.errors import StartupError

KEY_BYTES = 32
ENV_VAR = "WAYMARK_MASTER_KEY"
PURPOSES = ("pseudonym", "index", "record", "backup")


@dataclass(frozen=True)
class MasterKey:
    """A master key and its public id (derived, so the id reveals nothing about the key)."""

    secret: bytes

    @property
    def key_id(self) -> str:
        return hashlib.sha256(b"waymark/key-id/v1" + self.secret).hexdigest()[:12]

    def derive(self, purpose: str) -> bytes:
        if purpose not in PURPOSES:
            raise ValueError(f"unknown key purpose {purpose!r}")
        hkdf = HKDF(
            algorithm=hashes.SHA256(),
            length=KEY_BYTES,
            salt=None,
            info=f"waymark/v1/{purpose}".encode(),
        )
        return hkdf.derive(self.secret)


def parse_key(text: str, origin: str) -> MasterKey:
    """Accept 32 bytes as urlsafe base64 (what we generate) or 64 hex digits."""
    text = text.strip()
    raw: bytes | None = None
    if len(text) == 2 * KEY_BYTES:
        try:
            raw = bytes.fromhex(text)
        except ValueError:
            raw = None
    if raw is None:
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        except (binascii.Error, ValueError):
            raw = None
    if raw is None or len(raw) != KEY_BYTES:
        raise StartupError(
            f"the master key from {origin} is malformed: expected 32 bytes as base64 or hex"
        )
    return MasterKey(raw)


def new_key_text() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode().rstrip("=")


def write_key_file(path: Path, key_text: str) -> None:
    """Create the key file with mode 0600 from the start (no window where others can read it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(json.dumps({"current": key_text}) + "\n")


def _key_file_data(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise StartupError(f"the key file {path} cannot be read ({type(exc).__name__})") from None
    if not isinstance(data, dict) or not isinstance(data.get("current"), str):
        raise StartupError(f"the key file {path} is malformed")
    return {k: v for k, v in data.items() if isinstance(v, str)}


def read_key_file(path: Path) -> MasterKey:
    data = _key_file_data(path)
    if "next" in data:
        raise StartupError(
            "a key rotation was interrupted: run `waymark keys rotate` again to finish it"
        )
    return parse_key(data["current"], f"key file {path}")


def read_rotation(path: Path) -> tuple[MasterKey, MasterKey | None]:
    """The current key and, if a rotation is under way, the key it is moving to."""
    data = _key_file_data(path)
    nxt = parse_key(data["next"], f"key file {path}") if "next" in data else None
    return parse_key(data["current"], f"key file {path}"), nxt


def replace_key_file(path: Path, content: dict[str, str]) -> None:
    """Write the key file atomically (temp file, fsync, rename), mode 0600 throughout.

    The old file is overwritten on disk before the rename so a retired key does not linger in
    its blocks (best effort: journaling file systems and SSDs may keep copies).
    """
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(json.dumps(content) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    if path.exists():
        size = path.stat().st_size
        with path.open("r+b") as old:
            old.write(secrets.token_bytes(size))
            old.flush()
            os.fsync(old.fileno())
    os.replace(tmp, path)


def load_master_key(key_file: Path, *, create: bool) -> MasterKey:
    """The key from the environment, else from the key file, created only for a new database.

    Creating a fresh key for an existing database would make every record unreadable, so a missing
    key for an existing database is an error, never a silent new key.
    """
    env = os.environ.get(ENV_VAR)
    if env:
        return parse_key(env, f"${ENV_VAR}")
    if key_file.exists():
        return read_key_file(key_file)
    if not create:
        raise StartupError(
            f"no master key: set ${ENV_VAR} or restore the key file {key_file}; "
            "without it the existing database cannot be opened"
        )
    write_key_file(key_file, new_key_text())
    return read_key_file(key_file)
