"""`/breach help`: every subcommand, its usage and what it does, from the message catalogue."""

from __future__ import annotations

from bot.chat import Line, Message, Strong, Text
from bot.errors import UserError
from bot.i18n import line
from bot.i18n import text as t

# The order people meet them in a breach. Usage lines are syntax, the same in every language.
USAGE: dict[str, str] = {
    "declare": '/breach declare <title> [--severity low|medium|high|critical] [--aware "<when>"] '
               "[--clients N] [--data bank_account,tax_id,…] [--drill]",
    "status": "/breach status [BR-n]",
    "roles": "/breach roles [BR-n]",
    "assign": "/breach assign @user <role>",
    "unassign": "/breach unassign <role>",
    "log": "/breach log <text>",
    "decision": "/breach decision <text>",
    "tasks": "/breach tasks [all]",
    "done": "/breach done <task number, phase.task or key> [note]",
    "phase": '/breach phase next|<phase key or number> [--reason "<why>"]',
    "questions": "/breach questions [BR-n]",
    "clocks": "/breach clocks [--all]",
    "affected": "/breach affected CN=1200 US-CA=40 EU=3 …",
    "facts": "/breach facts [--data a,b] [--encrypted yes|no] [--key-safe yes|no] [--crime yes|no] "
             '[--ransom yes|no] [--determined "<when>"] [--assessed "<when>"] [--handled "<when>"] '
             "[--cac-level general|relatively_major|major|especially_major]",
    "notified": '/breach notified <regime key or clock id> [--at "<when>"] [--ref "<reference>"]',
    "answer": "/breach answer <question key or number> <answer>",
    "draft": "/breach draft <client|media|press|regulator|staff> [--lang zh|en] [--regime key] "
             "[--variant individual|company] · /breach draft edit D-n <text> · /breach draft show D-n",
    "drafts": "/breach drafts",
    "approve": "/breach approve D-n",
    "clients": "/breach clients [import <file.csv> | notified <name or all> --via email|phone|post|wecom "
               '[--at "<when>"]]',
    "letters": "/breach letters D-n [D-m …]",
    "summary": "/breach summary",
    "report": "/breach report [--format md|html|pdf|json] [--lang zh|en]",
    "followup": '/breach followup <text> --owner @user --due "<date>" · /breach followup done F-n',
    "followups": "/breach followups",
    "drill": "/breach drill [scenario]",
    "history": "/breach history",
    "snooze": '/breach snooze [phase] [30m] --reason "<why>"',
    "close": '/breach close --cause <technical|insider|external_attack|staff_error|management|third_party> '
             '--lessons "<text>"',
    "help": "/breach help [subcommand]",
}
SUBCOMMANDS = tuple(USAGE)

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


def usage(lang: str, name: str) -> Message:
    """The usage of one subcommand, for errors."""
    return Message(lines=((Text(t(lang, "help.usage")), Text(" " + USAGE[name])),), kind="error")


def render(lang: str, topic: str | None) -> Message:
    """All subcommands in one list, or one subcommand in detail."""
    if topic:
        name = topic.lower().lstrip("/")
        if name not in USAGE:
            raise UserError(t(lang, "error.help_topic", value=topic, choices=", ".join(SUBCOMMANDS)))
        return Message(lines=(
            (Strong(USAGE[name]),),
            (Text(t(lang, f"help.{name}.summary")),),
            (Text(t(lang, f"help.{name}.detail")),),
        ))
    lines: list[Line] = [line(lang, "help.header")]
    for group, names in GROUPS:
        lines.append((Strong(t(lang, f"help.group.{group}")),))
        for name in names:
            lines.append((Text("  /breach " + name), Text(" — " + t(lang, f"help.{name}.summary"))))
    lines.append(line(lang, "help.footer"))
    lines.append(line(lang, "help.inside_room"))
    return Message(lines=tuple(lines))
