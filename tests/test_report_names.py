"""The report names people by their display names (the roster's [people]), never by platform id: the team
section, the role changes, the timeline and the follow-ups, in zh and en."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.settings import FirmConfig
from tests.conftest import make_console
from tests.conftest import said as say

ROSTER = {"lead": ["U0ALICE"], "it_security": ["U0BOB"], "legal": ["U0ERIN"]}
PEOPLE = {"U0ALICE": "Alice Chan", "U0BOB": "Bob Li", "U0ERIN": "陈晓"}
TEAM = {"en": ("## Response team", "- Incident lead: Alice Chan", "- IT security: Bob Li", "- Legal / compliance: 陈晓"),
        "zh": ("## 应急团队", "- 事件负责人: Alice Chan", "- 信息安全: Bob Li", "- 法务合规: 陈晓")}


def report_text(console, lang: str) -> str:
    said = say(console, "U0ALICE", "/breach report" if lang == "en" else "/breach 报告")
    return Path(re.search(r"(/\S+\.md)", said)[1]).read_text(encoding="utf-8")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_team_is_named_by_display_name_not_platform_id(sqlite_engine, lang):
    console = make_console(sqlite_engine, lang=lang)
    console.bot.firm = FirmConfig(roster=ROSTER, people=PEOPLE)
    console.say("U0ALICE", "/breach declare Payroll export found", "general")
    say(console, "U0ALICE", "/breach followup @U0BOB Rotate the share keys --due +2d" if lang == "en"
        else "/breach 跟进 @U0BOB 轮换共享密钥 --到期 +2d")
    text = report_text(console, lang)
    head, _, rest = text.partition(TEAM[lang][0])
    team = rest.split("\n## ", 1)[0]
    for member in TEAM[lang][1:]:
        assert member in team, team
    assert "U0" not in team  # neither the team nor the role changes show an id
    assert not re.search(r"U0(ALICE|BOB|ERIN)", text), [ln for ln in text.splitlines() if "U0" in ln][:5]
