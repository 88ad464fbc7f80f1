"""Many subscribers at once: seeded straight into the real store and the emulator."""

from __future__ import annotations

from bot.emulator.client import EmulatorClient
from bot.store.records import UserRecord
from bot.store.store import Store

FIRST_ID = 3_000_000_000


async def seed_subscribers(
    store: Store, client: EmulatorClient, count: int, region: str, *, first: int = FIRST_ID
) -> list[int]:
    """`count` people who chose English and `region`; returns their chat ids."""
    ids = [first + n for n in range(count)]
    for chat_id in ids:
        await client.create_user(chat_id, language_code="en")
        record = UserRecord(chat_id=chat_id, lang="en", privacy_seen=True)
        await store.users.set_regions(record, [region])
    return ids


def sends_by_chat(transcript: list[dict[str, object]]) -> dict[int, int]:
    """How many messages each chat accepted (HTTP 200 sendMessage), from the emulator's log."""
    counts: dict[int, int] = {}
    for entry in transcript:
        if entry["method"] == "sendMessage" and entry["status"] == 200:
            chat = entry["chat_id"]
            assert isinstance(chat, int)
            counts[chat] = counts.get(chat, 0) + 1
    return counts
