"""What a zh new-user trial still found (#18 leftovers), typed in the console: no English in a Chinese firm's clocks,
quotes as Chinese writes them, several clients told at once, follow-ups done with their ids, flags with Chinese dashes."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from storage.models import Client, Deadline, Incident
from tests.conftest import said
from tests.test_care import LETTER, team_of
from tests.test_statements import write_csv

NAMES = ["Ann Lee", "Bo Chen", "Cy Wu", "Di Ma", "Ed Xu"]


def letters_ready(team, tmp_path, names=NAMES) -> None:
    """Clients living in mainland China imported, a client letter approved and merged for them."""
    rows = [{"name": n, "type": "individual", "contact": f"{i}@x.example", "language": "en", "residence": "CN",
             "data": "payroll"} for i, n in enumerate(names)]
    team.say("lily", f"/breach clients import {write_csv(tmp_path / 'c.csv', rows)}", "breach-1")
    team.say("erin", "/breach draft client --lang en", "breach-1")
    team.say("erin", f"/breach draft edit D-1 {LETTER}", "breach-1")
    assert "✅" in said(team, "erin", "/breach approve D-1")
    team.say("lily", "/breach letters D-1", "breach-1")


def told(team) -> list[str]:
    with Session(team.bot.engine) as s:
        return [c.name for c in s.exec(select(Client).order_by(Client.id)) if c.notified_at is not None]


@pytest.fixture
def zh_team(sqlite_engine):
    team = team_of(sqlite_engine, "zh")
    team.say("alice", "/breach 宣布 工资表泄露 --数据 工资")
    team.say("alice", "/breach 对外说明 一份工资表被误共享", "breach-1")
    team.say("erin", "/breach 事实 --数据 姓名、银行账户、税号 --加密 否", "breach-1")
    team.say("erin", "/breach 影响 中国=1", "breach-1")
    return team


@pytest.fixture
def en_team(sqlite_engine):
    team = team_of(sqlite_engine, "en")
    team.say("alice", "/breach declare Payroll export leaked --data payroll")
    team.say("alice", "/breach public A payroll file was shared by mistake", "breach-1")
    return team


# -- 1. a clock met through the register says so in the firm's language ------------------------------------------
@pytest.mark.parametrize("lang, reached", [("zh", "1/1 个客户已送达"), ("en", "1/1 clients reached")])
def test_a_clock_met_by_the_register_names_its_reach_in_the_firm_language(sqlite_engine, tmp_path, lang, reached):
    team = team_of(sqlite_engine, lang)
    team.say("alice", "/breach declare Payroll export leaked --data payroll")
    team.say("erin", "/breach facts --data name,bank_account,tax_id --encrypted no", "breach-1")
    team.say("erin", "/breach affected CN=1", "breach-1")
    letters_ready(team, tmp_path, names=["Ann Lee"])
    said(team, "lily", "/breach clients notified 1 --via email")
    with Session(team.bot.engine) as s:
        met = s.exec(select(Deadline).where(Deadline.ref == "cn-pipl-57/individuals")).one()
        assert met.met_at is not None and met.meta["reference"] == reached
    shown = said(team, "erin", "/breach clocks" if lang == "en" else "/breach 时限")
    assert reached in shown
    if lang == "zh":
        assert "clients reached" not in shown


# -- 6. :pins shows the console's time -----------------------------------------------------------------------
def test_pins_after_a_restart_show_the_console_clock_not_the_wall_clock(tmp_path, capsys, monkeypatch):
    """A run skips 30 hours; the next run on the same database goes on from that time, and its pinned status
    (`:pins #breach-1`) says what the first run's said then (phases overdue), not what the wall clock would."""
    from datetime import UTC, datetime, timedelta

    from handlers.cli import main

    for name in ("SLACK_BOT_TOKEN", "WECOM_CORP_ID", "DATABASE_URL", "BREACHBOT_LANG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    db = f"sqlite:///{tmp_path / 'pins.db'}"
    start = (datetime.now(UTC) + timedelta(days=20)).replace(microsecond=0)  # ahead of the wall clock
    first = tmp_path / "first.txt"
    first.write_text("alice> /breach 宣布 工资表泄露\n~ +30h\n:pins #breach-1\n", encoding="utf-8")
    again = tmp_path / "again.txt"
    again.write_text(":pins #breach-1\n", encoding="utf-8")
    assert main(["console", "--script", str(first), "--now", start.isoformat(), "--db", db, "--lang", "zh",
                 "--tz", "Asia/Shanghai"]) == 0
    pinned = capsys.readouterr().out.split("\n~ ")[-1].split("\n", 1)[1]
    assert "已逾期" in pinned
    assert main(["console", "--script", str(again), "--db", db, "--lang", "zh", "--tz", "Asia/Shanghai"]) == 0
    out = capsys.readouterr().out
    assert out == pinned


# -- 3. several clients told in one line ----------------------------------------------------------------------
def test_several_clients_are_recorded_as_told_in_one_chinese_line(zh_team, tmp_path):
    letters_ready(zh_team, tmp_path)
    out = said(zh_team, "lily", "/breach 客户 已通知 1、2、4 --方式 邮件")
    assert "记录了 3 个客户已通过 电子邮件 通知（已通知 3/5）" in out
    assert told(zh_team) == ["Ann Lee", "Bo Chen", "Di Ma"]
    refused = said(zh_team, "lily", "/breach 客户 已通知 3-4 --方式 电话")  # 4 was told already: nothing changes
    assert "已经通知过" in refused and told(zh_team) == ["Ann Lee", "Bo Chen", "Di Ma"]
    refused = said(zh_team, "lily", "/breach 客户 已通知 3，9 --方式 电话")
    assert "9" in refused and "（1–5）" in refused and told(zh_team) == ["Ann Lee", "Bo Chen", "Di Ma"]
    assert "已通知 5/5" in said(zh_team, "lily", "/breach 客户 已通知 3，5 BR-1 --方式 电话")


def test_several_clients_by_numbers_and_a_range_in_english(en_team, tmp_path):
    letters_ready(en_team, tmp_path)
    assert "recorded 2 clients told via email (2/5 told)" in said(en_team, "lily",
                                                                   "/breach clients notified 1,2 --via email")
    assert told(en_team) == ["Ann Lee", "Bo Chen"]
    said(en_team, "lily", "/breach clients notified BR-1 3-5 --via phone")
    assert told(en_team) == NAMES


# -- 4. follow-ups done and incident ids wherever a zh command takes them ----------------------------------------
def test_a_follow_up_is_done_with_its_id_and_the_incident_id_in_any_order(zh_team):
    for n in (1, 2, 3):
        zh_team.say("alice", f"/breach 跟进 复查第{n}项 --负责人 @dave --截止 +14天", "breach-1")
    assert "完成了 F-1" in said(zh_team, "alice", "/breach 跟进 完成 BR-1 F-1", "general")
    assert "完成了 F-2" in said(zh_team, "alice", "/breach 跟进完成 F-2 BR-1", "general")
    assert "完成了 F-3" in said(zh_team, "alice", "/breach 跟进 BR-1 完成 F-3", "general")
    refused = said(zh_team, "alice", "/breach 跟进 完成 F-1 F-2")
    assert refused.startswith("请用 F-2 这样的编号指明后续行动")


def test_the_next_phase_takes_the_incident_id_after_it(zh_team):
    zh_team.say("alice", "/breach 下一阶段 BR-1 --理由 先推进", "general")
    with Session(zh_team.bot.engine) as s:
        assert s.exec(select(Incident)).one().current_phase == "investigation"


# -- 5. flags written with Chinese dashes or cut short --------------------------------------------------------------
@pytest.mark.parametrize("typed", ["/breach 宣布 测试 ——客户 30", "/breach 宣布 测试 －－客户 30", "/breach 宣布 测试 --客户 30",
                                   "/breach 宣布 测试 —客户 30"])
def test_a_flag_cut_short_or_with_chinese_dashes_is_refused_with_the_flag_to_type(sqlite_engine, typed):
    """`——客户 30` was read as words of the title (`测试 ——客户 30`); now it is refused, nothing declared, and the
    answer names the flag meant."""
    from tests.test_bad_input import only_replies, snapshot

    team = team_of(sqlite_engine, "zh")
    before = snapshot(team.bot.engine)
    [text] = only_replies(team.say("alice", typed, "general"))
    assert snapshot(team.bot.engine) == before
    assert "不是这个命令的选项。是不是想输入 --客户数？" in text and "用法： /breach 宣布" in text


def test_whole_flags_with_chinese_dashes_work_and_a_dash_in_a_title_stays_text(sqlite_engine):
    team = team_of(sqlite_engine, "zh")
    team.say("alice", "/breach 宣布 工资表泄露 ——客户数 30 －－严重程度 中", "general")
    team.say("alice", "/breach declare Leak —then more", "general")
    with Session(team.bot.engine) as s:
        first, second = s.exec(select(Incident).order_by(Incident.number)).all()
    assert (first.title, first.severity, second.title) == ("工资表泄露", "medium", "Leak —then more")


# -- 2. words a person typed, quoted as Chinese quotes them ----------------------------------------------------------
def test_a_chinese_workspace_quotes_typed_words_in_corner_brackets_and_english_keeps_plain_quotes(sqlite_engine):
    zh = team_of(sqlite_engine, "zh")
    zh.say("alice", "/breach 宣布 工资表泄露", "general")
    assert said(zh, "alice", "/breach 阶段 下一 先推进").startswith(
        '「先推进」是原因吗？请写在 --理由 后面：/breach 下一阶段 --理由 "先推进"')
    assert said(zh, "alice", "/breach 完成 火星").startswith("没有任务「火星」。")
    en = team_of(sqlite_engine, "en")
    en.say("alice", "/breach declare Payroll leak", "general")
    assert said(en, "alice", "/breach phase next scope known", "breach-2").startswith(
        "Is 'scope known' the reason? Type it after --reason")


def test_no_chinese_message_quotes_with_ascii_quotes():
    """Every zh template that shows what someone typed (`{value!r}`) shows it in 「」, and no zh template quotes its
    own examples with ASCII single quotes."""
    import string

    from bot.text.i18n import catalogue, text

    checked = 0
    for key, template in catalogue("zh").items():
        fields = [(name, spec, conversion) for _, name, spec, conversion in string.Formatter().parse(template)
                  if name is not None]
        assert not any(part.count("'") >= 2 for part in string.Formatter().parse(template) if part[0]), key
        if not any(conversion == "r" for _, _, conversion in fields):
            continue
        values = {name: (1 if spec else "词") for name, spec, _ in fields}
        shown = text("zh", key, **values)
        assert "「词」" in shown and "'" not in shown, (key, shown)
        checked += 1
    assert checked > 50


# -- 7. breachbot config names a firm that exists ----------------------------------------------------------------
@pytest.mark.parametrize("lang, said_zh", [("zh", True), ("en", False)])
def test_config_refuses_a_workspace_id_no_firm_has_and_lists_the_known_ones(tmp_path, capsys, monkeypatch, lang,
                                                                             said_zh):
    """`console:local` made a phantom firm; the console's id is console:console. An unknown id is refused (zh/en) with
    the firms the database holds, nothing created; a Slack team or WeCom corp new to the bot is named with --new."""
    from handlers.cli import main
    from storage.db import make_engine
    from storage.models import Workspace

    for name in ("SLACK_BOT_TOKEN", "WECOM_CORP_ID", "WECOM_CORPS", "DATABASE_URL", "SLACK_CLIENT_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BREACHBOT_LANG", lang)
    monkeypatch.chdir(tmp_path)
    db = f"sqlite:///{tmp_path / 'firms.db'}"
    assert main(["--db", db, "config", "--workspace", "console:console"]) == 0
    capsys.readouterr()
    assert main(["--db", db, "config", "--workspace", "console:local", "admins", "alice"]) == 2
    err = capsys.readouterr().err
    assert ("本地控制台的工作区是 console:console，而不是「console:local」。已有的事务所：console:console。" if said_zh else
            "the local console's workspace is console:console, not 'console:local'. Firms: console:console.") in err
    assert main(["--db", db, "config", "--workspace", "slack:T0TYPO", "admins", "U1"]) == 2
    err = capsys.readouterr().err
    assert ("数据库中没有事务所「slack:T0TYPO」。已有的事务所：console:console。" if said_zh else
            "no firm 'slack:T0TYPO' in this database. Firms: console:console.") in err and "--new" in err
    assert main(["--db", db, "config", "--workspace", "console:local", "--new", "admins", "alice"]) == 2
    assert main(["--db", db, "config", "--workspace", "slack:T0NEW", "--new", "admins", "U1"]) == 0
    with Session(make_engine(db)) as s:
        assert sorted(f"{w.platform}:{w.external_id}" for w in s.exec(select(Workspace))) == \
            ["console:console", "slack:T0NEW"]
    assert main(["--db", db, "config", "--workspace", "slack:T0NEW"]) == 0  # known now: no --new needed


def test_the_register_not_yet_told_takes_the_incident_id_after_it(zh_team, tmp_path):
    letters_ready(zh_team, tmp_path)
    zh_team.say("lily", "/breach 客户 已通知 1、2 --方式 邮件", "breach-1")
    shown = said(zh_team, "lily", "/breach 客户 未通知 BR-1", "general")
    assert "没有符合" not in shown and "3. [ ]" in shown and "1. [✓]" not in shown
