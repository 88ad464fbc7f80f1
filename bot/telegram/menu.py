"""The main menu, help, Close, and the answers to input Waymark does not understand."""

from __future__ import annotations

import html

from telegram import Update
from telegram.ext import ContextTypes

from bot.i18n.catalogs import SOURCE_LANGUAGE, Translator
from bot.telegram.callbacks import Callback
from bot.telegram.context import Visit
from bot.telegram.screen import Button, Screen, close_row, pressed_message, show

GUIDE_FEATURES = ("secure", "lockdown", "leave", "detained")
# Features whose issues have not landed yet; the menu says so instead of hiding them.
SOON: tuple[str, ...] = ()


def feature_label(tr: Translator, feature: str) -> str:
    labels = {
        "secure": "🔐 " + tr._("Secure my accounts"),
        "lockdown": "🕶 " + tr._("Lock down my privacy"),
        "leave": "🚪 " + tr._("Deactivate or delete an account"),
        "detained": "⚠️ " + tr._("If you are detained"),
        "findhelp": "🆘 " + tr._("Find help near you"),
    }
    return labels[feature]


def review_note(tr: Translator) -> str:
    if not tr.unreviewed:
        return ""
    return (
        "\n\n<i>"
        + html.escape(tr._("This translation is awaiting review by a native speaker."))
        + "</i>"
    )


def menu_screen(tr: Translator, notice: str | None = None) -> Screen:
    text = (
        "<b>"
        + html.escape(tr._("Waymark"))
        + "</b>\n"
        + html.escape(tr._("What do you want to do?"))
    )
    if notice:
        text = html.escape(notice) + "\n\n" + text
    text += review_note(tr)
    rows = [[Button(feature_label(tr, f), Callback("feature", f))] for f in GUIDE_FEATURES]
    rows.append([Button("📣 " + tr._("Early warnings"), Callback("alerts"))])
    rows.append([Button(feature_label(tr, "findhelp"), Callback("findhelp"))])
    rows.extend([Button(feature_label(tr, f), Callback("soon", f))] for f in SOON)
    rows.append(
        [
            Button("🌐 " + tr._("Language"), Callback("lang")),
            Button("🛡 " + tr._("Privacy"), Callback("privacy")),
        ]
    )
    if tr.unreviewed and tr.code != SOURCE_LANGUAGE:
        rows.append([Button("English", Callback("lang", SOURCE_LANGUAGE))])
    rows.append([Button("❓ " + tr._("Help"), Callback("help")), *close_row(tr)])
    return Screen(text, rows)


def back_row(tr: Translator) -> list[Button]:
    return [Button("⬅ " + tr._("Menu"), Callback("menu")), *close_row(tr)]


def help_screen(tr: Translator) -> Screen:
    lines = [
        "<b>" + html.escape(tr._("Help")) + "</b>",
        "",
        "/start — " + html.escape(tr._("open the menu")),
        "/language — " + html.escape(tr._("change the language")),
        "/mydata — " + html.escape(tr._("see what Waymark stores about you")),
        "/forget — " + html.escape(tr._("delete everything Waymark stores about you")),
        "/help — " + html.escape(tr._("this help")),
        "",
        html.escape(
            tr._(
                "Close removes a message from this chat. Waymark keeps only one message "
                "in the chat at a time, so little is left if your phone is searched."
            )
        ),
    ]
    return Screen("\n".join(lines), [back_row(tr)])


def soon_screen(tr: Translator, feature: str) -> Screen:
    title = feature_label(tr, feature)
    body = tr._(
        "This part of Waymark is not ready yet. It is offered only after every step has been "
        "checked against its source, because a wrong step could put you at risk."
    )
    return Screen(f"<b>{html.escape(title)}</b>\n\n{html.escape(body)}", [back_row(tr)])


async def show_menu(
    context: ContextTypes.DEFAULT_TYPE, v: Visit, update: Update, notice: str | None = None
) -> None:
    edit = pressed_message(update) if notice is None else None
    await show(context, v.chat_id, v.record, menu_screen(v.tr, notice), edit=edit)
