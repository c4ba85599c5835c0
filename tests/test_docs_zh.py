"""README's zh examples really work (#18): every `/breach …` in backticks with a Chinese word in it is typed into a
zh console workspace, each in a fresh one with an incident declared, and none is refused."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.settings import FirmConfig
from handlers import firms
from tests.conftest import make_console
from tests.test_regimes_file import FIRM_FILE
from tests.test_statement_facts import CSV, record_facts

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
EXAMPLES = sorted({found for found in re.findall(r"`([／/]breach [^`]*)`", README)
                   if re.search(r"[\u4e00-\u9fff]", found)})
OUTSIDE = ("配置", "所有事务所", "历史", "宣布", "帮助")  # commands typed in #general, before any incident


def test_the_readme_has_zh_examples_of_flags_and_picks():
    assert len(EXAMPLES) >= 20, EXAMPLES
    assert any("--措施 隔离" in e for e in EXAMPLES) and any("--时间" in e for e in EXAMPLES)


@pytest.mark.parametrize("example", EXAMPLES)
def test_every_zh_example_in_the_readme_is_taken(sqlite_engine, tmp_path, example):
    console = make_console(sqlite_engine, lang="zh", roster={"it_security": ["bob"], "legal": ["erin"], "scribe": ["dave"]})
    playbook = tmp_path / "breach-default.yaml"
    playbook.write_text(console.bot.settings.playbook.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "firm-regimes.yaml").write_text(FIRM_FILE, encoding="utf-8")
    console.bot.settings = console.bot.settings.model_copy(update={
        "playbook": playbook, "operators": "console:console:alice"})
    console.bot.firm = FirmConfig(admins=["alice"], roster={"it_security": ["bob"], "legal": ["erin"], "scribe": ["dave"]},
                                  people={"dave": "王磊"})  # README's [people]: `@王磊` is dave
    firms.attach(console.bot, console.bot.settings)
    word = example.split()[1]
    user = "alice"
    if word in OUTSIDE:
        sent = console.say(user, example, "general")
    else:
        console.say("alice", "/breach 宣布 工资表泄露 --客户数 4 --数据 工资、银行账户", "general")
        console.say("alice", "/breach 影响 中国=1200", "breach-1")
        (tmp_path / "clients.csv").write_text(CSV, encoding="utf-8")
        console.say("alice", f"/breach 客户 导入 {tmp_path / 'clients.csv'}", "breach-1")
        if "已通知" in example:  # clients are recorded as told once their letters are merged
            console.say("alice", "/breach 对外说明 工资表在公开共享盘上被发现", "breach-1")
            # the English letters ask for the description in English (a Chinese one never goes into them)
            console.say("alice", "/breach 对外说明 Payroll sheets were found on a public share", "breach-1")
            record_facts(console)
            for number, draft in enumerate(("--语言 英文", "--语言 中文", "--语言 英文 --对象 企业"), start=1):
                console.say("alice", f"/breach 起草 客户通知 {draft}", "breach-1")
                console.say("erin", f"/breach 批准 D-{number}", "breach-1")
            console.say("alice", "/breach 信函 D-1 D-2 D-3", "breach-1")
        sent = console.say(user, example, "breach-1")
    refused = [s.text for s in sent if s.message is not None and s.message.kind == "error"]
    assert sent and not refused, refused
