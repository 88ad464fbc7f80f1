"""The one place that wires storage, catalogs and the Telegram application together."""

from __future__ import annotations

import asyncio
import logging
from types import TracebackType

from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import Application, ApplicationBuilder

from bot import logs
from bot.config import Settings
from bot.errors import StartupError
from bot.i18n.catalogs import Catalogs
from bot.store.store import Store
from bot.telegram import router
from bot.telegram.services import KEY, Services

log = logging.getLogger(__name__)


class Waymark:
    """The running service: `async with Waymark(settings) as app: await app.wait()`."""

    def __init__(self, settings: Settings) -> None:
        if not settings.token:
            raise StartupError("no bot token: set TELEGRAM_BOT_TOKEN (from @BotFather)")
        self.settings = settings
        logs.quiet_libraries()
        self.catalogs = Catalogs.load(settings.locales_dir)
        self.store = Store.open(settings.data_dir)
        self.application: Application = (  # type: ignore[type-arg]
            ApplicationBuilder()
            .token(settings.token)
            .base_url(settings.api_base_url)
            .concurrent_updates(64)
            .build()
        )
        self.services = Services(settings, self.store, self.catalogs)
        self.application.bot_data[KEY] = self.services
        router.register(self.application)
        self._stopped = asyncio.Event()

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
        await self.application.start()
        assert self.application.updater is not None
        await self.application.updater.start_polling(
            timeout=self.settings.poll_timeout, drop_pending_updates=False
        )
        log.info("Waymark is running with %d languages", len(self.catalogs.codes))

    async def stop(self) -> None:
        if self._stopped.is_set():
            return
        self._stopped.set()
        updater = self.application.updater
        if updater is not None and updater.running:
            await updater.stop()
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()
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
