"""The command registry: each /breach command declared once, on its flow, with `@command(...)`.

Help, the router, the Slack and WeCom adapters and the permission check (bot/flows/dispatch.py) read
the declarations from here; text (usage, help) is in the catalogue under the command's word.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.commands import Command, Log

Parser = Callable[[str, str, str], Any]  # (lang, word, text after the word) -> a command
Flow = Callable[..., None]  # (bot, session, workspace, context, command, outbox)


@dataclass(frozen=True)
class Spec:
    """Everything about one command: the words people type, its grammar, who may run it, its flow.

    Declared once with `@command(...)` on the flow; help, the router, the adapters and the
    permission check read it from here. Text (usage, help) is in the catalogue under the word.
    """

    word: str  # the English word(s) typed after /breach: "assign", "draft edit"
    kind: type  # the command object the grammar builds
    flow: Flow
    parse: Parser | None = None  # None: a form of an earlier word, built by that word's parser
    zh: tuple[str, ...] = ()  # Chinese words for it; the first one is shown in help
    aliases: tuple[str, ...] = ()  # other words that mean it ("note" for log)
    carries: tuple[tuple[str, str], ...] = ()  # a word that brings its first argument: 下一阶段 → phase next
    group: str | None = None  # where /breach help lists it; None: not listed on its own
    may: tuple[str, ...] = ()  # roles that may run it (empty: anyone on the incident)
    finds: Callable[..., Any] | None = None  # how the incident is found for the permission check


REGISTRY: dict[str, Spec] = {}  # word → spec, in the order the flows declare them
_BY_KIND: dict[type, Spec] = {}


def command(kind: type, word: str, *, parse: Parser | None = None, zh: tuple[str, ...] = (),
            aliases: tuple[str, ...] = (), carries: tuple[tuple[str, str], ...] = (), group: str | None = None,
            may: tuple[str, ...] = (), finds: Callable[..., Any] | None = None) -> Callable[[Flow], Flow]:
    """Declare a command on its flow: `@command(Assign, "assign", zh=("指派",), group="team", …)`."""

    def register(flow: Flow) -> Flow:
        if word in REGISTRY:
            raise ValueError(f"/breach {word} is declared twice")
        spec = Spec(word=word, kind=kind, flow=flow, parse=parse, zh=zh, aliases=aliases, carries=carries,
                    group=group, may=may, finds=finds)
        REGISTRY[word] = spec
        _BY_KIND.setdefault(kind, spec)
        return flow

    return register


def spec_of(command: Command) -> Spec:
    """The declaration a command object was built from."""
    if isinstance(command, Log) and command.decision and "decision" in REGISTRY:
        return REGISTRY["decision"]
    try:
        return _BY_KIND[type(command)]
    except KeyError:  # a platform built a command nobody declared: our bug, not the user's
        raise TypeError(f"no flow declared for {type(command).__name__}") from None


def word(command: Command) -> str:
    """The words that start a command as typed: 'log', 'decision', 'draft edit' …"""
    return spec_of(command).word if type(command) in _BY_KIND else "status"
