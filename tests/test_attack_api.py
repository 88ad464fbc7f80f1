"""Attacks on the partner API over real HTTP, against the real app, store and emulator.

Each test plays an attacker (a forged or stolen token, another partner, a replayed request, an
oversize body) and checks what the attacker and the people subscribed would notice: the status
code, that nothing was stored, and that nobody's chat changed. Simple cases already covered in
tests/test_e2e_alerts.py and tests/test_partner_cap.py are not repeated here.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.app import Waymark
from bot.emulator.client import EmulatorClient, EmulatorTimeout
from bot.partners.api import MAX_BODY_BYTES
from tests.partner_fixtures import PartnerClient, Tokens, api, subscribe, tokens, warning
from tests.test_e2e_alerts import texts, wait_for_text
from tests.test_partner_cap import cap, post_cap

__all__ = ["api", "tokens"]  # fixtures

ROOT = Path(__file__).resolve().parent.parent
NORTH = 2_300_000_001


async def raw(
    api: PartnerClient,
    method: str,
    path: str,
    headers: dict[str, str],
    data: bytes | AsyncIterator[bytes] | None = None,
) -> tuple[int, dict[str, str], Any]:
    """A request with exactly these headers (no helper adds a token or a content type)."""
    async with api.session.request(method, api.base + path, headers=headers, data=data) as resp:
        return resp.status, dict(resp.headers), await resp.json(content_type=None)


async def listing(api: PartnerClient, token: str) -> list[dict[str, Any]]:
    status, body = await api.call("GET", "/v1/alerts", token)
    assert status == 200
    alerts: list[dict[str, Any]] = body["alerts"]
    return alerts


async def nothing_new(client: EmulatorClient, user_id: int, seconds: float = 1.5) -> bool:
    """True if the bot did not change this person's chat for `seconds`."""
    before = await client.chat(user_id)
    with contextlib.suppress(EmulatorTimeout):
        await client.wait(user_id, before.version, timeout=seconds)
    return (await client.chat(user_id)).version == before.version


async def operator(data_dir: Path, *args: str) -> tuple[int, str]:
    """`waymark ARGS` as the operator runs it: another process, on the live data directory."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WAYMARK_", "TELEGRAM_"))}
    env["WAYMARK_DATA_DIR"] = str(data_dir)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        *args,
        env=env,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    return process.returncode or 0, out.decode()


def secret_of(token: str) -> str:
    return token.split("_", 2)[2]


def credential_of(token: str) -> str:
    return token.split("_", 2)[1]


async def test_forged_and_mangled_tokens_create_nothing(
    waymark: Waymark, api: PartnerClient, tokens: Tokens
) -> None:
    real = tokens.author
    other_credential = credential_of(tokens.other_partner_approver)
    body = json.dumps(warning()).encode()
    forgeries = {
        "a real credential id with a fresh secret": f"Bearer wmk_{tokens.author_credential}_"
        + secrets.token_urlsafe(32),
        "the real token with its last character changed": "Bearer "
        + real[:-1]
        + ("A" if real[-1] != "A" else "B"),
        "the real token cut short": "Bearer " + real[:-8],
        "the real token with a character added": "Bearer " + real + "x",
        "this partner's secret under another partner's credential id": (
            f"Bearer wmk_{other_credential}_{secret_of(real)}"
        ),
        "the real token under another scheme": "Basic " + real,
        "the real token without a scheme": real,
        "an empty bearer": "Bearer ",
        "a very long token": "Bearer wmk_" + "a" * 8000,
    }
    for what, header in forgeries.items():
        status, headers, answer = await raw(
            api,
            "POST",
            "/v1/alerts",
            {
                "Authorization": header,
                "Idempotency-Key": what[:40],
                "Content-Type": "application/json",
            },
            body,
        )
        assert status == 401, what
        assert answer["error"]["code"] == "unauthorized", what
        assert headers.get("WWW-Authenticate") == "Bearer", what
    # A token in the query string instead of the header is not a way in either.
    status, _, _ = await raw(api, "GET", f"/v1/me?access_token={real}", {})
    assert status == 401
    assert await listing(api, real) == [], "no forgery created anything"


async def test_operator_revocation_refuses_the_very_next_request(
    waymark: Waymark, api: PartnerClient, tokens: Tokens, data_dir: Path
) -> None:
    status, alert = await api.call("POST", "/v1/alerts", tokens.author, json=warning(), key="r1")
    assert status == 201
    # The operator revokes the author's credential from another process, while Waymark runs.
    code, out = await operator(data_dir, "partner", "revoke", tokens.author_credential)
    assert code == 0, out
    status, body = await api.call("POST", "/v1/alerts", tokens.author, json=warning(), key="r2")
    assert status == 401 and body["error"]["code"] == "unauthorized"
    status, _ = await api.call("POST", f"/v1/alerts/{alert['id']}/cancel", tokens.author)
    assert status == 401, "a revoked credential cannot even cancel"
    # Other credentials of the partner keep working until the partner itself is revoked.
    assert (await api.call("GET", "/v1/me", tokens.approver))[0] == 200
    code, out = await operator(data_dir, "partner", "revoke", "civdef")
    assert code == 0, out
    status, _ = await api.call("POST", f"/v1/alerts/{alert['id']}/approve", tokens.approver)
    assert status == 401
    stored = await waymark.store.alerts.of_partner("civdef")
    assert [(a.id, a.state) for a in stored] == [(alert["id"], "pending")]


async def test_another_partner_cannot_touch_an_alert_by_its_id(
    waymark: Waymark, api: PartnerClient, tokens: Tokens
) -> None:
    _, alert = await api.call("POST", "/v1/alerts", tokens.author, json=warning(), key="own")
    target, intruder = alert["id"], tokens.other_partner_approver
    # The intruder's partner covers every region, so only ownership stands in the way.
    waymark.store.partners.set_regions("southwatch", ["dl"])

    status, _ = await api.call("GET", f"/v1/alerts/{target}", intruder)
    assert status == 404, "reading another partner's alert does not even confirm it exists"
    for action, payload in (("approve", None), ("reject", {"reason": "fake"}), ("cancel", None)):
        status, body = await api.call(
            "POST", f"/v1/alerts/{target}/{action}", intruder, json=payload
        )
        assert status == 403 and body["error"]["code"] == "other_partner", action
    new_text = {"en": {"headline": "All clear, go outside", "body": "The danger has passed."}}
    status, body = await api.call(
        "POST", f"/v1/alerts/{target}/update", intruder, json={"texts": new_text}, key="hijack"
    )
    assert status == 403 and body["error"]["code"] == "other_partner"

    assert await listing(api, intruder) == []
    (mine,) = await listing(api, tokens.author)
    assert mine["id"] == target and mine["state"] == "pending"
    assert mine["texts"] == alert["texts"], "the intruder changed nothing"


async def test_another_partner_cannot_withdraw_or_rewrite_a_delivered_warning(
    waymark: Waymark, client: EmulatorClient, api: PartnerClient, tokens: Tokens
) -> None:
    await subscribe(client, NORTH, "en", "dl-north-riverside")
    sent = datetime.now(UTC).replace(microsecond=0)
    status, alert = await post_cap(api, tokens.author, cap("CD-7", sent=sent), "cap-own")
    assert status == 201, alert
    await api.call("POST", f"/v1/alerts/{alert['id']}/approve", tokens.approver)
    await wait_for_text(client, NORTH, "Clashes near the northern checkpoint")

    intruder = tokens.other_partner_approver
    waymark.store.partners.set_regions("southwatch", ["dl"])
    status, body = await api.call("POST", f"/v1/alerts/{alert['id']}/cancel", intruder)
    assert status == 403 and body["error"]["code"] == "other_partner"
    reference = f"civdef@demo.example,CD-7,{sent.isoformat()}"
    for msg_type, identifier in (("Cancel", "X-8"), ("Update", "X-9")):
        message = cap(
            identifier,
            msg_type=msg_type,
            references=reference,
            infos="" if msg_type == "Cancel" else None,
        )
        status, body = await post_cap(api, intruder, message, identifier)
        assert status == 403 and body["error"]["code"] == "other_partner", msg_type

    assert await nothing_new(client, NORTH), "the person's warning was neither edited nor withdrawn"
    shown = texts(await client.chat(NORTH))
    assert "Clashes near the northern checkpoint" in shown and "CANCELLED" not in shown
    assert await listing(api, intruder) == []


async def test_a_partner_cannot_squat_another_partners_cap_identifiers(
    waymark: Waymark, client: EmulatorClient, api: PartnerClient, tokens: Tokens
) -> None:
    """CAP <sender> is self-declared: a partner reusing another's sender and identifier must not
    stop the real owner from cancelling its own warning with a CAP Cancel."""
    await subscribe(client, NORTH, "en", "dl-north-riverside")
    sent = datetime.now(UTC).replace(microsecond=0)
    status, alert = await post_cap(api, tokens.author, cap("CD-5", sent=sent), "cap-5")
    assert status == 201
    await api.call("POST", f"/v1/alerts/{alert['id']}/approve", tokens.approver)
    await wait_for_text(client, NORTH, "Clashes near the northern checkpoint")

    # South Watch posts a CAP alert in its own region under North's sender and identifier.
    squat = cap("CD-5", sent=sent, geocode="210")
    status, _ = await post_cap(api, tokens.other_partner_approver, squat, "squat")
    assert status == 201

    reference = f"civdef@demo.example,CD-5,{sent.isoformat()}"
    cancel = cap("CD-6", msg_type="Cancel", references=reference, infos="")
    status, body = await post_cap(api, tokens.author, cancel, "cap-6")
    assert status == 200, body
    assert body["id"] == alert["id"] and body["state"] == "cancelled"
    await wait_for_text(client, NORTH, "CANCELLED")


async def test_self_approval_is_refused_with_a_rotated_token_and_on_updates(
    waymark: Waymark, api: PartnerClient, tokens: Tokens
) -> None:
    _, alert = await api.call("POST", "/v1/alerts", tokens.author, json=warning(), key="s1")
    # A new token for the same credential is still the same person.
    rotated = waymark.store.partners.rotate_token(tokens.author_credential)
    assert (await api.call("GET", "/v1/me", tokens.author))[0] == 401, "the old token is dead"
    status, body = await api.call("POST", f"/v1/alerts/{alert['id']}/approve", rotated)
    assert status == 403 and body["error"]["code"] == "self_approval"

    status, _ = await api.call("POST", f"/v1/alerts/{alert['id']}/approve", tokens.approver)
    assert status == 200
    new_text = {"en": {"headline": "Bridge reopened", "body": "Walk, do not drive."}}
    status, update = await api.call(
        "POST", f"/v1/alerts/{alert['id']}/update", rotated, json={"texts": new_text}, key="s2"
    )
    assert status == 201 and update["state"] == "pending"
    status, body = await api.call("POST", f"/v1/alerts/{update['id']}/approve", rotated)
    assert status == 403 and body["error"]["code"] == "self_approval"
    _, update = await api.call("GET", f"/v1/alerts/{update['id']}", tokens.approver)
    assert update["state"] == "pending"


async def test_roles_cannot_be_exceeded(
    waymark: Waymark, api: PartnerClient, tokens: Tokens
) -> None:
    _, author_only = waymark.store.partners.add_credential("civdef", "intern", ["author"])
    status, body = await api.call("POST", "/v1/alerts", tokens.approver, json=warning(), key="a")
    assert status == 403 and body["error"]["code"] == "role_required"
    _, alert = await api.call("POST", "/v1/alerts", author_only, json=warning(), key="b")
    for action, payload in (("approve", None), ("reject", {"reason": "no"})):
        status, body = await api.call(
            "POST", f"/v1/alerts/{alert['id']}/{action}", author_only, json=payload
        )
        assert status == 403 and body["error"]["code"] == "role_required", action
    (stored,) = await listing(api, tokens.author)
    assert stored["state"] == "pending"


async def test_replayed_requests_send_one_warning(
    waymark: Waymark, client: EmulatorClient, api: PartnerClient, tokens: Tokens
) -> None:
    await subscribe(client, NORTH, "en", "dl-north-riverside")
    status, alert = await api.call("POST", "/v1/alerts", tokens.author, json=warning(), key="once")
    assert status == 201
    await api.call("POST", f"/v1/alerts/{alert['id']}/approve", tokens.approver)
    view = await wait_for_text(client, NORTH, "Shelling expected")

    # An attacker who captured the request (or a retrying script) sends it again.
    status, again = await api.call("POST", "/v1/alerts", tokens.author, json=warning(), key="once")
    assert status == 200 and again["id"] == alert["id"] and again["state"] in ("sending", "sent")
    status, body = await api.call("POST", f"/v1/alerts/{alert['id']}/approve", tokens.approver)
    assert status == 409 and body["error"]["code"] == "invalid_state"
    new_text = {"en": {"headline": "Shelling moved east", "body": "Avoid the east road."}}
    first = await api.call(
        "POST", f"/v1/alerts/{alert['id']}/update", tokens.author, json={"texts": new_text}, key="u"
    )
    second = await api.call(
        "POST", f"/v1/alerts/{alert['id']}/update", tokens.author, json={"texts": new_text}, key="u"
    )
    assert first[0] == 201 and second[0] == 200 and second[1]["id"] == first[1]["id"]
    cap_alert = cap("RP-1")
    first = await post_cap(api, tokens.author, cap_alert, "cap-once")
    second = await post_cap(api, tokens.author, cap_alert, "cap-once")
    assert first[0] == 201 and second[0] == 200 and second[1]["id"] == first[1]["id"]

    assert len(await listing(api, tokens.author)) == 3, "alert, its update, the CAP alert"
    assert await nothing_new(client, NORTH)
    warnings = [m for m in (await client.chat(NORTH)).bot_messages if "Shelling" in (m.text or "")]
    assert len(warnings) == 1 and warnings[0].message_id == view.bot_messages[-1].message_id


def padded_json(size: int) -> bytes:
    """A valid alert as JSON, padded with whitespace (still valid JSON) to exactly `size` bytes."""
    body = json.dumps(warning()).encode()
    return body[:-1] + b" " * (size - len(body)) + b"}"


def padded_cap(size: int) -> bytes:
    """A valid CAP alert padded with an XML comment to exactly `size` bytes."""
    body = cap("BIG-1")
    filler = size - len(body) - len(b"<!---->")
    return body.replace(b"<alert ", b"<!--" + b"x" * filler + b"--><alert ", 1)


async def chunks(data: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def test_oversize_bodies_are_refused_and_nothing_is_stored(
    waymark: Waymark, client: EmulatorClient, api: PartnerClient, tokens: Tokens
) -> None:
    await subscribe(client, NORTH, "en", "dl-north-riverside")
    auth = {"Authorization": f"Bearer {tokens.author}"}
    json_type, cap_type = (
        {"Content-Type": "application/json"},
        {"Content-Type": "application/cap+xml"},
    )
    over = MAX_BODY_BYTES + 1
    attempts: list[tuple[str, str, dict[str, str], bytes | AsyncIterator[bytes]]] = [
        ("JSON one byte over", "/v1/alerts", json_type, padded_json(over)),
        ("CAP one byte over", "/v1/alerts", cap_type, padded_cap(over)),
        ("JSON streamed without a length", "/v1/alerts", json_type, chunks(padded_json(4 * over))),
        ("CAP streamed without a length", "/v1/alerts", cap_type, chunks(padded_cap(4 * over))),
    ]
    for what, path, kind, data in attempts:
        status, _, body = await raw(
            api, "POST", path, {**auth, **kind, "Idempotency-Key": what}, data
        )
        assert status == 413 and body["error"]["code"] == "too_large", what
    assert await listing(api, tokens.author) == []

    # Right at the limit a body is read and judged on its content.
    status, _, alert = await raw(
        api,
        "POST",
        "/v1/alerts",
        {**auth, **json_type, "Idempotency-Key": "at"},
        padded_json(MAX_BODY_BYTES),
    )
    assert status == 201, alert
    for action in ("update", "reject"):
        status, _, body = await raw(
            api,
            "POST",
            f"/v1/alerts/{alert['id']}/{action}",
            {**auth, **json_type, "Idempotency-Key": action},
            padded_json(over),
        )
        assert status == 413, action
    (stored,) = await listing(api, tokens.author)
    assert stored["state"] == "pending" and stored["id"] == alert["id"]
    assert await nothing_new(client, NORTH, 0.5), "nobody was warned of anything"


async def test_regions_beyond_the_partners_cover_are_refused_in_every_form(
    waymark: Waymark, api: PartnerClient, tokens: Tokens
) -> None:
    attempts = {
        "the whole country, wider than the partner's province": ["dl"],
        "one own district smuggled with a foreign one": ["dl-north-riverside", "dl-south-harbour"],
        "the neighbouring province": ["dl-south"],
    }
    for what, regions in attempts.items():
        status, body = await api.call(
            "POST", "/v1/alerts", tokens.author, json=warning(regions=regions), key=what[:30]
        )
        assert status == 403 and body["error"]["code"] == "region_forbidden", what
    status, body = await post_cap(api, tokens.author, cap("SO-1", geocode="210"), "cap-south")
    assert status == 403 and body["error"]["code"] == "region_forbidden"
    status, body = await api.call(
        "POST", "/v1/alerts", tokens.author, json=warning(regions=["dl-nowhere"]), key="nowhere"
    )
    assert status == 400 and body["error"]["code"] == "unknown_region"

    _, own = await api.call("POST", "/v1/alerts", tokens.author, json=warning(), key="own")
    status, body = await api.call(
        "POST",
        f"/v1/alerts/{own['id']}/update",
        tokens.author,
        json={"regions": ["dl-south-harbour"]},
        key="move",
    )
    assert status == 403 and body["error"]["code"] == "region_forbidden"
    assert [a["id"] for a in await listing(api, tokens.author)] == [own["id"]]


async def test_deeply_nested_json_is_a_client_error_not_a_crash(
    waymark: Waymark, api: PartnerClient, tokens: Tokens
) -> None:
    auth = {"Authorization": f"Bearer {tokens.author}", "Content-Type": "application/json"}
    _, alert = await api.call("POST", "/v1/alerts", tokens.author, json=warning(), key="n0")
    nested = b"[" * 100_000 + b"]" * 100_000  # well under the size limit
    for path in (
        "/v1/alerts",
        f"/v1/alerts/{alert['id']}/update",
        f"/v1/alerts/{alert['id']}/reject",
    ):
        status, _, body = await raw(api, "POST", path, {**auth, "Idempotency-Key": path}, nested)
        assert status == 400 and body["error"]["code"] == "invalid_json", path
    deep_xml = cap("DEEP-1").replace(
        b"<headline>", b"<headline>" + b"<x>" * 30_000 + b"</x>" * 30_000, 1
    )
    status, body = await post_cap(api, tokens.author, deep_xml, "deep-cap")
    assert status == 400, body
    assert [a["id"] for a in await listing(api, tokens.author)] == [alert["id"]]
