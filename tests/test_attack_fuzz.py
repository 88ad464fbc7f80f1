"""Property-based fuzzing of what strangers and contributors can hand Waymark.

- a partner's JSON alert: a draft or a 4xx refusal, never another exception;
- callback data from any (modified) Telegram client: None or a known callback that encodes back to
  exactly the bytes received;
- a guide content file: every problem is reported, nothing is raised.

CAP is fuzzed in tests/test_cap_fuzz.py. Bounded: the whole file runs in well under 30 s.
"""

from __future__ import annotations

import json
import re
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("hypothesis")

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.alerts.errors import AlertRequestError
from bot.alerts.json_input import LIMITS, parse_json_alert, parse_update
from bot.alerts.lifecycle import MAX_LIFETIME_SECONDS, AlertDraft
from bot.guides.check import CONTENT_DIR, CheckReport, check_content
from bot.telegram.callbacks import ACTIONS, MAX_BYTES, Callback, decode

FUZZ = settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
NOW = 1_800_000_000
TODAY = date.today()  # the shipped files are dated up to today; the harness checks them as shipped

# -- partner JSON ---------------------------------------------------------------------------------

JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=40)
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=30,
)
VALID: dict[str, Any] = {
    "regions": ["dl-north-riverside"],
    "severity": "Severe",
    "urgency": "Immediate",
    "certainty": "Likely",
    "status": "Actual",
    "language": "en",
    "expires_in_minutes": 120,
    "texts": {
        "en": {"headline": "Shelling expected", "body": "Avoid the bridge.", "instruction": ""}
    },
    "media": {"url": "https://partner.example/a.jpg", "content_note": "damaged buildings"},
}
# Values close to the edges of what each field takes, to reach the checks behind the type checks.
TRICKY = st.sampled_from(
    [
        "",
        " ",
        "en\n",
        "EN",
        "en-",
        "e",
        "x" * 161,
        "x" * 2501,
        "9999-12-31T23:59:59+14:00",
        "0001-01-01T00:00:00-14:00",
        "2026-11-23T10:00:00",
        "2026-02-30T10:00:00Z",
        "http://partner.example/a.jpg",
        "https://",
        0,
        -1,
        10**30,
        True,
        1.5,
        float("nan"),
        [],
        {},
        ["dl-north", 3],
        {"en": {"headline": " ", "body": "b"}},
        {"en-GB": {"headline": "h", "body": "b"}, "en": {"headline": "h2", "body": "b2"}},
        {"url": "https://x", "content_note": "n", "extra": 1},
    ]
)


@st.composite
def mutated_alert(draw: st.DrawFn) -> dict[str, Any]:
    """The valid alert with a few fields replaced, removed, or added."""
    data: dict[str, Any] = json.loads(json.dumps(VALID))
    for _ in range(draw(st.integers(1, 4))):
        name = draw(st.sampled_from([*VALID, "expires_at", "unknown"]))
        kind = draw(st.sampled_from(["replace", "tricky", "remove", "nested"]))
        if kind == "remove":
            data.pop(name, None)
        elif kind == "tricky":
            data[name] = draw(TRICKY)
        elif kind == "nested" and name == "texts":
            if not isinstance(data.get("texts"), dict):
                data["texts"] = {}
            language = draw(st.sampled_from(["en", "fr", "en-US", "ar", "EN", "", "zz-Latn-XX"]))
            part = draw(st.sampled_from([*LIMITS, "extra"]))
            entry = data["texts"].get(language)
            if not isinstance(entry, dict):
                entry = data["texts"][language] = {"headline": "h", "body": "b"}
            entry[part] = draw(TRICKY | JSON_SCALARS)
        else:
            data[name] = draw(JSON_VALUES)
    return data


def check_draft(draft: AlertDraft) -> None:
    """What any accepted draft must look like, whatever the input was."""
    assert draft.regions and all(isinstance(r, str) and r for r in draft.regions)
    assert draft.texts and draft.language in draft.texts
    for language, text in draft.texts.items():
        assert re.fullmatch(r"[a-z]{2,3}", language), f"language key {language!r}"
        assert text.headline and text.body
        for name, limit in LIMITS.items():
            assert len(getattr(text, name)) <= limit
    assert NOW < draft.expires_at <= NOW + MAX_LIFETIME_SECONDS
    if draft.media is not None:
        assert draft.media.url.startswith("https://") and draft.media.content_note


def parse_or_refuse(data: Any) -> AlertDraft | AlertRequestError:
    try:
        draft = parse_json_alert(data, default_language="en", now=NOW)
    except AlertRequestError as error:
        assert 400 <= error.status < 500, error.status
        assert error.code and error.message and "\n" not in error.message
        return error
    check_draft(draft)
    return draft


def test_the_valid_alert_is_accepted() -> None:
    assert isinstance(parse_or_refuse(VALID), AlertDraft)


@FUZZ
@given(JSON_VALUES)
def test_any_json_value_is_a_draft_or_a_4xx(data: Any) -> None:
    parse_or_refuse(data)


@FUZZ
@given(mutated_alert())
@example({**VALID, "texts": {"en\n": VALID["texts"]["en"]}, "language": "en\n"})
@example({**VALID, "expires_at": "9999-12-31T23:59:59-14:00"})
@example({**VALID, "expires_in_minutes": 10**30})
def test_mutated_alerts_are_a_valid_draft_or_a_4xx(data: dict[str, Any]) -> None:
    parse_or_refuse(data)


@FUZZ
@given(JSON_VALUES | mutated_alert())
def test_updates_of_a_valid_alert_are_a_valid_draft_or_a_4xx(data: Any) -> None:
    original = parse_json_alert(VALID, default_language="en", now=NOW)
    try:
        draft = parse_update(data, original, refers_to="al_0123456789abcdef", now=NOW)
    except AlertRequestError as error:
        assert 400 <= error.status < 500
        return
    check_draft(draft)
    assert draft.msg_type == "Update" and draft.refers_to == "al_0123456789abcdef"


# -- callback data --------------------------------------------------------------------------------

ENCODED = st.builds(
    Callback,
    st.sampled_from(sorted(ACTIONS)),
    st.none() | st.from_regex(r"[A-Za-z0-9_.-]{1,40}", fullmatch=True),
).map(Callback.encode)


@st.composite
def near_miss(draw: st.DrawFn) -> str:
    """A valid encoding with a character or two inserted, replaced or removed."""
    data = list(draw(ENCODED))
    for _ in range(draw(st.integers(1, 2))):
        at = draw(st.integers(0, len(data)))
        char = draw(st.sampled_from(["\n", "\r", "\x00", " ", "|", "1", "é", "\u202e", "\ud800"]))
        kind = draw(st.sampled_from(["insert", "replace", "delete"]))
        if kind == "insert" or not data:
            data.insert(at, char)
        elif kind == "replace":
            data[min(at, len(data) - 1)] = char
        else:
            del data[min(at, len(data) - 1)]
    return "".join(data)


def received(data: str) -> None:
    callback = decode(data)
    if callback is None:
        return
    assert callback.action in ACTIONS
    assert callback.encode() == data, "what was accepted is exactly what a button would carry"
    assert decode(callback.encode()) == callback
    assert len(data.encode()) <= MAX_BYTES


@FUZZ
@given(
    st.text(max_size=200)
    | st.binary(max_size=200).map(lambda b: b.decode("utf-8", "surrogateescape"))
    | ENCODED
    | near_miss()
)
@example("1|menu\n")
@example("1|lang|fr\n")
@example("\udcff")
@example("1|lang|" + "\udcff" * 30)
@example("١|menu")
def test_callback_data_is_a_known_callback_or_none(data: str) -> None:
    received(data)


@FUZZ
@given(ENCODED)
def test_every_encodable_callback_round_trips(data: str) -> None:
    assert decode(data) is not None
    received(data)


# -- guide content --------------------------------------------------------------------------------

SHIPPED = sorted(CONTENT_DIR.glob("*.yaml"))
SHIPPED_TEXT = {path.name: path.read_text(encoding="utf-8") for path in SHIPPED}
YAML_NOISE = st.sampled_from(
    [
        ":",
        "- ",
        "  ",
        "\t",
        "\n",
        "#",
        "*a",
        "&a ",
        "!!python/object:os.system ",
        "!!binary ",
        "!!timestamp ",
        "? ",
        "|",
        ">-",
        "{",
        "}",
        "[",
        "]",
        "'",
        '"',
        "%YAML 1.1\n",
        "---\n",
        "...\n",
        "reviewed: 2999-01-01",
        "reviewed: 2026-02-30",
        "id: phone.security.sim-pin",
        "source: http://evil.example/",
        "tier: nobody",
        "\ufeff",
        "\x00",
        "\x85",
    ]
)


@st.composite
def mutated_guide(draw: st.DrawFn) -> str:
    """A shipped guide file with whole lines cut, doubled, swapped, re-indented or garbled."""
    lines = draw(st.sampled_from(sorted(SHIPPED_TEXT.values()))).split("\n")
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(lines) - 1))
        kind = draw(st.sampled_from(["cut", "double", "swap", "indent", "noise", "scalar"]))
        if kind == "cut":
            del lines[at]
        elif kind == "double":
            lines.insert(at, lines[at])
        elif kind == "swap":
            other = draw(st.integers(0, len(lines) - 1))
            lines[at], lines[other] = lines[other], lines[at]
        elif kind == "indent":
            lines[at] = " " * draw(st.integers(0, 7)) + lines[at].lstrip()
        elif kind == "noise":
            column = draw(st.integers(0, len(lines[at])))
            lines[at] = lines[at][:column] + draw(YAML_NOISE) + lines[at][column:]
        else:
            key, _, _ = lines[at].partition(":")
            lines[at] = key + ": " + json.dumps(draw(JSON_VALUES))
        if not lines:
            lines = [""]
    return "\n".join(lines)


def check_one_file(content: str | bytes, name: str = "phone.yaml") -> CheckReport:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", errors="surrogateescape")
        report = check_content(Path(tmp), today=TODAY)
    for problem in [*report.errors, *report.warnings]:
        assert problem.path.endswith(name) and problem.line >= 0 and problem.message
    if report.ok:
        assert report.catalog.platforms, "content with no errors yields a catalog"
    return report


def test_the_shipped_files_pass_the_same_harness() -> None:
    for name, text in SHIPPED_TEXT.items():
        assert check_one_file(text, name).ok, name


@settings(FUZZ, max_examples=150)
@given(mutated_guide())
def test_a_mutated_guide_file_is_reported_never_raised(content: str) -> None:
    check_one_file(content)


@settings(FUZZ, max_examples=150)
@given(st.text(max_size=400) | st.binary(max_size=400) | st.builds(json.dumps, JSON_VALUES))
@example(b"\xff\xfe\x00garbage")
@example("platform: phone\nname: [unclosed\n")
@example("!!python/object/apply:os.system ['true']\n")
def test_any_file_is_reported_never_raised(content: str | bytes) -> None:
    check_one_file(content)


def test_a_bracket_in_a_source_host_is_reported() -> None:
    text = SHIPPED_TEXT["phone.yaml"].replace("https://support.apple.com/", "https://[support/", 1)
    report = check_one_file(text)
    assert any("source" in problem.message for problem in report.errors)


# YAML anchors and aliases: a file could refer to itself or expand exponentially. Guide files never
# need them, so the loader refuses a node it has already built.
def test_a_recursive_alias_is_reported_never_raised() -> None:
    assert not check_one_file("platform: &a [*a]\n").ok


def test_an_alias_bomb_is_refused_before_it_expands() -> None:
    lines = ["a: &a [" + ", ".join(["lol"] * 9) + "]"]
    for previous, name in zip("abc", "bcd", strict=True):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
    report = check_one_file("\n".join(lines) + "\n")
    assert any("alias" in problem.message for problem in report.errors)
