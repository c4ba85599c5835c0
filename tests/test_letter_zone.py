"""Times in outgoing letters and regulator notices state their zone (finding 13): a reader in another zone, or a
regulator, cannot tell '19:18' in New York from '19:18' in Shanghai. Dates alone need none."""

from __future__ import annotations

import pytest

from tests.conftest import make_console
from tests.conftest import said as say

ROSTER = {"legal": ["erin"], "client_liaison": ["cathy"]}


@pytest.mark.parametrize(("lang", "tz", "commands", "expected"), [
    ("en", "America/New_York", ("/breach draft client", "/breach draft client --variant company",
                                "/breach draft regulator --regime GDPR", "/breach draft press"),
     ("On 27 November 2026, 21:05 (UTC-5) we became aware", "On 27 November 2026, 21:05 (UTC-5) we became aware",
      "Date the controller became aware: 27 November 2026, 21:05 (UTC-5)", "On 27 November 2026, 21:05 (UTC-5), ")),
    ("zh", "Asia/Shanghai", ("/breach 起草 客户通知", "/breach 起草 客户通知 --对象 企业", "/breach 起草 监管报告 --法规 GDPR"),
     ("我们于 2026年11月28日 10:05 UTC+8 知悉以下事件", "我们于 2026年11月28日 10:05 UTC+8 知悉以下事件",
      "知悉时间：2026年11月28日 10:05 UTC+8")),
])
def test_the_awareness_time_in_a_letter_or_notice_says_its_zone(sqlite_engine, lang, tz, commands, expected):
    console = make_console(sqlite_engine, roster=ROSTER, lang=lang, timezone=tz)
    console.say("alice", "/breach declare Payroll export found on a public share --data payroll", "general")
    say(console, "erin", "/breach affected EU=3" if lang == "en" else "/breach 影响 欧盟=3")
    for command, words in zip(commands, expected, strict=True):
        card = say(console, "cathy", command)
        assert words in card, card
