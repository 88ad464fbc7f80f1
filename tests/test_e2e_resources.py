"""Resource hubs end to end: people browse them through the emulator, partners keep them current
over HTTP, on a real SQLite store seeded from content/resources.yaml."""

from __future__ import annotations

from datetime import date, timedelta

from babel.dates import format_date

from bot.app import Waymark
from bot.emulator.client import ChatView, EmulatorClient
from bot.resources.model import Contact, Resource
from tests.partner_fixtures import PartnerClient, Tokens, api, subscribe, tokens
from tests.test_e2e_skeleton import labels, onboard, only_bot_message

__all__ = ["api", "tokens"]  # fixtures

PERSON, FRENCH, SOUTHERNER = 3_100_000_001, 3_100_000_002, 3_100_000_003


def entry(**overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "id": "hills-night-shelter",
        "category": "shelter",
        "name": "Hills Night Shelter (demo)",
        "contacts": [{"kind": "tel", "value": "+9900000555"}],
        "hours": "20:00-07:00",
        "languages": ["en", "fr"],
        "regions": ["dl-north-hills"],
        "source": "https://demoland.example/shelters/night",
    }
    body.update(overrides)
    return body


def medium(day: date, lang: str = "en") -> str:
    return format_date(day, format="medium", locale=lang)


def data_starting(view: ChatView, prefix: str) -> str | None:
    last = view.last_bot
    assert last is not None
    found = [b.callback_data for row in last.buttons for b in row]
    return next((d for d in found if d and d.startswith(prefix)), None)


async def to_region(client: EmulatorClient, user_id: int, region: str) -> ChatView:
    """From the menu, as a person taps: Find help → Choose a region → drill down → pick."""
    await client.press_and_wait(user_id, data="1|findhelp")
    await client.press_and_wait(user_id, data="1|fhregions")
    parts = region.split("-")
    for depth in range(1, len(parts)):
        await client.press_and_wait(user_id, data="1|fhregions|" + "-".join(parts[:depth]))
    return await client.press_and_wait(user_id, data=f"1|fhpick|{region}")


async def open_list(client: EmulatorClient, user_id: int, category: int) -> str:
    """From the cut-off card or a list: back to the categories (Continue / Back), then one."""
    view = await client.chat(user_id)
    back = data_starting(view, "1|fhcats|")
    if back is not None:
        view = await client.press_and_wait(user_id, data=back)
    pick = data_starting(view, f"1|fhlist|{category}.0.")
    assert pick is not None, labels(view)
    return only_bot_message(await client.press_and_wait(user_id, data=pick))


async def test_a_person_sees_live_entries_for_the_region_and_global_ones(
    waymark: Waymark, client: EmulatorClient, api: PartnerClient, tokens: Tokens
) -> None:
    today = date.today()
    # An entry verified long ago whose validity has run out: it must never be shown.
    expired = Resource(
        id="old-riverside-clinic",
        category="emergency-medical",
        name="Old Riverside Clinic (demo)",
        contacts=(Contact("tel", "+9900000999"),),
        regions=("dl-north-riverside",),
        verified_by="civdef",
        last_verified=today - timedelta(days=400),
        expires=today - timedelta(days=1),
        source="https://demoland.example/old",
    )
    waymark.store.resources.import_sync([expired])
    soon = today + timedelta(days=10)
    status, created = await api.call(
        "POST",
        "/v1/resources",
        tokens.author,
        json=entry(
            id="riverside-boat-ambulance",
            category="emergency-medical",
            name="Riverside Boat Ambulance (demo)",
            regions=["dl-north-riverside"],
            contacts=[{"kind": "telegram", "value": "@boat_ambulance_demo"}],
            expires=soon.isoformat(),
        ),
    )
    assert status == 201, created
    assert created["verified_by"] == "civdef" and created["last_verified"] == today.isoformat()
    assert created["expiring_soon"] is True

    await subscribe(client, PERSON, "en", "dl-north-riverside")
    await client.press_and_wait(PERSON, label="⬅ Menu")
    view = await client.press_and_wait(PERSON, label="🆘 Find help near you")
    assert labels(view)[0] == "📍 Riverside District", "saved warning regions come first"

    view = await client.press_and_wait(PERSON, label="📍 Riverside District")
    card = only_bot_message(view)
    assert "If Telegram or the internet is cut off" in card
    assert "+9900000102" in card, "the district's phone numbers, to write down"
    assert "+9900000101" in card, "the province's too"
    assert "+9970000201" not in card, "never another province's"
    assert "@boat_ambulance_demo" in card, "other channels partners run for the region"
    assert "proxy" in card

    view = await client.press_and_wait(PERSON, label="➡ Continue")
    assert "🏥 Emergency medical care (3)" in labels(view)

    text = await open_list(client, PERSON, 0)
    assert "Riverside Mobile Clinic (demo)" in text and "Northern Field Hospital (demo)" in text
    assert "Harbour First Aid Post" not in text, "another region's entry"
    assert "Old Riverside Clinic" not in text, "an expired entry"
    assert "📞 +9900000102" in text and "✈️ @boat_ambulance_demo" in text
    assert f"Verified by North Civil Defence (demo) · {medium(today)}" in text
    assert f"Last verified {medium(today)} — may be out of date soon." in text
    assert text.count("may be out of date soon") == 1

    text = await open_list(client, PERSON, 6)
    assert "Access Now Digital Security Helpline" in text, "global entries are shown everywhere"
    assert f"Verified by Waymark editors · {medium(date(2026, 11, 23))}" in text

    view = await client.press_and_wait(PERSON, label="⬅ Back")
    view = await client.press_and_wait(PERSON, label="🧭 Check before you share")
    advice = only_bot_message(view)
    assert "share before it is deleted" in advice and "less than human" in advice
    assert len(advice) < 4096


async def test_dates_are_localized_and_other_regions_stay_apart(
    waymark: Waymark, client: EmulatorClient
) -> None:
    await onboard(client, FRENCH)
    await client.press_and_wait(FRENCH, label="🌐 Language")
    await client.press_and_wait(FRENCH, data="1|lang|fr")
    await to_region(client, FRENCH, "dl-north-hills")
    text = await open_list(client, FRENCH, 1)
    assert "Hill District School Shelter (demo)" in text
    assert medium(date(2026, 11, 1), "fr") in text

    await onboard(client, SOUTHERNER)
    view = await to_region(client, SOUTHERNER, "dl-south-harbour")
    card = only_bot_message(view)
    assert "+9970000201" in card and "+9900000102" not in card
    text = await open_list(client, SOUTHERNER, 1)
    assert "Riverside" not in text and "Hill District" not in text


async def test_a_partner_update_reaches_the_person_and_is_audited(
    waymark: Waymark, client: EmulatorClient, api: PartnerClient, tokens: Tokens
) -> None:
    status, _ = await api.call("POST", "/v1/resources", tokens.author, json=entry())
    assert status == 201
    await onboard(client, PERSON)
    await to_region(client, PERSON, "dl-north-hills")
    text = await open_list(client, PERSON, 1)
    assert "Hills Night Shelter (demo)" in text and "+9900000555" in text
    assert "French" in text and "20:00-07:00" in text

    status, changed = await api.call(
        "PUT",
        "/v1/resources/hills-night-shelter",
        tokens.approver,
        json={"name": "Hills Night Shelter, moved (demo)", "contacts": ["tel:+9900000556"]},
    )
    assert status == 200, changed
    assert changed["name"] == "Hills Night Shelter, moved (demo)"
    assert changed["hours"] == "20:00-07:00", "fields not sent keep their value"
    text = await open_list(client, PERSON, 1)
    assert "Hills Night Shelter, moved (demo)" in text and "+9900000556" in text
    assert "+9900000555" not in text

    status, listing = await api.call("GET", "/v1/resources", tokens.author)
    ids = {r["id"] for r in listing["resources"]}
    assert "hills-night-shelter" in ids and "demo-riverside-clinic" in ids
    assert "demo-south-first-aid" not in ids and "accessnow-helpline" not in ids

    status, body = await api.call("DELETE", "/v1/resources/hills-night-shelter", tokens.author)
    assert status == 200 and body == {"id": "hills-night-shelter", "retired": True}
    text = await open_list(client, PERSON, 1)
    assert "Hills Night Shelter" not in text
    assert (await api.call("DELETE", "/v1/resources/hills-night-shelter", tokens.author))[0] == 404
    status, _ = await api.call("POST", "/v1/resources", tokens.author, json=entry())
    assert status == 409, "a retired id stays taken: the audit log refers to it"

    trail = await waymark.store.audit.entries("hills-night-shelter")
    assert [e.action for e in trail] == ["resource.create", "resource.update", "resource.retire"]
    assert all(e.actor.startswith("civdef/") for e in trail)
    assert waymark.store.audit.verify().ok


async def test_lists_are_paged_five_at_a_time(
    waymark: Waymark, client: EmulatorClient, api: PartnerClient, tokens: Tokens
) -> None:
    for n in range(7):
        status, _ = await api.call(
            "POST",
            "/v1/resources",
            tokens.author,
            json=entry(id=f"kitchen-{n}", category="food-water", name=f"Kitchen {n} (demo)"),
        )
        assert status == 201
    await onboard(client, PERSON)
    await to_region(client, PERSON, "dl-north-hills")
    text = await open_list(client, PERSON, 2)
    shown = [n for n in range(7) if f"Kitchen {n} (demo)" in text]
    assert len(shown) + ("Northern Water" in text) == 5 and "Page 1 of 2" in text
    view = await client.press_and_wait(PERSON, label="Next ▶")
    second = only_bot_message(view)
    assert "Page 2 of 2" in second and "◀ Previous" in labels(view)
    rest = [n for n in range(7) if f"Kitchen {n} (demo)" in second]
    assert sorted(shown + rest) == list(range(7))


async def test_a_partner_cannot_touch_regions_outside_its_cover(
    waymark: Waymark, api: PartnerClient, tokens: Tokens
) -> None:
    south = tokens.other_partner_approver
    status, body = await api.call("POST", "/v1/resources", south, json=entry())
    assert status == 403 and body["error"]["code"] == "region_forbidden"
    for method in ("PUT", "DELETE"):
        status, body = await api.call(
            method, "/v1/resources/demo-riverside-clinic", south, json={"hours": "never"}
        )
        assert status == 403 and body["error"]["code"] == "region_forbidden"
    status, body = await api.call(
        "PUT", "/v1/resources/accessnow-helpline", tokens.author, json={"hours": "24/7"}
    )
    assert status == 403, "global entries are the operator's"
    status, body = await api.call(
        "POST", "/v1/resources", tokens.author, json=entry(regions=["global"])
    )
    assert status == 403
    status, body = await api.call(
        "PUT",
        "/v1/resources/demo-riverside-clinic",
        tokens.author,
        json={"regions": ["dl-north-riverside", "dl-south-harbour"]},
    )
    assert status == 403, "not even by widening an entry it may touch"


async def test_invalid_entries_get_clear_messages(
    waymark: Waymark, api: PartnerClient, tokens: Tokens
) -> None:
    bad = entry(
        contacts=[{"kind": "tel", "value": "0800 123"}, {"kind": "https", "value": "http://x.org"}],
        regions=["atlantis"],
        category="spa",
    )
    status, body = await api.call("POST", "/v1/resources", tokens.author, json=bad)
    assert status == 400 and body["error"]["code"] == "invalid_resource"
    message = body["error"]["message"]
    assert "phone number '0800 123'" in message and "https://" in message
    assert "unknown region code 'atlantis'" in message and "category" in message
    status, body = await api.call(
        "POST", "/v1/resources", tokens.author, json=entry(expires="2001-01-01")
    )
    assert status == 400
    status, body = await api.call("POST", "/v1/resources", tokens.author, data=b"[1, 2]")
    assert status == 400
    status, _ = await api.call(
        "PUT", "/v1/resources/no-such-entry", tokens.author, json={"hours": "x"}
    )
    assert status == 404


async def test_find_help_replaces_the_not_ready_screen(
    waymark: Waymark, client: EmulatorClient
) -> None:
    view: ChatView = await onboard(client, PERSON)
    view = await client.press_and_wait(PERSON, label="🆘 Find help near you")
    text = only_bot_message(view)
    assert "not ready" not in text and "Choose the region you are in" in text
    view = await client.press_and_wait(PERSON, label="🗺 Choose a region")
    view = await client.press_and_wait(PERSON, data="1|fhregions|dl")
    assert "Northern Province" in labels(view)
    view = await client.press_and_wait(PERSON, data="1|fhlist|9.0.dl", forge=True)
    assert "Choose the region you are in" in only_bot_message(view), "a forged index is refused"


async def test_the_longest_entries_still_fit_one_message(
    waymark: Waymark, client: EmulatorClient, api: PartnerClient, tokens: Tokens
) -> None:
    for n in range(7):
        longest = entry(
            id=f"long-{n}",
            name=f"{n} " + "Ш" * 78,
            hours="H" * 60,
            languages=["en", "fr", "ar", "fa", "my", "uk"],
            contacts=[
                {"kind": "tel", "value": "+99000000000000" + str(n)},
                {"kind": "https", "value": "https://demoland.example/" + "a" * 75},
                {"kind": "telegram", "value": "@" + "b" * 31 + str(n)},
            ],
        )
        status, body = await api.call("POST", "/v1/resources", tokens.author, json=longest)
        assert status == 201, body
    await onboard(client, PERSON)
    await client.press_and_wait(PERSON, label="🌐 Language")
    await client.press_and_wait(PERSON, data="1|lang|my")
    card = only_bot_message(await to_region(client, PERSON, "dl-north-hills"))
    assert len(card.encode("utf-16-le")) // 2 <= 4096
    text = await open_list(client, PERSON, 1)
    assert len(text.encode("utf-16-le")) // 2 <= 4096
    assert text.count("@" + "b" * 31) <= 5
