"""Pseudonyms, blind indexes and sealed records: what makes a seized database say little.

- A user's row id is HMAC(pseudonym key, chat id): useless without the server key.
- A subscription is HMAC(index key, region code): findable without decrypting, but the
  database alone does not say who lives where.
- A user's record is sealed with AES-GCM, bound to its row id and key id as associated data, so a
  blob copied onto another row, or relabelled with another key id, does not open.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bot.store.keys import MasterKey

NONCE_BYTES = 12
PSEUDONYM_BYTES = 16


class VaultError(Exception):
    """A sealed record did not open: wrong key, wrong row, or tampering."""


class Vault:
    """Holds the derived keys; the only object that can link a chat to its row."""

    def __init__(self, master: MasterKey) -> None:
        self.key_id = master.key_id
        self._pseudonym_key = master.derive("pseudonym")
        self._index_key = master.derive("index")
        self._aead = AESGCM(master.derive("record"))

    def pseudonym(self, chat_id: int) -> bytes:
        digest = hmac.new(self._pseudonym_key, b"chat:%d" % chat_id, hashlib.sha256)
        return digest.digest()[:PSEUDONYM_BYTES]

    def blind_index(self, region_code: str) -> bytes:
        digest = hmac.new(self._index_key, b"region:" + region_code.encode(), hashlib.sha256)
        return digest.digest()[:PSEUDONYM_BYTES]

    def _aad(self, row_id: bytes) -> bytes:
        return b"waymark/record/v1|" + self.key_id.encode() + b"|" + row_id

    def seal(self, row_id: bytes, record: dict[str, Any]) -> bytes:
        nonce = secrets.token_bytes(NONCE_BYTES)
        plain = json.dumps(record, separators=(",", ":"), sort_keys=True).encode()
        return nonce + self._aead.encrypt(nonce, plain, self._aad(row_id))

    def open(self, row_id: bytes, blob: bytes) -> dict[str, Any]:
        nonce, body = blob[:NONCE_BYTES], blob[NONCE_BYTES:]
        try:
            plain = self._aead.decrypt(nonce, body, self._aad(row_id))
        except (InvalidTag, ValueError):
            raise VaultError("record does not open with this key") from None
        value = json.loads(plain)
        if not isinstance(value, dict):
            raise VaultError("record is not an object")
        return value
