"""The `waymark` command as a person runs it: clear one-line errors, script mode of `try`."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.emulator.server import EmulatorServer
from bot.errors import StartupError

ROOT = Path(__file__).resolve().parent.parent


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WAYMARK_", "TELEGRAM_"))}
    env.update(extra)
    return env


async def run_waymark(*args: str, env: dict[str, str], stdin: bytes = b"") -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
        cwd=ROOT,
    )
    out, err = await asyncio.wait_for(process.communicate(stdin), timeout=60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_run_without_token_says_so(tmp_path: Path) -> None:
    code, _, err = await run_waymark("run", "--data-dir", str(tmp_path), env=clean_env())
    assert code == 2
    assert err.strip() == "waymark: no bot token: set TELEGRAM_BOT_TOKEN (from @BotFather)"


async def test_run_with_rejected_token_says_so(tmp_path: Path) -> None:
    async with EmulatorServer(["1:the-only-valid-token"]) as emulator:
        env = clean_env(
            TELEGRAM_BOT_TOKEN="2:a-token-telegram-does-not-know",
            WAYMARK_API_BASE_URL=emulator.base_url,
        )
        code, _, err = await run_waymark("run", "--data-dir", str(tmp_path), env=env)
    assert code == 2
    assert "Telegram rejected the bot token" in err
    assert "a-token-telegram-does-not-know" not in err
    assert "Traceback" not in err


async def test_corrupt_database_stops_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "waymark.db").write_bytes(b"this is not sqlite" * 100)
    env = clean_env(TELEGRAM_BOT_TOKEN="1:x", WAYMARK_MASTER_KEY="a" * 64)
    code, _, err = await run_waymark("run", "--data-dir", str(tmp_path), env=env)
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert "not a Waymark database or is corrupt" in err


async def test_unknown_setting_in_config_file(tmp_path: Path) -> None:
    config = tmp_path / "waymark.toml"
    config.write_text('log_levle = "DEBUG"\n')
    code, _, err = await run_waymark("--config", str(config), "run", env=clean_env())
    assert code == 2
    assert "unknown setting 'log_levle'" in err


async def test_try_script_mode_shows_the_language_screen(tmp_path: Path) -> None:
    code, out, err = await run_waymark(
        "try", "--data-dir", str(tmp_path), env=clean_env(), stdin=b"/start\n"
    )
    assert code == 0, err
    assert "Choose your language" in out
    assert "English" in out and "Français" in out
    assert "[1]" in out


async def test_try_script_walks_to_the_menu_in_french(tmp_path: Path) -> None:
    code, out, err = await run_waymark(
        "try",
        "--lang",
        "fr",
        "--data-dir",
        str(tmp_path),
        env=clean_env(),
        stdin=b"/start\n1\n1\n",
    )
    assert code == 0, err
    assert "Que voulez-vous faire ?" in out


def test_paid_broadcasts_default_to_just_under_telegrams_paid_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in list(os.environ):
        if name.startswith(("WAYMARK_", "TELEGRAM_")):
            monkeypatch.delenv(name)
    assert load_settings().broadcast_rate == 29
    monkeypatch.setenv("WAYMARK_PAID_BROADCAST", "true")
    paid = load_settings()
    assert paid.broadcast_rate == 970 and paid.telegram_rate_limit == 1000
    monkeypatch.setenv("WAYMARK_BROADCAST_RATE", "500")
    assert load_settings().broadcast_rate == 500, "an operator's own rate is kept"
    monkeypatch.setenv("WAYMARK_BROADCAST_RATE", "1001")
    with pytest.raises(StartupError, match="at most 1000"):
        load_settings()
