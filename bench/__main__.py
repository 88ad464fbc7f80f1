"""`python -m bench [--quick] [--only NAME ...] [--no-save]`: run, print, append to RESULTS.md.

The exit status is 1 if any target was missed. BENCH_PROFILE_DIR=DIR runs every Waymark process
under cProfile and leaves its .prof files there (such figures are slower than real: not saved).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

from bench import report
from bench.alert_latency import alert_latency
from bench.fanout import fanout_30, fanout_paid
from bench.flood import flood
from bench.interactive import interactive_latency
from bench.memory import memory
from bench.report import Figure
from bench.stage import Context, log
from bench.throughput import throughput

Benchmark = Callable[[Context], Coroutine[Any, Any, list[Figure]]]

BENCHMARKS: dict[str, Benchmark] = {
    "fanout-30": fanout_30,
    "fanout-paid": fanout_paid,  # before interactive-latency, which reuses its concurrency
    "alert-latency": alert_latency,
    "interactive-latency": interactive_latency,
    "throughput": throughput,
    "memory": memory,
    "flood": flood,
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--only",
        action="append",
        choices=list(BENCHMARKS),
        metavar="NAME",
        help=f"run only this benchmark (repeatable): {', '.join(BENCHMARKS)}",
    )
    parser.add_argument("--quick", action="store_true", help="a small smoke version of each")
    parser.add_argument("--no-save", action="store_true", help="do not append to RESULTS.md")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs)")
    return parser


def run_one(name: str, bench: Benchmark, ctx: Context) -> list[Figure]:
    started = time.monotonic()
    log(f"{name}: start")
    try:
        figures = asyncio.run(bench(ctx))
    except Exception as exc:
        traceback.print_exc()
        ctx.notes.append(f"{name}: failed with {type(exc).__name__}: {exc}")
        figures = [report.failed(name, type(exc).__name__)]
    log(f"{name}: done in {time.monotonic() - started:.0f} s")
    print(report.table(figures), flush=True)
    return figures


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    names = args.only or list(BENCHMARKS)
    workdir = Path(tempfile.mkdtemp(prefix="waymark-bench-"))
    ctx = Context(quick=args.quick, workdir=workdir)
    machine = report.machine()  # the code measured is the code at the start
    started = time.monotonic()
    figures: list[Figure] = []
    try:
        for name in names:
            figures += run_one(name, BENCHMARKS[name], ctx)
    finally:
        if args.keep:
            log(f"work directory kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    minutes = (time.monotonic() - started) / 60
    print("\n" + report.table(figures))
    for note in ctx.notes:
        print(f"- {note}")
    profiled = bool(os.environ.get("BENCH_PROFILE_DIR"))
    if not args.no_save and not profiled:
        command = "python -m bench " + shlex.join(sys.argv[1:] if argv is None else list(argv))
        text = report.section(
            figures,
            ctx.notes,
            quick=args.quick,
            command=command.strip(),
            minutes=minutes,
            machine_at_start=machine,
            only=args.only or (),
        )
        report.append(text)
        log(f"appended to {report.RESULTS}")
    return 0 if all(f.passed is not False for f in figures) else 1


if __name__ == "__main__":
    sys.exit(main())
