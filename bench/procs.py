"""The processes a benchmark runs: the emulator, Waymark (`waymark run`) and the echo bot.

Each runs in its own process, as in production, so the emulator's work and the load generator's
do not share Waymark's event loop. Everything listens on 127.0.0.1 only. Logs go to files in the
work directory; CPU time is read from /proc for the "who was busy" figures.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from bench.report import ROOT

TOKEN = "100000001:bench-token-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
START_TIMEOUT = 60.0
POLL_TIMEOUT = 2


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_env() -> dict[str, str]:
    """The parent's environment without any Waymark or Telegram settings."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("WAYMARK_", "TELEGRAM_"))}


class Proc:
    """A child process with its output in `log`; stop() ends it (SIGTERM, then SIGKILL)."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log: Path) -> None:
        self.name = name
        self.args = args
        self.env = env
        self.log = log
        self.process: asyncio.subprocess.Process | None = None

    async def start(self, *, pipe_stdout: bool = False) -> None:
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                *self.args,
                env=self.env,
                cwd=ROOT,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE if pipe_stdout else log,
                stderr=log,
            )

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    async def read_line(self, prefix: str, timeout: float = START_TIMEOUT) -> str:  # noqa: ASYNC109
        """The rest of the first stdout line starting with `prefix`."""
        assert self.process is not None and self.process.stdout is not None
        async with asyncio.timeout(timeout):
            while True:
                line = await self.process.stdout.readline()
                if not line:
                    raise RuntimeError(f"{self.name} exited early; see {self.log}")
                text = line.decode().strip()
                if text.startswith(prefix):
                    return text.removeprefix(prefix).strip()

    def cpu_seconds(self) -> float:
        """User + system CPU time of the process (all its threads) so far."""
        try:
            fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, AssertionError):
            return 0.0
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def rss_mb(self) -> float:
        try:
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return 0.0

    async def stop(self, timeout: float = 20.0) -> None:  # noqa: ASYNC109
        process = self.process
        if process is None or process.returncode is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), timeout)
        except TimeoutError:
            process.kill()
            await process.wait()


@dataclass
class CpuMeter:
    """CPU use of some processes over a window, as a share of one core (100 % = one core)."""

    procs: list[Proc]
    started: float = 0.0
    cpu: tuple[float, ...] = ()

    def start(self) -> None:
        self.started = time.monotonic()
        self.cpu = tuple(p.cpu_seconds() for p in self.procs)

    def shares(self) -> dict[str, float]:
        wall = max(1e-9, time.monotonic() - self.started)
        return {
            p.name: 100 * (p.cpu_seconds() - before) / wall
            for p, before in zip(self.procs, self.cpu, strict=True)
        }


def _limit(value: float | None) -> str:
    return "off" if value is None else f"{value:g}"


async def start_emulator(
    workdir: Path,
    *,
    global_per_second: float | None = 30.0,
    per_chat_per_second: float | None = 1.0,
    paid_per_second: float | None = 1000.0,
) -> tuple[Proc, str]:
    """The emulator in its own process; returns it and its root URL."""
    proc = Proc(
        "emulator",
        [
            sys.executable,
            "-m",
            "bench.emulator_proc",
            "--global-per-second",
            _limit(global_per_second),
            "--per-chat-per-second",
            _limit(per_chat_per_second),
            "--paid-per-second",
            _limit(paid_per_second),
        ],
        clean_env(),
        workdir / "emulator.log",
    )
    await proc.start(pipe_stdout=True)
    url = await proc.read_line("READY")
    return proc, url


@dataclass(frozen=True)
class BotSettings:
    paid: bool = False
    rate: float | None = None  # None: Waymark's default
    concurrency: int | None = None  # None: Waymark's default


class WaymarkProc(Proc):
    """`waymark run` as an operator runs it, configured through the environment."""

    def __init__(
        self, workdir: Path, data_dir: Path, emulator_url: str, settings: BotSettings, tag: str
    ) -> None:
        self.port = free_port()
        env = clean_env()
        env.update(
            {
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "WAYMARK_API_BASE_URL": f"{emulator_url}/bot",
                "WAYMARK_PARTNER_API_PORT": str(self.port),
                "WAYMARK_LOG_LEVEL": "WARNING",
                # Only idle polls wait this long (an update answers a poll at once); a short
                # one lets the bot stop quickly between measurements.
                "WAYMARK_POLL_TIMEOUT": str(POLL_TIMEOUT),
                "WAYMARK_PAID_BROADCAST": "true" if settings.paid else "false",
            }
        )
        if settings.rate is not None:
            env["WAYMARK_BROADCAST_RATE"] = f"{settings.rate:g}"
        if settings.concurrency is not None:
            env["WAYMARK_BROADCAST_CONCURRENCY"] = str(settings.concurrency)
        args = [sys.executable, "-m", "bot.cli", "run", "--data-dir", str(data_dir)]
        profile = os.environ.get("BENCH_PROFILE_DIR")
        if profile:
            # cProfile slows Waymark down: figures from a profiled run are for finding costs only.
            out = Path(profile) / f"waymark-{tag}.prof"
            args = [sys.executable, "-m", "cProfile", "-o", str(out), *args[1:]]
        super().__init__("waymark", args, env, workdir / f"waymark-{tag}.log")

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def wait_ready(self, partner_token: str) -> None:
        """Until the partner API answers (it starts just before polling does)."""
        headers = {"Authorization": f"Bearer {partner_token}"}
        async with aiohttp.ClientSession(trust_env=False) as http, asyncio.timeout(START_TIMEOUT):
            while True:
                if self.process is not None and self.process.returncode is not None:
                    raise RuntimeError(f"Waymark exited at start; see {self.log}")
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(f"{self.api_url}/v1/me", headers=headers) as response:
                        if response.status == 200:
                            return
                await asyncio.sleep(0.1)


async def start_waymark(
    workdir: Path,
    data_dir: Path,
    emulator_url: str,
    partner_token: str,
    settings: BotSettings,
    tag: str,
) -> WaymarkProc:
    proc = WaymarkProc(workdir, data_dir, emulator_url, settings, tag)
    await proc.start()
    await proc.wait_ready(partner_token)
    return proc


async def start_echo_bot(workdir: Path, emulator_url: str, transport: str = "httpx") -> Proc:
    proc = Proc(
        "echo-bot",
        [sys.executable, "-m", "bench.echo_bot", f"{emulator_url}/bot", transport],
        clean_env(),
        workdir / f"echo-bot-{transport}.log",
    )
    await proc.start(pipe_stdout=True)
    await proc.read_line("READY")
    return proc
