"""The CAP 1.2 parser: real samples, XML attacks, and the variants real feeds send."""

from __future__ import annotations

import re
import socket
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from bot.alerts.cap import DEFAULT_MAX_BYTES, CapError, map_areas_to_regions, parse_cap
from bot.alerts.model import AlertText, CapAlert, CapCircle, CapReference

DATA = Path(__file__).parent / "data" / "cap"
SAMPLES = DATA / "samples"
A1 = "oasis-A1_us-dhs-hsas_alert_resource.xml"
A2 = "oasis-A2_us-nws-sacramento_thunderstorm_polygon-geocode.xml"
A3 = "oasis-A3_us-trinet_earthquake_update-references_circle.xml"
A4 = "oasis-A4_us-lapd_amber_en-US-es-US_geocode.xml"
CANADA = "ca-environment-canada_thunderstorm_update_en-CA-fr-CA_polygon-geocode.cap"
ATHOC = "us-athoc_cancel_no-info_signed.cap"
MISSING_SCOPE = "EDGE_invalid_missing-scope.cap"
XXE = "EDGE_xxe-doctype-external-entities_nws-thunderstorm.cap"

PDT = timezone(-timedelta(hours=7))

# A complete, valid alert; each variant below changes one thing in it.
BASE = """<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>WM-2024-0001</identifier>
  <sender>warnings@partner.example</sender>
  <sent>2024-05-01T14:30:00+02:00</sent>
  <status>Actual</status>
  <msgType>Alert</msgType>
  <scope>Public</scope>
  <info>
    <category>Safety</category>
    <event>Armed clashes</event>
    <responseType>Shelter</responseType>
    <urgency>Immediate</urgency>
    <severity>Extreme</severity>
    <certainty>Likely</certainty>
    <expires>2024-05-01T20:30:00+02:00</expires>
    <headline>Clashes near the market</headline>
    <description>Stay indoors.</description>
    <instruction>Keep away from windows.</instruction>
    <web>https://partner.example/w/1</web>
    <area>
      <areaDesc>Market district</areaDesc>
      <polygon>10.0,20.0 10.0,21.0 11.0,21.0 10.0,20.0</polygon>
      <circle>10.5,20.5 3</circle>
      <geocode><valueName>WAYMARK</valueName><value>north-1</value></geocode>
    </area>
  </info>
</alert>
"""
UPDATE_REFS = (
    "<references>warnings@partner.example,WM-2024-0000,2024-05-01T14:00:00+02:00</references>"
)


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def variant(old: str, new: str, base: str = BASE) -> bytes:
    """BASE with one change; fails loudly if the text to change is not there."""
    assert old in base, old
    return base.replace(old, new, 1).encode()


def refused(data: bytes, code: str, **kwargs: Any) -> CapError:
    with pytest.raises(CapError) as caught:
        parse_cap(data, **kwargs)
    assert caught.value.code == code, caught.value.message
    return caught.value


def with_refs(old: str, new: str) -> bytes:
    """An Update of BASE, with one more change."""
    base = BASE.replace("<msgType>Alert</msgType>", f"<msgType>Update</msgType>{UPDATE_REFS}")
    return variant(old, new, base)


# --- the reference samples -----------------------------------------------------------------------


def test_base_alert_parses_completely() -> None:
    alert = parse_cap(BASE.encode())
    assert alert.identifier == "WM-2024-0001"
    assert alert.sent == datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
    info = alert.infos[0]
    assert info.language == "en-US"
    assert info.response_types == ("Shelter",)
    assert info.web == "https://partner.example/w/1"
    area = info.areas[0]
    assert area.polygons == (((10.0, 20.0), (10.0, 21.0), (11.0, 21.0), (10.0, 20.0)),)
    assert area.circles == (CapCircle(10.5, 20.5, 3.0),)
    assert area.geocodes == (("WAYMARK", "north-1"),)
    assert alert.texts_by_language() == {
        "en": AlertText("Clashes near the market", "Stay indoors.", "Keep away from windows.")
    }


def test_a1_advisory_with_resource() -> None:
    alert = parse_cap(sample(A1))
    assert (alert.identifier, alert.sender) == ("43b080713727", "hsas@dhs.gov")
    assert alert.sent == datetime(2003, 4, 2, 14, 39, 1, tzinfo=timezone(-timedelta(hours=5)))
    assert (alert.status, alert.msg_type, alert.scope) == ("Actual", "Alert", "Public")
    assert alert.references == ()
    (info,) = alert.infos
    assert info.language == "en-US"  # CAP's default when <language> is absent
    assert info.categories == ("Security",)
    assert (info.urgency, info.severity, info.certainty) == ("Immediate", "Severe", "Likely")
    assert info.parameters == (("HSAS", "ORANGE"),)
    (resource,) = info.resources
    assert resource.description == "Image file (GIF)"
    assert resource.mime_type == "image/gif"
    assert resource.uri == "http://www.dhs.gov/dhspublic/getAdvisoryImage"
    assert not resource.has_embedded_content
    assert info.areas[0].description == "U.S. nationwide and interests worldwide"
    assert alert.geocodes() == ()
    assert alert.expires is None
    assert alert.is_civilian_facing


def test_a2_thunderstorm_polygon_and_geocodes() -> None:
    alert = parse_cap(sample(A2))
    (info,) = alert.infos
    assert info.event_codes == (("SAME", "SVR"),)
    assert info.response_types == ("Shelter",)
    (area,) = info.areas
    (polygon,) = area.polygons
    assert len(polygon) == 5
    assert polygon[0] == polygon[-1] == (38.47, -120.14)
    assert area.geocodes == (("SAME", "006109"), ("SAME", "006009"), ("SAME", "006003"))
    assert alert.expires == datetime(2003, 6, 17, 23, 0, tzinfo=UTC)
    assert info.contact == "BARUFFALDI/JUSKIE"


def test_a3_update_with_reference_and_circle() -> None:
    alert = parse_cap(sample(A3))
    assert alert.msg_type == "Update"
    assert alert.references == (
        CapReference(
            "trinet@caltech.edu", "TRI13970876.1", datetime(2003, 6, 11, 20, 30, tzinfo=PDT)
        ),
    )
    assert alert.infos[0].areas[0].circles == (CapCircle(32.9525, -115.5527, 0.0),)
    assert alert.as_reference() == CapReference(
        "trinet@caltech.edu", "TRI13970876.2", datetime(2003, 6, 11, 20, 56, tzinfo=PDT)
    )


def test_a4_amber_alert_in_two_languages() -> None:
    alert = parse_cap(sample(A4))
    texts = alert.texts_by_language()
    assert list(texts) == ["en", "es"]
    assert texts["en"].headline == "Amber Alert in Los Angeles County"
    assert texts["es"].headline == "Alerta Amber en el condado de Los Ángeles"
    assert texts["es"].body.startswith("DATE/TIME: 06/11/03, 1915 HORAS.")
    assert texts["en"].instruction == ""
    assert alert.language_tags() == {"en": ("en-US",), "es": ("es-US",)}
    assert alert.geocodes() == (("SAME", "006037"),)  # named by both blocks, listed once


def test_canada_update_with_two_references_en_fr() -> None:
    alert = parse_cap(sample(CANADA))
    assert alert.msg_type == "Update"
    assert [ref.identifier for ref in alert.references] == [
        "2.49.0.1.124.a3f342a4.2012",
        "2.49.0.1.124.60f31a3a.2012",
    ]
    assert alert.references[0].sent == datetime(2012, 5, 2, 21, 45, 5, tzinfo=UTC)
    assert alert.sent.utcoffset() == timedelta(0)  # "-00:00" is UTC
    assert alert.language_tags() == {"en": ("en-CA",), "fr": ("fr-CA",)}
    assert alert.texts_by_language()["fr"].headline == "veille d'orages violents"
    assert (alert.restriction, alert.addresses, alert.note) == (None, None, None)  # empty = absent
    assert alert.codes == ("profile:CAP-CP:0.4", "layer:EC-MSC-SMC:1.0", "layer:SOREM:1.0")
    assert alert.infos[0].contact is None
    assert ("profile:CAP-CP:Location:0.3", "3537001") in alert.geocodes()
    assert all(len(p) >= 4 and p[0] == p[-1] for p in alert.infos[0].areas[0].polygons)


def test_athoc_cancel_without_info_and_with_signature() -> None:
    alert = parse_cap(sample(ATHOC))
    assert alert.msg_type == "Cancel"
    assert alert.infos == ()
    assert alert.texts_by_language() == {}
    assert alert.expires is None
    assert [ref.identifier for ref in alert.references] == [
        "1017033100951096-517189320160225203219800"
    ]
    assert alert.codes == ("IPAWSv1.0",)
    assert alert.is_civilian_facing


def test_missing_scope_sample_is_refused_naming_scope() -> None:
    error = refused(sample(MISSING_SCOPE), "missing_element")
    assert "scope" in error.message


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Record (and block) every attempt to open a connection or resolve a name."""
    attempts: list[object] = []

    def blocked(*args: object, **kwargs: object) -> None:
        attempts.append(args)
        raise OSError("network blocked by test")

    monkeypatch.setattr(socket.socket, "connect", blocked)
    monkeypatch.setattr(socket, "create_connection", blocked)
    monkeypatch.setattr(socket, "getaddrinfo", blocked)
    return attempts


def test_xxe_sample_is_refused_without_any_fetch(no_network: list[object]) -> None:
    error = refused(sample(XXE), "xml_forbidden")
    assert "passwd" not in error.message
    assert no_network == []


@pytest.mark.parametrize("path", sorted((DATA / "attacks").glob("*.xml")), ids=lambda p: p.name)
def test_generic_xml_attacks_are_refused_fast(path: Path, no_network: list[object]) -> None:
    started = time.perf_counter()
    refused(path.read_bytes(), "xml_forbidden")
    assert time.perf_counter() - started < 1.0
    assert no_network == []


def test_a_doctype_is_refused_even_when_harmless() -> None:
    refused(variant("<alert ", "<!DOCTYPE alert>\n<alert "), "xml_forbidden")


# --- what real feeds send ------------------------------------------------------------------------


def prefixed(xml: str) -> str:
    """The same message written with a `cap:` prefix on every element."""
    xml = re.sub(r"<(/?)([A-Za-z]\w*)", r"<\1cap:\2", xml)
    return xml.replace('xmlns = "urn:', 'xmlns:cap = "urn:').replace(
        'xmlns="urn:', 'xmlns:cap="urn:'
    )


@pytest.mark.parametrize("name", [A2, A4, CANADA])
def test_cap_prefix_gives_the_same_alert(name: str) -> None:
    text = sample(name).decode()
    converted = prefixed(text)
    assert "<cap:alert" in converted and "<cap:areaDesc>" in converted
    assert parse_cap(converted.encode()) == parse_cap(sample(name))


def test_utf8_byte_order_mark_and_leading_newline_are_accepted() -> None:
    expected = parse_cap(sample(A2))
    assert parse_cap(b"\xef\xbb\xbf" + sample(A2)) == expected
    assert parse_cap(b"\n  " + sample(A2)) == expected
    assert parse_cap(b"\xef\xbb\xbf\r\n" + sample(A2)) == expected


def test_declared_iso_8859_1_is_decoded_as_declared() -> None:
    text = sample(A4).decode().replace('encoding = "UTF-8"', 'encoding = "ISO-8859-1"')
    assert "ISO-8859-1" in text
    latin1 = text.encode("iso-8859-1")
    assert "Ángeles".encode("iso-8859-1") in latin1
    alert = parse_cap(latin1)
    assert alert.texts_by_language()["es"].headline == "Alerta Amber en el condado de Los Ángeles"
    # The same bytes declared as UTF-8 are not valid UTF-8: refused, never guessed.
    refused(latin1.replace(b"ISO-8859-1", b"UTF-8"), "xml_malformed")


def test_utf16_with_byte_order_mark_is_accepted() -> None:
    text = sample(A4).decode().replace('encoding = "UTF-8"', 'encoding = "UTF-16"')
    assert parse_cap(text.encode("utf-16")) == parse_cap(sample(A4))


@pytest.mark.parametrize("encoding", ["no-such-codec", "rot13", "shift_jis", "idna"])
def test_unknown_or_unusable_declared_encoding_is_malformed(encoding: str) -> None:
    error = refused(variant('encoding="UTF-8"', f'encoding="{encoding}"'), "xml_malformed")
    assert "encoding" in error.message


def test_escaped_html_in_description_comes_out_as_literal_text() -> None:
    escaped = "&lt;b&gt;Run&lt;/b&gt; &amp; hide &lt;script&gt;x()&lt;/script&gt;"
    data = variant("<description>Stay indoors.", f"<description>{escaped}")
    alert = parse_cap(data)
    expected = "<b>Run</b> & hide <script>x()</script>"
    assert alert.infos[0].description == expected
    assert alert.texts_by_language()["en"].body == expected


def test_cdata_html_in_description_comes_out_as_literal_text() -> None:
    data = variant("Stay indoors.", "<![CDATA[<b>Stay</b> indoors.]]>")
    assert parse_cap(data).infos[0].description == "<b>Stay</b> indoors."


def test_raw_markup_inside_a_text_element_is_refused_not_flattened() -> None:
    error = refused(variant("Stay indoors.", "<b>Stay</b> indoors."), "invalid_value")
    assert "alert/info/description" in error.message


def test_large_message_within_the_limit_parses() -> None:
    long_text = "Stay indoors. " * 15_000  # about 210 KB
    data = variant("Stay indoors.", long_text)
    assert 200_000 < len(data) < DEFAULT_MAX_BYTES
    assert parse_cap(data).infos[0].description == long_text.strip()


def test_oversize_message_is_refused_before_parsing() -> None:
    media = "A" * DEFAULT_MAX_BYTES
    data = variant(
        "<area>",
        f"<resource><resourceDesc>photo</resourceDesc><mimeType>image/jpeg</mimeType>"
        f"<derefUri>{media}</derefUri></resource><area>",
    )
    error = refused(data, "too_large")
    assert error.http_status == 413
    assert str(DEFAULT_MAX_BYTES) in error.message
    # The check is on bytes before parsing: even garbage gets too_large, not xml_malformed.
    refused(b"<" * (DEFAULT_MAX_BYTES + 1), "too_large")


def test_size_limit_is_a_parameter() -> None:
    data = BASE.encode()
    assert parse_cap(data, max_bytes=len(data)).identifier == "WM-2024-0001"
    refused(data, "too_large", max_bytes=len(data) - 1)


def test_embedded_media_is_flagged_not_kept() -> None:
    data = variant(
        "<area>",
        "<resource><resourceDesc>map</resourceDesc><mimeType>image/png</mimeType>"
        "<size>4</size><derefUri>iVBORw==</derefUri><digest>abc</digest></resource><area>",
    )
    (resource,) = parse_cap(data).infos[0].resources
    assert resource.has_embedded_content
    assert (resource.size, resource.digest) == (4, "abc")
    assert "iVBORw" not in repr(resource)


def test_unknown_elements_and_signatures_are_ignored_never_trusted() -> None:
    data = variant(
        "<status>",
        '<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#">'
        "<identifier>forged</identifier><scope>Private</scope></ds:Signature>"
        '<ext:note xmlns:ext="urn:example">x</ext:note><futureElement>y</futureElement><status>',
    )
    alert = parse_cap(data)
    assert alert == parse_cap(BASE.encode())
    assert alert.identifier == "WM-2024-0001"


# --- refused values ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "element"),
    [
        ("<status>Actual</status>", "<status>actual</status>", "alert/status"),
        ("<msgType>Alert</msgType>", "<msgType>Notify</msgType>", "alert/msgType"),
        ("<scope>Public</scope>", "<scope>Everyone</scope>", "alert/scope"),
        ("<category>Safety</category>", "<category>Weather</category>", "alert/info/category"),
        ("<responseType>Shelter", "<responseType>Run", "alert/info/responseType"),
        ("<urgency>Immediate</urgency>", "<urgency>Soon</urgency>", "alert/info/urgency"),
        ("<severity>Extreme</severity>", "<severity>Bad</severity>", "alert/info/severity"),
        ("<certainty>Likely</certainty>", "<certainty>Sure</certainty>", "alert/info/certainty"),
    ],
)
def test_bad_enumerations_are_refused_naming_the_element(old: str, new: str, element: str) -> None:
    error = refused(variant(old, new), "invalid_value")
    assert error.message.startswith(f"{element}:")
    assert "is not one of" in error.message


@pytest.mark.parametrize("element", ["identifier", "sender", "sent", "status", "msgType", "scope"])
def test_missing_required_alert_elements(element: str) -> None:
    match = re.search(rf"<{element}>[^<]*</{element}>", BASE)
    assert match is not None
    error = refused(variant(match.group(0), ""), "missing_element")
    assert error.message.startswith(f"alert/{element}:")
    # An empty element is as missing as an absent one.
    refused(variant(match.group(0), f"<{element}> </{element}>"), "missing_element")


@pytest.mark.parametrize(
    ("old", "path"),
    [
        ("<category>Safety</category>", "alert/info/category"),
        ("<event>Armed clashes</event>", "alert/info/event"),
        ("<urgency>Immediate</urgency>", "alert/info/urgency"),
        ("<severity>Extreme</severity>", "alert/info/severity"),
        ("<certainty>Likely</certainty>", "alert/info/certainty"),
        ("<areaDesc>Market district</areaDesc>", "alert/info/area/areaDesc"),
        ("<value>north-1</value>", "alert/info/area/geocode/value"),
    ],
)
def test_missing_required_info_and_area_elements(old: str, path: str) -> None:
    error = refused(variant(old, ""), "missing_element")
    assert error.message.startswith(f"{path}:")


def test_alert_without_info_is_refused_but_cancel_without_info_is_not() -> None:
    no_info = re.sub(r"<info>.*</info>", "", BASE, flags=re.DOTALL)
    assert "<info>" not in no_info
    refused(no_info.encode(), "missing_element")
    cancel = no_info.replace("<msgType>Alert</msgType>", f"<msgType>Cancel</msgType>{UPDATE_REFS}")
    assert parse_cap(cancel.encode()).infos == ()


@pytest.mark.parametrize("msg_type", ["Update", "Cancel", "Ack", "Error"])
def test_update_cancel_ack_error_need_references(msg_type: str) -> None:
    error = refused(variant("<msgType>Alert", f"<msgType>{msg_type}"), "missing_references")
    assert msg_type in error.message
    assert parse_cap(with_refs("<msgType>Update", f"<msgType>{msg_type}")).references


def test_references_are_parsed_into_structured_triples() -> None:
    alert = parse_cap(
        with_refs(
            "2024-05-01T14:00:00+02:00</references>",
            "2024-05-01T14:00:00+02:00\n   b@x,ID-2,2024-05-01T13:00:00Z</references>",
        )
    )
    assert alert.references == (
        CapReference(
            "warnings@partner.example", "WM-2024-0000", datetime(2024, 5, 1, 12, tzinfo=UTC)
        ),
        CapReference("b@x", "ID-2", datetime(2024, 5, 1, 13, tzinfo=UTC)),
    )


@pytest.mark.parametrize(
    "bad",
    [
        "warnings@partner.example,WM-2024-0000",  # no sent
        "a,b,c,2024-05-01T14:00:00+02:00",  # four parts
        ",WM-1,2024-05-01T14:00:00+02:00",  # empty sender
        "a@b,WM-1,yesterday",  # not a time
        "a@b,WM&amp;1,2024-05-01T14:00:00+02:00",  # restricted character
    ],
)
def test_malformed_references_are_refused(bad: str) -> None:
    error = refused(with_refs(UPDATE_REFS, f"<references>{bad}</references>"), "invalid_value")
    assert error.message.startswith("alert/references entry 1:")


@pytest.mark.parametrize(
    ("element", "value"),
    [
        ("identifier", "WM 2024"),
        ("identifier", "WM,2024"),
        ("identifier", "WM&lt;2024"),
        ("sender", "a&amp;b@partner.example"),
    ],
)
def test_identifier_and_sender_must_not_contain_separators(element: str, value: str) -> None:
    match = re.search(rf"<{element}>[^<]*</{element}>", BASE)
    assert match is not None
    error = refused(variant(match.group(0), f"<{element}>{value}</{element}>"), "invalid_value")
    assert error.message.startswith(f"alert/{element}:")


def test_duplicate_single_element_is_refused() -> None:
    data = variant("<scope>Public</scope>", "<scope>Public</scope><scope>Private</scope>")
    error = refused(data, "duplicate_element")
    assert "alert/scope" in error.message


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-05-01T14:30:00+02:00", datetime(2024, 5, 1, 12, 30, tzinfo=UTC)),
        ("2024-05-01T12:30:00-00:00", datetime(2024, 5, 1, 12, 30, tzinfo=UTC)),
        ("2024-05-01T12:30:00Z", datetime(2024, 5, 1, 12, 30, tzinfo=UTC)),  # lenient
        ("2024-05-01T12:30:00.250+00:00", datetime(2024, 5, 1, 12, 30, 0, 250_000, tzinfo=UTC)),
        ("2024-05-01T06:30:00-06:00", datetime(2024, 5, 1, 12, 30, tzinfo=UTC)),
    ],
)
def test_accepted_times(value: str, expected: datetime) -> None:
    sent = parse_cap(variant("2024-05-01T14:30:00+02:00</sent>", f"{value}</sent>")).sent
    assert sent == expected
    assert sent.tzinfo is not None


@pytest.mark.parametrize(
    "value",
    [
        "2024-05-01T14:30:00",  # no timezone: ambiguous, refused
        "2024-05-01 14:30:00+02:00",
        "2024-05-01T14:30+02:00",
        "2024-02-30T14:30:00+02:00",
        "2024-05-01T24:00:00+02:00",
        "2024-05-01T14:30:00+15:00",
        "2024-05-01T14:30:00+02:60",
        "0000-05-01T14:30:00+02:00",
        "0001-01-01T00:00:00+14:00",  # would overflow when compared in UTC
        "9999-12-31T23:00:00-14:00",
        "２０２４-05-01T14:30:00+02:00",  # full-width digits
        "2024-05-01T14:30:00z",
    ],
)
def test_refused_times(value: str) -> None:
    error = refused(variant("2024-05-01T14:30:00+02:00</sent>", f"{value}</sent>"), "invalid_value")
    assert error.message.startswith("alert/sent:")


def test_info_times_are_checked_too() -> None:
    error = refused(
        variant("<expires>2024-05-01T20:30:00+02:00", "<expires>tonight"), "invalid_value"
    )
    assert error.message.startswith("alert/info/expires:")


@pytest.mark.parametrize(
    "polygon",
    [
        "10.0,20.0 10.0,21.0 11.0,21.0 11.0,20.0",  # not closed
        "10.0,20.0 10.0,21.0 10.0,20.0",  # too few pairs
        "10.0,20.0 10.0,21.0 91.0,21.0 10.0,20.0",  # latitude out of range
        "10.0,20.0 10.0,181.0 11.0,21.0 10.0,20.0",  # longitude out of range
        "10.0,20.0 10.0,nan 11.0,21.0 10.0,20.0",
        "10.0,20.0 10.0,1e2 11.0,21.0 10.0,20.0",
        "10.0;20.0 10.0;21.0 11.0;21.0 10.0;20.0",
        "10.0, 20.0 10.0, 21.0 11.0, 21.0 10.0, 20.0",
    ],
)
def test_bad_polygons_are_refused(polygon: str) -> None:
    data = variant("10.0,20.0 10.0,21.0 11.0,21.0 10.0,20.0", polygon)
    error = refused(data, "invalid_value")
    assert error.message.startswith("alert/info/area/polygon:")


@pytest.mark.parametrize(
    "circle", ["10.5,20.5", "10.5,20.5 -1", "10.5 20.5 3", "95,20.5 3", "a,b c"]
)
def test_bad_circles_are_refused(circle: str) -> None:
    error = refused(variant("10.5,20.5 3", circle), "invalid_value")
    assert error.message.startswith("alert/info/area/circle:")


def test_several_polygons_and_circles_are_all_kept() -> None:
    ring = "10.0,20.0 10.0,21.0 11.0,21.0 10.0,20.0"
    data = variant(
        "<circle>10.5,20.5 3</circle>",
        f"<polygon>{ring.replace('10.0', '12.0')}</polygon><circle>10.5,20.5 3</circle>"
        "<circle>-33.9,18.4 0.5</circle>",
    )
    area = parse_cap(data).infos[0].areas[0]
    assert len(area.polygons) == 2
    assert area.circles[1] == CapCircle(-33.9, 18.4, 0.5)


def test_altitude_and_ceiling() -> None:
    with_both = variant("</area>", "<altitude>100</altitude><ceiling>2500.5</ceiling></area>")
    area = parse_cap(with_both).infos[0].areas[0]
    assert (area.altitude, area.ceiling) == (100.0, 2500.5)
    error = refused(variant("</area>", "<ceiling>2500</ceiling></area>"), "missing_element")
    assert "altitude" in error.message
    refused(variant("</area>", "<altitude>high</altitude></area>"), "invalid_value")


@pytest.mark.parametrize(
    ("scope", "extra", "code"),
    [
        ("Restricted", "", "missing_element"),
        ("Restricted", "<restriction>staff only</restriction>", None),
        ("Private", "", "missing_element"),
        ("Private", '<addresses>ops@partner.example "Field Team"</addresses>', None),
    ],
)
def test_restricted_needs_restriction_and_private_needs_addresses(
    scope: str, extra: str, code: str | None
) -> None:
    data = variant("<scope>Public</scope>", f"<scope>{scope}</scope>{extra}")
    if code is None:
        alert = parse_cap(data)
        assert alert.scope == scope
        assert not alert.is_civilian_facing  # not meant for the public
    else:
        error = refused(data, code)
        assert ("restriction" if scope == "Restricted" else "addresses") in error.message


@pytest.mark.parametrize(
    "web",
    [
        "javascript:alert(1)",
        "file:///etc/passwd",
        "tg://resolve?domain=x",
        "/relative",
        "http://",
        "http://[::1",
        "https://a.example/x\u00a0y",
    ],
)
def test_web_must_be_an_absolute_http_url(web: str) -> None:
    error = refused(variant("https://partner.example/w/1", web), "invalid_value")
    assert error.message.startswith("alert/info/web:")


@pytest.mark.parametrize("size", ["big", "-1", "1.5", "٣", "9" * 5000])
def test_resource_size_must_be_a_whole_number(size: str) -> None:
    data = variant(
        "<area>",
        "<resource><resourceDesc>map</resourceDesc><mimeType>image/png</mimeType>"
        f"<size>{size}</size></resource><area>",
    )
    assert refused(data, "invalid_value").message.startswith("alert/info/resource/size:")


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "xml_malformed"),
        (b"not xml at all", "xml_malformed"),
        (b"<alert><identifier>x</alert>", "xml_malformed"),
        (b'<alert xmlns="urn:oasis:names:tc:emergency:cap:1.1"/>', "not_cap"),
        (b"<alert/>", "not_cap"),
        (b'<feed xmlns="http://www.w3.org/2005/Atom"/>', "not_cap"),
        (b'<cap:info xmlns:cap="urn:oasis:names:tc:emergency:cap:1.2"/>', "not_cap"),
    ],
)
def test_not_xml_or_not_cap(data: bytes, code: str) -> None:
    refused(data, code)


def test_cap_1_1_is_named_in_the_error() -> None:
    error = refused(BASE.replace("cap:1.2", "cap:1.1").encode(), "not_cap")
    assert "cap:1.1" in error.message


def test_errors_never_echo_large_input() -> None:
    huge = "X" * 10_000 + "\n<secret>"
    error = refused(
        variant("<status>Actual</status>", f"<status>{huge.replace('<', '&lt;')}</status>"),
        "invalid_value",
    )
    assert len(error.message) < 200
    assert "\n" not in error.message
    assert "secret" not in error.message
    assert "XXXX" in error.message  # but a short prefix helps the partner find it


def test_cap_error_is_a_value_error_with_a_status() -> None:
    error = refused(sample(MISSING_SCOPE), "missing_element")
    assert isinstance(error, ValueError)
    assert error.http_status == 400
    assert str(error) == error.message
    assert "missing_element" in repr(error)


# --- languages and merged texts ------------------------------------------------------------------


def second_info(language: str, headline: str, description: str, expires: str) -> str:
    return (
        f"<info><language>{language}</language><category>Safety</category>"
        "<event>Armed clashes</event>"
        "<urgency>Immediate</urgency><severity>Extreme</severity><certainty>Likely</certainty>"
        f"<expires>{expires}</expires><headline>{headline}</headline>"
        f"<description>{description}</description>"
        "<area><areaDesc>South</areaDesc>"
        "<geocode><valueName>WAYMARK</valueName><value>south-2</value></geocode>"
        "<geocode><valueName>WAYMARK</valueName><value>north-1</value></geocode></area></info>"
    )


def test_info_blocks_of_one_language_are_merged_in_order() -> None:
    extra = second_info(
        "en-US", "Roadblocks on the south road", "Avoid the bridge.", "2024-05-01T16:00:00Z"
    )
    alert = parse_cap(variant("</info>", f"</info>{extra}"))
    text = alert.texts_by_language()["en"]
    assert text.headline == "Clashes near the market / Roadblocks on the south road"
    assert text.body == "Stay indoors.\n\nAvoid the bridge."
    assert text.instruction == "Keep away from windows."
    assert alert.expires == datetime(2024, 5, 1, 16, tzinfo=UTC)  # the earliest
    assert alert.geocodes() == (("WAYMARK", "north-1"), ("WAYMARK", "south-2"))


def test_identical_texts_are_not_repeated_when_merging() -> None:
    extra = second_info("en-GB", "Clashes near the market", "Stay indoors.", "2024-05-02T00:00:00Z")
    alert = parse_cap(variant("</info>", f"</info>{extra}"))
    assert alert.texts_by_language()["en"].body == "Stay indoors."
    assert alert.language_tags() == {"en": ("en-US", "en-GB")}


@pytest.mark.parametrize(
    ("raw", "tag", "key"),
    [
        ("en_us", "en-US", "en"),
        ("FR-ca", "fr-CA", "fr"),
        ("uk", "uk", "uk"),
        ("sr-latn-RS", "sr-Latn-RS", "sr"),
    ],
)
def test_language_tags_are_normalized(raw: str, tag: str, key: str) -> None:
    alert = parse_cap(variant("<category>Safety", f"<language>{raw}</language><category>Safety"))
    assert alert.infos[0].language == tag
    assert alert.infos[0].language_key == key
    assert list(alert.texts_by_language()) == [key]


@pytest.mark.parametrize("raw", ["en US", "englishlanguage", "en--US", "ру"])
def test_bad_language_tags_are_refused(raw: str) -> None:
    data = variant("<category>Safety", f"<language>{raw}</language><category>Safety")
    assert refused(data, "invalid_value").message.startswith("alert/info/language:")


def test_headline_falls_back_to_the_event() -> None:
    alert = parse_cap(variant("<headline>Clashes near the market</headline>", ""))
    assert alert.texts_by_language()["en"].headline == "Armed clashes"


# --- who sees it, and where ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "msg_type", "facing"),
    [
        ("Actual", "Alert", True),
        ("Actual", "Update", True),
        ("Actual", "Cancel", True),
        ("Actual", "Ack", False),
        ("Actual", "Error", False),
        ("Exercise", "Alert", False),
        ("Test", "Alert", False),
        ("System", "Alert", False),
        ("Draft", "Update", False),
    ],
)
def test_is_civilian_facing(status: str, msg_type: str, facing: bool) -> None:
    update = with_refs("<status>Actual", f"<status>{status}").decode()
    alert = parse_cap(update.replace("<msgType>Update", f"<msgType>{msg_type}").encode())
    assert (alert.status, alert.msg_type) == (status, msg_type)
    assert alert.is_civilian_facing is facing


def test_alerts_are_immutable() -> None:
    alert = parse_cap(BASE.encode())
    with pytest.raises(AttributeError):
        alert.status = "Test"  # type: ignore[misc]


TABLE = {("SAME", "006109"): "tuolumne", ("SAME", "006003"): "alpine", ("FIPS6", "006009"): "x"}


def test_geocodes_map_to_regions() -> None:
    assert map_areas_to_regions(parse_cap(sample(A2)), TABLE) == {"tuolumne", "alpine"}


def test_geocode_mapping_is_exact_on_scheme_and_value() -> None:
    alert = parse_cap(sample(A2))
    assert map_areas_to_regions(alert, {("SAME", "006009"): "calaveras"}) == {"calaveras"}
    error = refused_mapping(alert, {("FIPS6", "006009"): "x", ("same", "006109"): "y"})
    assert "3 geocodes" in error.message


def refused_mapping(alert: CapAlert, table: dict[tuple[str, str], str]) -> CapError:
    with pytest.raises(CapError) as caught:
        map_areas_to_regions(alert, table)
    assert caught.value.code == "no_region"
    return caught.value


def test_alert_without_geocodes_maps_to_no_region() -> None:
    refused_mapping(parse_cap(sample(A1)), TABLE)
    refused_mapping(parse_cap(sample(ATHOC)), TABLE)
