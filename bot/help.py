"""`/breach help`: every subcommand, its usage and what it does, from the message catalogue."""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping

from bot.chat import Line, Message, Strong, Text
from bot.errors import UserError
from bot.text.facts import narrow
from bot.text.i18n import line
from bot.text.i18n import text as t

# The order people meet them in a breach. Usage lines live in the catalogue (`usage.<name>`): the
# command words stay as typed, the placeholders are in the workspace's language.
SUBCOMMANDS: tuple[str, ...] = (
    "declare", "status", "roles", "assign", "unassign", "log", "decision", "tasks", "done", "phase", "questions",
    "clocks", "affected", "facts", "notified", "answer", "draft", "drafts", "approve", "clients", "letters",
    "summary", "report", "followup", "followups", "drill", "history", "snooze", "close", "help",
)

# Chinese (and a few English) words for subcommands; an alias may carry its first argument.
ALIASES = {
    "宣布": "declare", "状态": "status", "角色": "roles", "指派": "assign", "取消指派": "unassign", "记录": "log",
    "决定": "decision", "稍后提醒": "snooze", "总结": "summary", "报告": "report", "跟进": "followup",
    "跟进事项": "followups", "演练": "drill", "历史": "history", "起草": "draft", "草稿": "drafts", "批准": "approve",
    "客户": "clients", "信函": "letters", "时限": "clocks", "事实": "facts", "影响": "affected", "已通报": "notified",
    "回答": "answer", "问题": "questions", "任务": "tasks", "完成": "done", "阶段": "phase", "下一阶段": "phase next",
    "结案": "close", "帮助": "help",
    "?": "help", "-h": "help", "--help": "help", "decide": "decision", "note": "log",
}


class _Usage(Mapping[str, str]):
    """The English usage line of each subcommand (the catalogue holds every language)."""

    def __getitem__(self, name: str) -> str:
        if name not in SUBCOMMANDS:
            raise KeyError(name)
        return t("en", f"usage.{name}")

    def __iter__(self) -> Iterator[str]:
        return iter(SUBCOMMANDS)

    def __len__(self) -> int:
        return len(SUBCOMMANDS)


USAGE: Mapping[str, str] = _Usage()

# How `/breach help` groups them, in the order a response needs them.
GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("start", ("declare", "drill", "status", "summary", "help")),
    ("team", ("roles", "assign", "unassign")),
    ("work", ("tasks", "done", "phase", "snooze", "questions", "answer")),
    ("record", ("log", "decision")),
    ("law", ("clocks", "affected", "facts", "notified")),
    ("tell", ("draft", "drafts", "approve", "clients", "letters")),
    ("after", ("report", "followup", "followups", "close", "history")),
)


def usage_line(lang: str, name: str) -> str:
    """One subcommand's usage in the workspace's language."""
    return t(lang, f"usage.{name}")


def usage(lang: str, name: str) -> Message:
    """The usage of one subcommand, for errors."""
    return Message(lines=((Text(t(lang, "help.usage")), Text(" " + usage_line(lang, name))),), kind="error")


def subcommand(word: str) -> str | None:
    """The subcommand a typed word names (`状态` → status, `STATUS` → status), or None."""
    name = narrow(word).lower().lstrip("/")
    name = ALIASES.get(name, name).split(" ")[0]
    return name if name in SUBCOMMANDS else None


def did_you_mean(word: str) -> str | None:
    """The subcommand or alias a typo most likely meant (`statsu` → status, `状太` → 状态), or None."""
    typed = narrow(word).lower()
    words = list(SUBCOMMANDS) + [a for a in ALIASES if len(a) > 1]
    close = difflib.get_close_matches(typed, words, n=1, cutoff=0.6 if typed.isascii() else 0.5)
    return close[0] if close else None


def unknown(lang: str, key: str, word: str) -> UserError:
    """'I don't know /breach statsu' with a 'did you mean', or the whole list when nothing is close."""
    meant = did_you_mean(word)
    if meant is not None:
        return UserError(t(lang, "parse.unknown_meant", value=word, suggestion=meant))
    return UserError(t(lang, key, value=word, choices=", ".join(SUBCOMMANDS)))


def _aliases() -> dict[str, str]:
    """The Chinese word for each subcommand (`status` → 状态)."""
    found: dict[str, str] = {}
    for alias, name in ALIASES.items():
        if not alias.isascii() and " " not in name:
            found.setdefault(name, alias)
    return found


def render(lang: str, topic: str | None) -> Message:
    """All subcommands in one list, or one subcommand in detail."""
    if topic:
        name = subcommand(topic)
        if name is None:
            raise unknown(lang, "error.help_topic", topic)
        return Message(lines=(
            (Strong(usage_line(lang, name)),),
            (Text(t(lang, f"help.{name}.summary")),),
            (Text(t(lang, f"help.{name}.detail")),),
        ))
    aliases = _aliases() if lang == "zh" else {}
    lines: list[Line] = [line(lang, "help.header")]
    for group, names in GROUPS:
        lines.append((Strong(t(lang, f"help.group.{group}")),))
        for name in names:
            alias = t(lang, "parse.alias", alias=aliases[name]) if name in aliases else ""
            lines.append((Text("  /breach " + name + alias), Text(" — " + t(lang, f"help.{name}.summary"))))
    lines.append(line(lang, "help.footer"))
    lines.append(line(lang, "help.inside_room"))
    return Message(lines=tuple(lines))
