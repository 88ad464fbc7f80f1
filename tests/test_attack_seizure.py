"""Seizure: what a taken phone's lock screen, or a taken server's disk, gives away.

tests/test_e2e_privacy.py checks that the database files hold no chat id, username or clear
language; tests/test_store.py checks the key file's mode and the sealing. This file adds the
partner tokens, the quiet lock-screen line, and what is left on disk after /forget.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from bot.app import Waymark
from bot.emulator.client import EmulatorClient
from bot.store.store import DB_NAME
from tests.partner_fixtures import PartnerClient, Tokens, api, subscribe, tokens, warning
from tests.test_e2e_alerts import wait_for_text
from tests.test_e2e_skeleton import onboard

__all__ = ["api", "tokens"]  # fixtures

QUIET, FORGOTTEN = 2_600_000_001, 2_600_000_002


def database_files(data_dir: Path) -> dict[str, bytes]:
    """The database and its WAL and shared-memory files, as a seized disk would show them."""
    files = {p.name: p.read_bytes() for p in data_dir.iterdir() if p.name.startswith(DB_NAME)}
    assert DB_NAME in files
    return files


async def test_a_quiet_warning_shows_nothing_telling_on_the_lock_screen(
    waymark: Waymark, client: EmulatorClient, api: PartnerClient, tokens: Tokens
) -> None:
    await subscribe(client, QUIET, "en", "dl-north-riverside")
    await client.press_and_wait(QUIET, label="🔕 Quiet notifications: off")
    _, alert = await api.call("POST", "/v1/alerts", tokens.author, json=warning(), key="q")
    await api.call("POST", f"/v1/alerts/{alert['id']}/approve", tokens.approver)
    view = await wait_for_text(client, QUIET, "Shelling expected")
    (message,) = [m for m in view.bot_messages if "Shelling expected" in (m.text or "")]
    assert (message.text or "").split("\n")[0] == "Waymark: new message"
    assert message.disable_notification, "no sound or vibration for someone standing nearby"


async def test_a_seized_database_holds_no_partner_token(
    waymark: Waymark, api: PartnerClient, tokens: Tokens, data_dir: Path
) -> None:
    _, alert = await api.call("POST", "/v1/alerts", tokens.author, json=warning(), key="t")
    await api.call("POST", f"/v1/alerts/{alert['id']}/approve", tokens.approver)
    rotated = waymark.store.partners.rotate_token(tokens.author_credential)
    for name, raw in database_files(data_dir).items():
        for token in (tokens.author, tokens.approver, tokens.other_partner_approver, rotated):
            secret = token.split("_", 2)[2]
            assert secret.encode() not in raw, f"{name} holds a token's secret"
            assert hashlib.sha256(token.encode()).hexdigest().encode() not in raw
    # Only the hash is kept, so the seized file cannot be used to call the API.
    assert (await api.call("GET", "/v1/me", rotated))[0] == 200


async def test_after_forget_no_file_on_disk_holds_the_persons_pseudonym(
    waymark: Waymark, client: EmulatorClient, data_dir: Path
) -> None:
    """Whoever holds the key file can compute HMAC(chat id) for a suspect and look for it."""
    await onboard(client, FORGOTTEN)
    await client.press_and_wait(FORGOTTEN, data="1|alerts")
    pseudonym = waymark.store.users.row_id(FORGOTTEN)
    assert any(pseudonym in raw for raw in database_files(data_dir).values())
    await client.send_and_wait(FORGOTTEN, "/forget")
    await client.press_and_wait(FORGOTTEN, label="Delete my data only")
    assert await waymark.store.users.get(FORGOTTEN) is None
    for name, raw in database_files(data_dir).items():
        assert pseudonym not in raw, f"{name} still holds the forgotten person's pseudonym"
