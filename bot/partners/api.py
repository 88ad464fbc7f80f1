"""The partner API (aiohttp, JSON, /v1): create, list, approve, reject, update, cancel alerts.

Meant to sit behind a TLS reverse proxy. Every error is `{"error": {"code", "message"}}` with a
status code a client can act on; nothing a partner sends is ever echoed into logs.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.alerts.cap_intake import intake_cap
from bot.alerts.errors import AlertRequestError, forbidden, invalid
from bot.alerts.json_input import parse_json_alert, parse_update
from bot.alerts.lifecycle import Alert
from bot.alerts.vetting import Vetting
from bot.partners import resources_routes as resources_api
from bot.partners.context import CALLER, LIMITER, VETTING, caller_of
from bot.partners.ratelimit import PartnerLimiter

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 256 * 1024
MAX_REASON = 500  # a rejection reason; longer is refused, never silently cut
OPENAPI_PATH = Path(__file__).with_name("openapi.json")
CAP_TYPES = ("application/cap+xml", "application/xml", "text/xml")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def error(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> web.Response:
    return web.json_response(
        {"error": {"code": code, "message": message}}, status=status, headers=headers
    )


@web.middleware
async def errors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except AlertRequestError as exc:
        return error(exc.status, exc.code, exc.message)
    except web.HTTPRequestEntityTooLarge:
        return error(413, "too_large", f"the body is larger than {MAX_BODY_BYTES} bytes")
    except web.HTTPNotFound:
        return error(404, "not_found", "no such route")
    except web.HTTPMethodNotAllowed as exc:
        # RFC 9110: a 405 lists the methods the resource does take.
        allow = ", ".join(sorted(exc.allowed_methods))
        return error(
            405, "method_not_allowed", "this route does not take that method", {"Allow": allow}
        )
    except Exception as exc:
        log.error("partner API handler failed: %s", type(exc).__name__)
        return error(500, "internal", "internal error; the request was not completed")


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path == "/v1/openapi.json" or not request.path.startswith("/v1/"):
        return await handler(request)
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return error(
            401,
            "unauthorized",
            "send Authorization: Bearer <token>",
            {"WWW-Authenticate": "Bearer"},
        )
    vetting = request.app[VETTING]
    caller = await vetting.store.partners.authenticate(token.strip())
    if caller is None:
        return error(
            401, "unauthorized", "the token is unknown or revoked", {"WWW-Authenticate": "Bearer"}
        )
    wait = request.app[LIMITER].take(caller.partner.id)
    if wait > 0:
        return error(
            429,
            "rate_limited",
            "too many requests for this partner",
            {"Retry-After": str(math.ceil(wait))},
        )
    request[CALLER] = caller
    return await handler(request)


async def alert_view(vetting: Vetting, alert: Alert) -> dict[str, Any]:
    view = alert.to_api()
    stats = await vetting.store.outbox.stats(alert.id, alert.sending_started_ms)
    view["delivery"] = stats.to_dict()
    return view


def loads(body: bytes) -> Any:
    """JSON from a partner; nesting deep enough to exhaust the parser is a 400, not a 500."""
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        raise invalid("invalid_json", "the body is not valid JSON") from None


async def read_json(request: web.Request) -> Any:
    body = await request.read()
    return loads(body) if body else {}


def idempotency(request: web.Request, body: bytes) -> tuple[str, str]:
    key = request.headers.get("Idempotency-Key", "").strip()
    if not 1 <= len(key) <= 100 or not key.isprintable():
        raise invalid(
            "idempotency_key_required",
            "send an Idempotency-Key header (1-100 printable characters)",
        )
    digest = hashlib.sha256(request.method.encode() + request.path.encode() + b"\0" + body)
    return key, digest.hexdigest()


async def create_alert(request: web.Request) -> web.Response:
    vetting, caller = request.app[VETTING], caller_of(request)
    body = await request.read()
    key, request_hash = idempotency(request, body)
    content_type = request.content_type
    if content_type in CAP_TYPES:
        outcome = await intake_cap(
            body,
            partner_id=caller.partner.id,
            partner_language=caller.partner.language,
            regions=vetting.regions,
            alerts=vetting.store.alerts,
        )
        if outcome.cancel_of is not None:
            alert = await vetting.cancel(caller, outcome.cancel_of)
            return web.json_response(await alert_view(vetting, alert), status=200)
        assert outcome.draft is not None
        draft = outcome.draft
    elif content_type == "application/json":
        data = loads(body) if body else None
        draft = parse_json_alert(data, default_language=caller.partner.language)
    else:
        raise AlertRequestError(
            415, "unsupported_media_type", "send application/json or application/cap+xml"
        )
    alert, created = await vetting.submit(
        caller, draft, idempotency_key=key, request_hash=request_hash
    )
    return web.json_response(await alert_view(vetting, alert), status=201 if created else 200)


async def list_alerts(request: web.Request) -> web.Response:
    vetting, caller = request.app[VETTING], caller_of(request)
    alerts = await vetting.store.alerts.of_partner(caller.partner.id)
    return web.json_response({"alerts": [await alert_view(vetting, a) for a in alerts]})


async def get_alert(request: web.Request) -> web.Response:
    vetting, caller = request.app[VETTING], caller_of(request)
    alert = await vetting.store.alerts.get(request.match_info["alert_id"])
    if alert is None or alert.partner_id != caller.partner.id:
        raise AlertRequestError(404, "not_found", "no such alert")
    return web.json_response(await alert_view(vetting, alert))


async def approve_alert(request: web.Request) -> web.Response:
    vetting = request.app[VETTING]
    alert = await vetting.approve(caller_of(request), request.match_info["alert_id"])
    return web.json_response(await alert_view(vetting, alert))


async def reject_alert(request: web.Request) -> web.Response:
    vetting = request.app[VETTING]
    data = await read_json(request)
    reason = data.get("reason", "") if isinstance(data, dict) else ""
    if not isinstance(reason, str) or not reason.strip():
        raise invalid("missing_field", "a rejection needs a reason")
    if len(reason) > MAX_REASON:
        raise invalid("invalid_value", f"reason: text of at most {MAX_REASON}")
    alert = await vetting.reject(caller_of(request), request.match_info["alert_id"], reason)
    return web.json_response(await alert_view(vetting, alert))


async def update_alert(request: web.Request) -> web.Response:
    vetting, caller = request.app[VETTING], caller_of(request)
    body = await request.read()
    key, request_hash = idempotency(request, body)
    original = await vetting.store.alerts.get(request.match_info["alert_id"])
    if original is None:
        raise AlertRequestError(404, "not_found", "no such alert")
    if original.partner_id != caller.partner.id:
        # As approve, reject, cancel and a CAP Update answer: a clear refusal, not a 404.
        raise forbidden("other_partner", "this alert belongs to another partner")
    if not body:
        raise invalid("invalid_body", "the body must be a JSON object with the changed fields")
    draft = parse_update(loads(body), original.draft, refers_to=original.id)
    alert, created = await vetting.submit(
        caller, draft, idempotency_key=key, request_hash=request_hash
    )
    return web.json_response(await alert_view(vetting, alert), status=201 if created else 200)


async def cancel_alert(request: web.Request) -> web.Response:
    vetting = request.app[VETTING]
    alert = await vetting.cancel(caller_of(request), request.match_info["alert_id"])
    return web.json_response(await alert_view(vetting, alert))


async def whoami(request: web.Request) -> web.Response:
    caller = caller_of(request)
    return web.json_response(
        {
            "partner": {
                "id": caller.partner.id,
                "name": caller.partner.name,
                "regions": list(caller.partner.regions),
                "trust": caller.partner.trust,
            },
            "credential": {"id": caller.credential.id, "roles": list(caller.credential.roles)},
        }
    )


async def openapi(request: web.Request) -> web.Response:
    return web.Response(
        text=OPENAPI_PATH.read_text(encoding="utf-8"), content_type="application/json"
    )


ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/v1/openapi.json", openapi),
    ("GET", "/v1/me", whoami),
    ("POST", "/v1/alerts", create_alert),
    ("GET", "/v1/alerts", list_alerts),
    ("GET", "/v1/alerts/{alert_id}", get_alert),
    ("POST", "/v1/alerts/{alert_id}/approve", approve_alert),
    ("POST", "/v1/alerts/{alert_id}/reject", reject_alert),
    ("POST", "/v1/alerts/{alert_id}/update", update_alert),
    ("POST", "/v1/alerts/{alert_id}/cancel", cancel_alert),
    ("GET", "/v1/resources", resources_api.list_resources),
    ("POST", "/v1/resources", resources_api.create_resource),
    ("PUT", "/v1/resources/{resource_id}", resources_api.update_resource),
    ("DELETE", "/v1/resources/{resource_id}", resources_api.retire_resource),
]


def make_app(vetting: Vetting, limiter: PartnerLimiter | None = None) -> web.Application:
    app = web.Application(
        middlewares=[errors_middleware, auth_middleware], client_max_size=MAX_BODY_BYTES
    )
    app[VETTING] = vetting
    app[LIMITER] = limiter or PartnerLimiter()
    for method, path, handler in ROUTES:
        app.router.add_route(method, path, handler)
    return app
