"""Callback data: short, versioned, strictly parsed.

Callback data comes back from the client and can be stale (an old message) or forged (any client
can send any bytes up to 64), so nothing is trusted until it parses into a known action.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

VERSION = "1"
MAX_BYTES = 64  # Telegram's limit for callback_data

ACTIONS = frozenset(
    {
        "menu",  # show the main menu
        "lang",  # open the language picker, or with an argument: choose that language
        "privacy",  # the privacy screen
        "continue",  # after the first privacy screen
        "help",
        "close",  # delete the living message
        "forget",  # ask to delete everything
        "forget!",  # confirmed
        "soon",  # a feature not available yet; argument names it
        "alerts",  # early warnings home
        "regions",  # region picker; argument: the parent region shown
        "toggle",  # (un)subscribe one region; argument: its code
        "active",  # active warnings for my regions
        "unsub",  # stop all warnings
        "quiet",  # toggle quiet notifications
        "mydata",  # what is stored about me
        "feature",  # a guide family: secure, lockdown, leave, detained
        "guide",  # a checklist page: <platform>.<kind>.<page>
        "tick",  # (un)tick a step: <platform>.<kind>.<page>.<step index>
        "reset",  # clear a guide's ticks: <platform>.<kind>
        "mism",  # report a step that does not match the app: <guide page>[.<step>[.<a|i|w>]]
        "findhelp",  # find help near you: home (saved regions first)
        "fhregions",  # find help: region drill-down; argument: the parent region shown
        "fhpick",  # find help: a region picked; shows the "cut off" card first
        "fhcats",  # find help: categories for a region
        "fhlist",  # find help: <category index>.<page>.<region>
        "fhcut",  # find help: what to do if Telegram or the internet is cut off; <region>
        "fhcheck",  # check before you share; argument: the region to go back to
    }
)
# Matched with fullmatch: "$" would also accept a trailing newline. ASCII only, so a match is
# never longer in bytes than in characters.
_PATTERN = re.compile(
    r"(?P<v>[0-9])\|(?P<action>[a-z!?]{1,12})(?:\|(?P<arg>[A-Za-z0-9_.-]{1,40}))?", re.ASCII
)


@dataclass(frozen=True)
class Callback:
    action: str
    arg: str | None = None

    def encode(self) -> str:
        data = f"{VERSION}|{self.action}" + (f"|{self.arg}" if self.arg else "")
        if self.action not in ACTIONS or len(data.encode()) > MAX_BYTES:
            raise ValueError("callback does not fit Telegram's limits or is unknown")
        return data


def decode(data: str | None) -> Callback | None:
    """A known callback, or None for anything stale, foreign or forged."""
    # Characters, not bytes: data from a client may hold lone surrogates, which cannot be encoded.
    # Anything the pattern accepts is ASCII, so the byte limit holds all the same.
    if not data or len(data) > MAX_BYTES:
        return None
    match = _PATTERN.fullmatch(data)
    if not match or match["v"] != VERSION or match["action"] not in ACTIONS:
        return None
    return Callback(match["action"], match["arg"])
