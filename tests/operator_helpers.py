"""Running `waymark` as an operator does: its own process, its own environment, a real database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.store.keys import ENV_VAR, new_key_text
from bot.store.store import Store

ROOT = Path(__file__).resolve().parent.parent


def operator_environment(data_dir: Path) -> dict[str, str]:
    """A clean environment with a fresh key, pointing at an existing deployment's database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WAYMARK_", "TELEGRAM_"))}
    env[ENV_VAR] = new_key_text()
    env["WAYMARK_DATA_DIR"] = str(data_dir)
    os.environ[ENV_VAR] = env[ENV_VAR]
    try:
        Store.open(data_dir).close()
    finally:
        del os.environ[ENV_VAR]
    return env


def run_waymark(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
