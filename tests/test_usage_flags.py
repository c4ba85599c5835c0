"""Every usage line lists every flag its command takes, in both languages (#21 of the first-try review: /breach declare
with no title printed a usage without --new, which the README lists)."""

from __future__ import annotations

import pytest

from bot.errors import UserError
from bot.flows.grammar import tokens
from bot.help import usage_line
from bot.registry import REGISTRY
from bot.text.i18n import catalogue
from handlers.router import parse

# Words that reach each parser's branches (a sub-verb, an id), typed after the command word.
TAILS = ("", "x", "BR-1 x", "next", "withdraw x", "edit D-1 x", "show D-1", "import a.csv", "notified all",
         "compensate 1 100", "feedback 1 4", "done F-1", "link", "revoke", "answered M-1 x", "spokesperson x",
         "watch x", "stop", "check", "D-1", "all", "link 2")


def _flags_taken(monkeypatch) -> dict[str, set[str]]:
    """Each command's flags, as its parser declares them to Args, over every branch the tails reach."""
    taken: dict[str, set[str]] = {}
    original = tokens.Args.__init__

    def recording(self, lang, name, toks, *, values=(), switches=(), **rest):
        taken.setdefault(name, set()).update(values, switches)
        original(self, lang, name, toks, values=values, switches=switches, **rest)

    monkeypatch.setattr(tokens.Args, "__init__", recording)
    for word, spec in REGISTRY.items():
        if spec.parse is None:
            continue
        for tail in TAILS:
            try:
                parse(f"/breach {word} {tail}")
            except (UserError, ValueError):
                pass
    return taken


def test_every_flag_a_command_takes_is_in_its_usage_in_english_and_chinese(monkeypatch):
    taken = _flags_taken(monkeypatch)
    assert {"new", "drill", "severity"} <= taken["declare"]
    missing = []
    for name, flags in sorted(taken.items()):
        if not flags or f"usage.{name}" not in catalogue("en"):
            continue
        for flag in sorted(flags):
            if f"--{flag.replace('_', '-')}" not in usage_line("en", name):
                missing.append(f"en {name} --{flag}")
            zh_names = [n.strip() for n in catalogue("zh").get(f"flag_names.{flag}", "").split("/") if n.strip()]
            if not any(f"--{n}" in usage_line("zh", name) for n in zh_names):
                missing.append(f"zh {name} --{flag} ({'/'.join(zh_names) or 'no zh name'})")
    assert missing == [], missing


@pytest.mark.parametrize("lang, said", [("en", "[--new]"), ("zh", "[--仍然新建]")])
def test_declare_without_a_title_shows_the_usage_with_new(lang, said):
    with pytest.raises(UserError) as refused:
        parse("/breach 宣布" if lang == "zh" else "/breach declare", lang=lang)
    assert said in refused.value.message.plain_text()
