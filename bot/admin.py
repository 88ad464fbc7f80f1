"""Operator commands behind `waymark partner|audit|alert`: they open the store, act, print."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import TextIO

from bot.alerts.lifecycle import FINAL_STATES
from bot.errors import StartupError
from bot.store.partners import PartnerError
from bot.store.store import Store


def _store(data_dir: Path) -> Store:
    if not (data_dir / "waymark.db").exists():
        raise StartupError(
            f"no Waymark database in {data_dir} (set --data-dir or WAYMARK_DATA_DIR)"
        )
    return Store.open(data_dir)


def partner_command(data_dir: Path, action: str, args: dict[str, object], out: TextIO) -> int:
    store = _store(data_dir)
    try:
        return _partner(store, action, args, out)
    except PartnerError as exc:
        print(f"waymark: {exc}", file=sys.stderr)
        return 2
    finally:
        store.close()


def _partner(store: Store, action: str, args: dict[str, object], out: TextIO) -> int:
    partners = store.partners
    if action == "add":
        regions = [str(r) for r in args["regions"]]  # type: ignore[attr-defined]
        partner = partners.add(
            str(args["id"]),
            str(args["name"]),
            regions,
            trust=str(args["trust"]),
            language=str(args["language"]),
        )
        print(
            f"partner {partner.id} added ({partner.trust}); regions: {', '.join(regions)}", file=out
        )
        return 0
    if action == "add-credential":
        roles = [str(r) for r in args["roles"]]  # type: ignore[attr-defined]
        credential, token = partners.add_credential(str(args["id"]), str(args["label"]), roles)
        print(
            f"credential {credential.id} ({', '.join(credential.roles)}) for {args['id']}", file=out
        )
        print(f"token (shown once, store it safely): {token}", file=out)
        return 0
    if action == "list":
        for partner, credentials in partners.all():
            state = "revoked" if partner.revoked else partner.trust
            print(f"{partner.id}\t{partner.name}\t{state}\t{','.join(partner.regions)}", file=out)
            for c in credentials:
                flag = "revoked" if c.revoked else "active"
                print(f"  {c.id}\t{c.label}\t{','.join(c.roles)}\t{flag}", file=out)
        return 0
    if action == "revoke":
        partners.revoke(str(args["target"]))
        print(f"revoked {args['target']}; it is refused from its next request", file=out)
        return 0
    if action == "rotate-token":
        token = partners.rotate_token(str(args["credential"]))
        print(f"new token (shown once): {token}", file=out)
        return 0
    if action == "set-regions":
        partners.set_regions(str(args["id"]), [str(r) for r in args["regions"]])  # type: ignore[attr-defined]
        print(f"regions of {args['id']} updated", file=out)
        return 0
    if action == "set-trust":
        partners.set_trust(str(args["id"]), str(args["trust"]))
        print(f"trust of {args['id']} is now {args['trust']}", file=out)
        return 0
    raise PartnerError(f"unknown partner action {action!r}")


def audit_command(data_dir: Path, action: str, out: TextIO) -> int:
    store = _store(data_dir)
    try:
        if action == "verify":
            verdict = store.audit.verify()
            if verdict.ok:
                print(f"audit log intact: {verdict.rows} rows, chain verified", file=out)
                return 0
            print(f"audit log TAMPERED: {verdict.problem}", file=out)
            return 1
        for entry in store.audit.export():
            print(json.dumps(entry, ensure_ascii=False, sort_keys=True), file=out)
        return 0
    finally:
        store.close()


def _bar(done: int, total: int, width: int = 30) -> str:
    filled = width if total == 0 else int(width * done / total)
    return "[" + "#" * filled + "-" * (width - filled) + "]"


def alert_status(data_dir: Path, alert_id: str, out: TextIO, *, follow: bool) -> int:
    store = _store(data_dir)
    try:
        return asyncio.run(_alert_status(store, alert_id, out, follow=follow))
    finally:
        store.close()


async def _alert_status(store: Store, alert_id: str, out: TextIO, *, follow: bool) -> int:
    while True:
        alert = await store.alerts.get(alert_id)
        if alert is None:
            print(f"waymark: no alert {alert_id}", file=sys.stderr)
            return 2
        stats = await store.outbox.stats(alert_id, alert.sending_started_ms)
        done = stats.sent + stats.failed + stats.blocked + stats.cancelled
        line = (
            f"{alert.id} {alert.state:<9} {_bar(done, stats.total)} {done}/{stats.total} "
            f"sent {stats.sent} failed {stats.failed} blocked {stats.blocked} "
            f"possibly duplicated {stats.possibly_duplicated}"
        )
        end = "\n" if not follow or alert.state in FINAL_STATES else "\r"
        print(line, end=end, file=out, flush=True)
        if not follow or alert.state in FINAL_STATES:
            return 0
        await asyncio.sleep(1.0)


def keys_rotate(data_dir: Path, out: TextIO) -> int:
    from bot.store.rotation import rotate
    from bot.store.store import KEY_NAME

    if not (data_dir / "waymark.db").exists():
        raise StartupError(f"no Waymark database in {data_dir}")

    def progress(done: int, total: int) -> None:
        print(f"\rre-encrypting {_bar(done, total)} {done}/{total}", end="", file=out, flush=True)

    key_id = rotate(data_dir, data_dir / KEY_NAME, progress)
    print(
        f"\nrotated: every record now opens with key {key_id}; the old key is destroyed", file=out
    )
    return 0


def backup_command(data_dir: Path, target: Path, out: TextIO) -> int:
    from bot.store.backup import snapshot

    store = _store(data_dir)
    try:
        size = snapshot(store, target)
    finally:
        store.close()
    print(
        f"encrypted backup written to {target} ({size} bytes); it opens only with this "
        "deployment's master key",
        file=out,
    )
    return 0


def restore_command(data_dir: Path, source: Path, out: TextIO, *, force: bool) -> int:
    from bot.store.backup import restore
    from bot.store.keys import load_master_key
    from bot.store.store import KEY_NAME

    master = load_master_key(data_dir / KEY_NAME, create=False)
    users = restore(source, data_dir, master, force=force)
    print(f"restored and checked: {users} people, integrity ok, key opens it", file=out)
    return 0


def purge_command(
    settings_data_dir: Path, retention_days: int, inactive_days: int, out: TextIO
) -> int:
    store = _store(settings_data_dir)
    try:
        counts = asyncio.run(
            store.retention.purge(alert_retention_days=retention_days, inactive_days=inactive_days)
        )
    finally:
        store.close()
    print("purged: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())), file=out)
    return 0
