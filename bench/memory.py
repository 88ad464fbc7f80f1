"""memory: peak RSS of a fresh process that opens the store, queues one alert for every
subscriber and streams the first rows through claim → decrypt → finish (bench/memory_child.py),
with 10k, 100k and 1M subscribers; and the bytes stored per subscriber.

The database grows in place (import_many), and each size is measured on a copy, so the outbox
rows one measurement writes do not count in the next one's size.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
from pathlib import Path
from typing import Any

from bench import seed as seeding
from bench.report import ROOT, Figure, at_most, info
from bench.stage import Context, log

REGION = "dl-north-riverside"
FIRST_ID = 10_000_000_000


async def child(data_dir: Path, stream: int, *, complete: bool) -> dict[str, Any]:
    args = [
        sys.executable,
        "-m",
        "bench.memory_child",
        str(data_dir),
        "--region",
        REGION,
        "--stream",
        str(stream),
    ]
    if complete:
        args.append("--complete")
    process = await asyncio.create_subprocess_exec(
        *args, cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), 1800)
    if process.returncode != 0:
        raise RuntimeError(f"memory child failed: {err.decode()[-2000:]}")
    result: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return result


def label(size: int) -> str:
    return f"{size // 1_000_000}M" if size >= 1_000_000 else f"{size // 1000}k"


async def memory(ctx: Context) -> list[Figure]:
    bench = "memory"
    sizes = (1_000, 10_000, 50_000) if ctx.quick else (10_000, 100_000, 1_000_000)
    stream = 1_000 if ctx.quick else 10_000
    base = ctx.workdir / bench
    data_dir = base / "data"
    base.mkdir(parents=True, exist_ok=True)
    await asyncio.to_thread(seeding.add_partner, data_dir)
    figures: list[Figure] = []
    peaks: dict[int, float] = {}
    per_subscriber: dict[int, float] = {}
    seeded = 0
    for size in sizes:
        log(f"{bench}: seeding up to {size:,} subscribers")
        group = seeding.Group(FIRST_ID + seeded, size - seeded, REGION)
        await asyncio.to_thread(seeding.seed, data_dir, [group])
        seeded = size
        nbytes = await asyncio.to_thread(seeding.checkpointed_size, data_dir)
        per_subscriber[size] = nbytes / size
        copy = base / f"copy-{size}"
        await asyncio.to_thread(shutil.copytree, data_dir, copy)
        log(f"{bench}: measuring a fresh process with {size:,} subscribers")
        try:
            result = await child(copy, stream, complete=size == sizes[-1])
        finally:
            await asyncio.to_thread(shutil.rmtree, copy)
        peaks[size] = float(result["rss_peak_mb"])
        figures.append(info(bench, f"peak RSS, {label(size)} subscribers", peaks[size], "MB"))
        figures.append(
            info(bench, f"enqueue time, {label(size)} subscribers", result["enqueue_s"], "s")
        )
        if "rss_after_stats_mb" in result:
            figures.append(
                info(
                    bench,
                    f"peak RSS after delivery stats of a {label(size)} alert",
                    float(result["rss_after_stats_mb"]),
                    "MB",
                )
            )
            figures.append(
                info(bench, f"delivery stats time, {label(size)}", result["stats_s"], "s")
            )
        figures.append(
            info(bench, f"bytes per subscriber, {label(size)}", per_subscriber[size], "B")
        )
    first, last = sizes[0], sizes[-1]
    growth = peaks[last] - peaks[first]
    ctx.notes.append(
        f"{bench}: streamed {stream:,} rows per size; database "
        + ", ".join(f"{label(s)}: {per_subscriber[s] * s / 1e6:.1f} MB" for s in sizes)
    )
    return [
        at_most(bench, f"RSS growth {label(first)} → {label(last)}", growth, "MB", 20),
        at_most(bench, f"bytes per subscriber ({label(last)})", per_subscriber[last], "B", 300),
        *figures,
    ]
