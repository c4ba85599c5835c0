"""`breachbot --help` in the deployment's language (#18): every subcommand's description and option, argparse's own
headings (用法：, 选项：) and its errors say in Chinese what to type in a zh deployment, in English in an en one."""

from __future__ import annotations

import re

import pytest

from handlers.cli import build_parser, main
from tests.test_zh_cli import operator_words

# What a person types as it is: subcommands, options and their fixed values, file kinds, platforms' own names.
TYPED = re.compile(
    r"\b(?:run|serve|worker|console|db|verify|export|history|doctor|outbox|config|firms|keys|keygen"
    r"|playbook|check|upgrade|current|list|rotate|all|default|json|md|html|pdf|en|zh|JSON|Markdown"
    r"|YAML|SQLite|HTTP|ISO|Slack|WeCom|Socket Mode|T0123ABCD|slack)\b|-h\b|\$PORT|sqlite:///\S+|\S+T\d\d:\d\d\S*"
)


def _help(capsys, *argv: str) -> str:
    with pytest.raises(SystemExit) as done:
        main([*argv, "--help"])
    assert done.value.code == 0
    return capsys.readouterr().out


def _commands() -> list[tuple[str, ...]]:
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    return [(name,) for name in sub.choices] + [("playbook", "check")]


def test_every_help_of_a_zh_deployment_is_chinese(capsys, monkeypatch):
    monkeypatch.setenv("BREACHBOT_LANG", "zh")
    monkeypatch.setenv("BREACHBOT_CONFIG", "/nonexistent/breachbot.toml")
    top = _help(capsys)
    assert top.startswith(
        "用法：breachbot [-h] [--db <地址>] <命令> ...\n\n在事务所的聊天工具中处置数据泄露事件。\n"
    )
    assert "\n选项：\n  -h, --help\n      显示本帮助并退出\n" in top and "\n命令：\n" in top
    assert "    verify\n      检查事件的时间线是否被改动过\n" in top
    for argv in _commands():
        said = _help(capsys, *argv)
        assert said.startswith(f"用法：breachbot {' '.join(argv)} ") and "选项：" in said, said
        assert operator_words(TYPED.sub(" ", said)) == [], (argv, said)
    assert "  --upto <编号>\n      只检查第 1 条到这一条事件（报告包含的最后一条）\n" in _help(
        capsys, "verify"
    )


@pytest.mark.parametrize(
    ("lang", "argv", "said"),
    [
        ("zh", ["exprt"], "breachbot：错误：参数 <命令>：没有「exprt」；请写「run」、「serve」、"),
        (
            "en",
            ["exprt"],
            "breachbot: error: argument <command>: there is no 'exprt'; write one of 'run', 'serve', ",
        ),
        ("zh", ["verify"], "breachbot verify：错误：缺少以下参数：<事件>；请补上\n"),
        ("en", ["verify"], "breachbot verify: error: these arguments are needed: INCIDENT; add them\n"),
        (
            "zh",
            ["export", "BR-1", "--format", "doc"],
            "breachbot export：错误：参数 --format：没有「doc」；请写「json」、「md」、",
        ),
        (
            "zh",
            ["verify", "BR-1", "--upto", "最后"],
            "breachbot verify：错误：参数 --upto：「最后」不是整数；请写 42 这样的整数\n",
        ),
        ("zh", ["doctor", "--now"], "breachbot：错误：本命令没有这些参数：--now；请查看其 --help\n"),
    ],
)
def test_a_mistyped_command_line_is_answered_in_the_deployments_language(
    lang, argv, said, capsys, monkeypatch
):
    monkeypatch.setenv("BREACHBOT_LANG", lang)
    monkeypatch.setenv("BREACHBOT_CONFIG", "/nonexistent/breachbot.toml")
    with pytest.raises(SystemExit) as done:
        main(argv)
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("用法：breachbot" if lang == "zh" else "usage: breachbot") and said in err, err


def test_an_english_deployment_keeps_english_help(capsys, monkeypatch):
    monkeypatch.setenv("BREACHBOT_LANG", "en")
    monkeypatch.setenv("BREACHBOT_CONFIG", "/nonexistent/breachbot.toml")
    said = _help(capsys, "verify")
    assert said.startswith("usage: breachbot verify [-h] [--db URL] [--workspace WORKSPACE]\n")
    assert "  --export FILE " in said
    assert "\noptions:\n" in said and "check an incident's timeline has not been altered" in said
