"""Run in a fresh process by the memory benchmark: open the store, queue one alert for every
subscriber (Vetting.publish, as the partner API does), then claim, decrypt and finish `--stream`
rows the way the broadcaster does; print peak RSS as JSON.

With --complete it then marks every row delivered and reads the delivery stats the partner API
serves for a finished alert (GET /v1/alerts/{id}), and reports the peak again.
`python -m bench.memory_child DATA_DIR --region CODE --stream N [--complete]`
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import time
from pathlib import Path

import sqlite_utils

from bench.seed import PARTNER
from bot.alerts.lifecycle import AlertDraft
from bot.alerts.model import AlertText
from bot.alerts.vetting import Vetting
from bot.config import project_root
from bot.regions import load_regions
from bot.store.outbox import OutboxRow
from bot.store.store import Store

CLAIM = 64  # rows in flight at once, like a broadcaster with concurrency 64


def peak_mb() -> float:
    """This process's own peak RSS.

    Linux's ru_maxrss survives exec: a child started by a large benchmark runner reports at
    least the runner's RSS at fork (119 MB in one full run, against 58 MB measured alone).
    VmHWM belongs to this program's own address space.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


async def stream(store: Store, limit: int) -> int:
    async def deliver(row: OutboxRow) -> None:
        record = await store.users.open_row(row.user_id)
        assert record is not None
        await store.outbox.finish(row, "sent", message_id=1)

    done = 0
    while done < limit:
        rows = await store.outbox.claim(min(CLAIM, limit - done))
        if not rows:
            break
        await asyncio.gather(*(deliver(row) for row in rows))
        done += len(rows)
    return done


async def run(args: argparse.Namespace) -> dict[str, float]:
    out: dict[str, float] = {}
    started = time.monotonic()
    store = Store.open(args.data_dir)
    try:
        regions = load_regions(project_root() / "content" / "regions.yaml")
        out["rss_open_mb"] = peak_mb()
        credential = store.partners.all()[0][1][0]
        draft = AlertDraft(
            regions=(args.region,),
            texts={"en": AlertText("Shelling expected near the river bridge", "Stay indoors.")},
            language="en",
            severity="Severe",
            urgency="Immediate",
            certainty="Likely",
            expires_at=int(time.time()) + 3600,
        )
        alert, _ = await store.alerts.create(
            draft,
            partner_id=PARTNER,
            author=credential.id,
            state="approved",
            idempotency_key="memory",
            request_hash="memory",
        )
        vetting = Vetting(store, regions, lambda: None)
        moment = time.monotonic()
        alert = await vetting.publish(alert, actor="bench")
        out["enqueue_s"] = time.monotonic() - moment
        out["queued"] = await store.outbox.pending(alert.id)
        moment = time.monotonic()
        out["streamed"] = await stream(store, args.stream)
        out["stream_s"] = time.monotonic() - moment
        out["rss_peak_mb"] = peak_mb()
        if args.complete:

            def deliver_all(db: sqlite_utils.Database) -> None:
                db.execute(
                    "UPDATE outbox SET state='sent', message_id=1 WHERE alert_id=?", [alert.id]
                )

            await store.db.write(deliver_all)
            moment = time.monotonic()
            stats = await store.outbox.stats(alert.id, alert.sending_started_ms)
            out["stats_s"] = time.monotonic() - moment
            out["stats_sent"] = stats.sent
            out["rss_after_stats_mb"] = peak_mb()
    finally:
        store.close()
    out["total_s"] = time.monotonic() - started
    return out


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.memory_child")
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--region", required=True)
    parser.add_argument("--stream", type=int, default=10_000)
    parser.add_argument("--complete", action="store_true")
    print(json.dumps(asyncio.run(run(parser.parse_args()))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
