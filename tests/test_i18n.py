"""The translation workflow on real files: a copy of bot/, content/ and locales/ in tmp_path."""

from __future__ import annotations

import argparse
import io
import shutil
import subprocess
from pathlib import Path

import pytest
from babel.messages.catalog import Message

from bot.i18n import commands, tools
from bot.i18n.catalogs import Catalogs, is_unreviewed

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = tools.locale_codes(ROOT)
FSI, PDI = "\u2068", "\u2069"

PROBE = "Stay away from the river crossing after dark."
PROBE_CHANGED = "Stay away from the river crossing after sunset."
KEPT = "Meet at the school gate."


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo")
    for name in ("bot", "content", "locales"):
        shutil.copytree(ROOT / name, root / name, ignore=ignore)
    return root


def write_probe(root: Path, *texts: str) -> None:
    lines = ["def probe(tr):", "    return ["]
    lines += [f"        tr._({text!r})," for text in texts]
    lines += ["    ]", ""]
    (root / "bot" / "zz_probe.py").write_text("\n".join(lines), encoding="utf-8")


def translate(root: Path, lang: str, texts: dict[str, str], context: str | None = None) -> None:
    """What a translator does in Poedit: fill msgstr, clear fuzzy, save."""
    path = tools.po_path(root, lang)
    catalog, text = tools.read_catalog(path)
    for msgid, string in texts.items():
        message = catalog.get(msgid, context)
        assert message is not None, msgid
        message.string = string
        message.flags.discard("fuzzy")
    path.write_text(tools.render(catalog, tools.extra_headers(text)), encoding="utf-8")


def fuzzy_ids(root: Path, lang: str) -> set[str]:
    catalog, _ = tools.read_catalog(tools.po_path(root, lang))
    return {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id and m.fuzzy}


def cli(*argv: str) -> tuple[int, str]:
    parser = argparse.ArgumentParser(prog="waymark")
    sub = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(sub)
    out = io.StringIO()
    code = commands.run(parser.parse_args(["i18n", *argv]), out=out, err=out)
    return code, out.getvalue()


def test_the_six_languages_ship_unreviewed() -> None:
    assert {"ar", "fa", "fr", "my", "uk"} <= set(SHIPPED)
    catalogs = Catalogs.load(ROOT / "locales")
    assert catalogs.codes[0] == "en"
    for lang in ("ar", "fa", "fr", "my", "uk"):
        assert catalogs.get(lang).unreviewed, lang


def test_changed_english_makes_exactly_that_entry_fuzzy_everywhere(project: Path) -> None:
    write_probe(project, PROBE, KEPT)
    tools.extract(project)
    tools.update(project)
    for lang in SHIPPED:
        translate(project, lang, {PROBE: f"[{lang}] dark", KEPT: f"[{lang}] gate"})
    before_fuzzy = {lang: fuzzy_ids(project, lang) for lang in SHIPPED}
    before = {row.lang: row for row in tools.status(project)}

    write_probe(project, PROBE_CHANGED, KEPT)
    tools.extract(project)
    results = {r.lang: r for r in tools.update(project)}

    after = {row.lang: row for row in tools.status(project)}
    catalogs = Catalogs.load(project / "locales")
    for lang in SHIPPED:
        assert results[lang].fuzzy == [PROBE_CHANGED]
        assert fuzzy_ids(project, lang) == before_fuzzy[lang] | {PROBE_CHANGED}
        catalog, text = tools.read_catalog(tools.po_path(project, lang))
        changed = catalog.get(PROBE_CHANGED)
        assert changed is not None and changed.fuzzy
        assert changed.string == f"[{lang}] dark"  # kept for the translator to adjust
        assert changed.previous_id == [PROBE]  # written as "#| msgid", the diff Poedit shows
        kept = catalog.get(KEPT)
        assert kept is not None and not kept.fuzzy and kept.string == f"[{lang}] gate"
        assert catalog.get(PROBE) is None
        assert is_unreviewed(text)
        # Stale, not translated: one more fuzzy, one fewer translated, in the interface column.
        assert after[lang].interface.fuzzy == before[lang].interface.fuzzy + 1
        assert after[lang].interface.translated == before[lang].interface.translated - 1
        assert after[lang].content == before[lang].content
        # A fuzzy entry is never shown: the person reads the new English.
        assert catalogs.get(lang)._(PROBE_CHANGED) == PROBE_CHANGED
        assert catalogs.get(lang)._(KEPT) == f"[{lang}] gate"

    code, out = cli("--root", str(project), "status")
    assert code == 0 and "1 fuzzy" in out


def test_removed_string_is_kept_obsolete_and_comes_back(project: Path) -> None:
    write_probe(project, PROBE, KEPT)
    tools.extract(project)
    tools.update(project)
    translate(project, "fr", {KEPT: "Rendez-vous au portail de l’école."})

    write_probe(project, PROBE)
    tools.extract(project)
    [result] = tools.update(project, ["fr"])
    assert result.obsolete == 1 and result.fuzzy == []
    text = tools.po_path(project, "fr").read_text(encoding="utf-8")
    assert '#~ msgid "Meet at the school gate."' in text

    write_probe(project, PROBE, KEPT)
    tools.extract(project)
    tools.update(project, ["fr"])
    catalog, text = tools.read_catalog(tools.po_path(project, "fr"))
    back = catalog.get(KEPT)
    assert back is not None and back.string == "Rendez-vous au portail de l’école."
    assert not back.fuzzy and "#~ msgid \"Meet" not in text


def test_rewritten_guide_field_is_matched_by_its_context(project: Path) -> None:
    guide = project / "content" / "guides" / "phone.yaml"
    old = "Lock your SIM card with a PIN"
    new = "Protect the SIM with its own code"  # too different for text similarity
    context = "phone.security.sim-pin|title"
    tools.extract(project)
    tools.update(project)
    translate(project, "uk", {old: "Заблокуйте SIM-картку PIN-кодом"}, context)
    had = set()
    for lang in SHIPPED:
        catalog, _ = tools.read_catalog(tools.po_path(project, lang))
        entry = catalog.get(old, context)
        if entry is not None and tools.is_translated(entry) and not entry.fuzzy:
            had.add(lang)
    [before] = [row for row in tools.status(project) if row.lang == "uk"]
    guide.write_text(guide.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    tools.extract(project)
    results = {r.lang: r for r in tools.update(project)}
    assert "uk" in had
    assert {lang for lang in SHIPPED if results[lang].fuzzy == [new]} == had
    assert all(results[lang].fuzzy == [] for lang in SHIPPED if lang not in had)
    catalog, _ = tools.read_catalog(tools.po_path(project, "uk"))
    entry = catalog.get(new, context)
    assert entry is not None and entry.fuzzy and entry.previous_id == [old]
    [uk] = [row for row in tools.status(project) if row.lang == "uk"]
    # Exactly one more content string needs a check (the shipped catalogs may already hold some).
    assert uk.content.fuzzy == before.content.fuzzy + 1
    assert uk.interface.fuzzy == before.interface.fuzzy == 0


def test_extract_is_deterministic(project: Path) -> None:
    tools.extract(project)
    first = tools.template_path(project).read_text(encoding="utf-8")
    code, out = cli("--root", str(project), "extract")
    assert code == 0 and "(unchanged)" in out
    assert tools.template_path(project).read_text(encoding="utf-8") == first
    pot, _ = tools.read_catalog(tools.template_path(project))
    regions = [m for m in pot if m.context == tools.REGION_CONTEXT]
    assert regions and all(loc[0] == "content/regions.yaml" for m in regions for loc in m.locations)
    steps = [m for m in pot if m.context and m.context.endswith("|why")]
    assert steps and all(m.locations[0][0].startswith("content/guides/") for m in steps)
    assert all(tools.is_content(m) for m in regions + steps)
    code_strings = [m for m in pot if m.id and not tools.is_content(m)]
    assert code_strings and all(m.locations[0][0].endswith(".py") for m in code_strings)


def test_check_finds_dropped_placeholder_and_broken_tag(project: Path) -> None:
    write_probe(project, "Send <b>/help</b> to see the menu.")
    tools.extract(project)
    tools.update(project)
    translate(project, "fr", {
        "Send <b>/help</b> to see the menu.": "Envoyez <b>/help pour voir le menu.",
        "Warning regions: {regions}": "Régions d’alerte :",
    })
    problems = tools.check(project)["fr"]
    messages = [p.message for p in problems]
    assert any("{regions} is missing" in m for m in messages), messages
    assert any("HTML tag <b> is never closed" in m for m in messages), messages
    assert all(p.path == "locales/fr/LC_MESSAGES/messages.po" and p.line > 1 for p in problems)
    code, out = cli("--root", str(project), "check")
    assert code == 1
    assert "locales/fr/LC_MESSAGES/messages.po:" in out and "{regions}" in out


@pytest.mark.parametrize(
    ("msgid", "string", "context", "expected"),
    [
        ("You get warnings for: {regions}", "Alertes : {région}", None, "{région} is not in"),
        ("Send /forget now.", "Envoyez /oublier.", None, "command /forget must stay"),
        ("<i>Note</i>", "<b>Remarque</b>", None, "HTML tags differ"),
        ("Hide your number", "x" * 61, "telegram.privacy.phone-number|title", "allow 60"),
        ("Why", "y" * 401, "telegram.privacy.phone-number|why", "allow 400"),
        ("Waymark: new message", "Nouveau message", None, "keep the name Waymark"),
        ("Sent /start", "أرسل \u2068/start", None, "unbalanced direction isolates"),
    ],
)
def test_message_problems(msgid: str, string: str, context: str | None, expected: str) -> None:
    locations = [("content/guides/telegram.yaml", 3)] if context else [("bot/x.py", 1)]
    message = Message(msgid, string, locations=locations, context=context)
    assert any(expected in p for p in tools.message_problems(message))
    # The same entry marked fuzzy is never shown, so it is never an error; nor is a missing one.
    message.flags.add("fuzzy")
    assert tools.message_problems(message) == []
    assert tools.message_problems(Message(msgid, "", locations=locations, context=context)) == []


def test_plural_forms_may_not_be_half_done() -> None:
    message = Message(("{n} step", "{n} steps"), ("{n} крок", "", "{n} кроків"))
    assert any("plural form 1 is empty" in p for p in tools.message_problems(message))
    message.string = ("{n} крок", "{n} кроки", "{n} кроків")
    assert tools.message_problems(message) == []


def test_every_shipped_catalog_passes_check() -> None:
    assert {lang: [str(p) for p in found] for lang, found in tools.check(ROOT).items()} == {
        lang: [] for lang in SHIPPED
    }


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext's msgfmt is not installed")
@pytest.mark.parametrize("lang", SHIPPED)
def test_every_shipped_catalog_passes_msgfmt(lang: str) -> None:
    path = tools.po_path(ROOT, lang)
    result = subprocess.run(
        ["msgfmt", "--check", "-o", "/dev/null", str(path)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("lang", ["ar", "fa"])
def test_right_to_left_catalogs_isolate_latin_runs(lang: str) -> None:
    """An Arabic or Farsi line must not start its direction from "Waymark" or "/help"."""
    catalog, _ = tools.read_catalog(tools.po_path(ROOT, lang))
    for message in catalog:
        if not message.id or not tools.is_translated(message) or message.id == "Waymark":
            continue
        strings = message.string if isinstance(message.string, tuple) else (str(message.string),)
        for string in strings:
            for latin in ("Waymark", "/forget", "/help", "/start"):
                if latin in string:
                    assert f"{FSI}{latin}{PDI}" in string, (message.id, string)


def test_init_adds_a_language_without_code_changes(project: Path) -> None:
    shutil.rmtree(project / "locales" / "uk")
    assert "uk" not in Catalogs.load(project / "locales").codes
    code, out = cli("--root", str(project), "init", "uk")
    assert code == 0, out
    path = tools.po_path(project, "uk")
    text = path.read_text(encoding="utf-8")
    assert is_unreviewed(text) and "Plural-Forms: nplurals=3;" in text
    catalogs = Catalogs.load(project / "locales")
    assert "uk" in catalogs.codes and catalogs.get("uk").unreviewed
    assert catalogs.get("uk")._("Help") == "Help"  # nothing translated yet: English

    tools.init("sw", project)
    assert "sw" in Catalogs.load(project / "locales").codes
    assert tools.check(project)["sw"] == []
    if shutil.which("msgfmt"):
        subprocess.run(["msgfmt", "--check", "-o", "/dev/null", str(path)], check=True)
    with pytest.raises(tools.I18nError, match="already exists"):
        tools.init("sw", project)
    assert cli("--root", str(project), "init", "not-a-locale")[0] == 2


def test_status_fail_under(project: Path) -> None:
    code, out = cli("--root", str(project), "status", "--fail-under", "100")
    assert code == 0, out
    for lang in ("ar", "fa", "fr", "my", "uk"):
        assert f"{lang} " in out and "unreviewed" in out

    write_probe(project, "A brand new sentence that nobody has translated.")
    tools.extract(project)
    tools.update(project)
    code, out = cli("--root", str(project), "status", "--fail-under", "100")
    assert code == 1 and "interface below 100%" in out
    assert cli("--root", str(project), "status", "--fail-under", "90")[0] == 0


def test_update_keeps_headers_babel_does_not_know(project: Path) -> None:
    path = tools.po_path(project, "fr")
    text = path.read_text(encoding="utf-8")
    head, sep, rest = text.partition("\n\n")
    path.write_text(head + '\n"X-Generator: Poedit 3.4\\n"' + sep + rest, encoding="utf-8")
    write_probe(project, PROBE)
    tools.extract(project)
    tools.update(project)
    text = path.read_text(encoding="utf-8")
    assert '"X-Generator: Poedit 3.4\\n"' in text and is_unreviewed(text)
