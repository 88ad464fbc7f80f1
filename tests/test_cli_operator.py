"""Operator commands as an operator types them: partners, the audit log, alert status."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

import aiohttp
import pytest

from bot.app import Waymark
from bot.partners.api import make_app
from bot.partners.ratelimit import PartnerLimiter
from bot.store.store import DB_NAME
from tests.operator_helpers import operator_environment, run_waymark

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def operator_env(tmp_path: Path) -> dict[str, str]:
    return operator_environment(tmp_path / "data")


def waymark(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run_waymark(env, *args)


def test_partner_lifecycle_and_audit(operator_env: dict[str, str], tmp_path: Path) -> None:
    done = waymark(
        operator_env, "partner", "add", "civdef", "North Civil Defence", "--regions", "dl-north"
    )
    assert done.returncode == 0, done.stderr
    done = waymark(
        operator_env, "partner", "add-credential", "civdef", "duty", "--roles", "author", "approver"
    )
    assert done.returncode == 0
    token = done.stdout.split("token (shown once, store it safely): ")[1].strip()
    credential = done.stdout.split()[1]
    assert token.startswith("wmk_")

    listing = waymark(operator_env, "partner", "list").stdout
    assert "civdef" in listing and credential in listing and token not in listing
    assert waymark(operator_env, "partner", "set-trust", "civdef", "instant").returncode == 0
    assert waymark(operator_env, "partner", "set-regions", "civdef", "dl").returncode == 0
    new_token = waymark(operator_env, "partner", "rotate-token", credential).stdout
    assert "wmk_" in new_token and token not in new_token
    assert waymark(operator_env, "partner", "revoke", credential).returncode == 0
    assert "revoked" in waymark(operator_env, "partner", "list").stdout
    bad = waymark(operator_env, "partner", "revoke", "nobody")
    assert bad.returncode == 2 and "no partner or active credential" in bad.stderr

    verified = waymark(operator_env, "audit", "verify")
    assert verified.returncode == 0 and "chain verified" in verified.stdout
    exported = waymark(operator_env, "audit", "export").stdout.splitlines()
    assert len(exported) >= 6 and '"partner.add"' in exported[0]

    conn = sqlite3.connect(tmp_path / "data" / DB_NAME)
    conn.execute("DROP TRIGGER audit_no_delete")
    conn.execute("DELETE FROM audit WHERE seq=2")
    conn.commit()
    conn.close()
    tampered = waymark(operator_env, "audit", "verify")
    assert tampered.returncode == 1 and "TAMPERED" in tampered.stdout


def test_alert_status_of_unknown_alert(operator_env: dict[str, str]) -> None:
    done = waymark(operator_env, "alert", "status", "al_0000000000000000")
    assert done.returncode == 2 and "no alert al_0000000000000000" in done.stderr


async def test_per_partner_rate_limit_answers_429(waymark: Waymark) -> None:
    """A tight limit on a second API instance over the same store: the 4th request waits."""
    from aiohttp.test_utils import TestServer

    partners = waymark.store.partners
    partners.add("busy", "Busy partner", ["dl"])
    _, token = partners.add_credential("busy", "script", ["author"])
    server = TestServer(make_app(waymark.vetting, PartnerLimiter(per_minute=60, burst=3)))
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as session:
            statuses = []
            for _ in range(4):
                async with session.get(
                    server.make_url("/v1/me"), headers={"Authorization": f"Bearer {token}"}
                ) as response:
                    statuses.append(response.status)
                    retry_after = response.headers.get("Retry-After")
            assert statuses == [200, 200, 200, 429]
            assert retry_after is not None and int(retry_after) >= 1
    finally:
        await server.close()
