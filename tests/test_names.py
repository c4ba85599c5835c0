"""One place reads every name the bot shows — in English or Chinese, any case, full-width — as its key."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot import commands as c
from bot.errors import UserError
from bot.flows.canonical import canonical
from bot.incident import names
from bot.incident.answers import parse_residences
from bot.incident.playbook import load_playbook
from bot.settings import DEFAULT_PLAYBOOK
from bot.text.facts import narrow, residence_code

PLAYBOOK = load_playbook(DEFAULT_PLAYBOOK)
NOW = datetime(2026, 11, 28, 2, 5, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.mark.parametrize(("kind", "typed", "key"), [
    ("role", "记录员", "scribe"), ("role", "Scribe", "scribe"), ("role", "executive sponsor", "executive"),
    ("role", "法务合规", "legal"), ("role", "IT_SECURITY", "it_security"), ("role", "ｌｅｇａｌ", "legal"),
    ("cause", "员工失误", "staff_error"), ("cause", "Staff error", "staff_error"), ("cause", "staff-error", "staff_error"),
    ("severity", "高", "high"), ("severity", "HIGH", "high"), ("severity", "严重", "high"), ("severity", "紧急", "critical"),
    ("draft", "客户通知", "client"), ("draft", "press release", "press"), ("draft", "监管报告", "regulator"),
    ("cac_level", "较大", "relatively_major"), ("cac_level", "relatively major", "relatively_major"),
    ("data", "银行账户", "bank_account"), ("data", "Bank account", "bank_account"), ("data", "社保号", "tax_id"),
    ("residence", "中国", "CN"), ("residence", "de", "DE"), ("residence", "ＦＲ", "FR"), ("residence", "德国", "DE"), ("residence", "欧盟", "EU"),
    ("residence", "California", "US-CA"), ("residence", "gb", "UK"),
    ("phase", "初步调查", "investigation"), ("phase", "Containment", "containment"),
    ("lang", "中文", "zh"), ("variant", "企业", "company"), ("via", "邮件", "email"),
])
def test_a_shown_name_is_its_key(kind, typed, key):
    assert names.key(kind, typed, PLAYBOOK) == key


@pytest.mark.parametrize(("kind", "typed"), [("role", "astronaut"), ("cause", "aliens"), ("severity", "apocalyptic"),
                                             ("residence", "XX"), ("data", "horoscope")])
def test_an_unknown_name_is_no_key(kind, typed):
    assert names.key(kind, typed, PLAYBOOK) is None


@pytest.mark.parametrize(("kind", "typed", "meant"), [
    ("role", "legl", "legal"), ("role", "法务", "legal"), ("severity", "hi", "high"), ("cause", "human_error", "staff_error"),
    ("data", "bank", "bank_account"),
])
def test_a_near_miss_has_a_likely_meaning(kind, typed, meant):
    assert names.suggest(kind, typed, PLAYBOOK) == meant


def test_canonical_reads_names_and_times_before_a_flow_runs():
    def ready(command: c.Command, lang: str = "zh") -> c.Command:
        return canonical(command, playbook=PLAYBOOK, lang=lang, now=NOW, tz="Asia/Shanghai")

    assert ready(c.Assign(user="dave", role="记录员")) == c.Assign(user="dave", role="scribe")
    assert ready(c.Close(cause="员工失误", lessons="网盘不得公开")).cause == "staff_error"
    declared = ready(c.Declare(title="工资表泄露", severity="高", aware="昨晚11点", data=("银行账户、税号",)))
    assert (declared.severity, declared.data) == ("high", ("bank_account", "tax_id"))
    assert declared.aware == "2026-11-27T15:00:00+00:00"
    facts = ready(c.Facts(changes=(("cac_level", "较大"), ("data", "bank account, payroll"),
                                   ("determined", "23:00"))))
    assert facts.changes == (("cac_level", "relatively_major"), ("data", "bank_account,payroll"),
                             ("determined", "2026-11-27T15:00:00+00:00"))
    assert ready(c.DraftNew(kind="客户通知", lang="中文")) == c.DraftNew(kind="client", lang="zh")
    assert ready(c.Phase(target="下一阶段")).target == "next"
    assert ready(c.FollowUpAdd(text="x", owner="bob", due="下周五")).due == "2026-12-04T01:00:00+00:00"
    with pytest.raises(UserError) as err:
        ready(c.Phase(target="nxt"), "en")
    assert err.value.message.plain_text().endswith("Did you mean next?")
    with pytest.raises(UserError) as err:
        ready(c.Notified(regime="cn-police", at="昨晚"))
    assert err.value.message.plain_text().startswith("无法把「昨晚」读成时间")


def test_residences_by_code_name_or_member_state():
    assert parse_residences("CN＝1,200，DE=3 FR=2 US-CA=40", "en") == {"CN": 1200, "DE": 3, "FR": 2, "US-CA": 40}
    assert parse_residences("中国=1200 欧盟=3", "zh") == {"CN": 1200, "EU": 3}
    assert parse_residences("CN=5 CN=7", "en") == {"CN": 7}  # typed twice: the later one stands
    with pytest.raises(UserError):
        parse_residences("XX=3", "en")
    assert residence_code("de") == "DE" and residence_code("Mars") is None


def test_only_full_width_forms_are_made_plain():
    assert narrow("ＢＲ－１　＠ｂｏｂ，CN＝1200") == "BR-1 @bob,CN=1200"
    assert narrow("²①½、昨晚") == "²①½、昨晚"  # look-alike numbers stay what they are


def test_a_client_csv_reads_residences_as_commands_do():
    from bot.statements.clients import _residence
    assert [_residence(raw) for raw in ("cn", "ＣＮ", "DE", "中国香港", "德州", "澳洲", "Mars")] == [
        "CN", "CN", "DE", "HK", "US-TX", "AU", None]


def test_roles_by_the_words_people_use():
    from pathlib import Path

    from bot.incident import names
    from bot.incident.playbook import load_playbook
    book = load_playbook(Path(__file__).resolve().parent.parent / "playbooks" / "breach-default.yaml")
    assert [names.key("role", w, book) for w in ("legal counsel", "lawyer", "exec sponsor", "management")] == [
        "legal", "legal", "executive", "executive"]
