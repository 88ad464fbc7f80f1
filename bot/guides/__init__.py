"""Account-security, privacy-lockdown, leaving and detention guides: content model, loader,
checker and Telegram HTML renderer. Content lives in ``content/guides/*.yaml``."""

from bot.guides.check import CONTENT_DIR, CheckReport, Problem, check_content, load_catalog
from bot.guides.messages import Message, iter_messages
from bot.guides.model import Catalog, Guide, Platform, Step, known_step_ids, prune_progress
from bot.guides.render import Page, button_label, render_checklist_page, render_step

__all__ = [
    "CONTENT_DIR",
    "Catalog",
    "CheckReport",
    "Guide",
    "Message",
    "Page",
    "Platform",
    "Problem",
    "Step",
    "button_label",
    "check_content",
    "iter_messages",
    "known_step_ids",
    "load_catalog",
    "prune_progress",
    "render_checklist_page",
    "render_step",
]
