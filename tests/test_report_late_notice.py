"""A notice given after its deadline is marked late in the report's clock table, with how late (finding 7), as
the phases' table marks an overdue phase; on time it says only that the notice was given."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import START, joined, make_console

SAY = {"zh": ("/breach 宣布 客户银行账户泄露 --数据 银行卡号", "/breach 影响 中国=1200", "/breach 已通报 个保法 监管部门",
              "/breach 报告", "已通报，逾期 "),
       "en": ("/breach declare Client bank accounts leaked --data bank_account", "/breach affected CN=1200",
              "/breach notified pipl authority", "/breach report", "notified, late by ")}


def clock_rows(console, lang: str) -> list[str]:
    said = joined(console.say("erin", SAY[lang][3], "breach-1"))
    text = Path(re.search(r"(/\S+\.md)", said)[1]).read_text(encoding="utf-8")
    return [ln for ln in text.splitlines() if ln.startswith("|") and "cn-pipl-57/authority" in ln]


def notified_row(engine, lang: str, *, after: timedelta) -> str:
    """The PIPL authority row of the report after the notice is recorded `after` the declaration."""
    console = make_console(engine, lang=lang, roster={"legal": ["erin"]})
    declare, affected, notify, _, _ = SAY[lang]
    console.say("alice", declare, "general")
    console.say("erin", affected, "breach-1")
    if after:
        console.advance(START + after)
    console.say("erin", notify, "breach-1")
    return clock_rows(console, lang)[0]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_late_notice_is_marked_late_with_how_late(sqlite_engine, lang):
    late = SAY[lang][4]
    row = notified_row(sqlite_engine, lang, after=timedelta(days=30))
    assert late in row, row
    assert re.search(re.escape(late) + r"\S*\d", row), row  # and by how much


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_notice_on_time_is_not_marked_late(sqlite_engine, lang):
    late = SAY[lang][4]
    row = notified_row(sqlite_engine, lang, after=timedelta(0))
    assert late not in row and ("已通报" in row if lang == "zh" else "| met |" in row), row
