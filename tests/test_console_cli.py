"""`breachbot console --script`, `playbook check`, `db`, `export`: the commands a person types."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from handlers.cli import main
from tests.scenarios import BASIC

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args: str, stdin: str | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run the real `breachbot` entry point in a fresh process."""
    return subprocess.run([sys.executable, "-m", "handlers.cli", *args], input=stdin, capture_output=True,
                          text=True, cwd=cwd or ROOT, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(cwd or ROOT), "PYTHONPATH": str(ROOT)})


def test_scripted_console_runs_the_shared_scenario_and_exports(tmp_path):
    db = f"sqlite:///{tmp_path / 'bb.db'}"
    done = run_cli("console", "--script", str(BASIC), "--now", "2026-11-28T10:05+08:00", "--db", db,
                   "--tz", "Asia/Shanghai", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.splitlines()[0].startswith("[#breach-1] 🚨 BR-1 · severity high · phase 1/10 Immediate response "
                                          "(due Sat 28 Nov 11:05, within 1h) · lead: @alice")
    assert "[#general] 🚨 BR-1 declared by @alice. The team works in the private war room #breach-1; details stay there." in out
    assert "[#general] 🚨 BR-1 declared by @alice: Payroll" not in out
    assert "~ 2026-11-28 10:55 UTC+8" in out
    assert "[@alice] ⏰ BR-1: phase 1/10 Immediate response is due 11:05, in 15m. War room: #breach-1" in out
    assert "[#breach-1] 🔴 BR-1: phase 2/10 Preliminary investigation missed its deadline (18:05)." in out
    # continuation lines are indented
    assert "\n    Payroll export for 40 clients found on a public file share\n" in out

    exported = run_cli("export", "BR-1", "--format", "json", "--db", db, cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    data = json.loads(exported.stdout)
    for key in ("id", "title", "severity", "status", "drill", "aware_at", "declared_at", "closed_at", "roles",
                "phases", "timeline", "head_hash"):
        assert key in data
    assert data["aware_at"] == "2026-11-28T10:05:00+08:00"
    assert data["roles"][0].keys() >= {"role", "user", "assigned_at"}
    assert data["phases"][0].keys() >= {"key", "owner_role", "due_at", "completed_at", "status", "tasks"}
    assert data["phases"][0]["tasks"][0].keys() >= {"key", "done", "done_by", "done_at"}
    assert data["timeline"][0].keys() >= {"seq", "at", "actor", "kind", "text", "hash"}
    assert run_cli("verify", "BR-1", "--db", db, cwd=tmp_path).returncode == 0

    md = run_cli("export", "BR-1", "--format", "md", "--db", db, cwd=tmp_path)
    assert md.stdout.startswith("# Post-incident report: BR-1 — Payroll export for 40 clients found on a public file share")
    assert f"Timeline head hash: `{data['head_hash']}`" in md.stdout


def test_script_from_stdin_and_a_bad_line(tmp_path):
    db = f"sqlite:///{tmp_path / 'bb.db'}"
    script = "alice> /breach declare Test leak\n; a comment\n\nthis is not a script line\nalice> /breach status\n"
    done = run_cli("console", "--script", "-", "--db", db, "--now", "2026-11-28T10:05+08:00", stdin=script,
                   cwd=tmp_path)
    assert done.returncode == 2
    assert "script line 4: expected 'USER #ROOM> TEXT'" in done.stdout
    assert "BR-1 declared by @alice" in done.stdout


def test_script_time_must_move_forward(tmp_path, capsys):
    script = tmp_path / "s.txt"
    script.write_text("~ 2020-01-01T00:00+00:00\n", encoding="utf-8")
    code = main(["console", "--script", str(script), "--db", f"sqlite:///{tmp_path / 'x.db'}",
                 "--now", "2026-11-28T10:05+08:00"])
    assert code == 2
    assert "script line 1: '~ 2020-01-01T00:00+00:00' is in the past" in capsys.readouterr().out


def test_db_upgrade_and_current(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    assert main(["db", "current", "--db", url]) == 0
    assert "does not exist yet; create it with: breachbot db upgrade" in capsys.readouterr().out
    assert not (tmp_path / "m.db").exists()  # looking does not create it
    assert main(["db", "upgrade", "--db", url]) == 0
    assert ": up to date" in capsys.readouterr().out
    assert main(["db", "current", "--db", url]) == 0
    assert ": up to date" in capsys.readouterr().out


def test_playbook_check_accepts_the_default(capsys):
    assert main(["playbook", "check", str(ROOT / "playbooks" / "breach-default.yaml")]) == 0
    assert "ok — 10 phases, 35 tasks, 7 roles" in capsys.readouterr().out  # with client support and confidentiality


@pytest.mark.parametrize(("edit", "expected"), [
    (("owner: it_security\n    due: 8h", "owner: hacker\n    due: 8h"),
     "phases.1 (investigation): owner 'hacker' is not a role"),
    (("due: 8h", "due: soon"), ":{line}: phases.1.due: must be a duration such as 15m, 8h or 30d, not 'soon'"),
    (("  scribe: {en: Scribe, zh: 记录员}\n", ""), "roles is missing scribe"),
    (("key: breach-default", "key: breach-default\nbogus: 1"), ":{line+1}: bogus: not a key this place takes: remove it or correct its spelling"),
    (("phases:\n", "phases: [\n"), "not valid YAML"),
])
def test_playbook_check_names_file_line_and_problem(tmp_path, capsys, edit, expected):
    text = (ROOT / "playbooks" / "breach-default.yaml").read_text(encoding="utf-8")
    assert edit[0] in text
    broken = tmp_path / "firm.yaml"
    broken.write_text(text.replace(edit[0], edit[1], 1), encoding="utf-8")
    assert main(["playbook", "check", str(broken)]) == 1
    err = capsys.readouterr().err
    line = text[:text.index(edit[0])].count("\n") + 1  # where the edit sits
    expected = expected.replace("{line+1}", str(line + 1)).replace("{line}", str(line))
    assert str(broken) in err and expected in err


def test_a_broken_playbook_stops_the_console_with_the_reason(tmp_path):
    broken = tmp_path / "bad.yaml"
    broken.write_text("key: x\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "handlers.cli", "console", "--script", "-", "--db",
                           f"sqlite:///{tmp_path / 'b.db'}"], input="", capture_output=True, text=True, cwd=tmp_path,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "BREACHBOT_PLAYBOOK": str(broken)},
                          timeout=120)
    assert done.returncode == 2
    assert f"breachbot: {broken}:" in done.stderr and "name: missing: add it" in done.stderr


def test_serve_without_credentials_serves_only_the_incident_pages_and_worker_needs_them(tmp_path, capsys,
                                                                                        monkeypatch):
    import handlers.web as web

    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "WECOM_CORP_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    served: list = []
    monkeypatch.setattr(web, "serve", lambda app, port: served.append(({r.rule for r in app.url_map.iter_rules()}, port)))
    url = f"sqlite:///{tmp_path / 's.db'}"
    assert main(["serve", "--db", url]) == 0
    err = capsys.readouterr().err
    assert "no Slack (SLACK_BOT_TOKEN + SLACK_SIGNING_SECRET) or WeCom" in err and "only the incident pages" in err
    [(rules, port)] = served
    assert {"/incidents/<ref>", "/incidents/<ref>/live", "/history", "/healthz"} <= rules and port == 3000
    assert not any(r.startswith(("/slack", "/wecom")) for r in rules)
    assert main(["worker", "--db", url]) == 2
    assert "nothing to send reminders to" in capsys.readouterr().err


def test_run_picks_the_platform_from_credentials(monkeypatch, tmp_path):
    import handlers.cli as cli

    monkeypatch.chdir(tmp_path)
    calls: list[str] = []
    monkeypatch.setattr(cli, "cmd_serve", lambda args: calls.append("serve") or 0)
    monkeypatch.setattr(cli, "cmd_worker", lambda args: calls.append("worker") or 0)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-test")
    assert main(["run"]) == 0
    monkeypatch.delenv("SLACK_APP_TOKEN")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "secret")
    assert main(["run"]) == 0
    assert calls == ["worker", "serve"]


def test_doctor_says_what_to_fix(tmp_path, capsys, monkeypatch):
    for name in ("SLACK_BOT_TOKEN", "WECOM_CORP_ID", "BREACHBOT_DATA_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'd.db'}"
    assert main(["doctor", "--db", url]) == 1
    out = capsys.readouterr().out
    assert "✓ playbook: " in out and "✓ database: " in out
    assert "✗ migrations: no tables yet; the code needs " in out and "fix: run `breachbot db upgrade`" in out
    assert "✗ data key: BREACHBOT_DATA_KEY is not set" in out
    monkeypatch.setenv("BREACHBOT_DATA_KEY", "x7cYt1r4dTtXnBQvHqUQ8cR0Zp8D2xjv9uF0h3YQm1c=")
    main(["db", "upgrade", "--db", url])
    capsys.readouterr()
    assert main(["doctor", "--db", url, "--offline"]) == 0
    assert "✓ scheduler: no reminder is overdue" in capsys.readouterr().out


def test_doctor_checks_slack_credentials_against_the_api(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:9/api/")  # nothing listens there
    url = f"sqlite:///{tmp_path / 'd.db'}"
    main(["db", "upgrade", "--db", url])
    capsys.readouterr()
    assert main(["doctor", "--db", url]) == 1
    out = capsys.readouterr().out
    assert "✗ slack (no SLACK_APP_TOKEN or SLACK_SIGNING_SECRET): " in out
    assert "fix: check SLACK_BOT_TOKEN" in out


def test_the_console_keeps_library_log_lines_out_of_the_conversation(tmp_path):
    """APScheduler's English WARNING lines ("… skipped: maximum number of running instances reached") were printed
    between the console's messages; they go to <files>/console.log."""
    db = f"sqlite:///{tmp_path / 'c.db'}"
    program = (
        "import logging, sys\n"
        "from bot import scheduler\n"
        "start = scheduler.AlertScheduler.start\n"
        "def noisy(self, **kw):\n"
        "    start(self, **kw)\n"
        "    logging.getLogger('apscheduler.scheduler').warning('Execution of job skipped: maximum number of "
        "running instances reached (1)')\n"
        "scheduler.AlertScheduler.start = noisy\n"
        "from handlers.cli import main\n"
        "sys.exit(main(['run']))\n")
    done = subprocess.run([sys.executable, "-c", program], input="/breach status\n", capture_output=True, text=True,
                          cwd=tmp_path, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": str(ROOT),
                               "DATABASE_URL": db})
    assert done.returncode == 0, done.stderr
    assert "apscheduler" not in done.stdout + done.stderr
    assert "maximum number of running instances" in (tmp_path / "breachbot-files" / "console.log").read_text()
