"""What every partner API handler reads from aiohttp: the workflow, the limiter, the caller."""

from __future__ import annotations

from aiohttp import web

from bot.alerts.vetting import Vetting
from bot.partners.ratelimit import PartnerLimiter
from bot.store.partners import Caller

VETTING = web.AppKey("vetting", Vetting)
LIMITER = web.AppKey("limiter", PartnerLimiter)
CALLER = web.RequestKey("caller", Caller)


def caller_of(request: web.Request) -> Caller:
    return request[CALLER]
