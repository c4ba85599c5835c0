"""What a zh workspace shows in a list can be typed back (#18): measures by their Chinese name or the start of
it (`/breach 事实 --措施 隔离`), offers by the kinds the list shows (`信用及身份监控服务`); an ambiguous or
unknown word is refused with the list as shown and nothing changes. The same in English."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from storage.models import Incident
from tests.conftest import said as say
from tests.test_statement_facts import team


def _facts(engine) -> dict:
    with Session(engine) as s:
        return dict(s.exec(select(Incident)).one().facts)


@pytest.mark.parametrize("lang, typed, taken, shown", [
    ("zh", "/breach 事实 --措施 隔离", ["isolate"], "已采取的措施：隔离受影响的系统"),
    ("zh", "/breach 事实 --措施 隔离、重置、培训", ["isolate", "reset_credentials", "training"],
     "已采取的措施：隔离受影响的系统、重置泄露的账号密码、开展员工培训"),
    ("zh", "/breach 事实 --措施 必要时从干净的备份恢复数据", ["restore"], "必要时从干净的备份恢复数据"),
    ("en", "/breach facts --measures isolate the", ["isolate"], "measures taken: Isolate the affected systems"),
    ("en", "/breach facts --measures backups", ["restore"], "Restore data from clean backups where needed"),
])
def test_a_measure_is_typed_as_the_list_shows_it_or_by_the_start_of_its_name(sqlite_engine, lang, typed, taken,
                                                                               shown):
    console = team(sqlite_engine, lang=lang)
    recorded = say(console, "bob", typed)
    assert shown in recorded, recorded
    keys = {k for phase in console.bot.playbook.phases for task in phase.tasks if task.measure for k in [task.key]}
    assert set(taken) <= keys, keys
    assert _facts(sqlite_engine)["measures"] == taken


@pytest.mark.parametrize("lang, typed, refused, meant", [
    ("zh", "/breach 事实 --措施 系统", "没有名为 系统 的措施。可对外说明的措施：4.1 隔离受影响的系统、",
     "是不是想输入 4.1 隔离受影响的系统 / 4.4 加强监控 / 9.4 完成技术升级？"),
    ("zh", "/breach 事实 --措施 隔理受影响的系统", "没有名为 隔理受影响的系统 的措施。", "是不是想输入 4.1 隔离受影响的系统？"),
    ("en", "/breach facts --measures isloate", "No measure called isloate.", "Did you mean 4.1 isolate?"),
])
def test_an_ambiguous_or_mistyped_measure_is_refused_with_what_it_may_mean(sqlite_engine, lang, typed, refused, meant):
    console = team(sqlite_engine, lang=lang)
    said = say(console, "bob", typed)
    assert said.startswith(refused) and meant in said, said
    if lang == "zh":
        assert "isolate" not in said and "fix_hole" not in said, said
    assert "measures" not in _facts(sqlite_engine)


@pytest.mark.parametrize("lang, typed, shown", [
    ("zh", "/breach 补救 信用及身份监控服务 免费12个月", "O-1：信用及身份监控服务：免费12个月"),
    ("zh", "/breach 补救 咨询热线 400-000-0000", "O-1：咨询热线：400-000-0000"),
    ("en", "/breach offer credit free for 12 months", "O-1 for BR-1: Credit and identity monitoring: free for 12 months"),
])
def test_an_offer_is_typed_back_by_the_kind_the_bot_shows(sqlite_engine, lang, typed, shown):
    console = team(sqlite_engine, lang=lang)
    said = say(console, "bob", typed)
    assert shown in said, said
    assert len(_facts(sqlite_engine)["offers"]) == 1


@pytest.mark.parametrize("lang, typed, refused", [
    ("zh", "/breach 补救 飞机 一张机票", "没有「飞机」这类补救措施。类别：信用监控、赔偿、热线、心理支持、其他。"),
    ("en", "/breach offer aeroplane one ticket", "No kind of offer 'aeroplane'. Kinds: monitoring, compensation, "),
])
def test_an_unknown_offer_lists_the_kinds_in_the_workspace_language(sqlite_engine, lang, typed, refused):
    console = team(sqlite_engine, lang=lang)
    said = say(console, "bob", typed)
    assert said.startswith(refused), said
    assert "offers" not in _facts(sqlite_engine)
