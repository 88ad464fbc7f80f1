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
PURPOSES = ("pseudonym", "index", "record")


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


def read_key_file(path: Path) -> MasterKey:
    try:
        data = json.loads(path.read_text())
        text = data["current"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise StartupError(f"the key file {path} cannot be read ({type(exc).__name__})") from None
    if not isinstance(text, str):
        raise StartupError(f"the key file {path} is malformed")
    return parse_key(text, f"key file {path}")


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
