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
    assert printed.index("[@alice] ⚠️ BR-1 is not closed yet.")  # only the lead sees it < printed.index("✅ BR-1 closed by @alice.")
    assert "4 open tasks: Close the hole that leaked the data" in printed
    # Each phase start asks its questions in one message: phases 1 and 2 as a digest, containment's one as itself.
    asked = [ln for ln in printed.splitlines() if ln.startswith("[#breach-1] ❓ BR-1 ")]  # not the reminders (BR-1:)
    assert asked == [
        "[#breach-1] ❓ BR-1 · phase 1/10 Immediate response: 2 questions for Incident lead @alice",
        "[#breach-1] ❓ BR-1 · phase 2/10 Preliminary investigation: 6 questions for IT security @bob · "
        "Legal / compliance @erin · Communications unassigned",
        "[#breach-1] ❓ BR-1 Q11 for IT security @bob: Is the leak contained (no more data going out)?"]
