"""A strict, safe parser for CAP 1.2 (OASIS Common Alerting Protocol) messages from partners.

Why so strict: a CAP message becomes a warning on the phones of people at risk, so anything
ambiguous (a time without a timezone, an unknown severity, an open polygon) is refused with a
stable error code the partner can act on, instead of being guessed. Why so careful: the bytes come
over the network, so the XML parser refuses every DOCTYPE, entity and external reference
(defusedxml) and the size is capped before parsing.

The CAP 1.2 schema's rules are checked here by hand (no XSD-validation dependency). Deliberate
leniencies, each harmless and common in real feeds:

* a time may end in "Z" (UTC) and carry fractional seconds, although strict CAP wants "-00:00"
  and whole seconds; a time without any timezone is still refused, and so is an offset beyond
  ±14:00 or a year outside 1970..9998;
* a language tag may use "_" ("en_US"); tags are returned in canonical case ("en-US");
* leading whitespace before the XML declaration is skipped;
* an empty optional element (`<note/>`) counts as absent;
* unknown elements, and elements of other namespaces (an XML signature, say), are ignored: never
  read, never trusted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import urlsplit
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from bot.alerts.model import (
    CapAlert,
    CapArea,
    CapCircle,
    CapInfo,
    CapReference,
    CapResource,
    LatLon,
    Pair,
    Polygon,
)

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
DEFAULT_MAX_BYTES = 256 * 1024
MIN_YEAR, MAX_YEAR = 1970, 9998

STATUSES = ("Actual", "Exercise", "System", "Test", "Draft")
MSG_TYPES = ("Alert", "Update", "Cancel", "Ack", "Error")
SCOPES = ("Public", "Restricted", "Private")
CATEGORIES = (
    "Geo", "Met", "Safety", "Security", "Rescue", "Fire", "Health", "Env", "Transport", "Infra",
    "CBRNE", "Other",
)  # fmt: skip
RESPONSE_TYPES = (
    "Shelter", "Evacuate", "Prepare", "Execute", "Avoid", "Monitor", "Assess", "AllClear", "None",
)  # fmt: skip
URGENCIES = ("Immediate", "Expected", "Future", "Past", "Unknown")
SEVERITIES = ("Extreme", "Severe", "Moderate", "Minor", "Unknown")
CERTAINTIES = ("Observed", "Likely", "Possible", "Unlikely", "Unknown")

# Ack and Error acknowledge or reject the messages named in <references>, so they need them too.
NEEDS_REFERENCES = frozenset({"Update", "Cancel", "Ack", "Error"})
# A Cancel, Ack or Error may come without <info>; an Alert or Update has nothing to say without it.
NEEDS_INFO = frozenset({"Alert", "Update"})

_Q = "{" + CAP_NS + "}"
_BOM = b"\xef\xbb\xbf"
_ECHO_LIMIT = 40
_TIME = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?"
    r"(Z|[+-][0-9]{2}:[0-9]{2})"
)
_NUMBER = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_LANGUAGE = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*")
_NOT_IN_TOKEN = re.compile(r"[\s,<&]")


class CapError(ValueError):
    """Why a message was refused: a stable machine `code` and a one-line English `message`.

    Messages name the element (as a path like "alert/info[2]/urgency") and echo at most ~40
    characters of the input, so they are safe to return to the partner and short in logs.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def http_status(self) -> int:
        """413 for an oversized body, 400 for everything else."""
        return 413 if self.code == "too_large" else 400

    def __repr__(self) -> str:
        return f"CapError({self.code!r}, {self.message!r})"


def parse_cap(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> CapAlert:
    """Parse and check one CAP 1.2 <alert>; raise CapError for anything else."""
    root = _load_xml(data, max_bytes)
    if root.tag != _Q + "alert":
        raise CapError("not_cap", f"the root element is not a CAP 1.2 <alert> ({_show(root.tag)})")
    return _alert(_Node(root, "alert"))


def map_areas_to_regions(alert: CapAlert, table: Mapping[Pair, str]) -> set[str]:
    """The deployment regions whose (valueName, value) geocodes the alert names.

    Exact matches only: a geocode scheme is the sender's, and guessing across schemes could warn
    the wrong people.
    """
    regions = {table[pair] for pair in alert.geocodes() if pair in table}
    if not regions:
        count = len(alert.geocodes())
        raise CapError(
            "no_region", f"none of the alert's {count} geocodes maps to a region served here"
        )
    return regions


# --- XML ----------------------------------------------------------------------------------------


def _load_xml(data: bytes, max_bytes: int) -> Element:
    """Bytes → element tree, refusing oversize input and every DTD, entity or external reference."""
    if len(data) > max_bytes:
        raise CapError("too_large", f"the message is {len(data)} bytes; the limit is {max_bytes}")
    try:
        root: Element = SafeET.fromstring(
            _skip_leading_space(data), forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except DefusedXmlException:
        raise CapError(
            "xml_forbidden", "DOCTYPE, entity declarations and external references are not allowed"
        ) from None
    except ParseError as exc:
        raise CapError("xml_malformed", f"not well-formed XML: {_show(str(exc), 80)}") from None
    except (LookupError, ValueError):  # an unknown or unusable declared encoding
        raise CapError("xml_malformed", "the declared text encoding is not supported") from None
    return root


def _skip_leading_space(data: bytes) -> bytes:
    """Some feeds put a newline before the XML declaration, which XML forbids."""
    if data.startswith(_BOM):
        return _BOM + data[len(_BOM) :].lstrip(b" \t\r\n")
    return data.lstrip(b" \t\r\n")


class _Node:
    """A CAP element and its path, so every error can name the element it is about."""

    __slots__ = ("element", "path")

    def __init__(self, element: Element, path: str) -> None:
        self.element = element
        self.path = path

    def children(self, name: str) -> list[_Node]:
        """CAP-namespace children called `name`; all other elements are ignored."""
        found = [el for el in self.element if el.tag == _Q + name]
        if len(found) == 1:
            return [_Node(found[0], f"{self.path}/{name}")]
        return [_Node(el, f"{self.path}/{name}[{i}]") for i, el in enumerate(found, 1)]

    def child(self, name: str) -> _Node | None:
        found = self.children(name)
        if len(found) > 1:
            raise CapError("duplicate_element", f"{self.path}/{name}: appears more than once")
        return found[0] if found else None

    def value(self) -> str:
        """The element's text; markup inside a text element is refused, never flattened."""
        if len(self.element):
            raise CapError(
                "invalid_value", f"{self.path}: must be plain text (escape markup, e.g. &lt;b&gt;)"
            )
        return (self.element.text or "").strip()

    def text(self, name: str) -> str | None:
        node = self.child(name)
        value = node.value() if node is not None else ""
        return value or None

    def required(self, name: str) -> str:
        value = self.text(name)
        if value is None:
            raise CapError("missing_element", f"{self.path}/{name}: required but missing or empty")
        return value

    def texts(self, name: str) -> tuple[str, ...]:
        return tuple(value for node in self.children(name) if (value := node.value()))


# --- values -------------------------------------------------------------------------------------


def _show(value: str, limit: int = _ECHO_LIMIT) -> str:
    """A short, one-line, quoted echo of input, so errors never carry large or hostile text."""
    flat = " ".join(value.split())
    if len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    return repr(flat)


def _invalid(path: str, problem: str) -> CapError:
    return CapError("invalid_value", f"{path}: {problem}")


def _one_of(value: str, allowed: tuple[str, ...], path: str) -> str:
    """CAP enumerations are case-sensitive; "actual" is not "Actual"."""
    if value not in allowed:
        raise _invalid(path, f"{_show(value)} is not one of {', '.join(allowed)}")
    return value


def _enum(node: _Node, name: str, allowed: tuple[str, ...]) -> str:
    return _one_of(node.required(name), allowed, f"{node.path}/{name}")


def _enums(node: _Node, name: str, allowed: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(_one_of(child.value(), allowed, child.path) for child in node.children(name))


def _token(value: str, path: str) -> str:
    """Identifiers and senders are joined with commas and spaces in <references>."""
    if _NOT_IN_TOKEN.search(value):
        raise _invalid(path, f"{_show(value)} must not contain spaces, commas, < or &")
    return value


def _time(value: str, path: str) -> datetime:
    """A CAP dateTime with an explicit offset; "Z" is accepted as UTC (see the module doc)."""
    match = _TIME.fullmatch(value)
    if match is None:
        raise _invalid(path, f"{_show(value)} is not a time like 2024-05-01T14:30:00+02:00")
    year, month, day, hour, minute, second = (int(part) for part in match.groups()[:6])
    fraction, offset = match.group(7), match.group(8)
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    try:
        moment = datetime(year, month, day, hour, minute, second, micro, _zone(offset))
    except ValueError:
        raise _invalid(path, f"{_show(value)} is not a real date and time") from None
    if not MIN_YEAR <= year <= MAX_YEAR:  # so that UTC conversion and timestamps never overflow
        raise _invalid(path, f"{_show(value)} is outside the years {MIN_YEAR}..{MAX_YEAR}")
    return moment


def _zone(offset: str) -> timezone:
    if offset == "Z":
        return UTC
    hours, minutes = int(offset[1:3]), int(offset[4:6])
    if minutes > 59 or hours * 60 + minutes > 14 * 60:
        raise ValueError(offset)
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(-delta if offset[0] == "-" else delta)


def _optional_time(node: _Node, name: str) -> datetime | None:
    value = node.text(name)
    return None if value is None else _time(value, f"{node.path}/{name}")


def _number(value: str, path: str, low: float, high: float) -> float:
    """A plain decimal within [low, high]; "nan", "inf" and exponents are refused."""
    if not _NUMBER.fullmatch(value):
        raise _invalid(path, f"{_show(value)} is not a decimal number")
    number = float(value)
    if not low <= number <= high:
        raise _invalid(path, f"{_show(value)} is outside {low:g}..{high:g}")
    return number


def _web(value: str, path: str) -> str:
    """Only http(s) links are shown to people: no javascript:, file: or tg: surprises."""
    try:
        parts = urlsplit(value)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        parts = urlsplit("")
    if (
        parts.scheme.lower() not in ("http", "https")
        or not parts.netloc
        or any(char.isspace() for char in value)
    ):
        raise _invalid(path, f"{_show(value)} is not an absolute http(s) URL")
    return value


def _language(node: _Node) -> str:
    """An RFC 3066 tag in canonical case; missing means "en-US", as CAP says."""
    value = (node.text("language") or "en-US").replace("_", "-")
    if not _LANGUAGE.fullmatch(value):
        raise _invalid(f"{node.path}/language", f"{_show(value)} is not a language tag")
    first, *rest = value.split("-")
    return "-".join([first.lower(), *(_subtag_case(sub) for sub in rest)])


def _subtag_case(subtag: str) -> str:
    if len(subtag) == 2 and subtag.isalpha():
        return subtag.upper()  # region: US
    if len(subtag) == 4 and subtag.isalpha():
        return subtag.title()  # script: Latn
    return subtag.lower()


# --- alert --------------------------------------------------------------------------------------


def _alert(node: _Node) -> CapAlert:
    identifier = _token(node.required("identifier"), "alert/identifier")
    sender = _token(node.required("sender"), "alert/sender")
    sent = _time(node.required("sent"), "alert/sent")
    status = _enum(node, "status", STATUSES)
    msg_type = _enum(node, "msgType", MSG_TYPES)
    scope = _enum(node, "scope", SCOPES)
    restriction, addresses = node.text("restriction"), node.text("addresses")
    _check_scope(scope, restriction, addresses)
    references = _references(node)
    if msg_type in NEEDS_REFERENCES and not references:
        raise CapError("missing_references", f"alert/references: required for msgType {msg_type}")
    infos = tuple(_info(child) for child in node.children("info"))
    if msg_type in NEEDS_INFO and not infos:
        raise CapError("missing_element", f"alert/info: an {msg_type} needs at least one")
    return CapAlert(
        identifier=identifier, sender=sender, sent=sent, status=status, msg_type=msg_type,
        scope=scope, source=node.text("source"), restriction=restriction, addresses=addresses,
        codes=node.texts("code"), note=node.text("note"), references=references,
        incidents=node.text("incidents"), infos=infos,
    )  # fmt: skip


def _check_scope(scope: str, restriction: str | None, addresses: str | None) -> None:
    if scope == "Restricted" and restriction is None:
        raise CapError("missing_element", "alert/restriction: required when scope is Restricted")
    if scope == "Private" and addresses is None:
        raise CapError("missing_element", "alert/addresses: required when scope is Private")


def _references(node: _Node) -> tuple[CapReference, ...]:
    """<references>: whitespace-separated "sender,identifier,sent" triples."""
    entries = (node.text("references") or "").split()
    path = f"{node.path}/references"
    return tuple(_reference(entry, f"{path} entry {i}") for i, entry in enumerate(entries, 1))


def _reference(entry: str, path: str) -> CapReference:
    parts = entry.split(",")
    if len(parts) != 3:
        raise _invalid(path, f"{_show(entry)} is not sender,identifier,sent")
    sender, identifier, sent = parts
    if not sender or not identifier:
        raise _invalid(path, f"{_show(entry)} has an empty sender or identifier")
    return CapReference(_token(sender, path), _token(identifier, path), _time(sent, path))


# --- info ---------------------------------------------------------------------------------------


def _info(node: _Node) -> CapInfo:
    categories = _enums(node, "category", CATEGORIES)
    if not categories:
        raise CapError("missing_element", f"{node.path}/category: at least one is required")
    return CapInfo(
        language=_language(node),
        categories=categories,
        event=node.required("event"),
        urgency=_enum(node, "urgency", URGENCIES),
        severity=_enum(node, "severity", SEVERITIES),
        certainty=_enum(node, "certainty", CERTAINTIES),
        response_types=_enums(node, "responseType", RESPONSE_TYPES),
        audience=node.text("audience"),
        event_codes=_pairs(node, "eventCode", value_required=False),
        effective=_optional_time(node, "effective"),
        onset=_optional_time(node, "onset"),
        expires=_optional_time(node, "expires"),
        sender_name=node.text("senderName"),
        headline=node.text("headline"),
        description=node.text("description"),
        instruction=node.text("instruction"),
        web=_optional_web(node),
        contact=node.text("contact"),
        parameters=_pairs(node, "parameter", value_required=False),
        resources=tuple(_resource(child) for child in node.children("resource")),
        areas=tuple(_area(child) for child in node.children("area")),
    )


def _optional_web(node: _Node) -> str | None:
    value = node.text("web")
    return None if value is None else _web(value, f"{node.path}/web")


def _pairs(node: _Node, name: str, *, value_required: bool) -> tuple[Pair, ...]:
    """<valueName>/<value> pairs: geocodes need both; parameters may have an empty value."""
    return tuple(_pair(child, value_required) for child in node.children(name))


def _pair(node: _Node, value_required: bool) -> Pair:
    name = node.required("valueName")
    if value_required:
        return name, node.required("value")
    if node.child("value") is None:
        raise CapError("missing_element", f"{node.path}/value: required element is missing")
    return name, node.text("value") or ""


def _resource(node: _Node) -> CapResource:
    size = node.text("size")
    if size is not None and not (size.isascii() and size.isdigit() and len(size) <= 15):
        raise _invalid(f"{node.path}/size", f"{_show(size)} is not a whole number of bytes")
    return CapResource(
        description=node.required("resourceDesc"),
        mime_type=node.required("mimeType"),
        size=None if size is None else int(size),
        uri=node.text("uri"),
        digest=node.text("digest"),
        has_embedded_content=node.text("derefUri") is not None,
    )


# --- area ---------------------------------------------------------------------------------------


def _area(node: _Node) -> CapArea:
    altitude, ceiling = _height(node, "altitude"), _height(node, "ceiling")
    if ceiling is not None and altitude is None:
        raise CapError("missing_element", f"{node.path}/altitude: required when ceiling is given")
    return CapArea(
        description=node.required("areaDesc"),
        polygons=tuple(_polygon(c.value(), c.path) for c in node.children("polygon") if c.value()),
        circles=tuple(_circle(c.value(), c.path) for c in node.children("circle") if c.value()),
        geocodes=_pairs(node, "geocode", value_required=True),
        altitude=altitude,
        ceiling=ceiling,
    )


def _height(node: _Node, name: str) -> float | None:
    value = node.text(name)
    limit = 1e9  # feet; any real altitude is far below
    return None if value is None else _number(value, f"{node.path}/{name}", -limit, limit)


def _point(pair: str, path: str) -> LatLon:
    """A WGS 84 "lat,lon" pair."""
    parts = pair.split(",")
    if len(parts) != 2:
        raise _invalid(path, f"{_show(pair)} is not a lat,lon pair")
    return _number(parts[0], path, -90, 90), _number(parts[1], path, -180, 180)


def _polygon(text: str, path: str) -> Polygon:
    """At least 4 pairs, closed: CAP's rule, so a ring is never guessed shut."""
    points = tuple(_point(pair, path) for pair in text.split())
    if len(points) < 4:
        raise _invalid(path, f"needs at least 4 coordinate pairs, has {len(points)}")
    if points[0] != points[-1]:
        raise _invalid(path, "is not closed: the first and last pairs must be the same")
    return points


def _circle(text: str, path: str) -> CapCircle:
    """A circle is "lat,lon radius", the radius in kilometres."""
    parts = text.split()
    if len(parts) != 2:
        raise _invalid(path, f"{_show(text)} is not 'lat,lon radius'")
    lat, lon = _point(parts[0], path)
    return CapCircle(lat, lon, _number(parts[1], path, 0, 40_075))
