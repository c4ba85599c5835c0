"""The shared scenario on the console platform (SQLite and PostgreSQL)."""

from __future__ import annotations

import io

from tests.conftest import make_console
from tests.scenarios import check_basic_outcome, script_lines


def test_basic_scenario_on_console(engine):
    console = make_console(engine)
    out = io.StringIO()
    assert console.run_script(script_lines(), out=out) == 0
    check_basic_outcome(engine)
    printed = console.chat.out.getvalue()
    assert "[#general] 🚨 BR-1 declared by @alice" in printed
    assert "[@bob] ⏰ BR-1: phase 2/10 Preliminary investigation is due 18:05, in 1h 00m." in printed
    assert "[#breach-1] ✅ BR-1 closed by @alice." in printed
