"""The broadcaster against the emulator: one pause per 429, blocked people, priority."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.alerts.lifecycle import AlertDraft
from bot.alerts.model import AlertText
from bot.app import Waymark
from bot.config import load_settings
from bot.emulator.client import EmulatorClient
from bot.emulator.server import EmulatorServer
from tests.broadcast_fixtures import seed_subscribers, sends_by_chat
from tests.conftest import TOKEN

CONCURRENCY = 50


@pytest.fixture
async def fast_waymark(emulator: EmulatorServer, tmp_path: Path) -> AsyncIterator[Waymark]:
    """Paid-broadcast mode, so 50 sends really are in flight at once."""
    settings = load_settings(
        token=TOKEN,
        api_base_url=emulator.base_url,
        data_dir=tmp_path / "data",
        poll_timeout=1,
        partner_api_port=0,
        paid_broadcast=True,
        broadcast_rate=800.0,
        broadcast_concurrency=CONCURRENCY,
    )
    app = Waymark(settings)
    await app.start()
    try:
        yield app
    finally:
        await app.stop()


def draft(severity: str = "Severe", region: str = "dl-north") -> AlertDraft:
    return AlertDraft(
        regions=(region,),
        texts={"en": AlertText("Evacuate the north bank", "Now.")},
        language="en",
        severity=severity,
        urgency="Immediate",
        certainty="Observed",
        expires_at=2_000_000_000,
    )


async def publish(app: Waymark, alert_draft: AlertDraft, key: str) -> str:
    """Create and approve an alert the way an instant-trust partner's request does."""
    partners = app.store.partners
    if partners.get("siren") is None:
        partners.add("siren", "Siren feed (demo)", ["dl"], trust="instant")
        app.store.partners.add_credential("siren", "feed", ["author"])
    caller_cred = partners.all()[0][1][0]
    alert, _ = await app.store.alerts.create(
        alert_draft,
        partner_id="siren",
        author=caller_cred.id,
        state="approved",
        idempotency_key=key,
        request_hash=key,
    )
    await app.vetting.publish(alert, actor="siren/feed")
    return alert.id


async def wait_until_sent(app: Waymark, alert_id: str, timeout: float = 30) -> None:
    for _ in range(int(timeout * 10)):
        alert = await app.store.alerts.get(alert_id)
        if alert is not None and alert.state == "sent":
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the broadcast did not finish")


async def test_a_429_pauses_all_sending_once_for_retry_after(
    fast_waymark: Waymark, client: EmulatorClient
) -> None:
    ids = await seed_subscribers(fast_waymark.store, client, 200, "dl-north")
    await client.inject_fault(
        method="sendMessage",
        status=429,
        description="Too Many Requests: retry after 2",
        retry_after=2,
        times=CONCURRENCY,
        delay=0.3,  # Telegram answers after a round trip: all 50 are in flight before any 429
    )
    alert_id = await publish(fast_waymark, draft(), "a429")
    await wait_until_sent(fast_waymark, alert_id)

    pauses = fast_waymark.limiter.pauses
    assert len(pauses) == 1, "however many answers carried the 429, sending paused once"
    started, seconds = pauses[0]
    assert seconds == 2
    transcript = await client.transcript()
    refused = [e for e in transcript if e["method"] == "sendMessage" and e["status"] == 429]
    assert len(refused) == CONCURRENCY
    last_refused = max(float(e["t"]) for e in refused)
    during = [
        e
        for e in transcript
        if e["method"] == "sendMessage"
        and e["status"] == 200
        and last_refused < float(e["t"]) < started + seconds
    ]
    assert during == [], "nothing was sent while paused"
    resumed = [
        float(e["t"]) for e in transcript if e["method"] == "sendMessage" and e["status"] == 200
    ]
    assert min(resumed) >= started + seconds - 0.01
    assert set(sends_by_chat(transcript)) == set(ids), "everyone got the warning after the pause"
    stats = await fast_waymark.store.outbox.stats(alert_id)
    assert stats.sent == 200 and stats.failed == 0


async def test_blocked_person_is_deleted_after_the_403(
    fast_waymark: Waymark, client: EmulatorClient
) -> None:
    ids = await seed_subscribers(fast_waymark.store, client, 5, "dl-north")
    await client.block(ids[0])
    alert_id = await publish(fast_waymark, draft(), "blocked")
    await wait_until_sent(fast_waymark, alert_id)
    assert await fast_waymark.store.users.get(ids[0]) is None
    assert await fast_waymark.store.users.get(ids[1]) is not None
    stats = await fast_waymark.store.outbox.stats(alert_id)
    assert stats.blocked == 1 and stats.sent == 4


async def test_network_failures_are_retried(fast_waymark: Waymark, client: EmulatorClient) -> None:
    ids = await seed_subscribers(fast_waymark.store, client, 3, "dl-north")
    await client.inject_fault(method="sendMessage", status=502, description="Bad Gateway", times=2)
    alert_id = await publish(fast_waymark, draft(), "net")
    await wait_until_sent(fast_waymark, alert_id)
    assert set(sends_by_chat(await client.transcript())) == set(ids)


async def test_extreme_warnings_jump_the_queue(
    fast_waymark: Waymark, client: EmulatorClient
) -> None:
    fast_waymark.limiter.set_rate(100)  # slow enough that the minor warning is still queued
    await seed_subscribers(fast_waymark.store, client, 150, "dl-north")
    minor = await publish(fast_waymark, draft("Minor"), "minor")
    extreme = await publish(fast_waymark, draft("Extreme"), "extreme")
    await wait_until_sent(fast_waymark, extreme, timeout=60)
    await wait_until_sent(fast_waymark, minor, timeout=60)
    outbox = fast_waymark.store.outbox
    extreme_done = (await outbox.stats(extreme, started_ms=0)).seconds_to["p100"]
    minor_done = (await outbox.stats(minor, started_ms=0)).seconds_to["p100"]
    assert extreme_done is not None and minor_done is not None
    assert extreme_done < minor_done, "the extreme warning finished before the earlier minor one"


async def test_nobody_gets_a_warning_after_forget_even_if_it_was_already_queued(
    fast_waymark: Waymark, client: EmulatorClient
) -> None:
    fast_waymark.limiter.set_rate(2)  # every row is claimed at once, then waits for its slot
    ids = await seed_subscribers(fast_waymark.store, client, 6, "dl-north")
    alert_id = await publish(fast_waymark, draft(), "forget-midway")
    for _ in range(100):
        if sends_by_chat(await client.transcript()):
            break
        await asyncio.sleep(0.05)
    reached = sends_by_chat(await client.transcript())
    assert reached, "the broadcast started"
    waiting = [chat_id for chat_id in ids if chat_id not in reached]
    leaver = waiting[-1]
    assert await fast_waymark.store.users.forget(leaver)
    await wait_until_sent(fast_waymark, alert_id)
    # The alert counts as sent once the rows left in the outbox are done; a claimed message for
    # the leaver would still be waiting for its slot, at most a second (two at 2/s) later.
    await asyncio.sleep(1.5)

    delivered = sends_by_chat(await client.transcript())
    assert leaver not in delivered, "a person who asked to be forgotten got the warning"
    assert set(delivered) == set(ids) - {leaver}
