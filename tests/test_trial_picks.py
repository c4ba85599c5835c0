"""What a new-user trial typed and got wrong (#18 trial findings 5, 18, 19, 23): one measure word records that
measure only (a task key recurring in another phase is not a second measure); the start of a role name, one Chinese
character included, names the role it starts; a zh workspace suggests its own command word for a typo."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from storage.models import Incident
from tests.conftest import said as say
from tests.test_statement_facts import team


def _facts(engine) -> dict:
    with Session(engine) as s:
        return dict(s.exec(select(Incident)).one().facts)


@pytest.mark.parametrize("lang, typed, recorded, taken", [
    ("zh", "/breach 事实 --措施 监控", "记录了：已采取的措施：加强监控\n", ["monitoring"]),
    ("zh", "/breach 事实 --措施 隔离、修复、重置、监控",
     "已采取的措施：隔离受影响的系统、修复导致泄露的漏洞、重置泄露的账号密码、加强监控\n",
     ["isolate", "fix_hole", "reset_credentials", "monitoring"]),
    ("en", "/breach facts --measures monitoring", "measures taken: Heighten monitoring\n", ["monitoring"]),
])
def test_one_measure_word_records_and_shows_one_measure(sqlite_engine, lang, typed, recorded, taken):
    console = team(sqlite_engine, lang=lang)
    said = say(console, "bob", typed) + "\n"
    assert recorded in said, said
    assert "监测媒体" not in said and "Monitor the press" not in said, said
    assert _facts(sqlite_engine)["measures"] == taken
    shown = say(console, "bob", "/breach 事实" if lang == "zh" else "/breach facts")
    assert "监测媒体" not in shown and "Monitor the press" not in shown, shown


@pytest.mark.parametrize("lang, typed, given", [
    ("zh", "/breach 指派 @bob 法", "@bob 接替 @erin 成为法务合规"),
    ("zh", "/breach 指派 @erin 记", "@erin 现在是记录员"),
    ("en", "/breach assign @bob leg", "@bob is now Legal / compliance"),
])
def test_the_start_of_a_role_name_names_the_role(sqlite_engine, lang, typed, given):
    console = team(sqlite_engine, lang=lang)
    said = say(console, "alice", typed)
    assert given in said, said


def test_one_character_that_starts_no_role_is_refused_and_changes_nothing(sqlite_engine):
    console = team(sqlite_engine, lang="zh")
    said = say(console, "alice", "/breach 指派 @erin 火")
    assert said.startswith("没有角色"), said
    assert "@erin 现在是" not in say(console, "alice", "/breach 角色")


@pytest.mark.parametrize("lang, suggestion", [("zh", "是不是想输入 /breach 状态？"), ("en", "Did you mean /breach status?")])
def test_a_typo_is_answered_with_the_command_word_of_the_workspace(sqlite_engine, lang, suggestion):
    console = team(sqlite_engine, lang=lang)
    said = say(console, "bob", "/breach statsu")
    assert suggestion in said, said
    if lang == "zh":
        assert "/breach status" not in said, said
