"""Callback data is parsed strictly: anything stale or forged becomes None, never an exception."""

from __future__ import annotations

import pytest

from bot.telegram.callbacks import MAX_BYTES, Callback, decode


@pytest.mark.parametrize(
    "callback", [Callback("menu"), Callback("lang", "fr"), Callback("soon", "secure")]
)
def test_round_trip(callback: Callback) -> None:
    data = callback.encode()
    assert len(data.encode()) <= MAX_BYTES
    assert decode(data) == callback


@pytest.mark.parametrize(
    "data",
    [
        None,
        "",
        "menu",
        "2|menu",
        "1|unknown",
        "1|lang|../x",
        "1|lang|a b",
        "1|menu|" + "a" * 60,
        "1|MENU",
        "\x00",
        "1|lang|fr|extra",
    ],
)
def test_foreign_data_is_refused(data: str | None) -> None:
    assert decode(data) is None


def test_unknown_actions_cannot_be_encoded() -> None:
    with pytest.raises(ValueError):
        Callback("launch").encode()
