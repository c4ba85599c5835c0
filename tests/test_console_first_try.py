"""What a new user trying the console by hand found: who you are, rooms that do not exist, the clock on restart."""

from __future__ import annotations

import io

import pytest

from bot.settings import FirmConfig
from handlers.console.main import ask_who
from tests.conftest import joined, make_console
from tests.test_console_cli import run_cli

TOML = """[workspace]
lang = "{lang}"
timezone = "Asia/Shanghai"

[roster]
lead = ["carol"]
it_security = ["dave"]

[people]
carol = "陈晓"
"""

UNKNOWN = {"zh": "breachbot.toml 的名单中没有「zed」。请从中选一位：陈晓（carol）、dave（例如 --user carol，或 make run "
                 "USER_NAME=carol）。",
           "en": "'zed' is not on the roster in breachbot.toml. Choose one of: 陈晓 (carol), dave (for example "
                 "--user carol, or make run USER_NAME=carol)."}


def _firm(console, lang: str):
    console.bot.firm = FirmConfig(roster={"lead": ["carol"], "it_security": ["dave"]}, people={"carol": "陈晓"})
    console.chat.names = dict(console.bot.firm.people)
    return console


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_run_with_an_unknown_user_names_the_roster_and_starts_nothing(tmp_path, lang):
    (tmp_path / "breachbot.toml").write_text(TOML.format(lang=lang), encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'bb.db'}"
    assert run_cli("db", "upgrade", "--db", db, cwd=tmp_path).returncode == 0
    done = run_cli("--db", db, "run", "--user", "zed", stdin="/breach status\n", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == UNKNOWN[lang]
    assert "#general>" not in done.stdout
    chosen = run_cli("--db", db, "run", "--user", "dave", stdin="/breach status\n:quit\n", cwd=tmp_path)
    assert chosen.returncode == 0, chosen.stderr
    assert "dave #general>" in chosen.stdout and "陈晓 #general>" not in chosen.stdout


def test_piped_lines_are_commands_not_a_name(tmp_path):
    (tmp_path / "breachbot.toml").write_text(TOML.format(lang="zh"), encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'bb.db'}"
    assert run_cli("db", "upgrade", "--db", db, cwd=tmp_path).returncode == 0
    done = run_cli("--db", db, "run", stdin="/breach 状态\n:quit\n", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "你是 #general 中的 陈晓" in done.stdout  # the roster's first, as Enter would take
    assert "你没有进行中的事件" in done.stdout  # the first line ran as a command
    assert "/breach 状态 #general>" not in done.stdout


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_asked_who_you_are_an_unknown_name_is_refused_and_asked_again(sqlite_engine, lang):
    console = _firm(make_console(sqlite_engine, lang=lang), lang)
    answers = iter(["zed", "2"])
    out = io.StringIO()
    assert ask_who(console, read=lambda prompt: next(answers), out=out) == "dave"
    assert UNKNOWN[lang] in out.getvalue()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_room_that_does_not_exist_is_named_with_the_rooms_that_do(sqlite_engine, lang):
    console = make_console(sqlite_engine, lang=lang)
    console.say("alice", "/breach declare test", "general")
    out = io.StringIO()
    assert console.line(":room #breach-9", out=out, interactive=True)
    said = {"zh": "没有 #breach-9 这个群，仍留在原处。现有的群：#general、#breach-1。请输入 :room #群名（从中选一个）。\n",
            "en": "There is no room #breach-9; you stay where you are. Rooms: #general, #breach-1. "
                  "Type :room #NAME with one of them.\n"}
    assert out.getvalue() == said[lang]
    assert console.room_of(console.user) == "general" and "breach-9" not in console.chat.rooms
    console.line(":room #breach-1", out=out, interactive=True)
    assert console.room_of(console.user) == "breach-1"


RESUMED = {"zh": "时钟从 {at} 继续：这是本数据库记录的最晚时间（上次运行曾跳过时间），时钟不会倒退。",
           "en": "The clock goes on from {at}, the latest time this database recorded (an earlier run skipped time "
                 "ahead); it never goes back."}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_restart_goes_on_from_the_time_the_last_run_skipped_to(tmp_path, lang):
    import json
    from datetime import datetime

    db = f"sqlite:///{tmp_path / 'bb.db'}"
    declare = "/breach 宣布 测试" if lang == "zh" else "/breach declare test"
    log = "/breach 记录 重启后" if lang == "zh" else "/breach log after the restart"
    first = run_cli("--db", db, "console", "--script", "-", "--lang", lang, "--tz", "Asia/Shanghai",
                    stdin=f"alice #general> {declare}\n~ +20h\n", cwd=tmp_path)  # past the last alert
    assert first.returncode == 0, first.stderr
    skipped_to = [ln for ln in first.stdout.splitlines() if ln.startswith("~ ")][-1].removeprefix("~ ")
    second = run_cli("--db", db, "console", "--script", "-", "--lang", lang, "--tz", "Asia/Shanghai",
                     stdin=f"alice #breach-1> {log}\n", cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert RESUMED[lang].format(at=skipped_to) in second.stderr
    events = json.loads(run_cli("--db", db, "export", "BR-1", "--format", "json", cwd=tmp_path).stdout)["timeline"]
    times = [datetime.fromisoformat(e["at"]) for e in events]
    assert times == sorted(times)  # the note after the restart is not stamped before the skipped time
    assert times[-1] >= datetime.fromisoformat(skipped_to.replace(" UTC+8", "+08:00"))
    third = run_cli("--db", db, "console", "--script", "-", "--now", "2030-01-01T09:00+08:00", stdin="", cwd=tmp_path)
    assert third.returncode == 0 and "2030" not in third.stderr and third.stderr.strip() == ""


NOT_ON_ROSTER = {"zh": ("breachbot.toml 的名单中没有「张三」，你仍是 dave。请从中选一位：陈晓（carol）、dave（例如 :as carol）。\n",
                        "事务所名单中没有 @nobody。请从中选一位：@陈晓、@dave；未做任何更改。"),
                 "en": ("'张三' is not on the roster in breachbot.toml; you are still dave. Choose one of: 陈晓 (carol), "
                        "dave (for example :as carol).\n",
                        "@nobody is not on the firm's roster. Choose one of: @陈晓, @dave; nothing was changed.")}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_someone_not_on_the_roster_is_refused_by_as_and_by_assign(sqlite_engine, lang):
    from sqlmodel import Session, select

    from storage.models import RoleAssignment

    console = _firm(make_console(sqlite_engine, lang=lang), lang)
    out = io.StringIO()
    console.line(":as dave", out=out, interactive=True)
    assert console.user == "dave" and out.getvalue() == ""
    console.line(":as 张三", out=out, interactive=True)
    assert out.getvalue() == NOT_ON_ROSTER[lang][0] and console.user == "dave"
    console.line(":as 陈晓", out=out, interactive=True)
    assert console.user == "carol"
    console.say("carol", "/breach 宣布 测试" if lang == "zh" else "/breach declare test", "general")
    before = len(console.chat.sent)
    said = joined(console.say("carol", "/breach 指派 @nobody 法务" if lang == "zh" else "/breach assign @nobody legal",
                              "breach-1"))
    assert said.strip() == NOT_ON_ROSTER[lang][1]
    assert [s.op for s in console.chat.sent[before:]] == ["reply"]  # nothing posted, nobody invited
    console.say("carol", "/breach 指派 @陈晓 法务" if lang == "zh" else "/breach assign @陈晓 legal", "breach-1")
    with Session(sqlite_engine) as s:
        holders = {a.role: a.user for a in s.exec(select(RoleAssignment).where(RoleAssignment.ended_at.is_(None)))}
    assert holders.get("legal") == "carol" and "nobody" not in holders.values()
    # dave (on the roster, so on the team) has not moved yet: :as puts him in the one war room he is on
    assert console.room_of("dave") == "general"
    console.line(":as dave", out=out, interactive=True)
    assert console.room_of("dave") == "breach-1" and console.prompt() == "dave #breach-1> "


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_what_only_the_person_sees_is_printed_as_theirs_not_the_rooms(sqlite_engine, lang):
    """A signed link, or the clocks asked in #general, are answers only the person sees (ephemeral on Slack, the
    chat with the app on WeCom): the console prints them as [@alice], never as said in the room."""
    console = make_console(sqlite_engine, lang=lang)
    console.say("alice", "/breach 宣布 测试" if lang == "zh" else "/breach declare test", "general")
    console.say("alice", "/breach 链接 --有效期 2 --给 保险公司" if lang == "zh" else "/breach link --hours 2 --for insurer",
                "breach-1")
    console.say("alice", "/breach 时限" if lang == "zh" else "/breach clocks", "general")
    printed = console.chat.out.getvalue().splitlines()
    token = [line for line in printed if "?k=" in line]
    assert len(token) == 1 and token[0].startswith("    http")  # the link's own line, under its heading
    heading = printed[printed.index(token[0]) - 1]
    assert heading.startswith("[@alice] 🔗 L-1")
    told = next(line for line in printed if line.startswith("[#breach-1] 🔗"))
    assert ("@alice 发出了" if lang == "zh" else "@alice gave out a link") in told and "?k=" not in told
    clocks = [line for line in printed if line.startswith("[") and "⚖️" in line]
    assert len(clocks) == 1 and clocks[0].startswith("[@alice] ⚖️")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_rooms_and_pins_speak_the_workspace_language_and_name_people_as_the_roster_shows_them(sqlite_engine, lang):
    console = _firm(make_console(sqlite_engine, lang=lang), lang)
    console.say("carol", "/breach 宣布 测试" if lang == "zh" else "/breach declare test", "general")
    out = io.StringIO()
    console.line(":rooms", out=out, interactive=True)
    general, war_room = out.getvalue().splitlines()
    if lang == "zh":
        assert general == "#general（公开）  成员：暂无"
        assert war_room.startswith("#breach-1（私密）") and war_room.endswith("  成员：dave、陈晓")
    else:
        assert general == "#general (public)  members: none yet"
        assert war_room.startswith("#breach-1 (private) ") and war_room.endswith("  members: dave, 陈晓")
    out = io.StringIO()
    console.line(":pins #breach-1", out=out, interactive=True)
    assert "@陈晓" in out.getvalue() and "@carol" not in out.getvalue()
