"""Reading the emulator's transcript: rates, percentiles, press → answer latencies."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.emulator.client import EmulatorClient

Record = dict[str, Any]


class Follower:
    """Collects the transcript incrementally, so no single read is huge."""

    def __init__(self, client: EmulatorClient) -> None:
        self.client = client
        self.records: list[Record] = []
        self.seq = 0

    async def poll(self) -> list[Record]:
        new = await self.client.transcript(self.seq)
        if new:
            self.records.extend(new)
            self.seq = int(new[-1]["seq"])
        return new

    def after(self, seq: int) -> list[Record]:
        return [r for r in self.records if r["seq"] > seq]


def accepted_sends(records: Iterable[Record], *, paid: bool | None = None) -> list[Record]:
    return [
        r
        for r in records
        if r["method"] in ("sendMessage", "sendPhoto")
        and r["status"] == 200
        and (paid is None or r["paid"] == paid)
    ]


def count(records: Iterable[Record], method: str, status: int | None = None) -> int:
    return sum(
        1 for r in records if r["method"] == method and (status is None or r["status"] == status)
    )


@dataclass(frozen=True)
class Rate:
    sends: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.sends / self.seconds if self.seconds > 0 else 0.0


def send_rate(sends: Sequence[Record]) -> Rate:
    """Sends accepted / (last accept - first accept), as the issue defines the achieved rate."""
    if len(sends) < 2:
        return Rate(len(sends), 0.0)
    times = sorted(float(r["t"]) for r in sends)
    return Rate(len(sends), times[-1] - times[0])


def percentile(values: Sequence[float], share: float) -> float | None:
    """Nearest-rank percentile (p99 of 100 values is the 99th smallest)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Press:
    user: int
    t: float  # when the emulator queued it (its time.monotonic, the transcript's clock)


def answer_latencies(presses: Sequence[Press], records: Iterable[Record]) -> list[float | None]:
    """Seconds from each press to the bot's answerCallbackQuery for it (None: unanswered), in
    the order of `presses`. Per chat, presses and answers are matched in order: Telegram delivers
    a chat's updates in order and Waymark answers each press once, under the chat's lock."""
    answers: dict[int, list[float]] = defaultdict(list)
    for r in records:
        if r["method"] == "answerCallbackQuery" and r["chat_id"] is not None:
            answers[int(r["chat_id"])].append(float(r["t"]))
    by_user: dict[int, list[int]] = defaultdict(list)
    for index, press in enumerate(presses):
        by_user[press.user].append(index)
    result: list[float | None] = [None] * len(presses)
    for user, indexes in by_user.items():
        pending = sorted(answers.get(user, []))
        j = 0
        for index in sorted(indexes, key=lambda i: presses[i].t):
            t = presses[index].t
            while j < len(pending) and pending[j] < t:
                j += 1
            if j < len(pending):
                result[index] = pending[j] - t
                j += 1
    return result


def split(values: Sequence[float | None]) -> tuple[list[float], int]:
    """The values in milliseconds, a missing one (never answered) as infinity so percentiles
    do not flatter; and how many are missing."""
    found = [math.inf if v is None else 1000 * v for v in values]
    return found, sum(1 for v in values if v is None)
