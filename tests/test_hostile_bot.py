"""Hostile input through the parser and the whole bot: no crash, no injection, nothing lost."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import col, select

from bot import commands as c
from bot.chat import Strong, Text
from bot.errors import UserError
from bot.flows.law import FACT_FLAGS
from bot.help import aliases, subcommands
from bot.incident import timeline
from bot.incident.answers import NO, YES
from bot.law.regimes import CAC_LEVELS
from bot.registry import REGISTRY
from bot.text.facts import DATA_CATEGORIES, MAX_CLIENTS, RESIDENCES, TEXT_MAX, TITLE_MAX
from handlers.router import parse
from storage.models import QuestionState
from tests.hostile_inputs import (
    LOOKALIKES,
    NUMBERS,
    PROPERTY,
    PURE,
    act,
    assert_chain_intact,
    assert_refused_as_unstorable,
    collapse,
    declare,
    events,
    facts,
    free_text,
    hostile,
    no_flags,
    numbers,
    only_reply,
    reaches_the_bot_storable,
    session_of,
    short_hostile,
    storable,
    the_incident,
)


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
    declared = {spec.kind for spec in REGISTRY.values()}  # flows declare kinds outside bot.commands too (Link)
    assert isinstance(command, c.Command) or type(command) in declared, f"{typed[:200]!r} gave {command!r}"
    return command


@PURE
@given(name=st.sampled_from(subcommands() + tuple(aliases())), tail=hostile)
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
    sent = act(quick, f"/breach declare --new {typed}")  # examples repeat titles: each opens its own incident
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
    elif kind == "text":
        assert stored == " ".join(value.split()) and stored
    else:
        assert datetime.fromisoformat(stored) <= quick.bot.now()
    assert_chain_intact(quick, number)


@pytest.mark.usefixtures("quiet")
@settings(PROPERTY, max_examples=50)
@given(name=st.sampled_from(subcommands()), tail=hostile)
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
def test_statement_drafts_show_a_hostile_public_description_literally(quick, text):
    typed = "Leak " + no_flags(text)
    public = collapse(typed)
    number, room = declare(quick, typed)
    act(quick, f"/breach public {typed}", room)
    sent = act(quick, "/breach draft client", room)
    [post] = [s for s in sent if s.op == "post" and s.room == room]
    assert public in post.text  # Jinja in people's text is text, never evaluated
    assert_chain_intact(quick, number)


