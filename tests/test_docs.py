"""Docs that are tested: every subcommand is in /breach help and in the README."""

from __future__ import annotations

import re
from pathlib import Path

from bot.help import groups, render, spec, subcommands, usage_line
from bot.incident.playbook import REQUIRED_ROLES
from handlers.cli import build_parser
from handlers.router import parse  # noqa: F401 - loads the command declarations

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_every_subcommand_is_in_help_and_readme():
    listing = render("en", None).plain_text()
    for name in subcommands():
        assert f"/breach {name}" in listing
        assert f"`/breach {name}" in README, f"README lacks /breach {name}"
        assert render("en", name).plain_text().startswith(usage_line("en", name))
        # A zh workspace shows its usage in Chinese: the Chinese command word, Chinese flags and choices.
        assert render("zh", name).plain_text().startswith(usage_line("zh", name))
        assert usage_line("zh", name).startswith(f"/breach {spec(name).zh[0]}")
        assert not re.search(r"--[a-z]", usage_line("zh", name)), usage_line("zh", name)


def test_every_cli_command_is_in_the_readme():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name in sub.choices:
        assert f"`breachbot {name}" in README, f"README lacks breachbot {name}"


def test_every_role_and_setting_is_documented():
    for role in REQUIRED_ROLES:
        assert f"`{role}`" in README
    from bot.settings import Settings

    for field in Settings.model_fields.values():
        names = [n for n in getattr(field.validation_alias, "choices", []) if n.isupper()]
        assert any(n in README for n in names), f"README lacks {names}"


def test_readme_has_the_two_commands():
    assert re.search(r"^make run\b", README, re.M) and re.search(r"^make test\b", README, re.M)


def test_env_example_has_no_values():
    path = Path(__file__).resolve().parent.parent / ".env.example"
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        key, _, value = stripped.partition("=")
        assert value.split("#")[0].strip() == "", f"{key} has a value in .env.example"


def test_help_groups_every_subcommand_once():
    grouped = [name for _, names in groups() for name in names]
    assert sorted(grouped) == sorted(subcommands()) and len(grouped) == len(set(grouped))


def test_the_quickstart_says_where_the_cli_and_the_data_key_are():
    """The Quickstart names the command line `make run` / `make test` install (`.venv/bin/breachbot`) and the file the
    data key goes in (`.env`): true as long as the Makefile's venv is .venv, the settings read .env, .env.example
    lists the key and the CLI's own advice (`keygen`, a client import with no key) names .env too."""
    from bot.settings import Settings
    from bot.text.i18n import catalogue

    root = Path(__file__).resolve().parent.parent
    quickstart = README.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    assert "`.venv/bin/breachbot`" in quickstart and "`.venv/bin/breachbot keygen`" in quickstart
    assert "`.env`" in quickstart and "`BREACHBOT_DATA_KEY=<key>`" in quickstart and "`.env.example`" in quickstart
    assert re.search(r"^VENV \?= \.venv$", (root / "Makefile").read_text(encoding="utf-8"), re.M)
    assert Settings.model_config["env_file"] == ".env"
    assert re.search(r"^# BREACHBOT_DATA_KEY=", (root / ".env.example").read_text(encoding="utf-8"), re.M)
    for lang in ("en", "zh"):
        for key in ("clients.no_key", "cli.keygen_keep", "doctor.data_key_fix"):
            assert ".env" in catalogue(lang)[key] and "BREACHBOT_DATA_KEY=<" in catalogue(lang)[key], (lang, key)
