"""`/breach status` with nothing open shows the incident that closed last, labelled closed, not a refusal."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import make_console, said

ROSTER = {"legal": ["erin"]}
CLOSE = {"zh": '/breach 结案 --原因 内部人员 --教训 "审查权限" --确认',
         "en": '/breach close --cause insider --lessons "Review access" --confirm'}
STATUS = {"zh": "/breach 状态", "en": "/breach status"}
INTRO = {"zh": "没有进行中的事件。你参与的最近一起事件 BR-2 已于 {at} 结案：",
         "en": "No incident is open. The last one you were on, BR-2, closed {at}:"}
HEADER = {"zh": "🗂 BR-2 · 严重程度 高 · 已结案 · 负责人：@alice",
          "en": "🗂 BR-2 · severity high · CLOSED · lead: @alice"}
NONE = {"zh": "你没有进行中的事件。可用 /breach 宣布 <发生了什么> 宣布，或写明事件编号：/breach 状态 BR-编号。",
        "en": "You have no open incident. Declare one with /breach declare <what happened>, or name one by its "
              "number: /breach status BR-n."}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_status_outside_a_war_room_after_close_shows_the_last_closed_incident(sqlite_engine, lang):
    console = make_console(sqlite_engine, roster=ROSTER, lang=lang)
    declare = "/breach 宣布" if lang == "zh" else "/breach declare"
    console.say("alice", f"{declare} 工资表泄露 --clients 3", "general")
    console.say("alice", f"{declare} 邮箱被盗 --clients 2", "general")
    console.clock.advance(timedelta(minutes=30))
    said(console, "alice", CLOSE[lang], "breach-2")  # BR-2 closes first, at 10:35
    console.clock.advance(timedelta(minutes=30))
    # While BR-1 is open, status outside a war room is BR-1's, as before.
    assert said(console, "alice", STATUS[lang], "general").startswith("🚨 BR-1")
    said(console, "alice", CLOSE[lang], "breach-1")  # then BR-1, at 11:05: the last to close
    status = said(console, "alice", STATUS[lang], "general").splitlines()
    assert status[0] == INTRO[lang].format(at="11:05").replace("BR-2", "BR-1")
    assert status[1] == HEADER[lang].replace("BR-2", "BR-1")
    # Erin (legal, on both teams) sees the same; someone on no team is still told there is nothing open.
    assert said(console, "erin", STATUS[lang], "general").splitlines()[:2] == status[:2]
    assert said(console, "zoe", STATUS[lang], "general") == NONE[lang]
    # A named incident is shown as named; in a war room, that room's incident.
    assert said(console, "alice", f"{STATUS[lang]} BR-2", "general").splitlines()[0] == HEADER[lang]
    assert said(console, "alice", STATUS[lang], "breach-2").splitlines()[0] == HEADER[lang]


def test_a_closed_incident_is_not_shown_while_another_is_open(sqlite_engine):
    console = make_console(sqlite_engine, roster=ROSTER, lang="en")
    console.say("alice", "/breach declare Payroll leak", "general")
    said(console, "alice", CLOSE["en"], "breach-1")
    console.say("bob", "/breach declare Mailbox stolen", "general")
    assert said(console, "bob", STATUS["en"], "general").startswith("🚨 BR-2")
    # Alice was never on BR-2 and BR-1 is closed: her last closed one.
    assert said(console, "alice", STATUS["en"], "general").splitlines()[0].startswith(
        "No incident is open. The last one you were on, BR-1, closed ")
