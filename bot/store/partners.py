"""Partner organizations and their API credentials (stored only as hashes)."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

import sqlite_utils

from bot.store import audit
from bot.store.database import Database

ROLES = ("author", "approver")
TRUST_LEVELS = ("two-person", "instant")
TOKEN_PREFIX = "wmk"  # noqa: S105 - a public prefix, not a secret


@dataclass(frozen=True)
class Partner:
    id: str
    name: str
    regions: tuple[str, ...]
    trust: str
    language: str
    revoked: bool


@dataclass(frozen=True)
class Credential:
    id: str
    partner_id: str
    label: str
    roles: tuple[str, ...]
    revoked: bool


@dataclass(frozen=True)
class Caller:
    """An authenticated request's identity: the credential and its partner."""

    credential: Credential
    partner: Partner

    @property
    def actor(self) -> str:
        return f"{self.partner.id}/{self.credential.id}"


def _hash(token: str) -> bytes:
    # Tokens carry 256 random bits, so a fast hash is enough: nothing to brute-force.
    return hashlib.sha256(token.encode()).digest()


def new_token(credential_id: str) -> str:
    return f"{TOKEN_PREFIX}_{credential_id}_{secrets.token_urlsafe(32)}"


def _partner(row: tuple[object, ...]) -> Partner:
    return Partner(
        str(row[0]),
        str(row[1]),
        tuple(json.loads(str(row[2]))),
        str(row[3]),
        str(row[4]),
        row[5] is not None,
    )


def _credential(row: tuple[object, ...]) -> Credential:
    return Credential(
        str(row[0]), str(row[1]), str(row[2]), tuple(json.loads(str(row[3]))), row[4] is not None
    )


_PARTNER_COLUMNS = "id, name, regions, trust, language, revoked_at"
_CREDENTIAL_COLUMNS = "id, partner_id, label, roles, revoked_at"


class PartnerError(ValueError):
    """A registry request that cannot be done as asked (unknown partner, bad role...)."""


def _select_partner(db: sqlite_utils.Database, partner_id: str) -> Partner | None:
    row = db.execute(f"SELECT {_PARTNER_COLUMNS} FROM partners WHERE id=?", [partner_id]).fetchone()
    return _partner(row) if row else None


class Partners:
    """The registry. Every change is written to the audit log in the same transaction."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # -- reads -------------------------------------------------------------------------------
    def get(self, partner_id: str) -> Partner | None:
        return self._db.read_sync(lambda db: _select_partner(db, partner_id))

    async def find(self, partner_id: str) -> Partner | None:
        """As get, without blocking the event loop (the broadcaster names the sender)."""
        return await self._db.read(lambda db: _select_partner(db, partner_id))

    def all(self) -> list[tuple[Partner, list[Credential]]]:
        def select(db: sqlite_utils.Database) -> list[tuple[Partner, list[Credential]]]:
            result = []
            for row in db.execute(f"SELECT {_PARTNER_COLUMNS} FROM partners ORDER BY id"):
                partner = _partner(row)
                creds = [
                    _credential(c)
                    for c in db.execute(
                        f"SELECT {_CREDENTIAL_COLUMNS} FROM credentials "
                        "WHERE partner_id=? ORDER BY id",
                        [partner.id],
                    )
                ]
                result.append((partner, creds))
            return result

        return self._db.read_sync(select)

    async def authenticate(self, token: str) -> Caller | None:
        """The caller behind a bearer token, or None; revocation counts from the next request."""
        parts = token.split("_", 2)
        if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
            return None
        credential_id = parts[1]

        def select(db: sqlite_utils.Database) -> Caller | None:
            row = db.execute(
                "SELECT token_hash FROM credentials WHERE id=? AND revoked_at IS NULL",
                [credential_id],
            ).fetchone()
            if row is None or not hmac.compare_digest(bytes(row[0]), _hash(token)):
                return None
            cred_row = db.execute(
                f"SELECT {_CREDENTIAL_COLUMNS} FROM credentials WHERE id=?",
                [credential_id],
            ).fetchone()
            credential = _credential(cred_row)
            partner_row = db.execute(
                f"SELECT {_PARTNER_COLUMNS} FROM partners WHERE id=?",
                [credential.partner_id],
            ).fetchone()
            partner = _partner(partner_row)
            return None if partner.revoked else Caller(credential, partner)

        return await self._db.read(select)

    # -- changes (operator CLI) --------------------------------------------------------------
    def add(
        self,
        partner_id: str,
        name: str,
        regions: list[str],
        *,
        trust: str = "two-person",
        language: str = "en",
    ) -> Partner:
        if trust not in TRUST_LEVELS:
            raise PartnerError(f"trust must be one of {', '.join(TRUST_LEVELS)}")

        def insert(db: sqlite_utils.Database) -> None:
            if db.execute("SELECT 1 FROM partners WHERE id=?", [partner_id]).fetchone():
                raise PartnerError(f"partner {partner_id!r} already exists")
            db.execute(
                "INSERT INTO partners VALUES (?,?,?,?,?,?,NULL)",
                [partner_id, name, json.dumps(sorted(regions)), trust, language, int(time.time())],
            )
            audit.append(
                db,
                "operator",
                "partner.add",
                partner_id,
                {"name": name, "regions": sorted(regions), "trust": trust},
            )

        self._db.write_sync(insert)
        partner = self.get(partner_id)
        assert partner is not None
        return partner

    def add_credential(
        self, partner_id: str, label: str, roles: list[str]
    ) -> tuple[Credential, str]:
        """A new credential; its token is returned once and only its hash is kept."""
        bad = [r for r in roles if r not in ROLES]
        if bad or not roles:
            raise PartnerError(f"roles must be some of {', '.join(ROLES)}")
        credential_id = "c" + secrets.token_hex(6)
        token = new_token(credential_id)

        def insert(db: sqlite_utils.Database) -> None:
            self._require_partner(db, partner_id)
            db.execute(
                "INSERT INTO credentials VALUES (?,?,?,?,?,?,NULL)",
                [
                    credential_id,
                    partner_id,
                    label,
                    json.dumps(sorted(roles)),
                    _hash(token),
                    int(time.time()),
                ],
            )
            audit.append(
                db,
                "operator",
                "credential.add",
                partner_id,
                {"credential": credential_id, "roles": sorted(roles)},
            )

        self._db.write_sync(insert)
        return Credential(credential_id, partner_id, label, tuple(sorted(roles)), False), token

    def rotate_token(self, credential_id: str) -> str:
        token = new_token(credential_id)

        def update(db: sqlite_utils.Database) -> None:
            cursor = db.execute(
                "UPDATE credentials SET token_hash=? WHERE id=? AND revoked_at IS NULL",
                [_hash(token), credential_id],
            )
            if not cursor.rowcount:
                raise PartnerError(f"no active credential {credential_id!r}")
            audit.append(db, "operator", "credential.rotate", credential_id)

        self._db.write_sync(update)
        return token

    def revoke(self, target: str) -> None:
        """Revoke a partner (all its credentials) or a single credential."""

        def update(db: sqlite_utils.Database) -> None:
            now = int(time.time())
            if db.execute("SELECT 1 FROM partners WHERE id=?", [target]).fetchone():
                db.execute("UPDATE partners SET revoked_at=? WHERE id=?", [now, target])
                db.execute(
                    "UPDATE credentials SET revoked_at=? WHERE partner_id=? AND revoked_at IS NULL",
                    [now, target],
                )
                audit.append(db, "operator", "partner.revoke", target)
                return
            cursor = db.execute(
                "UPDATE credentials SET revoked_at=? WHERE id=? AND revoked_at IS NULL",
                [now, target],
            )
            if not cursor.rowcount:
                raise PartnerError(f"no partner or active credential {target!r}")
            audit.append(db, "operator", "credential.revoke", target)

        self._db.write_sync(update)

    def set_regions(self, partner_id: str, regions: list[str]) -> None:
        def update(db: sqlite_utils.Database) -> None:
            self._require_partner(db, partner_id)
            db.execute(
                "UPDATE partners SET regions=? WHERE id=?",
                [json.dumps(sorted(regions)), partner_id],
            )
            audit.append(
                db, "operator", "partner.regions", partner_id, {"regions": sorted(regions)}
            )

        self._db.write_sync(update)

    def set_trust(self, partner_id: str, trust: str) -> None:
        if trust not in TRUST_LEVELS:
            raise PartnerError(f"trust must be one of {', '.join(TRUST_LEVELS)}")

        def update(db: sqlite_utils.Database) -> None:
            self._require_partner(db, partner_id)
            db.execute("UPDATE partners SET trust=? WHERE id=?", [trust, partner_id])
            audit.append(db, "operator", "partner.trust", partner_id, {"trust": trust})

        self._db.write_sync(update)

    @staticmethod
    def _require_partner(db: sqlite_utils.Database, partner_id: str) -> None:
        if not db.execute("SELECT 1 FROM partners WHERE id=?", [partner_id]).fetchone():
            raise PartnerError(f"no partner {partner_id!r}")
