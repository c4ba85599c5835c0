"""Every list the bot shows is typed back with one matcher (#18, names.matching): the exact key or name, else the
start of a name, else a word of it (a part of a Chinese one) when that names one thing; a word that names several
is answered with them, as the bot shows them, and nothing changes. Roles, causes, channels, draft kinds, residences,
CAC levels, data categories, regimes and task titles alike, in zh and en."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from bot.errors import UserError
from bot.incident import names
from bot.incident.playbook import load_playbook
from bot.law import clocks
from bot.settings import DEFAULT_PLAYBOOK
from storage.models import Incident, TaskState
from tests.conftest import make_console
from tests.conftest import said as say

PLAYBOOK = load_playbook(DEFAULT_PLAYBOOK)


@pytest.mark.parametrize("kind, typed, key", [
    ("role", "经理", "client_liaison"),  # a part of 客户经理
    ("role", "liaison", "client_liaison"),  # a word of Client liaison
    ("cause", "第三方", "third_party"),
    ("cause", "外部", "external_attack"),  # the start of 外部攻击
    ("cause", "staff", "staff_error"),
    ("via", "企业", "wecom"),
    ("via", "mail", "email"),
    ("draft", "满意度", "survey"),
    ("draft", "监管", "regulator"),
    ("residence", "新加", "SG"),
    ("residence", "加利", "US-CA"),
    ("cac_level", "特别", "especially_major"),
    ("severity", "crit", "critical"),
    ("data", "身份", "national_id"),
])
def test_a_name_is_taken_by_its_start_or_a_word_of_it(kind, typed, key):
    assert names.resolve(kind, typed, PLAYBOOK, "zh", "error.unknown_role") == key


@pytest.mark.parametrize("lang, kind, typed, said", [
    ("zh", "cause", "员工", "“员工”可能是：内部人员、员工失误。请照上面的写法输入其中一个。"),
    ("en", "cause", "staff", None),
    ("en", "data", "number", "\"number\" could be card, tax_id, national_id: type one of them as shown."),
    ("zh", "data", "号码", "“号码”可能是：联系方式、身份证件号码、护照。请照上面的写法输入其中一个。"),
])
def test_a_word_that_names_several_asks_which(lang, kind, typed, said):
    if said is None:  # one thing: no question
        assert names.resolve(kind, typed, PLAYBOOK, lang, "error.cause") == "staff_error"
        return
    with pytest.raises(UserError) as asked:
        names.resolve(kind, typed, PLAYBOOK, lang, "error.cause")
    assert asked.value.message.plain_text() == said


def _done(engine) -> set[str]:
    with Session(engine) as s:
        return {t.key for t in s.exec(select(TaskState).where(TaskState.done_at.is_not(None)))}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_tasks_and_regimes_are_typed_back_by_part_of_their_names(sqlite_engine, lang):
    zh = lang == "zh"
    console = make_console(sqlite_engine, lang=lang)
    console.say("alice", "/breach 宣布 工资表泄露" if zh else "/breach declare payroll leak", "general")
    assert ("你是 BR-1 的客户联络。" if zh else "You are Client liaison for BR-1.") in say(
        console, "alice", "/breach 指派 @bob 经理" if zh else "/breach assign @bob liaison")
    said = say(console, "alice", "/breach 完成 组建" if zh else "/breach done assemble")
    assert said.startswith("☑️ @alice 完成了：组建应急小组" if zh else "☑️ @alice did: Assemble the team"), said
    said = say(console, "alice", "/breach 完成 证据" if zh else "/breach done evidence")
    assert ("保全证据" if zh else "Preserve evidence") in said, said
    assert _done(sqlite_engine) == {"assemble_team", "preserve_evidence"}
    # 加强监控 (4.4) and 提供补救：信用监控… (6.4), 5.2 and 10.1 both start with Write: asked which, nothing done
    said = say(console, "alice", "/breach 完成 监控" if zh else "/breach done write")
    assert said == ("“监控”可能是：4.4 加强监控、6.4 提供补救：信用监控、咨询热线、必要时赔偿（/breach 补救）。"
                    "请照上面的写法输入其中一个。" if zh else
                    "\"write\" could be 5.2 Write down the cause and the evidence for it, 10.1 Write the post-incident "
                    "report: type one of them as shown."), said
    assert _done(sqlite_engine) == {"assemble_team", "preserve_evidence"}
    console.say("alice", "/breach 影响 上海=3" if zh else "/breach affected CN=3", "breach-1")
    said = say(console, "alice", "/breach 已通报 个保 个人 --回执 GA-1" if zh
               else "/breach notified personal individuals --ref GA-1")
    assert said.startswith("✅ @alice 记录了 个人信息保护法：个人信息泄露（受影响的个人）已于 10:05 通报，编号 GA-1" if zh
                           else "✅ @alice recorded the notice for PIPL: personal information leak (Affected individuals)"), said
    said = say(console, "alice", "/breach 起草 监管 --法规 数据安" if zh else "/breach draft regulator --regime \"data security\"")
    assert said.startswith("📝 D-1 第1版 · 监管报告" if zh else "📝 D-1 v1 · regulator"), said
    with Session(sqlite_engine) as s:
        assert s.exec(select(Incident)).one().number == 1
    book = console.bot.regimes
    assert clocks.regime_keys(book, "个保") == ["cn-pipl-57"] and clocks.named_regime(book, "GDPR") == ["eu-gdpr-33"]
    assert clocks.regime_keys(book, "数据安") == clocks.regime_keys(book, "data security") == ["cn-dsl-29"]


def test_a_client_is_named_by_a_part_of_its_name(sqlite_engine, tmp_path):
    console = make_console(sqlite_engine, lang="zh")
    console.say("alice", "/breach 宣布 工资表泄露", "general")
    csv = tmp_path / "c.csv"
    csv.write_text("姓名,类型,联系方式,语言,居住地\n上海明星贸易有限公司,企业,a@x.example,中文,上海\n"
                   "金门贸易,企业,b@x.example,中文,北京\n", encoding="utf-8")
    console.say("alice", f"/breach 客户 导入 {csv}", "breach-1")
    assert say(console, "alice", "/breach 客户 已通知 贸易 --方式 邮件") == (
        "“贸易”可能是：1. 上海明星贸易有限公司、2. 金门贸易。请照上面的写法输入其中一个。")
    said = say(console, "alice", "/breach 客户 已通知 明星 --方式 邮件")  # one client: no letter for it yet
    assert "1 个（上海明星贸易有限公司）— 没有已批准的信函" in said, said
