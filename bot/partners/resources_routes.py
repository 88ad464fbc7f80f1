"""The partner API's /v1/resources routes: a partner keeps its regions' resource entries current.

A partner may touch an entry only if every one of its regions is inside the partner's cover
(a province covers its districts); global entries are the operator's (`waymark resources import`).
`verified_by` is always the calling partner, `last_verified` today unless given. Every change is
audited with the credential that made it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from aiohttp import web

from bot.alerts.errors import AlertRequestError, forbidden, invalid
from bot.alerts.vetting import Vetting
from bot.partners.context import VETTING, caller_of
from bot.resources.model import DEFAULT_VALIDITY_DAYS, GLOBAL, ID, Resource, check_resource
from bot.store.partners import Caller
from bot.store.resources import ResourceError

MAX_MESSAGE = 1000


def _context(request: web.Request) -> tuple[Vetting, Caller]:
    return request.app[VETTING], caller_of(request)


async def _body(request: web.Request) -> dict[str, Any]:
    from bot.partners.api import read_json

    data = await read_json(request)
    if not isinstance(data, dict):
        raise invalid("invalid_body", "the body must be a JSON object describing the resource")
    return data


def _covered(vetting: Vetting, caller: Caller, codes: Iterable[str]) -> bool:
    codes = list(codes)
    if not codes or GLOBAL in codes:
        return False
    return all(vetting.regions.covers(caller.partner.regions, c) for c in codes)


def _require_cover(vetting: Vetting, caller: Caller, codes: Iterable[str]) -> None:
    codes = list(codes)
    if GLOBAL in codes:
        raise forbidden("region_forbidden", "global entries are kept by the operator")
    if not _covered(vetting, caller, codes):
        raise forbidden(
            "region_forbidden", "this partner may only keep resources in its own regions"
        )


def _validated(vetting: Vetting, caller: Caller, data: dict[str, Any]) -> Resource:
    data = dict(data)
    data["verified_by"] = caller.partner.id
    today = date.today()
    if data.get("last_verified") in (None, ""):
        data["last_verified"] = today.isoformat()
    if data.get("expires") in (None, ""):
        start = data["last_verified"]
        try:
            base = date.fromisoformat(start) if isinstance(start, str) else today
        except ValueError:
            base = today
        data["expires"] = (base + timedelta(days=DEFAULT_VALIDITY_DAYS)).isoformat()
    regions = data.get("regions")
    if isinstance(regions, list) and GLOBAL in regions:
        raise forbidden("region_forbidden", "global entries are kept by the operator")
    checked = check_resource(data, vetting.regions, today=today)
    if checked.resource is None:
        message = "; ".join(p.message for p in checked.problems)
        if len(message) > MAX_MESSAGE:
            message = message[: MAX_MESSAGE - 1] + "…"
        raise invalid("invalid_resource", message)
    _require_cover(vetting, caller, checked.resource.regions)
    return checked.resource


async def _existing(vetting: Vetting, caller: Caller, resource_id: str) -> Resource:
    found = await vetting.store.resources.get(resource_id) if ID.match(resource_id) else None
    if found is None or found.retired:
        raise AlertRequestError(404, "not_found", "no such resource")
    _require_cover(vetting, caller, found.regions)
    return found


def _view(resource: Resource) -> dict[str, Any]:
    view = resource.to_dict()
    view["expiring_soon"] = resource.expiring_soon(date.today())
    view["expired"] = resource.expired(date.today())
    return view


async def list_resources(request: web.Request) -> web.Response:
    vetting, caller = _context(request)
    found = await vetting.store.resources.all()
    mine = [r for r in found if _covered(vetting, caller, r.regions)]
    return web.json_response({"resources": [_view(r) for r in mine]})


async def create_resource(request: web.Request) -> web.Response:
    vetting, caller = _context(request)
    resource = _validated(vetting, caller, await _body(request))
    try:
        await vetting.store.resources.create(resource, caller.actor)
    except ResourceError as exc:
        raise AlertRequestError(409, "conflict", str(exc)) from None
    return web.json_response(_view(resource), status=201)


async def update_resource(request: web.Request) -> web.Response:
    vetting, caller = _context(request)
    resource_id = request.match_info["resource_id"]
    old = await _existing(vetting, caller, resource_id)
    changes = await _body(request)
    if changes.get("id", resource_id) != resource_id:
        raise invalid("invalid_resource", "id: the body's id differs from the one in the path")
    merged = old.to_dict()
    merged.update(changes)
    if "last_verified" not in changes:
        merged["last_verified"] = None  # re-verified now
    if "expires" not in changes and old.expires <= date.today():
        merged["expires"] = None
    resource = _validated(vetting, caller, merged)
    try:
        await vetting.store.resources.update(resource, caller.actor)
    except ResourceError:
        raise AlertRequestError(404, "not_found", "no such resource") from None
    return web.json_response(_view(resource))


async def retire_resource(request: web.Request) -> web.Response:
    vetting, caller = _context(request)
    resource_id = request.match_info["resource_id"]
    await _existing(vetting, caller, resource_id)
    try:
        await vetting.store.resources.retire(resource_id, caller.actor)
    except ResourceError:
        raise AlertRequestError(404, "not_found", "no such resource") from None
    return web.json_response({"id": resource_id, "retired": True})
