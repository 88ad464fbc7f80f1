"""The one place that wires storage, catalogs, Telegram, the partner API and the jobs."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from types import TracebackType

from aiohttp import web
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import Application, ApplicationBuilder

from bot import logs
from bot.alerts.broadcaster import Broadcaster
from bot.alerts.ratelimit import SendLimiter
from bot.alerts.vetting import Vetting
from bot.config import Settings
from bot.errors import StartupError
from bot.guides import load_catalog
from bot.i18n.catalogs import Catalogs
from bot.partners.api import make_app
from bot.regions import load_regions
from bot.resources.commands import seed_if_empty as seed_resources
from bot.store.store import Store
from bot.telegram import router
from bot.telegram.http_client import AiohttpRequest
from bot.telegram.limiter_hook import SharedLimiterHook
from bot.telegram.people_first import PeopleFirst
from bot.telegram.services import KEY, Services

log = logging.getLogger(__name__)

EXPIRY_CHECK_SECONDS = 15
RETENTION_SECONDS = 3600


class Waymark:
    """The running service: `async with Waymark(settings) as app: await app.wait()`."""

    def __init__(self, settings: Settings) -> None:
        if not settings.token:
            raise StartupError("no bot token: set TELEGRAM_BOT_TOKEN (from @BotFather)")
        self.settings = settings
        logs.quiet_libraries()
        self.catalogs = Catalogs.load(settings.locales_dir)
        self.regions = load_regions(settings.content_dir / "regions.yaml")
        self.guides = load_catalog(settings.content_dir / "guides")
        self.store = Store.open(settings.data_dir)
        try:
            seed_resources(self.store, self.regions, settings.content_dir)
        except BaseException:
            self.store.close()
            raise
        pool = settings.broadcast_concurrency
        self.people = PeopleFirst(64)
        self.limiter = SendLimiter(
            settings.broadcast_rate,
            limit=settings.telegram_rate_limit,
            yield_to=self.people.yield_to_people,
        )
        self.application: Application = (  # type: ignore[type-arg]
            ApplicationBuilder()
            .token(settings.token)
            .base_url(settings.api_base_url)
            .request(AiohttpRequest(connection_pool_size=max(64, 2 * pool)))
            .get_updates_request(AiohttpRequest(connection_pool_size=1))
            .concurrent_updates(self.people)
            .rate_limiter(SharedLimiterHook(self.limiter))
            .build()
        )
        self.broadcaster = Broadcaster(
            self.store,
            self.application.bot,
            self.catalogs,
            self.regions,
            self.limiter,
            concurrency=settings.broadcast_concurrency,
            paid=settings.paid_broadcast,
        )
        self.vetting = Vetting(self.store, self.regions, self.broadcaster.wake)
        self.services = Services(
            settings, self.store, self.catalogs, self.regions, self.vetting, self.guides
        )
        self.application.bot_data[KEY] = self.services
        router.register(self.application)
        self._runner: web.AppRunner | None = None
        self._jobs: list[asyncio.Task[None]] = []
        self._stopped = asyncio.Event()
        self.partner_api_port: int | None = None

    async def start(self) -> None:
        try:
            await self.application.initialize()
        except InvalidToken:
            self.store.close()
            raise StartupError(
                "Telegram rejected the bot token: check TELEGRAM_BOT_TOKEN"
            ) from None
        except NetworkError as exc:
            self.store.close()
            raise StartupError(
                f"cannot reach the Telegram Bot API ({type(exc).__name__})"
            ) from None
        try:
            await router.publish_commands(self.application, self.catalogs)
        except TelegramError as exc:
            log.warning("could not publish the command menu: %s", type(exc).__name__)
        await self._start_partner_api()
        await self.application.start()
        assert self.application.updater is not None
        await self.application.updater.start_polling(
            timeout=self.settings.poll_timeout, drop_pending_updates=False
        )
        # Everything loaded so far (catalogs, guides, the libraries) lives as long as the
        # process: freezing it keeps the garbage collector from rescanning it, whose full passes
        # stopped the event loop for 35-60 ms during a paid broadcast, long enough to squeeze
        # the requests that waited into a burst (bench/RESULTS.md).
        gc.collect()
        gc.freeze()
        self.broadcaster.start()
        self._jobs.append(asyncio.create_task(self._expiry_job(), name="waymark-expiry"))
        self._jobs.append(asyncio.create_task(self._retention_job(), name="waymark-retention"))
        log.info("Waymark is running with %d languages", len(self.catalogs.codes))

    async def _start_partner_api(self) -> None:
        self._runner = web.AppRunner(make_app(self.vetting), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(
            self._runner, self.settings.partner_api_host, self.settings.partner_api_port
        )
        try:
            await site.start()
        except OSError as exc:
            await self._runner.cleanup()
            self.store.close()
            raise StartupError(
                f"cannot listen for the partner API on {self.settings.partner_api_host}:"
                f"{self.settings.partner_api_port} ({exc.strerror})"
            ) from None
        addresses = self._runner.addresses
        self.partner_api_port = int(addresses[0][1]) if addresses else None

    @property
    def partner_api_url(self) -> str:
        return f"http://{self.settings.partner_api_host}:{self.partner_api_port}"

    async def _expiry_job(self) -> None:
        while True:
            with contextlib.suppress(Exception):
                await self.vetting.expire_due()
            await asyncio.sleep(EXPIRY_CHECK_SECONDS)

    async def purge(self) -> dict[str, int]:
        counts = await self.store.retention.purge(
            alert_retention_days=self.settings.alert_retention_days,
            inactive_days=self.settings.purge_inactive_days,
        )
        log.info("retention purge: %s", ", ".join(f"{k}={v}" for k, v in sorted(counts.items())))
        return counts

    async def _retention_job(self) -> None:
        while True:
            with contextlib.suppress(Exception):
                await self.purge()
            await asyncio.sleep(RETENTION_SECONDS)

    async def stop(self) -> None:
        if self._stopped.is_set():
            return
        self._stopped.set()
        for job in self._jobs:
            job.cancel()
        for job in self._jobs:
            with contextlib.suppress(asyncio.CancelledError):
                await job
        await self.broadcaster.stop()
        updater = self.application.updater
        if updater is not None and updater.running:
            await updater.stop()
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()
        if self._runner is not None:
            await self._runner.cleanup()
        self.store.close()

    async def wait(self) -> None:
        await self._stopped.wait()

    async def __aenter__(self) -> Waymark:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()
