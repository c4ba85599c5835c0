"""The roster is checked against Slack: `breachbot doctor` names bad entries, start-up warns once."""

from __future__ import annotations

import logging

from handlers.cli import main
from tests.slack.conftest import BOT_TOKEN, USERS, make_slack


def test_doctor_names_roster_entries_slack_does_not_know(tmp_path, capsys, monkeypatch, fake):
    fake.deactivate(USERS["erin"])
    (tmp_path / "breachbot.toml").write_text(
        f'[roster]\nit_security = ["{USERS["bob"]}"]\nlegal = ["{USERS["erin"]}"]\nscribe = ["dave"]\n',
        encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_API_URL", fake.api_url)
    monkeypatch.setenv("BREACHBOT_CONFIG", str(tmp_path / "breachbot.toml"))
    url = f"sqlite:///{tmp_path / 'd.db'}"
    main(["db", "upgrade", "--db", url])
    capsys.readouterr()
    assert main(["doctor", "--db", url]) == 1
    out = capsys.readouterr().out
    assert f"✗ roster (slack): not active accounts: {USERS['erin']} (deactivated); dave (user_not_found)" in out
    assert "fix: list people by Slack member ID in breachbot.toml" in out


def test_a_bad_roster_entry_is_one_warning_at_start_up(sqlite_engine, fake, tmp_path, caplog, monkeypatch):
    (tmp_path / "breachbot.toml").write_text('[roster]\nlegal = ["erin"]\n', encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="breachbot.roster"):
        make_slack(sqlite_engine, fake, config_file=tmp_path / "breachbot.toml")
    warnings = [r.getMessage() for r in caplog.records if r.name == "breachbot.roster"]
    assert warnings == ["roster entries that are not active slack accounts (fix breachbot.toml): "
                        "erin: user_not_found"]
