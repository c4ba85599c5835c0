"""A scripted console run sends what is due as soon as it is due, as the interactive console does: an alert
due at declare does not wait for the next `~` line."""

from __future__ import annotations

import io

import pytest

from tests.conftest import make_console, texts

DECLARE = {"en": 'alice #general> /breach declare Payroll export found --severity high --aware "3h ago"',
           "zh": 'alice #general> /breach 宣布 工资表外泄 --严重程度 高 --知悉 "3小时前"'}
MISSED = {"en": "🔴 BR-1: phase 1/10 Immediate response missed its deadline",
          "zh": "🔴 BR-1：阶段 1/10 紧急响应 已错过截止时间"}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_an_alert_due_at_declare_goes_out_before_any_time_skip(sqlite_engine, lang):
    console = make_console(sqlite_engine, lang=lang)
    assert console.run_script([DECLARE[lang]], out=io.StringIO()) == 0
    seen = texts(console.chat.sent)
    assert any(s.startswith(MISSED[lang]) for s in seen), seen
    # nothing fired twice, and the clock did not move
    assert sum(s.startswith(MISSED[lang]) for s in seen) == 1
    assert console.clock.now() == console.bot.now()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_script_line_sees_the_alert_in_the_order_interactive_use_would(sqlite_engine, lang):
    console = make_console(sqlite_engine, lang=lang)
    status = {"en": "alice #breach-1> /breach status", "zh": "alice #breach-1> /breach 状态"}[lang]
    assert console.run_script([DECLARE[lang], status], out=io.StringIO()) == 0
    seen = texts(console.chat.sent)
    alert = next(i for i, s in enumerate(seen) if s.startswith(MISSED[lang]))
    assert alert < len(seen) - 1  # the escalation came before the status reply, not after a later `~`
