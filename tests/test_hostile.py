"""Hostile input across every command (issue 9, item 3), as properties checked with hypothesis.

What people type may be anything: arbitrary Unicode, control characters, 100 KB pastes, Slack
markup, Markdown, HTML, Jinja, Python format syntax, SQL, RTL overrides, zero-width characters.
Whatever it is, the parser returns a command or a UserError, the bot answers without an internal
error, stores the text as typed (or refuses it clearly and changes nothing), keeps its timeline
chain intact, and every renderer shows the text inert: no mention, link, heading or tag the bot
did not mean. The plain tests at the end pin the smallest inputs that broke one of those rules.
"""

from __future__ import annotations

import json
import logging
import re
import string
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, col, select

from bot import commands as c
from bot import export, i18n, phases, report, timeline
from bot.answers import NO, YES
from bot.chat import Mention, RoomRef, Sent, Strong, Text
from bot.clock_flows import FACT_FLAGS
from bot.errors import UserError
from bot.facts import DATA_CATEGORIES, MAX_CLIENTS, RESIDENCES, TEXT_MAX, TITLE_MAX
from bot.help import SUBCOMMANDS
from bot.regimes import CAC_LEVELS
from handlers.console.workspace import ConsoleWorkspace
from handlers.router import ALIASES, parse
from handlers.slack.chat import channel_name
from handlers.slack.render import render as slack_render
from handlers.wecom.render import render as wecom_render
from storage.db import make_engine, upgrade
from storage.models import Incident, QuestionState, RoleAssignment, TimelineEvent, Workspace
from tests.conftest import make_console

# -- what hostile people type ----------------------------------------------------------------------
SLACK = ("<!channel>", "<!here>", "<!everyone>", "<@U123|x>", "<@U024BE7LH>", "<https://evil.example|bank>",
         "<#C123>", "<#C123|general>", "<!subteam^S123>", "@here", "@channel", "@everyone")
MARKDOWN = ("# heading", "## h2", "[bank](https://evil.example)", "![x](https://evil.example/p.png)", "**bold**",
            "__u__", "_i_", "`code`", "```", "~~~", "> quote", "- item", "* item", "+ item", "1. item", "---",
            "===", "| a | b |", "[x]: https://evil.example", "<https://evil.example>", "\\", "\\#", "&amp;", "&#60;",
            # A carriage return is a line ending to CommonMark: each of these starts a block of its own.
            "\r- forged item", "\r---", "\r\r<b>x</b>", "x\r===")
HTML = ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<a href='https://evil.example'>bank</a>",
        "</td></tr></table>", "<!--", "-->", '<font color="warning">', "<@bob>")
JINJA = ("{{ 7*7 }}", "{% for x in range(3) %}x{% endfor %}", "{{ config }}", "{{ ''.__class__.__mro__ }}",
         "{# c #}", "{% raw %}", "{{", "}}", "{%", "%}")
FORMAT = ("{0}", "{title}", "{__class__}", "{0.__class__.__init__.__globals__}", "{value!r}", "{:>999}", "{", "}",
          "%s", "%(title)s", "${title}")
SQL = ("'; DROP TABLE incident; --", '" OR 1=1 --', "' OR '1'='1", "%", "_", "1; SELECT * FROM workspace",
       "); DELETE FROM timelineevent; --")
INVISIBLE = ("\u202e", "\u202d", "\u2066", "\u2067", "\u2069", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff",
             "\u00ad", "\u034f")
WHITESPACE = (" ", "  ", "\t", "\n", "\r", "\r\n", "\x0b", "\x0c", "\x1c", "\x1f", "\x85", "\u00a0", "\u2028",
              "\u2029", "\u3000")
CONTROL = ("\x00", "\x07", "\x08", "\x1b[31m", "\x7f", "\x9b")
LOOKALIKES = ("²", "①", "٣", "𝟗", "Ⅻ", "½", "０", "ＢＲ-1", "–", "—", "“", "”", "‘", "’", "「", "」", '"', "'")
NUMBERS = ("1" * 5000, "99999999999999999999", "-1", "0x10", "1e9", "3000000d ago", "999999999999w", "+3000000d")
GRAMMAR = ("--severity", "--clients", "--aware", "--data", "--drill", "--reason", "--lessons", "--via", "--owner",
           "--due", "--x", "--", "BR-1", "br2", "BR-999999999", "D-1", "F-1", "@bob", "@", "all", "next", "edit",
           "show", "import", "notified", "done", "=", ",", "，", "CN=12", "US-CA=3", "yes", "no", "1", "2h ago",
           "09:30")
PIECES = SLACK + MARKDOWN + HTML + JINJA + FORMAT + SQL + INVISIBLE + WHITESPACE + CONTROL + LOOKALIKES + NUMBERS + GRAMMAR

piece = st.one_of(st.sampled_from(PIECES), st.text(max_size=12), st.characters().map(str))
# Pieces run together, or as words (so a flag meets a value it cannot take).
short_hostile = st.one_of(st.lists(piece, max_size=10).map("".join), st.lists(piece, max_size=10).map(" ".join))


def _repeat(unit: str, size: int) -> str:
    unit = unit or "x"
    return (unit * (size // len(unit) + 1))[:size]


# A paste of up to 100 KB made of hostile pieces.
long_hostile = st.builds(_repeat, st.lists(piece, min_size=1, max_size=4).map("".join), st.integers(4_001, 100_000))
hostile = st.one_of(short_hostile, short_hostile, short_hostile, long_hostile)

_BR_PREFIX = re.compile(r"^BR-?\d{1,9}\b", re.I)
# Free text after a command (notes, decisions): a leading BR-n names an incident, by design.
free_text = hostile.filter(lambda s: not _BR_PREFIX.match(s.strip()))


def storable(text: str) -> bool:
    """Whether the bot stores this text at all (NUL, other control characters and lone surrogates are refused)."""
    return c.unstorable(c.Log(text=text)) is None


def reaches_the_bot_storable(typed: str) -> bool:
    """Whether the command the router makes of `typed` carries only storable text (white space it trims is gone)."""
    try:
        return c.unstorable(parse(typed)) is None
    except UserError:
        return True


def assert_refused_as_unstorable(sent: list[Sent]) -> None:
    reply = only_reply(sent)
    assert "cannot be stored" in reply.text and "nothing was changed" in reply.text


def no_flags(text: str) -> str:
    """The same text with no `--` anywhere, so no word of it can be read as a flag."""
    return re.sub(r"-(?=-)", "- ", text)


def collapse(text: str) -> str:
    """The documented handling of titles: runs of white space become one space, ends trimmed."""
    return " ".join(text.split())


PURE = settings(max_examples=150, deadline=None, database=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])
# Through the whole bot each example costs milliseconds of SQLite work, so these do not shrink (that
# takes minutes); the plain tests at the end of this file hold the minimal inputs of what they found.
PROPERTY = settings(PURE, max_examples=20, phases=[Phase.explicit, Phase.reuse, Phase.generate])


@pytest.fixture
def quiet(caplog: pytest.LogCaptureFixture) -> None:
    """Keep the bot's error log (one traceback per failing example) out of a property's report."""
    caplog.set_level(logging.CRITICAL, logger="breachbot")


# -- what the bot did ------------------------------------------------------------------------------
_INTERNAL = re.compile(r"^Something went wrong \(error [0-9a-f]+\)")
_SLACK_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_SLACK_ROOM_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")


def is_internal_error(sent: Sent) -> bool:
    """The reply people get when an exception escaped a flow."""
    return sent.message is not None and sent.message.kind == "error" and bool(_INTERNAL.match(sent.text))


def _mrkdwn_texts(blocks: list[dict[str, Any]]) -> Iterator[str]:
    for block in blocks:
        text = block.get("text")
        if isinstance(text, dict) and text.get("type") == "mrkdwn":
            yield text["text"]
        for field in block.get("fields", []):
            if field.get("type") == "mrkdwn":
                yield field["text"]


def assert_inert(sent: list[Sent]) -> None:
    """On Slack and WeCom, only the bot's own mentions and room links are live markup."""
    for item in sent:
        message = item.message
        if message is None:
            continue
        meant = set()
        for spans in [*message.lines, *(value for _, value in message.fields)]:
            for span in spans:
                if isinstance(span, Mention) and _SLACK_USER_ID.match(span.user):
                    meant.add(f"<@{span.user}>")
                elif isinstance(span, RoomRef) and _SLACK_ROOM_ID.match(span.room):
                    meant.add(f"<#{span.room}>")
        rendered = slack_render(message)
        for text in [rendered.text, *_mrkdwn_texts(rendered.blocks)]:
            for token in meant:
                text = text.replace(token, "")
            assert "<" not in text and ">" not in text, f"live Slack markup in {text[:300]!r}"
        wecom = wecom_render(message).replace('<font color="warning">', "").replace("</font>", "")
        assert not set("<>[]`") & set(wecom), f"live WeCom markup in {wecom[:300]!r}"
        assert not re.search(r"(?m)^[ \t]*#", wecom), f"a WeCom heading in {wecom[:300]!r}"


def act(bot: ConsoleWorkspace, typed: str, room: str = "general") -> list[Sent]:
    """alice types `typed` in `room`: the bot must answer, never raise or report an internal error."""
    try:
        sent = bot.say("alice", typed, room)
    except Exception as exc:  # the console is the platform: an exception here is a crash people see
        raise AssertionError(f"the console raised {exc!r} for {typed[:200]!r}") from exc
    crashed = [s.text for s in sent if is_internal_error(s)]
    assert not crashed, f"unhandled exception for {typed[:200]!r}: {crashed[0][:200]}"
    assert_inert(sent)
    return sent


def only_reply(sent: list[Sent]) -> Sent:
    """Refused input gets one answer to the person and nothing else."""
    assert [s.op for s in sent] == ["reply"], [s.op for s in sent]
    return sent[0]


@contextmanager
def session_of(bot: ConsoleWorkspace) -> Iterator[Session]:
    with Session(bot.bot.engine, expire_on_commit=False) as session:
        yield session


def the_incident(session: Session, number: int) -> Incident:
    return session.exec(select(Incident).where(Incident.number == number)).one()


def numbers(bot: ConsoleWorkspace) -> set[int]:
    with session_of(bot) as s:
        return set(s.exec(select(Incident.number)))


def declare(bot: ConsoleWorkspace, title: str = "Payroll export leaked") -> tuple[int, str]:
    """A new incident on this console; its number and war room."""
    before = numbers(bot)
    act(bot, f"/breach declare {title}")
    [number] = numbers(bot) - before
    with session_of(bot) as s:
        room = the_incident(s, number).war_room
    assert room
    return number, room


def events(bot: ConsoleWorkspace, number: int) -> list[tuple[int, str, str, str]]:
    with session_of(bot) as s:
        return [(e.seq, e.kind, e.actor, e.text) for e in timeline.events(s, the_incident(s, number))]


def facts(bot: ConsoleWorkspace, number: int) -> tuple[dict, datetime]:
    with session_of(bot) as s:
        incident = the_incident(s, number)
        return dict(incident.facts), incident.aware_at


def assert_chain_intact(bot: ConsoleWorkspace, number: int) -> None:
    with session_of(bot) as s:
        verification = timeline.verify(s, the_incident(s, number))
    assert verification.intact, verification.problem


# -- 1. the parser ---------------------------------------------------------------------------------
def assert_parsed_or_refused(typed: str) -> c.Command | None:
    """A command object, or a UserError with a non-empty plain-text message; nothing else."""
    try:
        command = parse(typed)
    except UserError as exc:
        shown = exc.message.plain_text()
        assert shown.strip(), f"an empty error for {typed[:200]!r}"
        spans = [span for line in exc.message.lines for span in line]
        assert all(isinstance(span, Text | Strong) for span in spans), f"markup spans in an error: {spans[:5]}"
        assert not exc.message.buttons and not exc.message.fields
        return None
    assert isinstance(command, c.Command), f"{typed[:200]!r} gave {command!r}"
    return command


@PURE
@given(name=st.sampled_from(SUBCOMMANDS + tuple(ALIASES)), tail=hostile)
def test_every_subcommand_parses_or_refuses_hostile_words(name, tail):
    assert_parsed_or_refused(f"/breach {name} {tail}")


@PURE
@given(typed=hostile)
def test_any_text_parses_or_refuses(typed):
    assert_parsed_or_refused(typed)
    assert_parsed_or_refused("/breach " + typed)


@PURE
@given(text=free_text)
def test_free_text_reaches_the_command_exactly(text):
    body = text.strip()
    for name, decision in (("log", False), ("decision", True), ("记录", False)):
        command = assert_parsed_or_refused(f"/breach {name} {text}")
        if body:
            assert command == c.Log(text=body, decision=decision)
        else:
            assert command is None
    affected = assert_parsed_or_refused(f"/breach affected {text}")
    assert affected == (c.Affected(counts=body) if body else None)


@PURE
@given(text=hostile)
def test_a_title_without_flags_reaches_declare_exactly(text):
    typed = "Leak " + no_flags(text)
    command = assert_parsed_or_refused(f"/breach declare {typed}")
    assert command == c.Declare(title=typed.strip())


# -- 2. the whole bot on the console platform ------------------------------------------------------
@pytest.mark.usefixtures("quiet")
@PROPERTY
@given(text=hostile)
def test_declared_titles_are_stored_collapsed_or_refused(quick, text):
    typed = "Leak " + no_flags(text)
    expected = collapse(typed)
    before = numbers(quick)
    sent = act(quick, f"/breach declare {typed}")
    made = numbers(quick) - before
    if not reaches_the_bot_storable(f"/breach declare {typed}"):
        assert not made
        assert_refused_as_unstorable(sent)
        return
    if len(expected) > TITLE_MAX:
        assert not made
        reply = only_reply(sent)
        assert f"That title is {len(expected)} characters; keep it under {TITLE_MAX}" in reply.text
        return
    [number] = made
    with session_of(quick) as s:
        incident = the_incident(s, number)
        assert incident.title == expected
        declared = timeline.events(s, incident)[0]
        assert (declared.kind, declared.text) == ("declared", expected)
    # The pinned status shows the title as one literal Text span, never as markup.
    status = next(x for x in sent if x.op == "post" and x.room == incident.war_room)
    assert status.message is not None and (Text(expected),) in status.message.lines
    assert_chain_intact(quick, number)


@pytest.mark.usefixtures("quiet")
@PROPERTY
@given(text=free_text)
def test_notes_and_decisions_are_stored_exactly_or_refused(quick, text):
    number, room = declare(quick)
    body = text.strip()
    for name, kind in (("log", "note"), ("decision", "decision")):
        before = events(quick, number)
        sent = act(quick, f"/breach {name} {text}", room)
        after = events(quick, number)
        if not reaches_the_bot_storable(f"/breach {name} {text}"):
            assert after == before
            assert_refused_as_unstorable(sent)
            continue
        if not body or len(body) > TEXT_MAX:
            assert after == before
            reply = only_reply(sent)
            assert ("Nothing to record" if not body else f"is {len(body)} characters; the limit is {TEXT_MAX}") \
                in reply.text
            continue
        assert after[:-1] == before
        assert after[-1][1:] == (kind, "alice", body)
        if kind == "decision":
            [post] = [s for s in sent if s.op == "post" and s.room == room]
            assert body in post.text
    assert_chain_intact(quick, number)


VALID_ANSWERS = ("yes", "no", "Y", "是", "1", "2", "3", "system_alert", "third_party", "1200", "1,200", "CN=12",
                 "CN=1 US-CA=40 EU=3", "payroll,bank_account", "2h ago", "09:30", "now", "insider")
# A value someone types: hostile, nearly valid, or a number or time only a hostile person would try.
typed_value = st.one_of(
    hostile,
    st.sampled_from(VALID_ANSWERS + NUMBERS + LOOKALIKES),
    st.tuples(st.sampled_from(VALID_ANSWERS), short_hostile).map("".join),
    st.tuples(st.sampled_from((*RESIDENCES, "XX", "cn", "US-")), st.sampled_from(("=", ":", "：", " = ")),
              st.one_of(st.sampled_from(NUMBERS + LOOKALIKES), st.text("0123456789,_٣²", min_size=1))).map("".join),
)


def _valid_answer(spec: Any, typed: str, value: Any, playbook: Any, now: datetime) -> None:
    """An accepted answer is a value of the question's type, read from what was typed."""
    options = {o.key for o in spec.options}
    if spec.type == "yes_no":
        assert value is (typed.strip().lower() in YES) and typed.strip().lower() in YES | NO
    elif spec.type == "one_of":
        assert value in options
    elif spec.type == "several_of":
        assert value and set(value) <= options
    elif spec.type == "number":
        assert isinstance(value, int) and 0 <= value <= MAX_CLIENTS
    elif spec.type == "per_residence":
        assert value and set(value) <= set(RESIDENCES)
        assert all(isinstance(n, int) and 0 <= n <= MAX_CLIENTS for n in value.values())
    elif spec.type == "datetime":
        assert datetime.fromisoformat(value) <= now
    else:
        assert value == typed.strip()
    if spec.sets == "cause":
        assert value in playbook.causes


@pytest.mark.usefixtures("quiet")
@PROPERTY
@given(data=st.data(), value=typed_value)
def test_answers_are_read_or_refused(quick, data, value):
    specs = quick.bot.playbook.questions()
    position = data.draw(st.integers(1, len(specs)))
    spec = specs[position - 1]
    ref = data.draw(st.one_of(st.sampled_from([spec.key, str(position), f"q{position}"]),
                              st.sampled_from(NUMBERS + LOOKALIKES)), label="question")
    number, room = declare(quick)
    before = events(quick, number), facts(quick, number)
    sent = act(quick, f"/breach answer {ref} {value}", room)
    with session_of(quick) as s:
        answered = [(q.key, q.answer["value"]) for q in s.exec(select(QuestionState).where(
            QuestionState.incident_id == the_incident(s, number).id, col(QuestionState.answered_at).is_not(None)))]
    if not answered:
        only_reply(sent)
        assert (events(quick, number), facts(quick, number)) == before
    else:  # `ref` named this question, or another one by a number in another script ('٣' is 3)
        [(key, stored)] = answered
        answered_spec = next(q for q in specs if q.key == key)
        _valid_answer(answered_spec, value, stored, quick.bot.playbook, quick.bot.now())
        assert "facts_changed" in [e[1] for e in events(quick, number)[len(before[0]):]]
    assert_chain_intact(quick, number)


@pytest.mark.usefixtures("quiet")
@PROPERTY
@given(value=typed_value)
def test_affected_counts_are_read_or_refused(quick, value):
    number, room = declare(quick)
    before = events(quick, number), facts(quick, number)
    sent = act(quick, f"/breach affected {value}", room)
    now_facts = facts(quick, number)[0]
    if now_facts == before[1][0]:
        only_reply(sent)
        assert events(quick, number) == before[0]
    else:
        counts = now_facts["affected"]
        assert counts and set(counts) <= set(RESIDENCES)
        assert all(isinstance(n, int) and 0 <= n <= MAX_CLIENTS for n in counts.values())
    assert_chain_intact(quick, number)


@pytest.mark.usefixtures("quiet")
@PROPERTY
@given(flag=st.sampled_from(sorted(FACT_FLAGS)), value=typed_value)
def test_facts_are_read_or_refused(quick, flag, value):
    number, room = declare(quick)
    before = events(quick, number), facts(quick, number)
    sent = act(quick, f"/breach facts --{flag.replace('_', '-')} {value}", room)
    fact, kind = FACT_FLAGS[flag]
    after = facts(quick, number)
    if after == before[1]:
        only_reply(sent)
        assert events(quick, number) == before[0]
        return
    stored = after[0][fact]
    if kind == "yes_no":
        assert stored is (value.strip().lower() in YES) and value.strip().lower() in YES | NO
    elif kind == "categories":
        assert stored and set(stored) <= set(DATA_CATEGORIES)
    elif kind == "cac_level":
        assert stored in CAC_LEVELS
    else:
        assert datetime.fromisoformat(stored) <= quick.bot.now()
    assert_chain_intact(quick, number)


@pytest.mark.usefixtures("quiet")
@settings(PROPERTY, max_examples=50)
@given(name=st.sampled_from(SUBCOMMANDS), tail=hostile)
def test_every_command_through_the_bot_answers_and_keeps_the_chain(quick, name, tail):
    number, room = declare(quick)
    before = events(quick, number)
    sent = act(quick, f"/breach {name} {tail}", room)
    assert sent, "every command is answered"
    if {s.op for s in sent} == {"reply"}:  # refused, or only read: the record is as it was
        assert events(quick, number) == before
    assert_chain_intact(quick, number)


@pytest.mark.usefixtures("quiet")
@settings(PROPERTY, max_examples=15)
@given(text=short_hostile.filter(lambda s: len(collapse("Leak " + no_flags(s))) <= TITLE_MAX and storable(s)))
def test_statement_drafts_show_a_hostile_title_literally(quick, text):
    typed = "Leak " + no_flags(text)
    title = collapse(typed)
    number, room = declare(quick, typed)
    sent = act(quick, "/breach draft client", room)
    [post] = [s for s in sent if s.op == "post" and s.room == room]
    assert title in post.text  # Jinja in a title is text, never evaluated
    assert_chain_intact(quick, number)


# -- 3. rendering: the Markdown report and the JSON export -----------------------------------------
_MD_SPECIAL = "`*_{}[]()#+!|<>~"


def md_unescape(text: str) -> str:
    """Undo md_escape's backslashes, checking that no special character is left bare."""
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\":
            assert i + 1 < len(text) and (text[i + 1] == "\\" or text[i + 1] in _MD_SPECIAL), text[i:i + 2]
            out.append(text[i + 1])
            i += 2
            continue
        assert text[i] not in _MD_SPECIAL, f"bare {text[i]!r} in {text!r}"
        out.append(text[i])
        i += 1
    return "".join(out)


_BREAKS = re.compile("[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029 ]")  # what str.splitlines() splits on, and spaces


@PURE
@given(text=hostile)
def test_md_escape_is_inert_and_loses_nothing_but_line_breaks(text):
    escaped = export.md_escape(text)
    assert not re.search(r"[\r\n]", escaped), "a line ending would let the text start its own Markdown block"
    # Every other character comes back, in order; line breaks may turn into spaces.
    assert _BREAKS.sub("", md_unescape(escaped)) == _BREAKS.sub("", text)


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
        data = report.build(s, incident=incident, playbook=bot.bot.playbook, regimes=bot.bot.regimes,
                            firm_profile=bot.bot.firm_profile, ws=ws, lang="en", now=bot.bot.now(),
                            firm_name="Lotus & Co. Accountants")
        exported = export.as_json(export.as_dict(s, incident=incident, playbook=bot.bot.playbook, ws=ws,
                                                 now=bot.bot.now(), regimes=bot.bot.regimes))
        return Rendered(number=number, title=incident.title, md=report.to_markdown(data),
                        html=report.to_html(data), json=report.to_json(data), export=exported)


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
    for char in "[]()<>#`!*_|~":
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
    by_mark = {**{repr(m): repr(values[f]) for f, m in marks.items()}, **{m: values[f] for f, m in marks.items()}}
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
