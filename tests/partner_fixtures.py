"""Partners registered through the real registry, and an HTTP client for the partner API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from bot.app import Waymark
from bot.emulator.client import EmulatorClient
from tests.test_e2e_skeleton import onboard


@dataclass
class Tokens:
    author: str
    approver: str
    other_partner_approver: str
    author_credential: str


@pytest.fixture
def tokens(waymark: Waymark) -> Tokens:
    partners = waymark.store.partners
    partners.add("civdef", "North Civil Defence (demo)", ["dl-north"])
    author, author_token = partners.add_credential("civdef", "duty officer", ["author", "approver"])
    _, approver_token = partners.add_credential("civdef", "supervisor", ["approver"])
    partners.add("southwatch", "South Watch (demo)", ["dl-south"])
    _, other = partners.add_credential("southwatch", "lead", ["author", "approver"])
    return Tokens(author_token, approver_token, other, author.id)


class PartnerClient:
    def __init__(self, session: aiohttp.ClientSession, base: str) -> None:
        self.session = session
        self.base = base

    async def call(
        self,
        method: str,
        path: str,
        token: str | None,
        *,
        json: Any = None,
        data: bytes | None = None,
        content_type: str | None = None,
        key: str | None = None,
    ) -> tuple[int, Any]:
        headers = {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if key:
            headers["Idempotency-Key"] = key
        if content_type:
            headers["Content-Type"] = content_type
        async with self.session.request(
            method, self.base + path, json=json, data=data, headers=headers
        ) as response:
            body = await response.json(content_type=None)
            return response.status, body


@pytest.fixture
async def api(waymark: Waymark) -> AsyncIterator[PartnerClient]:
    async with aiohttp.ClientSession() as session:
        yield PartnerClient(session, waymark.partner_api_url)


async def subscribe(client: EmulatorClient, user_id: int, language: str, *codes: str) -> None:
    """Onboard a person and pick regions through the bot's own screens."""
    await onboard(client, user_id)
    if language != "en":
        await client.press_and_wait(user_id, label="🌐 Language")
        await client.press_and_wait(user_id, data=f"1|lang|{language}")
    await client.press_and_wait(user_id, data="1|alerts")
    await client.press_and_wait(user_id, data="1|regions")
    for code in codes:
        # Drill down as a person would: the demo codes name their parents ("dl-north-hills").
        parts = code.split("-")
        for depth in range(1, len(parts)):
            await client.press_and_wait(user_id, data="1|regions|" + "-".join(parts[:depth]))
        await client.press_and_wait(user_id, data=f"1|toggle|{code}")
    await client.press_and_wait(user_id, data="1|alerts")


def warning(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "regions": ["dl-north-riverside"],
        "severity": "Severe",
        "urgency": "Immediate",
        "certainty": "Likely",
        "texts": {
            "en": {
                "headline": "Shelling expected near the river bridge",
                "body": "Avoid the bridge and the market road until further notice.",
                "instruction": "Stay indoors, away from windows.",
            },
            "fr": {
                "headline": "Bombardements attendus près du pont",
                "body": "Évitez le pont et la route du marché jusqu’à nouvel ordre.",
                "instruction": "Restez à l’intérieur, loin des fenêtres.",
            },
        },
        "expires_in_minutes": 120,
    }
    body.update(overrides)
    return body
