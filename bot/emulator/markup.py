"""Telegram's HTML subset: markup in, plain text and Bot API entities out, or Telegram's error.

A small strict scanner modelled on Telegram's own parser, not a browser's forgiving one: the
supported tags, entity decoding (semicolon optional, unknown entities left as text), attribute
rules and error messages with UTF-8 byte offsets follow Telegram, and entity offsets and lengths
are in UTF-16 code units as the Bot API counts them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from bot.emulator.errors import bad_request

JSON = dict[str, Any]

# Tag -> Bot API entity type; tags not listed here are refused like Telegram refuses them.
_TAG_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
# Telegram orders entities by offset, then longest first, then by this priority.
_PRIORITY = {
    "blockquote": 0,
    "expandable_blockquote": 0,
    "pre": 11,
    "code": 20,
    "text_link": 49,
    "bold": 90,
    "italic": 91,
    "underline": 92,
    "strikethrough": 93,
    "spoiler": 94,
    "custom_emoji": 99,
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_SPACES = " \t\r\n"
_BAD_UNICODE = (
    "Text contains invalid Unicode characters after decoding HTML entities, check for unmatched "
    "surrogate code units"
)


def utf16_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji often counts two)."""
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True)
class Formatted:
    """Plain text plus Bot API entities, the shape Telegram stores and returns."""

    text: str
    entities: tuple[JSON, ...] = ()

    def entities_json(self) -> list[JSON]:
        return [dict(entity) for entity in self.entities]


class HtmlError(Exception):
    """The detail after "can't parse entities: "."""


@dataclass
class _OpenTag:
    name: str
    start: int  # UTF-16 offset in the output
    begin: int  # byte offset of "<" in the markup, for error messages
    attrs: dict[str, str] = field(default_factory=dict)


class _HtmlParser:
    """Telegram's HTML subset: a small strict scanner, not a browser's forgiving parser."""

    def __init__(self, markup: str) -> None:
        self.markup = markup
        self.pos = 0
        self.out: list[str] = []
        self.out_len = 0
        self.stack: list[_OpenTag] = []
        self.entities: list[JSON] = []

    def byte_offset(self, index: int) -> int:
        return len(self.markup[:index].encode("utf-8"))

    def emit(self, chunk: str) -> None:
        self.out.append(chunk)
        self.out_len += utf16_len(chunk)

    def parse(self) -> Formatted:
        markup = self.markup
        while self.pos < len(markup):
            char = markup[self.pos]
            if char == "&":
                decoded, self.pos = decode_entity(markup, self.pos)
                self.emit(decoded)
            elif char == "<":
                if markup.startswith("</", self.pos):
                    self.end_tag()
                else:
                    self.start_tag()
            else:
                stop = _next_special(markup, self.pos)
                self.emit(markup[self.pos : stop])
                self.pos = stop
        if self.stack:
            raise HtmlError(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1].name}"'
            )
        return Formatted("".join(self.out), tuple(_merge_pre_code(self.entities)))

    def read_until_space_or_gt(self, index: int) -> int:
        markup = self.markup
        while index < len(markup) and markup[index] not in _SPACES and markup[index] != ">":
            index += 1
        return index

    def skip_spaces(self, index: int) -> int:
        while index < len(self.markup) and self.markup[index] in _SPACES:
            index += 1
        return index

    def start_tag(self) -> None:
        begin = self.pos
        name_end = self.read_until_space_or_gt(begin + 1)
        if name_end >= len(self.markup):
            raise HtmlError(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
        name = self.markup[begin + 1 : name_end].lower()
        if name not in _TAG_TYPES:
            raise HtmlError(
                f'Unsupported start tag "{name}" at byte offset {self.byte_offset(begin)}'
            )
        tag = _OpenTag(name, self.out_len, self.byte_offset(begin))
        self.pos = self.read_attributes(tag, name_end)
        _check_tag_attributes(tag)
        self.stack.append(tag)

    def read_attributes(self, tag: _OpenTag, index: int) -> int:
        """Attributes up to ">"; returns the index after it."""
        markup = self.markup
        unclosed = f'Unclosed start tag "{tag.name}" at byte offset {tag.begin}'
        while True:
            index = self.skip_spaces(index)
            if index >= len(markup):
                raise HtmlError(unclosed)
            if markup[index] == ">":
                return index + 1
            name_start = index
            while index < len(markup) and (_is_name_char(markup[index])):
                index += 1
            if index == name_start:
                raise HtmlError(
                    f'Empty attribute name in the tag "{tag.name}" at byte offset {tag.begin}'
                )
            attr = markup[name_start:index].lower()
            index = self.skip_spaces(index)
            if index >= len(markup):
                raise HtmlError(unclosed)
            if markup[index] != "=":
                tag.attrs.setdefault(attr, "")
                continue
            index = self.skip_spaces(index + 1)
            if index >= len(markup):
                raise HtmlError(unclosed)
            value, index = self.read_value(tag, index)
            tag.attrs.setdefault(attr, value)

    def read_value(self, tag: _OpenTag, index: int) -> tuple[str, int]:
        markup = self.markup
        quote = markup[index]
        if quote in "'\"":
            close = markup.find(quote, index + 1)
            if close < 0:
                raise HtmlError(f"Unclosed start tag at byte offset {tag.begin}")
            return decode_entities(markup[index + 1 : close]), close + 1
        start = index
        while index < len(markup) and _is_value_char(markup[index]):
            index += 1
        if index >= len(markup) or (markup[index] not in _SPACES and markup[index] != ">"):
            raise HtmlError(
                f"Unexpected end of name token at byte offset {self.byte_offset(start)}"
            )
        return markup[start:index], index

    def end_tag(self) -> None:
        begin = self.pos
        name_end = self.read_until_space_or_gt(begin + 2)
        name = self.markup[begin + 2 : name_end].lower()
        index = self.skip_spaces(name_end)
        offset = self.byte_offset(begin)
        if not self.stack:
            raise HtmlError(f"Unexpected end tag at byte offset {offset}")
        if index >= len(self.markup) or self.markup[index] != ">":
            raise HtmlError(f"Unclosed end tag at byte offset {offset}")
        tag = self.stack.pop()
        if name and name != tag.name:
            raise HtmlError(
                f'Unmatched end tag at byte offset {offset}, expected "</{tag.name}>", '
                f'found "</{name}>"'
            )
        self.pos = index + 1
        entity = _entity_for(tag, self.out_len - tag.start)
        if entity is not None:
            self.entities.append(entity)


def _is_value_char(char: str) -> bool:
    return char.isascii() and (char.isalnum() or char in ".-")


def _is_name_char(char: str) -> bool:
    return char.isascii() and (char.isalnum() or char in "-_")


def _next_special(markup: str, index: int) -> int:
    """Index of the next "<" or "&" (or the end): plain runs are copied in one step."""
    stops = [i for i in (markup.find("<", index), markup.find("&", index)) if i >= 0]
    return min(stops) if stops else len(markup)


def _check_tag_attributes(tag: _OpenTag) -> None:
    if tag.name == "span" and tag.attrs.get("class") != "tg-spoiler":
        raise HtmlError(f'Tag "span" must have class "tg-spoiler" at byte offset {tag.begin}')
    if tag.name == "tg-emoji" and not tag.attrs.get("emoji-id", "").isdigit():
        raise HtmlError(f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset {tag.begin}')


def _entity_for(tag: _OpenTag, length: int) -> JSON | None:
    """The entity a closed tag makes; empty ranges and links without a usable URL make none."""
    if length <= 0:
        return None
    kind = _TAG_TYPES[tag.name]
    entity: JSON = {"type": kind, "offset": tag.start, "length": length}
    if tag.name == "a":
        url = normalize_url(tag.attrs.get("href", ""))
        if url is None:
            return None
        entity["url"] = url
    elif tag.name == "blockquote" and "expandable" in tag.attrs:
        entity["type"] = "expandable_blockquote"
    elif tag.name == "tg-emoji":
        entity["custom_emoji_id"] = tag.attrs["emoji-id"]
    elif tag.name == "code":
        language = tag.attrs.get("class", "")
        if language.startswith("language-") and len(language) > len("language-"):
            entity["_language"] = language[len("language-") :]
    return entity


def _merge_pre_code(entities: list[JSON]) -> list[JSON]:
    """`<pre><code class="language-x">` over the same range is one pre entity with a language."""
    result = list(entities)
    for code in [e for e in entities if "_language" in e]:
        for pre in result:
            if pre["type"] == "pre" and (pre["offset"], pre["length"]) == (
                code["offset"],
                code["length"],
            ):
                pre["language"] = code["_language"]
                result.remove(code)
                break
        else:
            del code["_language"]
    for entity in result:
        entity.pop("_language", None)
    result.sort(key=lambda e: (e["offset"], -e["length"], _PRIORITY.get(e["type"], 50)))
    return result


def normalize_url(url: str) -> str | None:
    """Telegram accepts a bare host and adds http://; a URL with spaces or no host is dropped."""
    url = url.strip()
    if not url or any(c in _SPACES for c in url):
        return None
    if url.startswith("tg://"):
        return url
    match = re.match(r"^(https?|ftp|tonsite)://([^/?#]+)(.*)$", url, re.IGNORECASE)
    if match is None:
        if "://" in url:
            return None
        match = re.match(r"^()([^/?#]+)(.*)$", url)
        assert match is not None
        scheme = "http"
    else:
        scheme = match.group(1).lower()
    host, rest = match.group(2), match.group(3)
    if "." not in host and host.lower() != "localhost" and not host.startswith("["):
        return None
    if not rest.startswith("/"):
        rest = "/" + rest
    return f"{scheme}://{host}{rest}"


def decode_entity(markup: str, index: int) -> tuple[str, int]:
    """One `&...;` at `index` (semicolon optional, as in Telegram); unknown ones stay as text."""
    if markup.startswith("&#", index):
        return _decode_numeric(markup, index)
    end = index + 1
    while end < len(markup) and markup[end].isascii() and markup[end].isalpha():
        end += 1
    name = markup[index + 1 : end]
    if name not in _NAMED_ENTITIES:
        return "&", index + 1
    if end < len(markup) and markup[end] == ";":
        end += 1
    return _NAMED_ENTITIES[name], end


def _decode_numeric(markup: str, index: int) -> tuple[str, int]:
    start = index + 2
    hexadecimal = start < len(markup) and markup[start] in "xX"
    if hexadecimal:
        start += 1
    digits = "0123456789abcdefABCDEF" if hexadecimal else "0123456789"
    end = start
    while end < len(markup) and markup[end] in digits:
        end += 1
    if end == start or end - start > 8:
        return "&", index + 1
    code = int(markup[start:end], 16 if hexadecimal else 10)
    if code == 0 or code > 0x10FFFF:
        return "&", index + 1
    if 0xD800 <= code <= 0xDFFF:
        raise HtmlError(_BAD_UNICODE)
    if end < len(markup) and markup[end] == ";":
        end += 1
    return chr(code), end


def decode_entities(text: str) -> str:
    """Entities inside an attribute value (an href may contain &amp;)."""
    out: list[str] = []
    index = 0
    while index < len(text):
        if text[index] == "&":
            decoded, index = decode_entity(text, index)
            out.append(decoded)
        else:
            out.append(text[index])
            index += 1
    return "".join(out)


def parse_html(markup: str) -> Formatted:
    """Markup -> text and entities, or 400 "can't parse entities: ..." like Telegram."""
    try:
        return _HtmlParser(markup).parse()
    except HtmlError as exc:
        raise bad_request(f"can't parse entities: {exc}") from None


def strip_formatted(value: Formatted) -> Formatted:
    """Telegram trims surrounding whitespace and shifts the entities with the text."""
    text = value.text
    stripped = text.strip()
    if stripped == text:
        return value
    lead = utf16_len(text[: len(text) - len(text.lstrip())])
    size = utf16_len(stripped)
    entities: list[JSON] = []
    for entity in value.entities:
        start = max(0, entity["offset"] - lead)
        end = min(size, entity["offset"] + entity["length"] - lead)
        if end > start:
            entities.append({**entity, "offset": start, "length": end - start})
    return Formatted(stripped, tuple(entities))
