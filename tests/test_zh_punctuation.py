"""Chinese statements and lists read as Chinese is written (#18 trial finding 20): a Chinese firm name runs straight
into the sentence it opens (`上海莲花代理记账有限公司正在处置`), a Latin one keeps its space; ids in a zh list are joined
with 、 (`待批准的草稿：D-1、D-2`)."""

from __future__ import annotations

import pytest

from tests.conftest import said as say
from tests.test_statement_facts import team


@pytest.mark.parametrize("name, joined", [("上海莲花代理记账有限公司", "上海莲花代理记账有限公司"),
                                          ("Lotus & Co. CPAs", "Lotus & Co. CPAs ")])
def test_a_chinese_firm_name_opens_a_sentence_with_no_space(sqlite_engine, name, joined):
    console = team(sqlite_engine, lang="zh")
    console.bot.settings = console.bot.settings.model_copy(update={"firm_name": name})
    media = say(console, "gina", "/breach 起草 媒体声明")
    assert f" {joined}正在处置一起" in media and " 上海莲花代理记账有限公司 正" not in media, media
    press = say(console, "gina", "/breach 起草 新闻稿")
    assert f" {joined}就数据安全事件告知客户" in press and f"，{joined}知悉一起数据安全事件" in press, press


def test_ids_in_a_zh_list_are_joined_with_the_enumeration_comma(sqlite_engine):
    console = team(sqlite_engine, lang="zh")
    say(console, "gina", "/breach 起草 媒体声明")
    say(console, "gina", "/breach 起草 新闻稿")
    summary = say(console, "alice", "/breach 总结")
    assert "待批准的草稿：D-1、D-2" in summary, summary
