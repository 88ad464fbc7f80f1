"""Partner warnings end to end: partner API over HTTP → two-person approval → broadcaster →
the emulator's chats, as people would see them."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from pathlib import Path

from bot.app import Waymark
from bot.emulator.client import ChatView, EmulatorClient, EmulatorTimeout
from bot.store.store import DB_NAME
from tests.partner_fixtures import PartnerClient, Tokens, api, subscribe, tokens, warning

__all__ = ["api", "tokens"]  # fixtures

NORTH_EN, NORTH_FR, SOUTH = 2_100_000_001, 2_100_000_002, 2_100_000_003


async def wait_for_text(client: EmulatorClient, user_id: int, needle: str) -> ChatView:
    """The chat once a bot message contains `needle` (or as it is after 10 s)."""
    view = await client.chat(user_id)
    for _ in range(20):
        if any(needle in (m.text or "") for m in view.bot_messages):
            return view
        with contextlib.suppress(EmulatorTimeout):
            await client.wait(user_id, view.version, timeout=0.5)
        view = await client.chat(user_id)
    return view


def texts(view: ChatView) -> str:
    return "\n".join(m.text or "" for m in view.bot_messages)


async def test_two_person_approval_delivers_to_the_region_in_each_language(
    waymark: Waymark, client: EmulatorClient, api: PartnerClient, tokens: Tokens
) -> None:
    await subscribe(client, NORTH_EN, "en", "dl-north-riverside")
    await subscribe(client, NORTH_FR, "fr", "dl-north")
    await subscribe(client, SOUTH, "en", "dl-south")

    status, alert = await api.call("POST", "/v1/alerts", tokens.author, json=warning(), key="k1")
    assert status == 201 and alert["state"] == "pending"
    alert_id = alert["id"]

    status, body = await api.call("POST", f"/v1/alerts/{alert_id}/approve", tokens.author)
    assert status == 403 and body["error"]["code"] == "self_approval"
    status, body = await api.call(
        "POST", f"/v1/alerts/{alert_id}/approve", tokens.other_partner_approver
    )
    assert status == 403

    status, body = await api.call("POST", f"/v1/alerts/{alert_id}/approve", tokens.approver)
    assert status == 200 and body["state"] in ("sending", "sent")

    english = await wait_for_text(client, NORTH_EN, "Shelling expected")
    assert "North Civil Defence (demo)" in texts(english)
    assert "Riverside District" in texts(english)
    french = await wait_for_text(client, NORTH_FR, "Bombardements attendus")
    assert "Bombardements attendus" in texts(french)
    south = await client.chat(SOUTH)
    assert "Shelling" not in texts(south) and "Bombardements" not in texts(south)

    status, body = await api.call("GET", f"/v1/alerts/{alert_id}", tokens.author)
    assert status == 200 and body["delivery"]["sent"] == 2


async def test_cancel_edits_what_was_delivered(
    waymark: Waymark, client: EmulatorClient, api: PartnerClient, tokens: Tokens
) -> None:
    await subscribe(client, NORTH_EN, "en", "dl-north-riverside")
    _, alert = await api.call("POST", "/v1/alerts", tokens.author, json=warning(), key="c1")
    await api.call("POST", f"/v1/alerts/{alert['id']}/approve", tokens.approver)
    await wait_for_text(client, NORTH_EN, "Shelling expected")
    status, body = await api.call("POST", f"/v1/alerts/{alert['id']}/cancel", tokens.author)
    assert status == 200 and body["state"] == "cancelled"
    view = await wait_for_text(client, NORTH_EN, "CANCELLED")
    cancelled = [m for m in view.bot_messages if "Shelling expected" in (m.text or "")]
    assert cancelled and all("CANCELLED" in (m.text or "") for m in cancelled)


async def test_test_status_alerts_reach_no_civilian(
    waymark: Waymark, client: EmulatorClient, api: PartnerClient, tokens: Tokens
) -> None:
    await subscribe(client, NORTH_EN, "en", "dl-north-riverside")
    before = await client.chat(NORTH_EN)
    _, alert = await api.call(
        "POST", "/v1/alerts", tokens.author, json=warning(status="Test"), key="t1"
    )
    status, body = await api.call("POST", f"/v1/alerts/{alert['id']}/approve", tokens.approver)
    assert status == 200 and body["state"] == "sent"
    with contextlib.suppress(EmulatorTimeout):
        await client.wait(NORTH_EN, before.version, timeout=1.5)
    after = await client.chat(NORTH_EN)
    assert after.version == before.version and "Shelling" not in texts(after)
    assert body["delivery"]["total"] == 0


async def test_idempotency_key_replays_the_original(
    waymark: Waymark, api: PartnerClient, tokens: Tokens
) -> None:
    first = await api.call("POST", "/v1/alerts", tokens.author, json=warning(), key="same")
    again = await api.call("POST", "/v1/alerts", tokens.author, json=warning(), key="same")
    assert first[0] == 201 and again[0] == 200 and again[1]["id"] == first[1]["id"]
    other = await api.call(
        "POST", "/v1/alerts", tokens.author, json=warning(severity="Minor"), key="same"
    )
    assert other[0] == 422
    _, listing = await api.call("GET", "/v1/alerts", tokens.author)
    assert len(listing["alerts"]) == 1


async def test_revoked_credential_is_refused_on_its_next_request(
    waymark: Waymark, api: PartnerClient, tokens: Tokens
) -> None:
    assert (await api.call("GET", "/v1/me", tokens.author))[0] == 200
    waymark.store.partners.revoke(tokens.author_credential)
    status, body = await api.call("GET", "/v1/me", tokens.author)
    assert status == 401 and body["error"]["code"] == "unauthorized"


async def test_region_outside_the_partners_cover_is_forbidden(
    waymark: Waymark, api: PartnerClient, tokens: Tokens
) -> None:
    status, body = await api.call(
        "POST", "/v1/alerts", tokens.author, json=warning(regions=["dl-south-harbour"]), key="r"
    )
    assert status == 403 and body["error"]["code"] == "region_forbidden"


async def test_bad_requests_get_clear_json_errors(
    waymark: Waymark, api: PartnerClient, tokens: Tokens
) -> None:
    assert (await api.call("GET", "/v1/alerts", None))[0] == 401
    assert (await api.call("GET", "/v1/alerts", "wmk_forged_token"))[0] == 401
    status, body = await api.call(
        "POST",
        "/v1/alerts",
        tokens.author,
        data=b"{not json",
        content_type="application/json",
        key="j",
    )
    assert status == 400 and body["error"]["code"] == "invalid_json"
    status, body = await api.call("POST", "/v1/alerts", tokens.author, json=warning())
    assert status == 400 and body["error"]["code"] == "idempotency_key_required"
    status, _ = await api.call(
        "POST",
        "/v1/alerts",
        tokens.author,
        data=b"x" * 300_000,
        content_type="application/json",
        key="big",
    )
    assert status == 413
    status, _ = await api.call(
        "POST", "/v1/alerts", tokens.author, data=b"hello", content_type="text/plain", key="txt"
    )
    assert status == 415
    status, body = await api.call(
        "POST", "/v1/alerts", tokens.author, json=warning(severity="Apocalyptic"), key="sev"
    )
    assert status == 400 and "severity" in body["error"]["message"]


async def test_audit_log_verifies_and_detects_tampering(
    waymark: Waymark, api: PartnerClient, tokens: Tokens, data_dir: Path
) -> None:
    _, alert = await api.call("POST", "/v1/alerts", tokens.author, json=warning(), key="a1")
    await api.call(
        "POST", f"/v1/alerts/{alert['id']}/reject", tokens.approver, json={"reason": "unconfirmed"}
    )
    verdict = waymark.store.audit.verify()
    assert verdict.ok and verdict.rows >= 6
    conn = sqlite3.connect(data_dir / DB_NAME)
    try:
        conn.execute("DROP TRIGGER audit_no_update")
        conn.execute("UPDATE audit SET actor='someone-else' WHERE action='alert.rejected'")
        conn.commit()
    finally:
        conn.close()
    verdict = waymark.store.audit.verify()
    assert not verdict.ok and "altered" in (verdict.problem or "")


async def test_openapi_document_matches_the_routes(waymark: Waymark, api: PartnerClient) -> None:
    from bot.partners.api import ROUTES

    status, doc = await api.call("GET", "/v1/openapi.json", None)
    assert status == 200
    documented = {(m.upper(), path) for path, ops in doc["paths"].items() for m in ops}
    served = {(method, path) for method, path, _ in ROUTES}
    assert documented == served


async def test_media_is_sent_blurred_under_a_content_note(
    waymark: Waymark, client: EmulatorClient, api: PartnerClient, tokens: Tokens
) -> None:
    await subscribe(client, NORTH_EN, "en", "dl-north-riverside")
    media = {"url": "https://partner.example/damage.jpg", "content_note": "injured people"}
    _, alert = await api.call(
        "POST", "/v1/alerts", tokens.author, json=warning(media=media), key="m1"
    )
    await api.call("POST", f"/v1/alerts/{alert['id']}/approve", tokens.approver)
    view = await client.chat(NORTH_EN)
    for _ in range(50):
        photos = [m for m in view.bot_messages if m.has_photo]
        if photos:
            break
        with contextlib.suppress(EmulatorTimeout):
            view = await client.wait(NORTH_EN, view.version, timeout=0.2)
    assert photos and photos[0].has_spoiler, "the image is blurred until tapped"
    caption = photos[0].caption or ""
    assert "Content note: injured people" in caption and "Shelling expected" in caption
    assert len(caption) <= 1024


async def test_update_edits_the_delivered_warning_and_stats_have_timings(
    waymark: Waymark, client: EmulatorClient, api: PartnerClient, tokens: Tokens
) -> None:
    await subscribe(client, NORTH_EN, "en", "dl-north-riverside")
    _, alert = await api.call("POST", "/v1/alerts", tokens.author, json=warning(), key="u0")
    await api.call("POST", f"/v1/alerts/{alert['id']}/approve", tokens.approver)
    view = await wait_for_text(client, NORTH_EN, "Shelling expected")
    delivered = [m for m in view.bot_messages if "Shelling expected" in (m.text or "")]
    new_text = {"en": {"headline": "Bridge reopened to pedestrians", "body": "Walk, do not drive."}}
    status, update = await api.call(
        "POST",
        f"/v1/alerts/{alert['id']}/update",
        tokens.author,
        json={"texts": new_text, "language": "en"},
        key="u1",
    )
    assert status == 201 and update["msg_type"] == "Update"
    await api.call("POST", f"/v1/alerts/{update['id']}/approve", tokens.approver)
    view = await wait_for_text(client, NORTH_EN, "Bridge reopened")
    edited = [m for m in view.bot_messages if m.message_id == delivered[0].message_id]
    assert edited and "UPDATED WARNING" in (edited[0].text or "") and edited[0].edit_date
    for _ in range(30):
        _, body = await api.call("GET", f"/v1/alerts/{alert['id']}", tokens.author)
        if body["state"] == "sent":
            break
        await asyncio.sleep(0.1)
    assert body["delivery"]["seconds_to"]["p100"] is not None
