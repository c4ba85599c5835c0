"""What the console itself says about a line it cannot take (a meta-command, a time, a script line) is in the
workspace's language, from the catalogues: zh and en, and a firm that set its own language (/breach config)."""

from __future__ import annotations

import io

import pytest

from bot.settings import FirmConfig
from handlers.console.workspace import ScriptError
from tests.conftest import make_console, said

EXPECTED = {
    "zh": {
        ":nope": "没有控制台命令「:nope」：可用 :as 姓名、:room #群名、:rooms、:pins #群名、:quit",
        "~ 2020-01-01T00:00+00:00": "「~ 2020-01-01T00:00+00:00」早于当前时间：时间只能向前",
        "~ soon": "无法读取「~ soon」中的时间：请写 ~ +90m、~ +2小时 或 ~ 2026-11-28T12:00+08:00",
        "just words": "无法读取「just words」：每行请写「姓名 #群名> 内容」、「姓名> 内容」、「~ +2小时」，或以「;」开头的注释",
    },
    "en": {
        ":nope": "unknown console command ':nope': try :as NAME, :room #NAME, :rooms, :pins #ROOM, :quit",
        "~ 2020-01-01T00:00+00:00": "'~ 2020-01-01T00:00+00:00' is in the past; time only moves forward",
        "~ soon": "cannot read the time in '~ soon': use ~ +90m, ~ +2h or ~ 2026-11-28T12:00+08:00",
        "just words": "expected 'USER #ROOM> TEXT', 'USER> TEXT', '~ +2h' or ';' comment, got 'just words'",
    },
}
LINE = {"zh": "脚本第 2 行：", "en": "script line 2: "}


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("typed", list(EXPECTED["en"]))
def test_a_line_the_console_cannot_take_is_refused_in_the_workspace_language(sqlite_engine, lang, typed):
    console = make_console(sqlite_engine, lang=lang)
    before = console.clock.now()
    with pytest.raises(ScriptError) as refused:
        console.line(typed, out=io.StringIO())
    assert str(refused.value) == EXPECTED[lang][typed]
    assert console.clock.now() == before  # nothing moved
    out = io.StringIO()
    assert console.run_script(["; a comment", typed, "alice> /breach status"], out=out) == 2
    assert out.getvalue() == LINE[lang] + EXPECTED[lang][typed] + "\n"  # stopped there: status never ran


def test_a_firm_that_chose_chinese_is_answered_in_chinese_by_the_console_too(sqlite_engine):
    console = make_console(sqlite_engine, lang="en")
    console.bot.firm = FirmConfig(admins=["alice"])
    said(console, "alice", "/breach config lang zh", "general")
    with pytest.raises(ScriptError) as refused:
        console.line(":nope", out=io.StringIO())
    assert str(refused.value) == EXPECTED["zh"][":nope"]
