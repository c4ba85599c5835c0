"""Per-firm settings from chat: /breach config (配置), kept in the database, set only by the firm's admins."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from bot.settings import FirmConfig
from storage.models import FirmSettings, Workspace
from tests.conftest import make_console, said


def admin_console(engine, **firm):
    console = make_console(engine, lang="en")
    console.bot.firm = FirmConfig(admins=["alice"], **firm)
    return console


def stored(console) -> tuple[dict, tuple[str, str]]:
    with Session(console.bot.engine) as s:
        ws = s.exec(select(Workspace)).first()
        if ws is None:  # nothing was ever stored for the console workspace
            return {}, ("", "")
        row = s.get(FirmSettings, ws.id)
        return (dict(row.values) if row else {}), (ws.lang, ws.timezone)


def test_an_admin_sets_the_language_and_it_stays_after_a_restart(engine):
    console = admin_console(engine)
    shown = said(console, "alice", "/breach config", "general")
    assert shown.startswith("This firm's settings\nlanguage: English (default)")
    assert "timezone: Asia/Shanghai (default)" in shown and "admins: @alice (default)" in shown
    assert said(console, "alice", "/breach config lang 中文", "general") == "设置已更新：语言 现在是 中文。"
    assert stored(console) == ({"lang": "zh"}, ("zh", "Asia/Shanghai"))
    assert "BR-1" in said(console, "bob", "/breach 宣布 工资表泄露", "general")
    assert "严重程度" in said(console, "bob", "/breach 状态", "breach-1")
    # The deployment still says English: a new process on the same database keeps the firm's Chinese.
    again = make_console(engine, lang="en")
    again.bot.firm = FirmConfig(admins=["alice"])
    assert said(again, "bob", "/breach status BR-1", "general").startswith("🚨 BR-1 ·")
    assert "严重程度" in said(again, "bob", "/breach status BR-1", "general")
    assert stored(again)[1] == ("zh", "Asia/Shanghai")
    assert said(again, "alice", "/breach 配置 语言 默认", "general") == "Settings: language is now the default."
    assert stored(again) == ({}, ("en", "Asia/Shanghai"))


def test_chinese_words_and_values_set_every_setting(sqlite_engine):
    console = admin_console(sqlite_engine)
    said(console, "alice", "/breach config lang zh", "general")
    assert said(console, "alice", "/breach 配置 时区 伦敦", "general") == "设置已更新：时区 现在是 Europe/London。"
    assert said(console, "alice", "/breach 配置 名称 莲花会计师事务所", "general").endswith("莲花会计师事务所。")
    said(console, "alice", "/breach 配置 联系方式 privacy@lotus.example", "general")
    assert said(console, "alice", "/breach 配置 类型 关键信息基础设施运营者", "general") == \
        "设置已更新：类型 现在是 关键信息基础设施运营者。"
    assert said(console, "alice", "/breach 配置 名单 信息安全 @dave", "general") == \
        "设置已更新：名单 现在是 信息安全: @dave。"
    said(console, "alice", "/breach 配置 管理员 @alice @erin", "general")
    values, (lang, tz) = stored(console)
    assert values == {"lang": "zh", "timezone": "Europe/London", "name": "莲花会计师事务所",
                      "contact": "privacy@lotus.example", "profile": ["cii_operator"],
                      "roster": {"it_security": ["dave"]}, "admins": ["alice", "erin"]}
    assert (lang, tz) == ("zh", "Europe/London")
    shown = said(console, "zoe", "/breach 配置", "general")
    assert "名称: 莲花会计师事务所 (本所设置)" in shown and "类型: 关键信息基础设施运营者 (本所设置)" in shown
    # The firm's roster and profile are what its incidents use.
    said(console, "alice", "/breach 宣布 工资表泄露", "general")
    assert "@dave" in said(console, "alice", "/breach 角色", "breach-1")
    assert console.bot.firm.roster == {}  # outside the firm's work: the deployment's, unchanged


@pytest.mark.parametrize(("typed", "answer"), [
    ("/breach 配置 语言 法语", "语言不能是“法语”。请输入：/breach 配置 语言 中文|英文。没有做任何更改。"),
    ("/breach 配置 时区 火星", "时区不能是“火星”。请输入：/breach 配置 时区 <北京时间、香港、新加坡、伦敦 等，或 Asia/Shanghai 这样的时区名>。没有做任何更改。"),
    ("/breach 配置 类型 银行", "类型不能是“银行”。"),
    ("/breach 配置 颜色 红", "没有名为“颜色”的设置。可设置：语言、时区、名称、英文名称、联系方式、类型、节假日、名单、预案、法规、管理员。"),
    ("/breach 配置 名单 厨师 @x", "厨师"),
    ("/breach 配置 预案 ../../etc/passwd", "预案不能是“../../etc/passwd”。"),
    ("/breach 配置 管理员 alice", "管理员不能是“alice”。"),
    ("/breach 配置 名称", "请写出名称的值：/breach 配置 名称 <本所名称，一行>"),
])
def test_a_bad_value_is_refused_in_chinese_and_changes_nothing(sqlite_engine, typed, answer):
    console = admin_console(sqlite_engine)
    said(console, "alice", "/breach 配置 语言 中文", "general")
    before = stored(console)
    assert answer in said(console, "alice", typed, "general")
    assert stored(console) == before


def test_only_admins_change_settings(sqlite_engine):
    console = admin_console(sqlite_engine)
    assert said(console, "bob", "/breach config lang zh", "general") == \
        "Only the firm's admins may change its settings: @alice. Ask one of them; nothing was changed."
    assert stored(console)[0] == {}
    assert "language: English (default)" in said(console, "bob", "/breach config", "general")  # anyone may look
    nobody = make_console(sqlite_engine, lang="zh")
    assert said(nobody, "alice", "/breach 配置 语言 英文", "general").startswith(
        "本所尚未设置管理员，因此不能在聊天中更改设置。")
    said(console, "alice", "/breach config admins @erin", "general")
    assert said(console, "alice", "/breach config lang zh", "general").startswith("Only the firm's admins")
    assert said(console, "erin", "/breach config lang zh", "general") == "设置已更新：语言 现在是 中文。"


def test_the_playbook_changes_only_between_incidents(sqlite_engine):
    console = admin_console(sqlite_engine)
    assert said(console, "alice", "/breach config playbook breach-default", "general") == \
        "Settings: playbook is now breach-default."
    said(console, "alice", "/breach declare Payroll leak", "general")
    assert said(console, "alice", "/breach config playbook breach-default", "general") == \
        "The playbook cannot change while incidents are open (BR-1): close them first. Nothing was changed."
    assert "/breach config playbook <the name" in said(console, "alice", "/breach config playbook nope", "general")


def test_the_operator_names_the_first_admin_from_the_command_line(tmp_path, capsys):
    from handlers.cli import main

    db = f"sqlite:///{tmp_path / 'firms.db'}"
    assert main(["--db", db, "config", "--workspace", "wecom:ww7f3a9c0d1e2b4a56", "--new", "admins", "zhangsan"]) == 0
    assert main(["--db", db, "config", "--workspace", "wecom:ww7f3a9c0d1e2b4a56", "语言", "中文"]) == 0
    assert main(["--db", db, "config", "--workspace", "wecom:ww7f3a9c0d1e2b4a56", "时区", "火星"]) == 1
    assert main(["--db", db, "config", "--workspace", "nowhere"]) == 2
    out = capsys.readouterr()
    assert out.out.splitlines() == ["Settings: admins is now @zhangsan.", "设置已更新：语言 现在是 中文。"]
    assert "时区不能是“火星”" in out.err and "--workspace is <platform>:<workspace id>" in out.err
    assert main(["--db", db, "config", "--workspace", "wecom:ww7f3a9c0d1e2b4a56"]) == 0
    shown = capsys.readouterr().out
    assert "管理员: @zhangsan (本所设置)" in shown and "时区: UTC (默认)" in shown


def test_the_page_and_its_report_name_the_firm_as_it_set_itself(sqlite_engine):
    from tests.page_site import ROSTER, give_link, incident, page_app

    console = incident(sqlite_engine)
    console.bot.firm = FirmConfig(roster=ROSTER, admins=["carol"])
    assert said(console, "carol", "/breach config name Peony Partners", "general") == \
        "Settings: name is now Peony Partners."
    link = give_link(console)
    client = page_app(console).test_client()  # the deployment's settings name "Lotus & Co. Accountants"
    html = client.get(link).get_data(as_text=True)
    base, query = link.split("?")
    md = client.get(f"{base}/download/md?{query}").get_data(as_text=True)
    for shown in (html, md):
        assert "Peony Partners" in shown and "Lotus" not in shown


def test_the_command_line_export_names_the_firm_as_it_set_itself(sqlite_engine, capsys):
    from handlers.cli import main

    console = admin_console(sqlite_engine)
    said(console, "alice", "/breach config name Peony Partners", "general")
    said(console, "alice", "/breach declare Payroll leak", "general")
    url = sqlite_engine.url.render_as_string(hide_password=False)
    assert main(["--db", url, "export", "BR-1", "--format", "md"]) == 0
    assert "Peony Partners" in capsys.readouterr().out


def test_config_names_the_firms_own_data_key_by_reference_never_the_key(engine, tmp_path):
    """`/breach config` shows which data key seals the firm's client contacts: its reference and when it was made
    (zh and en), never the key, wrapped or not; before the first import it says when the firm gets one."""
    from bot.statements import keys
    from bot.statements.clients import Vault
    from storage.firm_tables import FirmKey
    from tests.conftest import TEST_DATA_KEY
    from tests.test_statements import write_csv

    console = make_console(engine, lang="en", roster={"client_liaison": ["lily"]})
    console.bot.firm = FirmConfig(admins=["alice"], roster={"client_liaison": ["lily"]})
    before = said(console, "bob", "/breach config", "general")
    assert "data key: none yet (the firm gets its own the first time it imports clients)" in before
    console.say("alice", "/breach declare Payroll export on a public share", "general")
    rows = [{"name": "Ann Lee", "type": "individual", "contact": "ann@x.example", "language": "en",
             "residence": "CN", "data": "payroll"}]
    console.say("lily", f"/breach clients import {write_csv(tmp_path / 'c.csv', rows)}", "breach-1")
    with Session(console.bot.engine) as s:
        key = s.exec(select(FirmKey)).one()
        unwrapped = keys._firm_keys(s, key.workspace_id, Vault(TEST_DATA_KEY))  # the firm's key itself
    ref = keys.ref(key)
    shown = said(console, "bob", "/breach config", "general")
    assert f"data key: {ref}, made {key.created_at:%Y-%m-%d} (the firm's own:" in shown
    said(console, "alice", "/breach config lang zh", "general")
    zh = said(console, "bob", "/breach 配置", "general")
    assert f"数据密钥：{ref}，{key.created_at:%Y-%m-%d} 生成（本所专用" in zh and "data key" not in zh
    secrets = [key.wrapped, TEST_DATA_KEY, *unwrapped]
    assert len(unwrapped) == 1 and len(unwrapped[0]) > 20
    for text in (shown, zh):
        assert not any(secret in text for secret in secrets)
