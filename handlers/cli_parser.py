"""The `breachbot` command line's parser in the deployment's language: every help text from the catalogue
(`cli_help.`), and argparse's own words (`usage:`, `options`, its errors) said the same way."""

from __future__ import annotations

import argparse
import re
import sys
from typing import Any, NoReturn

from bot.text.i18n import text as t

# argparse's own errors (Python 3.11, argparse.py), each with its catalogue key; what is not here is said as is.
_ERRORS = (
    (
        re.compile(r"argument (?P<arg>\S+): invalid choice: (?P<value>.+?) \(choose from (?P<choices>.*)\)"),
        "invalid_choice",
    ),
    (re.compile(r"argument (?P<arg>\S+): invalid (?P<type>\w+) value: (?P<value>.*)"), "invalid_value"),
    (re.compile(r"argument (?P<arg>\S+): expected one argument"), "expected_one"),
    (re.compile(r"argument (?P<arg>\S+): not allowed with argument (?P<other>\S+)"), "not_allowed_with"),
    (re.compile(r"the following arguments are required: (?P<args>.*)"), "required"),
    (re.compile(r"one of the arguments (?P<args>.*) is required"), "one_required"),
    (re.compile(r"unrecognized arguments: (?P<args>.*)"), "unrecognized"),
    (re.compile(r"ambiguous option: (?P<option>\S+) could match (?P<matches>.*)"), "ambiguous"),
)


def parser_class(lang: str) -> type[argparse.ArgumentParser]:
    """An ArgumentParser (and the subcommands' parsers it makes) that speaks `lang`."""

    class Formatter(argparse.HelpFormatter):
        def __init__(self, prog: str, **kwargs: Any) -> None:
            # argparse aligns by characters, not by their width: each help on a line of its own
            if lang == "zh":
                kwargs["max_help_position"] = 6
            super().__init__(prog, **kwargs)

        def add_usage(self, usage: str | None, actions: Any, groups: Any, prefix: str | None = None) -> None:
            super().add_usage(
                usage, actions, groups, prefix if prefix is not None else t(lang, "cli_help.usage")
            )

    class Parser(argparse.ArgumentParser):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.update(add_help=False, formatter_class=Formatter)
            super().__init__(*args, **kwargs)
            self._positionals.title = t(lang, "cli_help.positionals")
            self._optionals.title = t(lang, "cli_help.options")
            self.add_argument(
                "-h", "--help", action="help", default=argparse.SUPPRESS, help=t(lang, "cli_help.help")
            )

        def format_help(self) -> str:
            """argparse's help, its section headings ending as `lang` ends them (选项：, not 选项:)."""
            said = super().format_help()
            if lang != "zh":
                return said
            titles = [t(lang, f"cli_help.{key}") for key in ("positionals", "options", "commands")]
            return re.sub(rf"^({'|'.join(map(re.escape, titles))}):$", r"\1：", said, flags=re.M)

        def error(self, message: str) -> NoReturn:
            """The usage, then what was wrong in `lang` (argparse's English when it is a kind not listed here)."""
            self.print_usage(sys.stderr)
            self.exit(2, t(lang, "cli_help.error", prog=self.prog, message=said(lang, message)) + "\n")

    return Parser


def _chinese_quotes(value: str) -> str:
    """argparse's 'quoted' words (its repr) quoted as Chinese quotes them: 「exprt」."""
    return re.sub(r"'([^']*)'", r"「\1」", value)


def said(lang: str, message: str) -> str:
    """One of argparse's error messages in `lang`."""
    for pattern, key in _ERRORS:
        if found := pattern.fullmatch(message):
            values = {k: (_chinese_quotes(v.replace(", ", "、")) if lang == "zh" else v)
                      for k, v in found.groupdict().items()}
            return t(lang, f"cli_help.errors.{key}", **values)
    return message
