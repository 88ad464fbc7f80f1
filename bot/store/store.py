"""Opens the data directory: the key, the database and the vault, checked together at start."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from bot.errors import StartupError
from bot.store.alerts import Alerts
from bot.store.audit import AuditLog
from bot.store.database import Database
from bot.store.feedback import Feedback
from bot.store.keys import MasterKey, load_master_key
from bot.store.outbox import Outbox
from bot.store.partners import Partners
from bot.store.resources import Resources
from bot.store.retention import Retention
from bot.store.users import Users
from bot.store.vault import Vault, VaultError

DB_NAME = "waymark.db"
KEY_NAME = "master.key"
KEY_CHECK_ROW = b"waymark/key-check"


@dataclass
class Store:
    """Everything persistent, behind narrow repositories (no SQL outside bot/store)."""

    db: Database
    master: MasterKey
    vault: Vault
    users: Users
    partners: Partners
    alerts: Alerts
    audit: AuditLog
    outbox: Outbox
    retention: Retention
    feedback: Feedback
    resources: Resources

    @classmethod
    def open(cls, data_dir: Path, *, master: MasterKey | None = None) -> Store:
        data_dir.mkdir(parents=True, exist_ok=True)
        db = Database(data_dir / DB_NAME)
        is_new = db.is_new
        try:
            if master is None:
                master = load_master_key(data_dir / KEY_NAME, create=is_new)
            vault = Vault(master)
            db.open_sync()
            db.write_sync(lambda conn: _check_key(conn, vault))
        except BaseException:
            db.close()
            raise
        return cls(
            db=db,
            master=master,
            vault=vault,
            users=Users(db, vault),
            partners=Partners(db),
            alerts=Alerts(db),
            audit=AuditLog(db),
            outbox=Outbox(db, vault),
            retention=Retention(db),
            feedback=Feedback(db),
            resources=Resources(db),
        )

    def close(self) -> None:
        self.db.close()


def _check_key(db: sqlite_utils.Database, vault: Vault) -> None:
    """Prove at start that the key opens this database, instead of failing on the first user."""
    row = db.execute("SELECT value FROM waymark_meta WHERE key='key_check'").fetchone()
    if row is None:
        sealed = vault.seal(KEY_CHECK_ROW, {"app": "waymark"})
        db.execute(
            "INSERT INTO waymark_meta VALUES ('key_check', ?)",
            [base64.b64encode(sealed).decode()],
        )
        return
    try:
        vault.open(KEY_CHECK_ROW, base64.b64decode(row[0]))
    except (VaultError, ValueError):
        raise StartupError(
            "the master key does not open this database: restore the right key "
            "(WAYMARK_MASTER_KEY or the key file)"
        ) from None
