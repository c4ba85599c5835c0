"""Drafts show facts in the reader's words: the CAC level's label (一般 / general), never its key."""

from __future__ import annotations

import pytest

from tests.conftest import said as say
from tests.test_statement_facts import team

LEVEL = {"en": ("/breach facts --cac-level relatively_major", "/breach draft regulator --regime cn-pipl-57",
                "4. Level: relatively major\n"),
         "zh": ("/breach 事实 --事件级别 较大", "/breach 起草 监管报告 --法规 个保法", "四、事件级别：较大\n")}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_regulator_report_shows_the_cac_level_label_not_its_key(sqlite_engine, lang):
    console = team(sqlite_engine, contact="privacy@lin.example", lang=lang)
    record, draft, expected = LEVEL[lang]
    say(console, "erin", record)
    text = say(console, "cathy", draft)
    assert expected in text
    assert "relatively_major" not in text
