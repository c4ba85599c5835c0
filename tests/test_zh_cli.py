"""The command line speaks the workspace's language: `verify`, `export`, `outbox` and `history` on a Chinese
firm's database answer in Chinese, with no English word but ids, hashes, paths and the command names (#18.3)."""

from __future__ import annotations

import json
import re

import pytest
from sqlmodel import Session, select

from bot.settings import FirmConfig
from handlers.cli import main
from storage.db import make_engine, upgrade
from storage.models import TimelineEvent
from tests.conftest import make_console
from tests.test_zh_wording import latin_words

TECHNICAL = re.compile(r"[0-9a-f]{64}|/\S+|\bbreachbot (?:outbox|verify)\b|\bconsole post\b|channel_not_found|--\w+")


def chinese(out: str) -> list:
    return latin_words(TECHNICAL.sub(" ", out))


def test_verify_export_outbox_and_history_answer_in_chinese(tmp_path, capsys, monkeypatch):
    for name in ("SLACK_BOT_TOKEN", "WECOM_CORP_ID", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BREACHBOT_LANG", "zh")
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'zh.db'}"
    engine = make_engine(url)
    upgrade(engine)
    console = make_console(engine, lang="zh")
    console.say("alice", "/breach 宣布 客户工资表泄露", "general")
    console.say("alice", "/breach 记录 已关闭外链", "breach-1")

    assert main(["verify", "BR-1", "--db", url]) == 0
    said = capsys.readouterr().out
    assert said.startswith("BR-1：时间线完好（共 ") and chinese(said) == []
    assert main(["verify", "BR-1", "--db", url, "--upto", "2"]) == 0
    said = capsys.readouterr().out
    assert said.startswith("BR-1：第 1–2 条事件完好，第 2 条的哈希为 ") and chinese(said) == []

    exported = tmp_path / "e.json"
    assert main(["export", "BR-1", "--db", url, "--out", str(exported)]) == 0
    assert capsys.readouterr().out.strip() == f"BR-1 已写入 {exported}"
    data = json.loads(exported.read_text(encoding="utf-8"))
    data["timeline"][1]["text"] = "改过的记录"
    exported.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert main(["verify", "BR-1", "--db", url, "--export", str(exported)]) == 1
    said = capsys.readouterr().out
    assert f"{exported} 与数据库不符：\n  导出文件中第 2 条事件的内容与其哈希所覆盖的不同" in said and chinese(said) == []

    with Session(engine) as s:
        event = s.exec(select(TimelineEvent).where(TimelineEvent.seq == 2)).one()
        event.text = "被篡改"
        s.add(event)
        s.commit()
    assert main(["verify", "BR-1", "--db", url]) == 1
    said = capsys.readouterr().out
    assert said.strip() == "BR-1：时间线已被改动，问题出在第 2 条事件：第 2 条事件在写入后被修改过"
    with pytest.raises(SystemExit, match="^数据库中没有事件 BR-9。$"):
        main(["verify", "BR-9", "--db", url])

    assert main(["outbox", "--db", url]) == 0
    assert capsys.readouterr().out.strip() == "所有消息均已送达。"
    console.chat.rooms.pop("breach-1")  # the war room is gone: the next note is set aside
    console.say("alice", "/breach 记录 外链已关闭", "general")
    assert main(["outbox", "--db", url]) == 1
    said = capsys.readouterr().out
    assert "BR-1 console post 应急群：已搁置（自 " in said and "已尝试 " in said and chinese(said) == [], said

    assert main(["history", "--db", url]) == 0
    said = capsys.readouterr().out
    assert said.startswith("事件与演练") and chinese(said) == [], said


def test_the_console_banner_speaks_chinese_and_names_the_zone_as_utc_plus_8(sqlite_engine):
    from handlers.console.main import banner
    from tests.conftest import make_settings

    console = make_console(sqlite_engine, lang="zh")
    console.bot.firm = FirmConfig(people={"alice": "陈晓"})
    said = banner(console, make_settings(lang="zh", database_url="sqlite:///bb.db"))
    assert "你是 #general 中的 陈晓。时间按 Asia/Shanghai（UTC+8）显示。" in said and "CST" not in said
    assert chinese(re.sub(r"Asia/Shanghai|sqlite:///bb.db|#general|:\w+|~ \+2h", " ", said)) == [], said  # as typed
    english = banner(make_console(sqlite_engine), make_settings(database_url="sqlite:///bb.db"))
    assert "Times are Asia/Shanghai (UTC+8)." in english
    # UTC is said once; someone on one open incident starts in its war room
    for lang, said in (("zh", "你是 #breach-1 中的 alice。时间按 UTC显示。"), ("en", "You are alice in #breach-1. Times are UTC.")):
        utc = make_console(sqlite_engine, lang=lang, timezone="UTC")
        utc.say("alice", "/breach declare test", "general")
        utc.rooms.clear()  # a new run: nobody has moved yet
        utc.land("alice")
        assert said in banner(utc, make_settings(lang=lang, database_url="sqlite:///bb.db"))


# What a person types or reads as an identifier stays as it is: `code`, environment variables, URLs, workspace ids,
# zone names, data key references.
OPERATOR = re.compile(r"`[^`]*`|\b[A-Z][A-Z0-9]*_[A-Z0-9_*]+\b|\b\w+(?:\+\w+)?://\S*|\b(?:console|slack|wecom):\S+"
                      r"|\b[A-Z][a-z]+/[A-Za-z_]+\b|\bk\d+\b|breachbot\.toml|\.ttf|/healthz")


def operator_words(out: str) -> list:
    return chinese(OPERATOR.sub(" ", out))


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_doctor_firms_and_doctor_all_speak_the_deployments_language(lang, tmp_path, capsys, monkeypatch):
    for name in ("SLACK_BOT_TOKEN", "WECOM_CORP_ID", "DATABASE_URL", "BREACHBOT_DATA_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BREACHBOT_LANG", lang)
    monkeypatch.setenv("PORT", str(_free_port()))  # nothing answers /healthz: the console alone has no liveness line
    monkeypatch.setenv("BREACHBOT_HEALTH_PORT", str(_free_port()))
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'cli.db'}"

    assert main(["firms", "--db", url]) == 0
    said = capsys.readouterr().out
    assert said.strip() == ("尚无事务所：没有安装、配置或使用记录。" if lang == "zh"
                            else "No firms yet: nothing installed, configured or used.")

    engine = make_engine(url)
    console = make_console(engine, lang=lang)
    console.say("alice", "/breach 宣布 客户工资表泄露" if lang == "zh" else "/breach declare payroll leaked", "general")

    assert main(["doctor", "--db", url]) == 1  # no BREACHBOT_DATA_KEY
    said = capsys.readouterr().out
    if lang == "zh":
        assert "✗ 数据密钥：未设置 BREACHBOT_DATA_KEY（无法导入客户名单）\n    处理：用 `breachbot keygen` 生成" in said
        assert "✓ 数据库迁移：已是 " in said and "✓ 聊天平台：未设置任何聊天平台的凭据：使用本地控制台工作区" in said
        assert "⚠ 事务所身份：console:console：均未设置：名称、英文名称、联系方式" in said and "运行状态" not in said
        assert operator_words(said) == [], said
    else:
        assert "✗ data key: BREACHBOT_DATA_KEY is not set (client import refused)\n    fix: create one" in said
        assert "✓ platform: no Slack or WeCom credentials: the console workspace" in said
        assert "⚠ firm identity: console:console: nothing set: name, English name (name_en), contact (each is a gap " \
               "in every statement)" in said and "liveness" not in said and "/healthz" not in said

    # The console ran on its own clock (28 Nov): by the real one its reminders are long overdue.
    assert main(["firms", "--db", url]) == 1
    said = capsys.readouterr().out
    if lang == "zh":
        assert said.startswith("共 1 个事务所：\n✗ console:console  （未命名）  中文 Asia/Shanghai\n"), said
        assert "    问题：" in said and " 条提醒逾期超过 5分：`breachbot worker` 是否在运行？" in said, said
        assert "    安装：本地控制台\n    使用：事件 1 起，进行中 1 起，演练 0 次；最近活动 " in said, said
        assert "管理员：（默认）；数据密钥：尚未生成" in said and operator_words(said) == [], said
    else:
        assert said.startswith("1 firm:\n✗ console:console  (no name)  en ") and "    install: the local console" in said
        assert re.search(r"\b\d+ reminders? overdue by more than 5m: is a worker running\?", said), said

    assert main(["doctor", "--all", "--offline", "--db", url]) == 1
    said = capsys.readouterr().out
    assert ("共 1 个事务所：" if lang == "zh" else "1 firm:") in said
    if lang == "zh":
        assert "✗ 提醒调度：" in said and "    处理：启动 `breachbot worker`" in said and operator_words(said) == [], said

    # What the firm set for itself (/breach config, or the operator's breachbot config) is what doctor and firms say.
    for setting in (["name", "Lotus Accounting"], ["contact", "021-5555 0000"], ["admins", "alice"]):
        assert main(["--db", url, "config", "--workspace", "console:console", *setting]) == 0
    capsys.readouterr()
    main(["doctor", "--offline", "--db", url])
    said = capsys.readouterr().out
    assert ("✓ 事务所身份：console:console：Lotus Accounting · 021-5555 0000" if lang == "zh"
            else "✓ firm identity: console:console: Lotus Accounting · 021-5555 0000") in said, said
    main(["firms", "--db", url])
    said = capsys.readouterr().out
    assert "console:console  Lotus Accounting  " in said and ("管理员：alice；" if lang == "zh" else "admins: alice;") in said
