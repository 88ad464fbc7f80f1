"""Deep links, QR codes for flyers, mismatch reports and `waymark content check`."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import zxingcpp
from PIL import Image

from bot.app import Waymark
from bot.emulator.client import EmulatorClient
from bot.store.store import DB_NAME
from tests.test_e2e_guides import open_telegram_security, step_buttons
from tests.test_e2e_skeleton import ALICE, labels, onboard, only_bot_message

ROOT = Path(__file__).resolve().parent.parent


def waymark_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_deep_link_opens_its_guide_in_its_language_for_a_new_user(
    waymark: Waymark, client: EmulatorClient
) -> None:
    await client.create_user(ALICE, language_code="en")
    view = await client.send_and_wait(ALICE, "/start g_telegram_security_ar")
    text = only_bot_message(view)
    arabic = waymark.catalogs.get("ar")
    assert arabic._("Menu") != "Menu", "Arabic ships its interface"
    assert any(arabic._("Menu") in label for label in labels(view))
    assert step_buttons(view), "the checklist itself is open"
    guide = waymark.guides.guide("telegram", "security")
    assert guide is not None
    title = arabic.pgettext(f"{guide.steps[0].id}|title", guide.steps[0].title)
    assert title in text
    record = await waymark.store.users.get(ALICE)
    assert record is not None and record.lang == "ar"


async def test_unknown_deep_link_falls_back_to_the_start(
    waymark: Waymark, client: EmulatorClient
) -> None:
    await client.create_user(ALICE, language_code="en")
    view = await client.send_and_wait(ALICE, "/start g_nosuchapp_security_en")
    assert "Choose your language" in only_bot_message(view)


def test_qr_png_decodes_back_to_the_link(tmp_path: Path) -> None:
    target = tmp_path / "flyer.png"
    done = waymark_cli(
        "qr",
        "--bot",
        "@waymark_demo_bot",
        "--guide",
        "telegram.privacy",
        "--lang",
        "fr",
        "--out",
        str(target),
    )
    assert done.returncode == 0, done.stderr
    decoded = [r.text for r in zxingcpp.read_barcodes(Image.open(target))]
    assert decoded == ["https://t.me/waymark_demo_bot?start=g_telegram_privacy_fr"]
    bad = waymark_cli("qr", "--bot", "x", "--guide", "nope.security", "--out", str(target))
    assert bad.returncode == 2 and "no guide 'nope.security'" in bad.stderr


async def test_mismatch_reports_count_per_step_and_app_only(
    waymark: Waymark, client: EmulatorClient, data_dir: Path
) -> None:
    await onboard(client, ALICE)
    await open_telegram_security(client)
    view = await client.press_and_wait(ALICE, label="⚑ Something here doesn't match my app")
    first_step = next(b.text for row in view.last_bot.buttons for b in row)  # type: ignore[union-attr]
    await client.press_and_wait(ALICE, label=first_step)
    view = await client.press_and_wait(ALICE, label="Android")
    answers = await client.callback_answers(ALICE)
    assert answers[-1]["text"] == "Thank you. This step will be checked again first."
    assert step_buttons(view), "back on the checklist"
    guide = waymark.guides.guide("telegram", "security")
    assert guide is not None
    assert waymark.store.feedback.report() == [(guide.steps[0].id, "android", 1)]
    conn = sqlite3.connect(data_dir / DB_NAME)
    try:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(step_feedback)")]
    finally:
        conn.close()
    assert columns == ["step_id", "app", "count"], "no user identifier next to a report"


def test_content_check_passes_and_fails_with_file_and_line(tmp_path: Path) -> None:
    done = waymark_cli("content", "check")
    assert done.returncode == 0, done.stdout
    assert "0 errors" in done.stdout

    content = tmp_path / "content"
    shutil.copytree(ROOT / "content", content)
    broken = content / "guides" / "telegram.yaml"
    lines = broken.read_text().splitlines()
    number = next(i for i, line in enumerate(lines) if "source: https://" in line)
    lines[number] = lines[number].replace("https://", "http://")
    broken.write_text("\n".join(lines) + "\n")
    env_dir = {"WAYMARK_CONTENT_DIR": str(content)}
    import os

    failed = subprocess.run(
        [sys.executable, "-m", "bot.cli", "content", "check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, **env_dir},
    )
    assert failed.returncode == 1
    assert f"telegram.yaml:{number + 1}:" in failed.stdout
