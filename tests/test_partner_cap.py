"""CAP 1.2 through the partner API: mapped, vetted and delivered, or refused with a clear 4xx."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import Waymark
from bot.emulator.client import EmulatorClient, EmulatorTimeout
from tests.partner_fixtures import PartnerClient, Tokens, api, subscribe, tokens
from tests.test_e2e_alerts import texts, wait_for_text

__all__ = ["api", "tokens"]

CAP_DIR = Path(__file__).parent / "data" / "cap"
NORTH = 2_200_000_001


def cap(
    identifier: str,
    *,
    msg_type: str = "Alert",
    status: str = "Actual",
    references: str = "",
    geocode: str = "110",
    area: str | None = None,
    infos: str | None = None,
    sent: datetime | None = None,
) -> bytes:
    sent_at = (sent or datetime.now(UTC)).replace(microsecond=0)
    expires = (sent_at + timedelta(hours=3)).isoformat()
    area_xml = area or (
        f"<geocode><valueName>DEMO-REGION</valueName><value>{geocode}</value></geocode>"
    )
    info = (
        infos
        if infos is not None
        else f"""
  <info>
    <language>en-US</language><category>Safety</category><event>Armed clashes</event>
    <urgency>Immediate</urgency><severity>Extreme</severity><certainty>Observed</certainty>
    <expires>{expires}</expires><senderName>North Civil Defence</senderName>
    <headline>Clashes near the northern checkpoint</headline>
    <description>Fighting reported on the main road &lt;b&gt;north&lt;/b&gt;.</description>
    <instruction>Shelter in place.</instruction>
    <area><areaDesc>Riverside</areaDesc>
      {area_xml}</area>
  </info>
  <info>
    <language>fr-FR</language><category>Safety</category><event>Affrontements</event>
    <urgency>Immediate</urgency><severity>Extreme</severity><certainty>Observed</certainty>
    <expires>{expires}</expires>
    <headline>Affrontements près du poste de contrôle nord</headline>
    <description>Combats signalés sur la route principale.</description>
    <area><areaDesc>Riverside</areaDesc>
      {area_xml}</area>
  </info>"""
    )
    refs = f"<references>{references}</references>" if references else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>{identifier}</identifier><sender>civdef@demo.example</sender>
  <sent>{sent_at.isoformat()}</sent><status>{status}</status><msgType>{msg_type}</msgType>
  <scope>Public</scope>{refs}{info}
</alert>""".encode()


async def post_cap(api: PartnerClient, token: str, body: bytes, key: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    return await api.call(
        "POST", "/v1/alerts", token, data=body, content_type="application/cap+xml", key=key
    )


async def test_cap_alert_update_and_cancel_reach_people(
    waymark: Waymark, client: EmulatorClient, api: PartnerClient, tokens: Tokens
) -> None:
    await subscribe(client, NORTH, "fr", "dl-north-riverside")
    sent = datetime.now(UTC).replace(microsecond=0)
    status, alert = await post_cap(api, tokens.author, cap("CD-1", sent=sent), "cap-1")
    assert status == 201, alert
    assert alert["regions"] == ["dl-north-riverside"] and alert["source"] == "cap"
    assert set(alert["texts"]) == {"en", "fr"} and alert["severity"] == "Extreme"
    assert "<b>north</b>" in alert["texts"]["en"]["body"], "escaped HTML stays literal text"
    await api.call("POST", f"/v1/alerts/{alert['id']}/approve", tokens.approver)
    view = await wait_for_text(client, NORTH, "Affrontements près du poste")
    assert "Affrontements près du poste de contrôle nord" in texts(view)

    ref = f"civdef@demo.example,CD-1,{sent.isoformat()}"
    status, update = await post_cap(
        api, tokens.author, cap("CD-2", msg_type="Update", references=ref), "cap-2"
    )
    assert status == 201 and update["msg_type"] == "Update" and update["refers_to"] == alert["id"]

    status, cancelled = await post_cap(
        api, tokens.author, cap("CD-3", msg_type="Cancel", references=ref, infos=""), "cap-3"
    )
    assert status == 200 and cancelled["state"] == "cancelled"
    view = await wait_for_text(client, NORTH, "CANCELLED")
    assert "CANCELLED" in texts(view) or "ANNUL" in texts(view).upper()


async def test_cap_exercise_reaches_no_civilian(
    waymark: Waymark, client: EmulatorClient, api: PartnerClient, tokens: Tokens
) -> None:
    await subscribe(client, NORTH, "en", "dl-north-riverside")
    before = await client.chat(NORTH)
    status, alert = await post_cap(api, tokens.author, cap("EX-1", status="Exercise"), "ex")
    assert status == 201
    status, body = await api.call("POST", f"/v1/alerts/{alert['id']}/approve", tokens.approver)
    assert status == 200 and body["state"] == "sent" and body["delivery"]["total"] == 0
    with contextlib.suppress(EmulatorTimeout):
        await client.wait(NORTH, before.version, timeout=1.0)
    assert (await client.chat(NORTH)).version == before.version


async def test_update_of_another_partners_alert_is_forbidden(
    waymark: Waymark, api: PartnerClient, tokens: Tokens
) -> None:
    sent = datetime.now(UTC).replace(microsecond=0)
    status, _ = await post_cap(api, tokens.author, cap("CD-9", sent=sent), "mine")
    assert status == 201
    waymark.store.partners.set_regions("southwatch", ["dl"])
    ref = f"civdef@demo.example,CD-9,{sent.isoformat()}"
    status, body = await post_cap(
        api,
        tokens.other_partner_approver,
        cap("X-1", msg_type="Cancel", references=ref, infos=""),
        "theirs",
    )
    assert status == 403 and body["error"]["code"] == "other_partner"


@pytest.mark.parametrize(
    ("name", "status", "code"),
    [
        ("EDGE_xxe-doctype-external-entities_nws-thunderstorm.cap", 400, "xml_forbidden"),
        ("EDGE_invalid_missing-scope.cap", 400, "missing_element"),
        ("oasis-A2_us-nws-sacramento_thunderstorm_polygon-geocode.xml", 400, None),
    ],
)
async def test_bad_or_unmappable_cap_files_are_refused_and_leave_no_trace(
    waymark: Waymark,
    api: PartnerClient,
    tokens: Tokens,
    name: str,
    status: int,
    code: str | None,
) -> None:
    got, body = await post_cap(api, tokens.author, (CAP_DIR / "samples" / name).read_bytes(), name)
    assert got == status, body
    if code:
        assert body["error"]["code"] == code
    _, listing = await api.call("GET", "/v1/alerts", tokens.author)
    assert listing["alerts"] == []


@pytest.mark.parametrize(
    "name",
    [
        "defusedxml_xmlbomb.xml",
        "defusedxml_quadratic.xml",
        "defusedxml_external.xml",
        "defusedxml_cyclic.xml",
    ],
)
async def test_xml_attacks_are_refused(
    waymark: Waymark, api: PartnerClient, tokens: Tokens, name: str
) -> None:
    got, body = await post_cap(api, tokens.author, (CAP_DIR / "attacks" / name).read_bytes(), name)
    assert got == 400 and body["error"]["code"] in ("xml_forbidden", "xml_malformed")


async def test_unmapped_geocode_is_refused_with_a_clear_error(
    waymark: Waymark, api: PartnerClient, tokens: Tokens
) -> None:
    status, body = await post_cap(api, tokens.author, cap("NR-1", geocode="999"), "nr")
    assert status == 400 and body["error"]["code"] == "no_region"


@pytest.mark.parametrize(
    ("area", "region"),
    [
        (
            "<polygon>-57.5,-39.0 -57.5,-38.0 -57.0,-38.0 -57.5,-39.0</polygon>",
            "dl-north-riverside",
        ),
        ("<circle>-59.0,-32.0 20</circle>", "dl-south-plains"),
    ],
)
async def test_polygons_and_circles_map_to_the_most_specific_region(
    waymark: Waymark, api: PartnerClient, tokens: Tokens, area: str, region: str
) -> None:
    waymark.store.partners.set_regions("civdef", ["dl"])
    status, alert = await post_cap(api, tokens.author, cap("SH-1", area=area), "shape")
    assert status == 201, alert
    assert alert["regions"] == [region]
