"""What hostile people type, and how to see what the bot did with it (shared by the hostile-input tests)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from sqlmodel import Session, select

from bot import commands as c
from bot.chat import Mention, RoomRef, Sent
from bot.errors import UserError
from bot.flows.dispatch import unstorable
from bot.incident import timeline
from bot.text.facts import narrow
from handlers.console.workspace import ConsoleWorkspace
from handlers.router import parse
from handlers.slack.render import render as slack_render
from handlers.wecom.render import render as wecom_render
from storage.models import Incident

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
# Free text after a command (notes, decisions): a leading BR-n names an incident, by design (full-width too).
free_text = hostile.filter(lambda s: not _BR_PREFIX.match(narrow(s.strip())))


def storable(text: str) -> bool:
    """Whether the bot stores this text at all (NUL, other control characters and lone surrogates are refused)."""
    return unstorable(c.Log(text=text)) is None


def reaches_the_bot_storable(typed: str) -> bool:
    """Whether the command the router makes of `typed` carries only storable text (white space it trims is gone)."""
    try:
        return unstorable(parse(typed)) is None
    except UserError:
        return True


def assert_refused_as_unstorable(sent: list[Sent]) -> None:
    reply = only_reply(sent)
    assert "cannot be stored" in reply.text and "nothing was changed" in reply.text


def no_flags(text: str) -> str:
    """The same text with no `--` anywhere (nor a dash an input method makes of it, `—drill`), so no word
    of it can be read as a flag."""
    return re.sub(r"([-—–―‒‐‑－])(?=[-—–―‒‐‑－\w])", r"\1 ", text)


def collapse(text: str) -> str:
    """The documented handling of titles: runs of white space become one space, ends trimmed."""
    return " ".join(text.split())


PURE = settings(max_examples=150, deadline=None, database=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])
# Through the whole bot each example costs milliseconds of SQLite work, so these do not shrink (that
# takes minutes); the plain tests at the end of this file hold the minimal inputs of what they found.
PROPERTY = settings(PURE, max_examples=20, phases=[Phase.explicit, Phase.reuse, Phase.generate])


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
    act(bot, f"/breach declare --new {title}")  # a new incident each time, even with the same title
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


