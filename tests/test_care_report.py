"""The post-incident report names the people management was briefed to by their roster names and calls a progress
update reminder by its name, not by an id or an internal key (trial finding 8, client care #20)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from bot.settings import FirmConfig
from tests.conftest import START, said
from tests.test_care import ROSTER, team_of, told


def test_the_report_names_whom_management_was_briefed_to_and_the_update_reminder_in_words(sqlite_engine, tmp_path):
    """Finding 8: the report said `已向管理层汇报：frank` (an id) and `进展通报提醒 | client\\_update:U-1` (a key)."""
    console = team_of(sqlite_engine, "zh")
    console.bot.firm = FirmConfig(roster=ROSTER, partners=["paul"], people={"frank": "方明", "paul": "潘立"})
    console.say("alice", "/breach 宣布 工资表泄露 --data payroll")
    console.say("alice", "/breach 对外说明 一份工资表被误共享", "breach-1")
    console.say("alice", "/breach 汇报", "breach-1")
    told(console, tmp_path)
    console.advance(START + timedelta(hours=66, minutes=1))
    out = said(console, "alice", "/breach 报告")
    text = Path(re.search(r"(/\S+\.md)", out)[1]).read_text(encoding="utf-8")
    briefed = [ln for ln in text.splitlines() if "已向管理层汇报" in ln or "事件总结已发送给" in ln]
    assert briefed and all("方明" in ln and "潘立" in ln and "frank" not in ln for ln in briefed), briefed
    reminder = [ln for ln in text.splitlines() if "进展通报提醒" in ln]
    assert reminder and all("client" not in ln and "向客户发送进展通报 U-1" in ln for ln in reminder), reminder
