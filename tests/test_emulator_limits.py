"""Telegram's HTML subset and flood limits, checked directly (no HTTP)."""

from __future__ import annotations

import pytest

from bot.emulator.errors import ApiError
from bot.emulator.limits import format_input, parse_reply_markup
from bot.emulator.markup import parse_html, utf16_len
from bot.emulator.ratelimit import Limits, RateLimiter


def entities(markup: str) -> list[tuple[str, int, int]]:
    return [(e["type"], e["offset"], e["length"]) for e in parse_html(markup).entities]


def html_error(markup: str) -> str:
    with pytest.raises(ApiError) as refused:
        parse_html(markup)
    assert refused.value.status == 400
    return refused.value.description.removeprefix("Bad Request: can't parse entities: ")


def test_offsets_are_utf16_and_nesting_is_kept() -> None:
    parsed = parse_html("🏟 <b>bold <i>both</i></b> <u>u</u><s>s</s><tg-spoiler>x</tg-spoiler>")
    assert parsed.text == "🏟 bold both usx"
    assert entities("🏟 <b>bold <i>both</i></b> <u>u</u><s>s</s><tg-spoiler>x</tg-spoiler>") == [
        ("bold", 3, 9),
        ("italic", 8, 4),
        ("underline", 13, 1),
        ("strikethrough", 14, 1),
        ("spoiler", 15, 1),
    ]
    assert utf16_len("🏟") == 2


def test_html_entities_decode_like_telegram() -> None:
    text = parse_html("&lt;&gt;&amp;&quot; &#128512; &#x1F600; &ge; &lt 5 & co").text
    assert text == '<>&" 😀 😀 &ge; < 5 & co'


def test_links_code_blocks_and_quotes() -> None:
    parsed = parse_html(
        '<a href="example.org?a=1&amp;b=2">link</a> <pre><code class="language-python">'
        "x = 1</code></pre> <blockquote expandable>q</blockquote>"
        ' <tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>'
    )
    assert parsed.text == "link x = 1 q 👍"
    assert parsed.entities_json() == [
        {"type": "text_link", "offset": 0, "length": 4, "url": "http://example.org/?a=1&b=2"},
        {"type": "pre", "offset": 5, "length": 5, "language": "python"},
        {"type": "expandable_blockquote", "offset": 11, "length": 1},
        {
            "type": "custom_emoji",
            "offset": 13,
            "length": 2,
            "custom_emoji_id": "5368324170671202286",
        },
    ]


def test_empty_tags_make_no_entity_and_attributes_may_be_unquoted() -> None:
    assert entities("a<b></b>b") == []
    assert entities("<i  x = 12.a-b >i</i>") == [("italic", 0, 1)]
    assert entities("<b>x</>") == [("bold", 0, 1)]


@pytest.mark.parametrize(
    ("markup", "error"),
    [
        ("🏟 <abacaba", "Unclosed start tag at byte offset 5"),
        ("<i   =aba>", 'Empty attribute name in the tag "i" at byte offset 0'),
        ("<i aba = ", 'Unclosed start tag "i" at byte offset 0'),
        ("<i aba=x,y>", "Unexpected end of name token at byte offset 7"),
        ('<i a="x>', "Unclosed start tag at byte offset 0"),
        ("<i>a</i   ", "Unclosed end tag at byte offset 4"),
        (
            "&#xD800;",
            "Text contains invalid Unicode characters after decoding HTML entities, "
            "check for unmatched surrogate code units",
        ),
        ("<br/>", 'Unsupported start tag "br/" at byte offset 0'),
    ],
)
def test_malformed_html_errors(markup: str, error: str) -> None:
    assert html_error(markup) == error


def test_surrounding_whitespace_is_trimmed_and_entities_follow() -> None:
    formatted = format_input("\n  <b>hi</b> there  \n", "HTML", None)
    assert formatted.text == "hi there"
    assert [(e["offset"], e["length"]) for e in formatted.entities] == [(0, 2)]
    assert format_input("<b>x</b>", None, None).text == "<b>x</b>", "no parse_mode: plain text"


def test_keyboards_need_text_and_an_action() -> None:
    with pytest.raises(ApiError, match="Text buttons are not allowed"):
        parse_reply_markup({"inline_keyboard": [[{"text": "no action"}]]})
    with pytest.raises(ApiError, match='Field "text" must be of type String'):
        parse_reply_markup({"inline_keyboard": [[{"callback_data": "x"}]]})
    with pytest.raises(ApiError, match="BUTTON_URL_INVALID"):
        parse_reply_markup({"inline_keyboard": [[{"text": "t", "url": "not a url"}]]})
    assert parse_reply_markup({"remove_keyboard": True}) is None


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def limiter(clock: FakeClock, **limits: float | int | None) -> RateLimiter:
    defaults = Limits(
        global_per_second=None,
        per_chat_per_second=None,
        paid_per_second=None,
        per_group_per_minute=None,
    )
    for name, value in limits.items():
        setattr(defaults, name, value)
    return RateLimiter(defaults, clock)


def refused_for(rates: RateLimiter, chat_id: int, *, paid: bool = False) -> int | None:
    try:
        rates.acquire(chat_id, paid=paid)
    except ApiError as exc:
        assert exc.status == 429
        assert exc.description == f"Too Many Requests: retry after {exc.retry_after}"
        return exc.retry_after
    return None


def test_private_chat_bucket_allows_a_burst_then_one_a_second() -> None:
    clock = FakeClock()
    rates = limiter(clock, per_chat_per_second=1.0, per_chat_burst=3)
    assert [refused_for(rates, 7) for _ in range(4)] == [None, None, None, 1]
    clock.now += 0.5
    assert refused_for(rates, 7) == 1, "half a token is not enough; wait rounds up"
    clock.now += 0.5
    assert refused_for(rates, 7) is None
    assert refused_for(rates, 8) is None, "each chat has its own bucket"


def test_slow_bucket_reports_whole_seconds() -> None:
    clock = FakeClock()
    rates = limiter(clock, per_chat_per_second=0.2, per_chat_burst=1)
    assert refused_for(rates, 7) is None
    clock.now += 1.5
    assert refused_for(rates, 7) == 4  # 3.5 s left, rounded up


def test_global_window_slides_and_paid_has_its_own() -> None:
    clock = FakeClock()
    rates = limiter(clock, global_per_second=3, paid_per_second=5)
    for chat in (1, 2, 3):
        assert refused_for(rates, chat) is None
    clock.now += 0.6
    assert refused_for(rates, 4) == 1
    clock.now += 0.4
    assert refused_for(rates, 4) is None, "the first send left the one-second window"
    assert [refused_for(rates, 5, paid=True) for _ in range(6)] == [None] * 5 + [1]


def test_groups_get_twenty_a_minute() -> None:
    clock = FakeClock()
    rates = limiter(clock, per_group_per_minute=20, per_chat_per_second=1.0)
    for _ in range(20):
        assert refused_for(rates, -100123) is None
    clock.now += 15
    assert refused_for(rates, -100123) == 45


def test_refusals_use_no_capacity_and_none_disables() -> None:
    clock = FakeClock()
    rates = limiter(clock, global_per_second=1)
    assert refused_for(rates, 1) is None
    for _ in range(10):
        assert refused_for(rates, 1) == 1
    clock.now += 1.0
    assert refused_for(rates, 1) is None
    unlimited = limiter(clock)
    assert all(refused_for(unlimited, 1) is None for _ in range(1000))
