"""schemathesis against the partner API's own OpenAPI document, on a real store over real HTTP.

Every generated request (valid and deliberately invalid) must get an answer that is not a 5xx,
whose status code is documented for that operation, and whose body matches the documented schema.
The API runs in a thread with its own event loop because schemathesis calls it synchronously.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import threading
import time
import zlib
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

pytest.importorskip("schemathesis")

import schemathesis
from aiohttp import web
from hypothesis import HealthCheck, settings

from bot.alerts.json_input import parse_json_alert
from bot.alerts.vetting import Vetting
from bot.config import project_root
from bot.partners.api import OPENAPI_PATH, make_app
from bot.partners.ratelimit import PartnerLimiter
from bot.regions import load_regions
from bot.store.partners import Caller
from bot.store.store import Store

T = TypeVar("T")
ALERT_OPERATIONS = {
    "POST /v1/alerts",
    "POST /v1/alerts/{alert_id}/approve",
    "POST /v1/alerts/{alert_id}/reject",
    "POST /v1/alerts/{alert_id}/update",
    "GET /v1/me",
}
COUNTER = itertools.count()
SEEN: dict[str, set[int]] = {}  # operation -> status codes it answered during the fuzzing
# "Schema-valid data must be accepted" cannot hold here: a body can match the schema and still
# name an unknown region, fall back to a language it has no text for, or expire in the past.
# Those are semantic refusals (400), which OpenAPI 3.0 cannot express; every other check runs.
CONFIG = schemathesis.Config.from_dict({"checks": {"positive_data_acceptance": {"enabled": False}}})
SCHEMA = schemathesis.openapi.from_path(str(OPENAPI_PATH), config=CONFIG)
FOR_EVERY_OPERATION: Callable[[Callable[..., None]], Callable[..., None]] = SCHEMA.parametrize()


@dataclass
class LiveApi:
    """The real partner API on a real store, served from a background thread."""

    base_url: str
    token: str
    store: Store
    loop: asyncio.AbstractEventLoop
    colleague: Caller
    stranger: Caller
    vetting: Vetting

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=10)

    def fresh_alert(self, owner: Caller) -> str:
        """A pending alert by `owner`, so approve/reject/update/cancel meet a real one."""
        draft = parse_json_alert(
            {
                "regions": list(owner.partner.regions),
                "severity": "Moderate",
                "texts": {"en": {"headline": "Checkpoint closed", "body": "Use the river road."}},
            },
            default_language="en",
        )
        alert, _ = self.run(
            self.vetting.submit(
                owner, draft, idempotency_key=f"seed-{time.monotonic_ns()}", request_hash="x"
            )
        )
        return alert.id


@pytest.fixture(scope="module")
def live_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApi]:
    data_dir: Path = tmp_path_factory.mktemp("schema") / "data"
    store = Store.open(data_dir)
    partners = store.partners
    partners.add("civdef", "North Civil Defence", ["dl-north"])
    _, token = partners.add_credential("civdef", "fuzzer", ["author", "approver"])
    _, colleague_token = partners.add_credential("civdef", "colleague", ["author"])
    partners.add("southwatch", "South Watch", ["dl-south"])
    _, stranger_token = partners.add_credential("southwatch", "lead", ["author", "approver"])
    regions = load_regions(project_root() / "content" / "regions.yaml")
    vetting = Vetting(store, regions, lambda: None)
    # Rate limiting has its own test; here it would only turn the fuzzer's requests into 429s.
    limiter = PartnerLimiter(per_minute=10**9, burst=10**6)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="partner-api", daemon=True)
    thread.start()

    async def start() -> tuple[web.AppRunner, int, Caller, Caller]:
        runner = web.AppRunner(make_app(vetting, limiter), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        colleague = await partners.authenticate(colleague_token)
        stranger = await partners.authenticate(stranger_token)
        assert colleague is not None and stranger is not None
        return runner, int(runner.addresses[0][1]), colleague, stranger

    runner, port, colleague, stranger = asyncio.run_coroutine_threadsafe(start(), loop).result(10)
    api = LiveApi(f"http://127.0.0.1:{port}", token, store, loop, colleague, stranger, vetting)
    try:
        yield api
    finally:
        api.run(runner.cleanup())
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
        store.close()


def aim(case: Any, api: LiveApi) -> None:
    """Point two thirds of the well-formed alert ids at real alerts: a colleague's (which this
    credential may approve, reject, update, cancel) or another partner's (which it must not).

    A generated Idempotency-Key that is valid gets a unique suffix: hypothesis reuses small
    values such as "0", and a reused key answers 422 before anything else is looked at (that
    replay is tested in tests/test_attack_api.py). Invalid keys are sent as generated.
    """
    headers = case.headers or {}
    key = headers.get("Idempotency-Key")
    if isinstance(key, str) and key.strip() and key.isprintable() and len(key) <= 90:
        headers["Idempotency-Key"] = f"{key}-{next(COUNTER)}"
    alert_id = case.path_parameters.get("alert_id") if case.path_parameters else None
    if not isinstance(alert_id, str) or not re.fullmatch(r"al_[0-9a-f]{16}", alert_id):
        return
    phase = getattr(getattr(case.meta, "phase", None), "name", None)
    # The documented examples are valid requests: let them act on an alert they may act on.
    pick = 0 if phase == "examples" else zlib.crc32(alert_id.encode()) % 3
    if pick == 0:
        case.path_parameters["alert_id"] = api.fresh_alert(api.colleague)
    elif pick == 1:
        case.path_parameters["alert_id"] = api.fresh_alert(api.stranger)
    # else: left as generated, almost surely no such alert (404)


@FOR_EVERY_OPERATION
@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_answer_is_documented_and_never_a_server_error(case: Any, live_api: LiveApi) -> None:
    aim(case, live_api)
    response = case.call_and_validate(
        base_url=live_api.base_url, headers={"Authorization": f"Bearer {live_api.token}"}
    )
    SEEN.setdefault(f"{case.method} {case.path}", set()).add(response.status_code)


def test_the_fuzzer_reached_real_alerts_not_only_refusals() -> None:
    """Runs after the fuzzing above: it must have created, approved, updated and refused real
    alerts (from the documented examples and the colleague's alerts), and tried bad tokens."""
    if not set(SEEN) >= ALERT_OPERATIONS:
        pytest.skip("meaningful only in the same run as the fuzzing test")
    seen = {operation: sorted(codes) for operation, codes in SEEN.items()}
    assert 201 in SEEN["POST /v1/alerts"], seen
    assert 200 in SEEN["POST /v1/alerts/{alert_id}/approve"], seen
    assert 403 in SEEN["POST /v1/alerts/{alert_id}/reject"], seen
    assert 201 in SEEN["POST /v1/alerts/{alert_id}/update"], seen
    assert 401 in SEEN["GET /v1/me"], seen
