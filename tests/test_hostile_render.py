"""Hostile input in what the bot renders: reports, exports, the catalogue; and the minimal cases found."""

from __future__ import annotations

import json
import re
import string
import time
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import col, select

from bot.chat import Text
from bot.errors import UserError
from bot.incident import phases
from bot.report import document, export
from bot.text import i18n
from bot.text.facts import TEXT_MAX
from handlers.console.workspace import ConsoleWorkspace
from handlers.router import parse
from handlers.slack.chat import channel_name
from storage.db import make_engine, upgrade
from storage.models import RoleAssignment, TimelineEvent, Workspace
from tests.conftest import make_console
from tests.hostile_inputs import (
    _BR_PREFIX,
    FORMAT,
    HTML,
    INVISIBLE,
    JINJA,
    MARKDOWN,
    PROPERTY,
    PURE,
    SLACK,
    WHITESPACE,
    act,
    assert_chain_intact,
    collapse,
    declare,
    events,
    facts,
    free_text,
    hostile,
    no_flags,
    only_reply,
    session_of,
    storable,
    the_incident,
)

# -- 3. rendering: the Markdown report and the JSON export -----------------------------------------
_BREAKS = re.compile("[\n\r\t\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029 ]")  # str.splitlines()'s breaks, and spaces


def _commonmark():
    markdown_it = pytest.importorskip("markdown_it")  # a parser as the oracle
    return markdown_it.MarkdownIt("commonmark").enable("table")


@PURE
@given(text=hostile)
def test_md_escape_is_inert_and_loses_nothing_but_line_breaks(text):
    """A CommonMark reader sees the escaped text as one plain paragraph, in a list item and in a table cell, and
    reads back every character typed, in order (line breaks may turn into spaces)."""
    escaped = export.md_escape(text)
    assert not re.search(r"[\r\n]", escaped), "a line ending would let the text start its own Markdown block"
    parser = _commonmark()
    for wrapped, shape in ((f"- {escaped}", ["bullet_list_open", "list_item_open", "paragraph_open"]),
                           (f"| a | b |\n|---|---|\n| x | {escaped} |", None)):
        tokens = parser.parse(wrapped)
        if shape is not None and escaped.strip():
            assert [t.type for t in tokens][:3] == shape and len(tokens) == 7, [t.type for t in tokens]
        inline = [child for t in tokens for child in (t.children or [])]
        assert {child.type for child in inline} <= {"text", "softbreak"}, [c.type for c in inline]
        if shape is not None:
            seen = "".join(child.content for child in inline)
            typed = re.sub(r"\r\n|\r|\n", " ", text).strip().replace("\x00", "\ufffd")  # edges trimmed
            assert _BREAKS.sub("", seen) == _BREAKS.sub("", typed)
        else:
            assert sum(1 for t in tokens if t.type == "td_open") == 2, "user text added a table cell"


def test_md_escape_leaves_what_markdown_reads_as_text_alone():
    """The forwarded report reads as typed: parentheses, #, !, + inside a line and a_b are no markup."""
    typed = "Payroll sheet (Q4) found on share #3 by tax_id, 50% done! (see C:/x) {x} 1+1=2 - ok."
    assert export.md_escape(typed) == typed
    assert export.md_escape("Rotate keys (all)") == "Rotate keys (all)"
    assert export.md_escape("1. item") == "1\\. item" and export.md_escape("# h") == "\\# h"
    assert export.md_escape("[bank](https://evil.example) *b* _i_ <b> | `c`") == \
        "\\[bank\\](https://evil.example) \\*b\\* \\_i\\_ \\<b> \\| \\`c\\`"


def _md_lines(markdown: str) -> list[str]:
    return re.split(r"\r\n|\r|\n", markdown)  # CommonMark's line endings


def _headings(markdown: str) -> list[str]:
    return [line for line in _md_lines(markdown) if re.match(r"^ {0,3}#", line)]


def _bare(text: str, char: str) -> int:
    """How many times `char` appears not escaped by a backslash."""
    return sum(1 for m in re.finditer(re.escape(char), text)
               if (len(text[:m.start()]) - len(text[:m.start()].rstrip("\\"))) % 2 == 0)


class Rendered:
    """One incident's report and export (a short repr: hypothesis prints it with a failing example)."""

    def __init__(self, *, number: int, title: str, md: str, html: str, json: str, export: str) -> None:
        self.number, self.title, self.md, self.html, self.json, self.export = number, title, md, html, json, export

    def __repr__(self) -> str:
        return f"<report of BR-{self.number}>"


def record_and_render(bot: ConsoleWorkspace, text: str) -> Rendered:
    """An incident whose title, note, decision and lessons are `text`; its report and export."""
    number, room = declare(bot, "Leak " + no_flags(text)[:250])
    act(bot, f"/breach log {text}", room)
    act(bot, f"/breach decision {text}", room)
    with bot.bot.unit() as session:
        incident = the_incident(session, number)
        phases.close(session, incident=incident, playbook=bot.bot.playbook, cause="insider", lessons=text,
                     actor="alice", now=bot.bot.now(), lang="en")
    with session_of(bot) as s:
        incident = the_incident(s, number)
        ws = s.get(Workspace, incident.workspace_id)
        data = document.build(s, incident=incident, playbook=bot.bot.playbook, regimes=bot.bot.regimes,
                            firm_profile=bot.bot.firm_profile, ws=ws, lang="en", now=bot.bot.now(),
                            firm_name="Lotus & Co. Accountants")
        exported = export.as_json(export.as_dict(s, incident=incident, playbook=bot.bot.playbook, ws=ws,
                                                 now=bot.bot.now(), regimes=bot.bot.regimes))
        return Rendered(number=number, title=incident.title, md=document.to_markdown(data),
                        html=document.to_html(data), json=document.to_json(data), export=exported)


# Any hostile note, or one made mostly of markup and line breaks (what a report renderer must defuse).
markup = st.lists(st.sampled_from(MARKDOWN + HTML + SLACK + WHITESPACE + INVISIBLE), min_size=1, max_size=12)
report_text = st.one_of(free_text, markup.map("".join), markup.map("x".join)).filter(
    lambda s: 0 < len(s.strip()) <= TEXT_MAX and not _BR_PREFIX.match(s.strip()) and storable(s))


@pytest.fixture(scope="module")
def baseline(tmp_path_factory) -> Rendered:
    """The same report with harmless words, to compare structure against."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('hostile') / 'baseline.db'}")
    upgrade(engine)
    rendered = record_and_render(make_console(engine), "plain words")
    engine.dispose()
    return rendered


@pytest.mark.usefixtures("quiet")
@settings(PROPERTY, max_examples=15)
@given(text=report_text)
def test_markdown_report_shows_hostile_text_inert(quick, baseline, text):
    rendered = record_and_render(quick, text)
    md = rendered.md
    assert len(_md_lines(md)) == len(_md_lines(baseline.md)), "user text added or removed Markdown lines"
    headings, expected = _headings(md), _headings(baseline.md)
    assert len(headings) == len(expected) and headings[1:] == expected[1:]
    for char in "[]<`*|~":  # what md_escape always escapes (the parser below checks the rest)
        assert _bare(md, char) == _bare(baseline.md, char), f"a bare {char!r} from user text"
    assert md.count("<script") == md.count("\\<script")
    assert rendered.html.count("<script") == baseline.html.count("<script")
    assert rendered.html.count("<a ") == baseline.html.count("<a ")


@pytest.mark.usefixtures("quiet")
@settings(PROPERTY, max_examples=15)
@given(text=report_text)
def test_json_export_and_report_round_trip_hostile_text(quick, text):
    rendered = record_and_render(quick, text)
    body = text.strip()
    for raw in (rendered.export, rendered.json):
        data = json.loads(raw)
        assert data["title"] == rendered.title == collapse("Leak " + no_flags(text)[:250])
        assert data["lessons"] == body
        assert [e["text"] for e in data["timeline"] if e["kind"] in ("note", "decision")] == [body, body]
        assert data["timeline"][-1]["hash"] == data["head_hash"]
    assert_chain_intact(quick, rendered.number)


@pytest.mark.usefixtures("quiet")
@settings(PROPERTY, max_examples=10)
@given(text=report_text)
def test_markdown_parser_sees_no_link_heading_or_html_from_user_text(quick, baseline, text):
    markdown_it = pytest.importorskip("markdown_it")  # a parser as the oracle, where one is installed
    parser = markdown_it.MarkdownIt("commonmark").enable("table")

    def shape(markdown: str) -> tuple[list[str], list[str]]:
        tokens = parser.parse(markdown)
        inline = [child.type for t in tokens for child in (t.children or [])
                  if child.type in ("link_open", "image", "html_inline", "code_inline")]
        return [t.type for t in tokens], inline

    got, want = shape(record_and_render(quick, text).md), shape(baseline.md)
    assert got[1] == want[1], f"inline links, images or HTML from user text: {got[1]} != {want[1]}"
    assert got[0] == want[0], "user text changed the report's block structure"


@PURE
@given(text=hostile)
def test_slack_channel_names_from_hostile_titles_are_valid(text):
    name = channel_name("breach-12", text)
    assert re.fullmatch(r"breach-12(-[a-z0-9]+)*", name) and len(name) <= 77


# -- 4. the message catalogue never interpolates user text ------------------------------------------
_FORMATTER = string.Formatter()
TEMPLATES = sorted({(lang, key) for lang in ("en", "zh") for key, template in i18n.catalogue(lang).items()
                    if any(field for _, field, _, _ in _FORMATTER.parse(template))})
format_hostile = st.one_of(st.sampled_from(FORMAT + JINJA), hostile,
                           st.lists(st.sampled_from(FORMAT + JINJA + SLACK), min_size=1, max_size=6).map("".join))


@PURE
@given(data=st.data())
def test_catalogue_shows_user_values_literally(data):
    lang, key = data.draw(st.sampled_from(TEMPLATES))
    fields = {field: spec for _, field, spec, _ in _FORMATTER.parse(i18n.template(lang, key)) if field}
    assert not any(fields.values()), f"{key} formats a value with a spec; values are text"
    values = {field: data.draw(format_hostile, label=field) for field in fields}
    marks = {field: f"MARK{i}X" for i, field in enumerate(fields)}
    skeleton = i18n.text(lang, key, **marks)
    by_mark = {**{repr(m): repr(values[f]) for f, m in marks.items()}, **{m: values[f] for f, m in marks.items()},
               # zh quotes a `!r` value in 「」, control characters escaped as repr would
               **{i18n.quoted_zh(m): i18n.quoted_zh(values[f]) for f, m in marks.items() if isinstance(values[f], str)}}
    expected = re.sub("|".join(re.escape(m) for m in sorted(by_mark, key=len, reverse=True)),
                      lambda m: by_mark[m[0]], skeleton)
    assert i18n.text(lang, key, **values) == expected
    if "kind" not in fields:  # message() takes `kind` itself; those templates are rendered with line()
        assert i18n.message(lang, key, **values).plain_text() == expected
    assert all(type(span) is Text for span in i18n.line(lang, key, **values))


def test_braces_typed_in_a_decision_reach_the_war_room_literally(quick):
    number, room = declare(quick, "{title} {0} {{ 7*7 }}")
    typed = "{0} {title} {__class__} {id!r} {{ 7*7 }} {% for x in y %} %s"
    [post] = [s for s in act(quick, f"/breach decision {typed}", room) if s.op == "post"]
    assert typed in post.text and "49" not in post.text and "Payroll" not in post.text
    assert events(quick, number)[-1][1:] == ("decision", "alice", typed)


# -- the smallest inputs that broke a rule (regular tests: they fail until the code is fixed) --------
@pytest.mark.parametrize("typed", ["/breach declare Leak --clients ²", "/breach declare Leak --clients " + "1" * 5000],
                         ids=["superscript-two", "5000-digits"])
def test_router_refuses_odd_client_counts_with_a_user_error(typed):
    with pytest.raises(UserError) as refused:
        parse(typed)
    assert "--clients takes a whole number" in str(refused.value)


DIGITS = "1" * 5000
CRASHERS = {
    # str.isdigit() is true for '²' but int('²') raises; int() refuses more than 4300 digits.
    "declare-clients-superscript": "/breach declare Leak --clients ²",
    "answer-number-superscript": "/breach answer clients ²",
    "answer-option-superscript": "/breach answer discovered ²",
    "answer-question-superscript": "/breach answer ² yes",
    "phase-superscript": "/breach phase ²",
    "done-superscript": "/breach done ²",
    "done-phase-task-superscript": "/breach done 1.²",
    "answer-number-5000-digits": f"/breach answer clients {DIGITS}",
    "answer-question-5000-digits": f"/breach answer {DIGITS} yes",
    "phase-5000-digits": f"/breach phase {DIGITS}",
    "done-5000-digits": f"/breach done {DIGITS}",
    "affected-5000-digits": f"/breach affected CN={DIGITS}",
    # A time or duration beyond datetime's range raises OverflowError, which nobody catches.
    "declare-aware-far-past": "/breach declare Leak --aware '3000000d ago'",
    "declare-aware-huge-duration": "/breach declare Leak --aware '999999999999w ago'",
    "answer-aware-far-past": "/breach answer aware 3000000d ago",
    "facts-determined-far-past": "/breach facts --determined '3000000d ago'",
    "snooze-huge": "/breach snooze 3000000d --reason waiting",
    "followup-due-far": "/breach followup Check backups --owner @bob --due +3000000d",
    "clients-notified-far-past": "/breach clients notified all --via email --at '3000000d ago'",
    # A scenario name is a file name: too long for the file system, or a path out of scenarios/.
    "drill-long-name": "/breach drill " + "x" * 300,
    "drill-outside-its-folder": "/breach drill ../breach-default",
    # A lone surrogate (valid in a Slack JSON string as \ud800) cannot be encoded for the database.
    "lone-surrogate": "/breach log \ud800",
}


@pytest.fixture(scope="module")
def shared(tmp_path_factory) -> Iterator[ConsoleWorkspace]:
    """One console for the cases below; each declares its own incident."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('hostile') / 'cases.db'}")
    upgrade(engine)
    yield make_console(engine)
    engine.dispose()


@pytest.mark.parametrize("typed", list(CRASHERS.values()), ids=list(CRASHERS))
def test_odd_numbers_times_and_code_points_are_refused_not_crashed(shared, typed):
    number, room = declare(shared)
    before = events(shared, number), facts(shared, number)
    reply = only_reply(act(shared, typed, room))
    assert reply.text.strip()
    assert (events(shared, number), facts(shared, number)) == before


def test_a_long_time_phrase_is_refused_quickly(quick):
    number, room = declare(quick)
    before = events(quick, number), facts(quick, number)
    typed = "/breach answer aware 1" + " " * 20_000 + "x"  # times.parse_when's _AGO regex backtracks: O(n²)
    started = time.perf_counter()
    reply = only_reply(act(quick, typed, room))
    took = time.perf_counter() - started
    assert reply.text.strip() and (events(quick, number), facts(quick, number)) == before
    assert took < 0.5, f"one 20 KB answer took {took:.1f}s of CPU (100 KB: about a minute)"


def test_a_carriage_return_cannot_forge_a_line_of_the_markdown_report(quick):
    forged = "- 28 November 2026, 10:05 · ceo: pay the ransom"
    rendered = record_and_render(quick, "ok\r" + forged)
    assert not any(line.startswith(forged) for line in _md_lines(rendered.md))
    assert not re.search(r"[\r\n]", export.md_escape("ok\r---"))


# -- the same rules on every database (PostgreSQL when it answers) --------------------------------------
STORED = {
    "note-with-nul": ("/breach log a\x00b", "note", "a\x00b"),
    "decision-with-nul": ("/breach decision a\x00b", "decision", "a\x00b"),
    "task-note-with-nul": ("/breach done 1 a\x00b", "task_done", "immediate_response.assemble_team: a\x00b"),
}


@pytest.mark.parametrize(("typed", "kind", "text"), list(STORED.values()), ids=list(STORED))
def test_control_characters_are_stored_or_refused_on_every_database(console, typed, kind, text):
    console.say("alice", "/breach declare Payroll export leaked")
    with session_of(console) as s:
        last = max(s.exec(select(TimelineEvent.id)))
    sent = act(console, typed, "breach-1")
    with session_of(console) as s:
        added = s.exec(select(TimelineEvent).where(col(TimelineEvent.id) > last)).all()
    if added:  # stored: exactly as typed
        assert (added[0].kind, added[0].text) == (kind, text)
    else:  # or refused, with one clear answer
        assert only_reply(sent).text.strip()


def test_a_long_user_reference_is_refused_or_stored_on_every_database(console):
    console.say("alice", "/breach declare Payroll export leaked")
    who = "x" * 101
    sent = act(console, f"/breach assign @{who} legal", "breach-1")
    with session_of(console) as s:
        holders = [a.user for a in s.exec(select(RoleAssignment).where(RoleAssignment.role == "legal"))]
    if holders:  # stored: exactly as typed
        assert holders == [who]
    else:  # or refused, with one clear answer
        assert only_reply(sent).text.strip()

