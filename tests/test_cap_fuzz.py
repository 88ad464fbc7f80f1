"""Fuzzing the CAP parser: whatever arrives, the only failure it may raise is CapError."""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

import pytest

pytest.importorskip("hypothesis")

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.alerts.cap import CapError, parse_cap
from bot.alerts.model import CapAlert
from tests.test_cap import BASE

SAMPLES = sorted((Path(__file__).parent / "data" / "cap" / "samples").iterdir())
VALID = [
    path.read_bytes()
    for path in SAMPLES
    if path.suffix in (".xml", ".cap") and not path.name.startswith("EDGE_")
]
# Where each closing tag starts, so one element's text can be swapped.
CLOSERS = {
    text: [i for i in range(len(text)) if text.startswith("</", i)]
    for text in (data.decode("utf-8") for data in VALID)
}
FUZZ = settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# Text XML 1.0 can carry: no surrogates, no control characters (tab and newline are added back),
# no non-characters; "\r" is left out because XML turns it into "\n".
XML_TEXT = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Cn")) | st.sampled_from("\t\n"),
    max_size=200,
)


def parse_or_refuse(data: bytes) -> CapAlert | CapError:
    """Parse, allowing only CapError out; any other exception fails the test with its traceback."""
    try:
        return parse_cap(data)
    except CapError as error:
        assert error.code
        assert "\n" not in error.message
        assert len(error.message) < 300
        return error


def test_the_fuzz_corpus_is_the_valid_samples() -> None:
    assert len(VALID) == 6
    assert all(isinstance(parse_or_refuse(data), CapAlert) for data in VALID)


@FUZZ
@given(st.binary(max_size=2048))
def test_random_bytes(data: bytes) -> None:
    parse_or_refuse(data)


@st.composite
def mutated_sample(draw: st.DrawFn) -> bytes:
    """A valid sample with a few random byte-level cuts, insertions and overwrites."""
    data = bytearray(draw(st.sampled_from(VALID)))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["cut", "insert", "overwrite", "markup"]))
        if kind == "cut":
            del data[at : at + draw(st.integers(1, 64))]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif kind == "overwrite":
            data[at : at + 1] = draw(st.binary(min_size=1, max_size=1))
        else:
            data[at:at] = draw(st.sampled_from([b"<", b">", b"&", b"</info>", b"<info>", b"]]>"]))
    return bytes(data)


@FUZZ
@given(mutated_sample())
def test_random_mutations_of_valid_samples(data: bytes) -> None:
    parse_or_refuse(data)


@st.composite
def sample_with_new_text(draw: st.DrawFn) -> bytes:
    """A valid sample with one element's text replaced by arbitrary (escaped) text."""
    text = draw(st.sampled_from(VALID)).decode("utf-8")
    end = draw(st.sampled_from(CLOSERS[text]))
    start = text.rfind(">", 0, end) + 1
    return (text[:start] + escape(draw(XML_TEXT)) + text[end:]).encode("utf-8")


@FUZZ
@given(sample_with_new_text())
def test_random_element_values(data: bytes) -> None:
    parse_or_refuse(data)


@FUZZ
@given(XML_TEXT)
def test_description_text_round_trips_as_plain_text(text: str) -> None:
    original = "Stay indoors."
    data = BASE.replace(original, escape(text) + original).encode()
    result = parse_or_refuse(data)
    assert isinstance(result, CapAlert)
    assert result.infos[0].description == (text + original).strip()
    assert result.texts_by_language()["en"].body == (text + original).strip()
