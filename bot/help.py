"""`/breach help` and the words of every subcommand, read from the command registry (bot/registry.py).

Usage lines and summaries live in the catalogue (`usage.<word>`, `help.<word>.summary`): the command
words stay as typed, the placeholders are in the workspace's language.
"""

from __future__ import annotations

import difflib

from bot.chat import Line, Message, Strong, Text
from bot.errors import UserError
from bot.registry import REGISTRY, Spec
from bot.text.facts import narrow
from bot.text.i18n import line
from bot.text.i18n import text as t

# How `/breach help` groups subcommands, in the order a response needs them.
GROUP_ORDER: tuple[str, ...] = ("start", "team", "work", "record", "law", "tell", "after")
HELP_WORDS = ("?", "-h", "--help")


def subcommands() -> tuple[str, ...]:
    """Every word that starts a subcommand (`draft`, not `draft edit`), in help order."""
    if not REGISTRY:
        raise RuntimeError("no command is declared yet: import bot.flows.dispatch first")
    grouped = [name for _, names in groups() for name in names]
    return tuple(grouped) + tuple(w for w, s in REGISTRY.items() if s.parse is not None and w not in grouped)


def groups() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(group, words) in help order; within a group, in the order the flows declare them."""
    listed = [spec for spec in REGISTRY.values() if spec.parse is not None and spec.group]
    return tuple((group, tuple(s.word for s in listed if s.group == group)) for group in GROUP_ORDER)


def aliases() -> dict[str, str]:
    """Every other word people type for a subcommand → the subcommand (`状态` → status, `下一阶段` → phase next)."""
    found: dict[str, str] = {w: "help" for w in HELP_WORDS}
    for spec in REGISTRY.values():
        if spec.parse is None:
            continue
        for alias in (*spec.zh, *spec.aliases):
            found[alias] = spec.word
        for alias, argument in spec.carries:
            found[alias] = f"{spec.word} {argument}"
    return found


def spec(word: str) -> Spec:
    """The declaration of a subcommand word."""
    return REGISTRY[word]


def usage_line(lang: str, name: str) -> str:
    """One subcommand's usage in the workspace's language."""
    return t(lang, f"usage.{name}")


def usage(lang: str, name: str) -> Message:
    """The usage of one subcommand, for errors."""
    return Message(lines=((Text(t(lang, "help.usage")), Text(" " + usage_line(lang, name))),), kind="error")


def subcommand(word: str) -> str | None:
    """The subcommand a typed word names (`状态` → status, `STATUS` → status), or None."""
    name = narrow(word).lower().lstrip("/")
    name = aliases().get(name, name).split(" ")[0]
    return name if name in subcommands() else None


_ZH_VERBS = {"edit": "修改", "show": "查看", "import": "导入", "notified": "已通知", "done": "完成",
             "compensate": "赔偿", "feedback": "反馈"}


def typed_word(lang: str, word: str) -> str:
    """How a command's words are typed in `lang`: `draft edit` is `起草 修改` in a zh workspace."""
    if lang != "zh":
        return word
    if (spec := REGISTRY.get(word)) is not None and spec.zh:
        return spec.zh[0]
    head, *rest = word.split()
    head_spec = REGISTRY.get(head)
    return " ".join([head_spec.zh[0] if head_spec and head_spec.zh else head, *(_ZH_VERBS.get(w, w) for w in rest)])


def did_you_mean(word: str) -> str | None:
    """The subcommand or alias a typo most likely meant (`statsu` → status, `状太` → 状态), or None."""
    typed = narrow(word).lower()
    words = list(subcommands()) + [a for a in aliases() if len(a) > 1]
    close = difflib.get_close_matches(typed, words, n=1, cutoff=0.6 if typed.isascii() else 0.5)
    return close[0] if close else None


def unknown(lang: str, key: str, word: str) -> UserError:
    """'I don't know /breach statsu' with a 'did you mean', or the whole list when nothing is close."""
    meant = did_you_mean(word)
    if meant is not None:
        if lang == "zh" and meant.isascii():
            meant = typed_word(lang, aliases().get(meant, meant))
        return UserError(t(lang, "parse.unknown_meant", value=word, suggestion=meant))
    if lang == "zh":
        return UserError(t(lang, key, value=word, choices="、".join(
            REGISTRY[name].zh[0] if REGISTRY[name].zh else name for name in subcommands())))
    return UserError(t(lang, key, value=word, choices=", ".join(subcommands())))


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
    lines: list[Line] = [line(lang, "help.header")]
    for group, names in groups():
        lines.append((Strong(t(lang, f"help.group.{group}")),))
        for name in names:
            zh = REGISTRY[name].zh
            shown = zh[0] if lang == "zh" and zh else name  # a Chinese workspace types its own words
            lines.append((Text("  /breach " + shown), Text(" — " + t(lang, f"help.{name}.summary"))))
    lines.append(line(lang, "help.footer"))
    lines.append(line(lang, "help.inside_room"))
    return Message(lines=tuple(lines))
