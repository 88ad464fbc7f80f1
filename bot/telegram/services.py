"""What handlers need, handed to them through PTB's bot_data (never a module-level global)."""

from __future__ import annotations

import asyncio
import weakref
from dataclasses import dataclass, field

from telegram.ext import ContextTypes

from bot.alerts.vetting import Vetting
from bot.config import Settings
from bot.guides.model import Catalog
from bot.i18n.catalogs import Catalogs
from bot.regions import Regions
from bot.store.store import Store
from bot.telegram.flood_gate import FloodGate

KEY = "waymark"


@dataclass
class Services:
    settings: Settings
    store: Store
    catalogs: Catalogs
    regions: Regions
    vetting: Vetting
    guides: Catalog
    flood: FloodGate = field(default_factory=lambda: FloodGate())
    # Updates run concurrently; one lock per chat keeps one person's taps in order.
    _locks: weakref.WeakValueDictionary[int, asyncio.Lock] = field(
        default_factory=weakref.WeakValueDictionary
    )

    def chat_lock(self, chat_id: int) -> asyncio.Lock:
        lock = self._locks.get(chat_id)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[chat_id] = lock
        return lock


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    found = context.bot_data[KEY]
    assert isinstance(found, Services)
    return found
