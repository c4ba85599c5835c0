"""Chinese text has no spaces between words: none left over from templates that wrap words with spaces for
English. Spaces the bot puts between fields (`严重程度 高`, `阶段 2/10 初步调查`) are separators, so what is
checked is the prose inside full-width brackets, where a space between two Chinese characters is always stray
(choices typed back, `是 或 否`, and commands or examples are what people type, and keep their spaces)."""

from __future__ import annotations

import re

from tests.conftest import make_console, texts
from tests.test_zh_wording import ROSTER
from tests.test_zh_wording import response as response  # the shared zh run (a module fixture)

HAN = r"[\u3400-\u9fff]"


def stray_spaces(messages: list[str]) -> list[str]:
    """Bracketed prose in which a space stands between two Chinese characters."""
    found = []
    for said in messages:
        for part in re.findall(r"（[^（）]*）", said):
            if "/breach" in part or "--" in part or "例如" in part:
                continue  # what to type, kept as typed
            if re.search(rf"{HAN} +{HAN}", re.sub(r" *或 *", "或", part)):
                found.append(part)
    return found


def test_the_automatic_management_brief_reads_without_stray_spaces(sqlite_engine):
    console = make_console(sqlite_engine, lang="zh", roster=ROSTER)
    said = texts(console.say("alice", "/breach 宣布 客户工资表在公共网盘被发现 --严重程度 高", "general"))
    for _ in range(2):  # phase 3, report to management, starts with the brief to the executive sponsor
        said += texts(console.say("alice", "/breach 下一阶段 --理由 测试", "breach-1"))
    said += texts(console.say("alice", "/breach 汇报", "breach-1"))
    joined = "\n".join(said)
    assert "📨 向管理层汇报 BR-1（机器人在阶段开始时自动发送）：" in joined
    assert "📨 向管理层汇报 BR-1（由 @alice 发送）：" in joined  # a person who sends it is named
    assert "由 机器人" not in joined and "自动 发送" not in joined
    assert stray_spaces(said) == []


def test_no_stray_space_in_the_chinese_response(response):
    messages, _ = response
    assert stray_spaces(messages) == []


def test_the_check_finds_the_stray_space_it_is_for():
    assert stray_spaces(["📨 向管理层汇报 BR-1（由 机器人在阶段开始时自动 发送）："]) == ["（由 机器人在阶段开始时自动 发送）"]
    assert stray_spaces(["（是 或 否，或 不知道）", "（例如 中国=1200 加州=40）", "（截止 11:05，还剩 1小时）"]) == []
