"""Guide content: the shipped files are valid, broken files are reported at the right line,
every rendered page fits in a Telegram message, and removed steps never break saved progress."""

from __future__ import annotations

import html
import re
import textwrap
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.errors import StartupError
from bot.guides.check import CONTENT_DIR, check_content, load_catalog
from bot.guides.loader import load_file
from bot.guides.model import (
    Catalog,
    Guide,
    Step,
    field_context,
    kinds_for,
    known_step_ids,
    prune_progress,
)
from bot.guides.render import (
    PAGE_LIMIT,
    UI_MESSAGES,
    button_label,
    render_checklist_page,
    render_step,
    visible_length,
)

TODAY = date(2026, 11, 23)  # for the sample files below, whose dates are fixed
# The shipped content is checked as people will see it: against the real date, so a step that goes
# stale fails here as it does in `waymark content check`.
REAL_TODAY = date.today()

GOOD = """\
platform: demo
name: Demo App
source_domains: [help.example.org]
guides:
  security:
    title: Secure your Demo account
    intro: Three things to do first.
    steps:
      - id: demo.security.two-step
        title: Turn on two-step verification
        tier: everyone
        do:
          android: Settings → Account → Two-step verification
          ios: Settings → Account → Two-step verification
        why: Someone with your SIM cannot take over the account.
        limits: It does not help if someone has your unlocked phone.
        source: https://help.example.org/two-step
        reviewed: 2026-11-23
      - id: demo.security.sessions
        title: Log out other sessions
        tier: higher_risk
        do:
          all: Settings → Devices → Log out all other sessions
        why: Ends sessions you do not recognise.
        limits: A session can be opened again with your password.
        source: https://help.example.org/sessions
        reviewed: 2026-11-20
        note: Older app versions call this "Active sessions".
"""


def write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def line_of(path: Path, needle: str, occurrence: int = 1) -> int:
    """1-based line of the n-th line containing ``needle``."""
    found = [n for n, text in enumerate(path.read_text().splitlines(), 1) if needle in text]
    return found[occurrence - 1]


def tr_identity(context: str, text: str) -> str:
    return text


def fmt(day: date) -> str:
    return day.isoformat()


def progress_en(done: int, total: int) -> str:
    return f"{done} of {total} done"


# -- the shipped content -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped() -> Catalog:
    report = check_content(CONTENT_DIR, today=REAL_TODAY)
    assert [str(p) for p in report.errors] == []
    return report.catalog


def test_shipped_content_has_no_errors(shipped: Catalog) -> None:
    assert shipped.platforms, "no guide content shipped"
    for platform in shipped.platforms:
        assert platform.guides, platform.slug
        assert set(platform.kinds) <= set(kinds_for(platform.slug))
        for guide in platform.guides:
            assert guide.steps, guide.key


def test_shipped_content_is_not_stale_today(shipped: Catalog) -> None:
    report = check_content(CONTENT_DIR, today=REAL_TODAY)
    assert [str(p) for p in report.warnings] == []


def test_shipped_steps_follow_the_house_rules(shipped: Catalog) -> None:
    for step in shipped.steps():
        assert step.source.startswith("https://"), step.id
        assert step.limits.strip(), step.id
        assert len(step.title) <= 60, step.id
        # Menu paths use the arrow, never ">" or "->".
        for _, text in step.do:
            assert "->" not in text and " > " not in text, step.id


def test_shipped_every_guide_has_an_essential_step(shipped: Catalog) -> None:
    for guide in shipped.guides():
        assert any(s.essential for s in guide.steps), guide.key


def test_load_catalog_returns_the_shipped_content(shipped: Catalog) -> None:
    catalog = load_catalog(CONTENT_DIR, today=REAL_TODAY)
    assert catalog.step_ids == shipped.step_ids


# -- the checker on good and broken content ----------------------------------------------------


def test_good_fixture_builds_a_catalog(tmp_path: Path) -> None:
    write(tmp_path, "demo.yaml", GOOD)
    report = check_content(tmp_path, today=TODAY)
    assert report.errors == [] and report.warnings == []
    guide = report.catalog.guide("demo", "security")
    assert guide is not None
    assert [s.id for s in guide.steps] == ["demo.security.two-step", "demo.security.sessions"]
    first, second = guide.steps
    assert first.instructions() == {"android": "Settings → Account → Two-step verification",
                                    "ios": "Settings → Account → Two-step verification"}
    assert first.reviewed == date(2026, 11, 23)
    assert second.tier == "higher_risk" and not second.essential
    assert second.note == 'Older app versions call this "Active sessions".'
    assert report.catalog.guide_of("demo.security.gone") is guide


def test_broken_copy_reports_each_problem_at_its_line(tmp_path: Path) -> None:
    broken = (GOOD
              .replace("id: demo.security.sessions", "id: demo.security.two-step")
              .replace("https://help.example.org/sessions", "http://help.example.org/sessions")
              .replace("        limits: It does not help if someone has your unlocked phone.\n",
                       "")
              .replace("reviewed: 2026-11-20", "reviewed: 2026-02-30")
              .replace("        tier: everyone\n", "        tier: everyone\n        colour: red\n"))
    path = write(tmp_path, "demo.yaml", broken)
    report = check_content(tmp_path, today=TODAY)
    got = {str(p) for p in report.errors}
    first_id = line_of(path, "id: demo.security.two-step", 1)
    expected = {
        f"{path}:{line_of(path, 'id: demo.security.two-step', 2)}: duplicate step id "
        f"'demo.security.two-step' (first at {path}:{first_id})",
        f"{path}:{line_of(path, 'http://')}: source must be an https URL: "
        "'http://help.example.org/sessions'",
        f"{path}:{first_id}: step 'demo.security.two-step' is missing required key 'limits'",
        f"{path}:{line_of(path, '2026-02-30')}: reviewed must be a date as YYYY-MM-DD, "
        "not '2026-02-30'",
        f"{path}:{line_of(path, 'colour: red')}: unknown key 'colour' in step "
        "'demo.security.two-step'",
    }
    assert got == expected
    # the problem's string form is exactly path:line: message
    assert all(str(p) == f"{p.path}:{p.line}: {p.message}" for p in report.errors)


def test_load_catalog_refuses_broken_content(tmp_path: Path) -> None:
    write(tmp_path, "demo.yaml", GOOD.replace("https://help.example.org/two-step",
                                              "http://help.example.org/two-step"))
    with pytest.raises(StartupError, match=r"demo\.yaml:\d+: source must be an https URL"):
        load_catalog(tmp_path, today=TODAY)


@pytest.mark.parametrize(("old", "new", "needle", "message"), [
    ("tier: everyone", "tier: urgent", "tier: urgent",
     "unknown tier 'urgent'; expected one of: everyone, higher_risk"),
    ("  security:\n", "  hacking:\n", "hacking:",
     "unknown guide kind 'hacking' for 'demo'; expected one of: security, privacy, leave"),
    ("platform: demo", "platform: other", "platform: other",
     "platform 'other' must match the file name ('demo')"),
    ("id: demo.security.sessions", "id: demo.privacy.sessions", "demo.privacy.sessions",
     "step id 'demo.privacy.sessions' must be demo.security.<slug> "
     "(lower-case letters, digits and -)"),
    ("reviewed: 2026-11-20", "reviewed: 2026-12-01", "2026-12-01",
     "reviewed date 2026-12-01 is in the future"),
    ("reviewed: 2026-11-20", "reviewed: yesterday", "yesterday",
     "reviewed must be a date as YYYY-MM-DD, not 'yesterday'"),
    ("https://help.example.org/sessions", "https://evil.example.net/sessions", "evil.example",
     "source host 'evil.example.net' is not in this file's source_domains (help.example.org)"),
    ("          all: Settings", "          every: Settings", "every: Settings",
     "unknown key 'every' in do; expected any of: all, android, ios, web, desktop"),
    ("limits: A session can be opened again with your password.", "limits: '  '",
     "limits: '  '", "limits must not be empty"),
    ("title: Log out other sessions", "title: [Log out]", "title: [Log out]",
     "title must be text, not a list"),
    ("title: Log out other sessions", "title: " + "x" * 61, "x" * 61,
     "title is 61 characters; at most 60"),
    ("        tier: higher_risk\n", "        tier: higher_risk\n        tier: everyone\n",
     "tier: everyone", "duplicate key 'tier' (first at line 21)"),
    ("intro: Three things to do first.", "intro: [unclosed", "intro: [unclosed",
     "YAML syntax error: expected ',' or ']', but got '<stream end>'"),
])
def test_single_problem_is_reported_at_its_line(tmp_path: Path, old: str, new: str, needle: str,
                                                message: str) -> None:
    assert old in GOOD
    path = write(tmp_path, "demo.yaml", GOOD.replace(old, new, 1))
    report = check_content(tmp_path, today=TODAY)
    messages = [str(p) for p in report.errors]
    if message.startswith("YAML syntax error"):
        assert len(messages) == 1 and messages[0].startswith(f"{path}:")
        assert message.split(":")[0] in messages[0]
        return
    line = line_of(path, needle, 2 if needle == "tier: everyone" else 1)
    assert f"{path}:{line}: {message}" in messages, messages


def test_missing_file_keys_are_reported(tmp_path: Path) -> None:
    path = write(tmp_path, "demo.yaml", "platform: demo\nname: Demo\n")
    messages = [str(p) for p in check_content(tmp_path, today=TODAY).errors]
    assert messages == [f"{path}:1: guide file is missing required key 'source_domains'",
                        f"{path}:1: guide file is missing required key 'guides'"]


def test_detention_file_takes_before_and_after_only(tmp_path: Path) -> None:
    text = GOOD.replace("platform: demo", "platform: detention").replace("demo.", "detention.")
    path = write(tmp_path, "detention.yaml", text)
    messages = [str(p) for p in check_content(tmp_path, today=TODAY).errors]
    assert messages[0] == (f"{path}:{line_of(path, 'security:')}: unknown guide kind 'security' "
                           "for 'detention'; expected one of: before, after")
    fixed = text.replace("  security:", "  before:").replace("detention.security.",
                                                              "detention.before.")
    write(tmp_path, "detention.yaml", fixed)
    assert check_content(tmp_path, today=TODAY).errors == []


def test_old_review_dates_are_warnings(tmp_path: Path) -> None:
    path = write(tmp_path, "demo.yaml", GOOD)
    later = TODAY + timedelta(days=180)  # 2026-11-23 is exactly 180 days old: no warning
    report = check_content(tmp_path, today=later)
    assert report.errors == []
    assert [str(p) for p in report.warnings] == [
        f"{path}:{line_of(path, '2026-11-20')}: reviewed 183 days ago (more than 180); "
        "check the source again",
    ]
    assert check_content(tmp_path, today=later, max_age_days=400).warnings == []


def test_duplicate_ids_across_files(tmp_path: Path) -> None:
    write(tmp_path, "demo.yaml", GOOD)
    other = GOOD.replace("platform: demo", "platform: zeta").replace("demo.security.sessions",
                                                                     "zeta.security.sessions")
    path = write(tmp_path, "zeta.yaml", other)
    messages = [str(p) for p in check_content(tmp_path, today=TODAY).errors]
    assert messages == [
        f"{path}:{line_of(path, 'demo.security.two-step')}: step id 'demo.security.two-step' "
        "must be zeta.security.<slug> (lower-case letters, digits and -)"]


# -- the loader's line numbers -------------------------------------------------------------------


def test_loader_line_numbers(tmp_path: Path) -> None:
    path = write(tmp_path, "demo.yaml", GOOD)
    loaded = load_file(path)
    assert loaded.problems == []
    assert loaded.line(("platform",)) == 1
    assert loaded.line(("guides", "security", "title")) == 6
    assert loaded.line(("guides", "security", "steps", 0)) == 9
    assert loaded.line(("guides", "security", "steps", 1, "source")) == \
        line_of(path, "https://help.example.org/sessions")
    assert loaded.key_line(("guides", "security", "steps", 0, "do", "ios")) == 14
    assert loaded.line(("guides", "security", "steps", 0, "nope")) == 9  # nearest ancestor
    # Dates stay text for the checker; other scalars keep their YAML types.
    assert loaded.data["guides"]["security"]["steps"][0]["reviewed"] == "2026-11-23"


def test_loader_reports_syntax_errors_with_a_line(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.yaml", "platform: demo\nname: [\n")
    loaded = load_file(path)
    assert loaded.data is None
    assert len(loaded.problems) == 1 and loaded.problems[0].line == 3


# -- progress ------------------------------------------------------------------------------------


def test_prune_progress_drops_unknown_ids(shipped: Catalog) -> None:
    known = sorted(known_step_ids(shipped))
    saved = {known[0], known[-1], "signal.security.removed-step", "nonsense"}
    assert prune_progress(saved, shipped) == {known[0], known[-1]}
    assert prune_progress(set(), shipped) == set()


def test_every_step_id_is_unique_and_well_formed(shipped: Catalog) -> None:
    ids = [s.id for s in shipped.steps()]
    assert len(ids) == len(set(ids))
    for guide in shipped.guides():
        for step in guide.steps:
            assert re.fullmatch(rf"{re.escape(guide.key)}\.[a-z0-9-]+", step.id)


# -- rendering -----------------------------------------------------------------------------------


def all_pages(guide: Guide, **kwargs: object) -> list[str]:
    first = render_checklist_page(guide, set(), 0, tr=tr_identity, fmt_date=fmt,
                                  essentials_only=bool(kwargs.get("essentials_only", False)),
                                  today=TODAY, progress=progress_en)
    texts = [first.text]
    for index in range(1, first.pages):
        page = render_checklist_page(guide, set(), index, tr=tr_identity, fmt_date=fmt,
                                     essentials_only=bool(kwargs.get("essentials_only", False)),
                                     today=TODAY, progress=progress_en)
        assert page.page == index and page.pages == first.pages
        texts.append(page.text)
    return texts


def assert_balanced_html(text: str) -> None:
    """Only Telegram's tags, properly nested, and no unescaped '<' or '&' in content."""
    stack: list[str] = []
    for match in re.finditer(r"<(/?)([a-z]+)[^>]*>", text):
        closing, tag = match.group(1), match.group(2)
        assert tag in {"b", "i", "a"}, tag
        if closing:
            assert stack and stack.pop() == tag, text
        else:
            stack.append(tag)
    assert not stack, text
    stripped = re.sub(r"<[^>]*>", "", text)
    assert "<" not in stripped and ">" not in stripped
    assert re.sub(r"&(amp|lt|gt|quot|#x27);", "", stripped).count("&") == 0


def test_every_page_of_every_shipped_guide_fits(shipped: Catalog) -> None:
    for guide in shipped.guides():
        for essentials in (False, True):
            if essentials and not guide.visible_steps(True):
                continue
            for text in all_pages(guide, essentials_only=essentials):
                assert visible_length(text) <= PAGE_LIMIT, guide.key
                assert_balanced_html(text)
        for step in guide.steps:
            page = render_step(step, done=False, tr=tr_identity, fmt_date=fmt, today=TODAY)
            assert page.pages == 1 and visible_length(page.text) <= PAGE_LIMIT


def test_every_step_appears_once_across_pages(shipped: Catalog) -> None:
    for guide in shipped.guides():
        first = render_checklist_page(guide, set(), 0, tr=tr_identity, fmt_date=fmt,
                                      essentials_only=False, today=TODAY)
        seen: list[str] = []
        for index in range(first.pages):
            seen += render_checklist_page(guide, set(), index, tr=tr_identity, fmt_date=fmt,
                                          essentials_only=False, today=TODAY).step_ids_on_page
        assert seen == [s.id for s in guide.steps]


def demo_guide(tmp_path: Path) -> Guide:
    write(tmp_path, "demo.yaml", GOOD)
    guide = check_content(tmp_path, today=TODAY).catalog.guide("demo", "security")
    assert guide is not None
    return guide


def test_checklist_page_content(tmp_path: Path) -> None:
    guide = demo_guide(tmp_path)
    page = render_checklist_page(guide, {"demo.security.two-step"}, 0, tr=tr_identity,
                                 fmt_date=fmt, essentials_only=False, today=TODAY,
                                 progress=progress_en)
    assert (page.page, page.pages, page.done, page.total) == (0, 1, 1, 2)
    assert page.step_ids_on_page == ["demo.security.two-step", "demo.security.sessions"]
    text = page.text
    assert text.startswith("<b>Secure your Demo account</b>\nThree things to do first.\n"
                           "<i>1 of 2 done</i>\n\n✅ <b>1. Turn on two-step verification</b>")
    assert "▸ <i>Android:</i> Settings → Account → Two-step verification" in text
    assert "<b>What it does not protect:</b> It does not help" in text
    assert "⬜ <b>2. Log out other sessions</b> <i>(for higher risk)</i>" in text
    assert "<i>Note:</i> Older app versions call this \"Active sessions\"." in text
    assert ('<a href="https://help.example.org/sessions">Source</a> · last checked 2026-11-20'
            in text)
    assert "may be out of date" not in text


def test_essentials_only_and_no_progress_callable(tmp_path: Path) -> None:
    guide = demo_guide(tmp_path)
    page = render_checklist_page(guide, {"demo.security.sessions"}, 0, tr=tr_identity,
                                 fmt_date=fmt, essentials_only=True, today=TODAY)
    assert page.step_ids_on_page == ["demo.security.two-step"]
    assert (page.done, page.total) == (0, 1)
    assert " done" not in page.text


def test_stale_note_and_translation_contexts(tmp_path: Path) -> None:
    guide = demo_guide(tmp_path)
    contexts: list[tuple[str, str]] = []

    def tr_upper(context: str, text: str) -> str:
        contexts.append((context, text))
        return text.upper()

    page = render_checklist_page(guide, set(), 0, tr=tr_upper, fmt_date=fmt,
                                 essentials_only=False, today=TODAY + timedelta(days=180))
    assert page.text.count("THIS STEP MAY BE OUT OF DATE") == 1  # only the 2026-11-20 step
    assert ("demo.security|title", "Secure your Demo account") in contexts
    assert ("demo.security|intro", "Three things to do first.") in contexts
    assert (field_context("demo.security.two-step", "do.android"),
            "Settings → Account → Two-step verification") in contexts
    assert ("demo.security.sessions|note", 'Older app versions call this "Active sessions".') \
        in contexts
    ui = {text for context, text in contexts if context == "guides"}
    assert ui <= {text for _, text in UI_MESSAGES}
    # everything shown went through tr: nothing lower-case is left outside tags and the date
    visible = re.sub(r"<[^>]*>", "", page.text)
    assert not re.search(r"[a-z]{3,}", visible.replace("help.example.org", ""))


def test_content_is_escaped(tmp_path: Path) -> None:
    write(tmp_path, "demo.yaml", GOOD.replace("Ends sessions you do not recognise.",
                                              "'<b>Ends</b> & <script>'"))
    guide = check_content(tmp_path, today=TODAY).catalog.guide("demo", "security")
    assert guide is not None
    text = render_checklist_page(guide, set(), 0, tr=tr_identity, fmt_date=fmt,
                                 essentials_only=False, today=TODAY).text
    assert "&lt;b&gt;Ends&lt;/b&gt; &amp; &lt;script&gt;" in text
    assert_balanced_html(text)


def long_guide(steps: int, text_length: int) -> Guide:
    filler = ("word " * (text_length // 5)).strip()
    made = tuple(
        Step(id=f"demo.security.s{n}", title=f"Step {n}", tier="everyone",
             do=(("android", filler), ("ios", filler)), why=filler, limits=filler,
             source="https://help.example.org/x", reviewed=TODAY, note=filler)
        for n in range(steps))
    return Guide("demo", "security", "Long guide", "Intro.", made)


def test_long_guide_splits_on_step_boundaries() -> None:
    guide = long_guide(steps=12, text_length=400)
    texts = all_pages(guide)
    assert len(texts) > 1
    seen: list[str] = []
    for index, text in enumerate(texts):
        assert visible_length(text) <= PAGE_LIMIT
        assert_balanced_html(text)
        assert text.startswith("<b>Long guide</b>")
        assert ("Intro." in text) == (index == 0)
        page = render_checklist_page(guide, set(), index, tr=tr_identity, fmt_date=fmt,
                                     essentials_only=False, today=TODAY)
        seen += page.step_ids_on_page
    assert seen == [s.id for s in guide.steps]  # no step split, none repeated


def test_over_long_step_is_split_between_fields_and_words() -> None:
    guide = long_guide(steps=2, text_length=400)

    def tr_long(context: str, text: str) -> str:  # a translation ten times longer
        return " ".join([text] * 10) if context.startswith("demo.security.s") else text

    first = render_checklist_page(guide, set(), 0, tr=tr_long, fmt_date=fmt,
                                  essentials_only=False, today=TODAY)
    assert first.pages > 2
    ids: list[str] = []
    for index in range(first.pages):
        page = render_checklist_page(guide, set(), index, tr=tr_long, fmt_date=fmt,
                                     essentials_only=False, today=TODAY)
        assert visible_length(page.text) <= PAGE_LIMIT
        assert_balanced_html(page.text)
        ids += page.step_ids_on_page
    assert sorted(set(ids)) == ["demo.security.s0", "demo.security.s1"]
    step_page = render_step(guide.steps[0], 0, done=True, tr=tr_long, fmt_date=fmt, today=TODAY)
    assert step_page.pages > 1
    for index in range(step_page.pages):
        text = render_step(guide.steps[0], index, done=True, tr=tr_long, fmt_date=fmt,
                           today=TODAY).text
        assert visible_length(text) <= PAGE_LIMIT
        assert_balanced_html(text)


def test_page_index_is_clamped(tmp_path: Path) -> None:
    guide = demo_guide(tmp_path)
    page = render_checklist_page(guide, set(), 99, tr=tr_identity, fmt_date=fmt,
                                 essentials_only=False, today=TODAY)
    assert (page.page, page.pages) == (0, 1)


def test_visible_length_counts_like_telegram() -> None:
    assert visible_length("<b>a &amp; b</b>") == 5
    assert visible_length("✅") == 1 and visible_length("😀") == 2  # UTF-16 code units


def test_button_label(tmp_path: Path) -> None:
    guide = demo_guide(tmp_path)
    assert button_label(guide.steps[0], 1, True, tr=tr_identity) == \
        "✅ 1. Turn on two-step verification"
    assert len(button_label(guide.steps[0], 1, False, tr=tr_identity, max_chars=12)) == 12


def test_rendered_text_is_plain_html_not_markup() -> None:
    guide = long_guide(steps=1, text_length=20)
    text = render_checklist_page(guide, set(), 0, tr=tr_identity, fmt_date=fmt,
                                 essentials_only=False, today=TODAY).text
    assert html.unescape(text) == text  # nothing to unescape in plain words


def test_iter_messages_lists_every_string_the_renderer_translates(shipped: Catalog) -> None:
    from bot.guides.messages import iter_messages

    listed = {(m.context, m.text) for m in iter_messages(shipped)}
    seen: set[tuple[str, str]] = set()

    def tr_record(context: str, text: str) -> str:
        seen.add((context, text))
        return text

    for guide in shipped.guides():
        first = render_checklist_page(guide, set(), 0, tr=tr_record, fmt_date=fmt,
                                      essentials_only=False, today=TODAY + timedelta(days=400))
        for index in range(1, first.pages):
            render_checklist_page(guide, set(), index, tr=tr_record, fmt_date=fmt,
                                  essentials_only=False, today=TODAY)
    assert seen - listed == set()
    names = {m.context for m in iter_messages(shipped) if m.context.endswith("|name")}
    assert names == {f"{p.slug}|name" for p in shipped.platforms}
