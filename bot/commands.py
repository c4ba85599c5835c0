"""What people ask the bot to do, as small typed objects. Platforms build these; bot/ runs them.

Times stay as the text the person typed: the bot reads them against its clock and the
workspace timezone, so every platform gets the same errors for the same input.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Declare:
    title: str
    severity: str | None = None
    aware: str | None = None
    clients: int | None = None
    data: tuple[str, ...] = ()
    drill: bool = False


@dataclass(frozen=True)
class Status:
    incident: int | None = None


@dataclass(frozen=True)
class Roles:
    incident: int | None = None


@dataclass(frozen=True)
class Assign:
    user: str
    role: str
    incident: int | None = None


@dataclass(frozen=True)
class Unassign:
    role: str
    incident: int | None = None


@dataclass(frozen=True)
class Log:
    text: str
    incident: int | None = None
    decision: bool = False


@dataclass(frozen=True)
class Tasks:
    all: bool = False
    incident: int | None = None


@dataclass(frozen=True)
class Done:
    task: str
    note: str = ""
    incident: int | None = None
    also: tuple[str, ...] = ()  # more tasks done at once (`/breach done 1 2 3`), each with the same note


@dataclass(frozen=True)
class Phase:
    target: str  # "next", a phase key or a phase number
    reason: str = ""
    incident: int | None = None


@dataclass(frozen=True)
class Close:
    cause: str
    lessons: str
    incident: int | None = None
    confirm: bool = False  # close even with legal clocks, drafts or tasks still open


@dataclass(frozen=True)
class Help:
    topic: str | None = None




@dataclass(frozen=True)
class Capture:
    """Someone's chat message put into the timeline as it was (📌 reaction, message shortcut)."""

    text: str
    author: str
    at: str  # ISO-8601 with offset: when the message was originally posted
    source: str  # the platform's id for that message, so capturing it twice records it once
    incident: int | None = None


@dataclass(frozen=True)
class Answer:
    """An answer to a playbook question, by key or number."""

    question: str
    value: str
    incident: int | None = None


@dataclass(frozen=True)
class Questions:
    """The questions still open."""

    incident: int | None = None


@dataclass(frozen=True)
class Clocks:
    """The legal notification clocks (`all` adds those that do not apply, with why)."""

    all: bool = False
    incident: int | None = None


@dataclass(frozen=True)
class Facts:
    """Facts set by command: (fact, typed value) pairs, e.g. ("encrypted", "no")."""

    changes: tuple[tuple[str, str], ...]
    incident: int | None = None


@dataclass(frozen=True)
class Affected:
    """People affected by residence, as typed: 'CN=1200 US-CA=40'."""

    counts: str
    incident: int | None = None


@dataclass(frozen=True)
class Notified:
    """A notice went out: the clock of a regime (or one clock id) is met."""

    regime: str
    at: str | None = None
    reference: str = ""
    incident: int | None = None


@dataclass(frozen=True)
class DraftNew:
    """Draft a statement from the incident's facts."""

    kind: str
    lang: str | None = None
    regime: str | None = None
    variant: str = "individual"
    incident: int | None = None


@dataclass(frozen=True)
class DraftEdit:
    """Replace a draft's text with a new version."""

    number: int
    text: str
    incident: int | None = None


@dataclass(frozen=True)
class DraftShow:
    """Show a draft's current text."""

    number: int
    incident: int | None = None


@dataclass(frozen=True)
class Drafts:
    """List the drafts."""

    incident: int | None = None


@dataclass(frozen=True)
class Approve:
    """Approve the current version of a draft for the roles the approver holds."""

    number: int | None  # None: the person did not say which; the answer lists what awaits approval
    incident: int | None = None


@dataclass(frozen=True)
class ClientsImport:
    """Import the affected-client register from CSV bytes (a platform reads the file or upload)."""

    content: bytes | None = None
    source: str = ""
    incident: int | None = None


@dataclass(frozen=True)
class ClientsShow:
    """The register in counts and masked names."""

    incident: int | None = None


@dataclass(frozen=True)
class ClientsNotified:
    """Clients were told (one by name, or all)."""

    who: str
    via: str
    at: str | None = None
    incident: int | None = None


@dataclass(frozen=True)
class Letters:
    """Merge approved client letters once per affected client."""

    numbers: tuple[int, ...]
    incident: int | None = None


@dataclass(frozen=True)
class Send:
    """Send approved client letters to the clients themselves (e-mail, SMS), or stop, list, check what came back."""

    numbers: tuple[int, ...] = ()
    to: str = "all"  # all | not-notified | a client's name or number
    test_to: str | None = None  # me (the firm's own sender address) or an address
    confirm: bool = False
    action: str = "send"  # send | stop | list | check
    incident: int | None = None


@dataclass(frozen=True)
class Summary:
    """A short summary posted in chat."""

    incident: int | None = None


@dataclass(frozen=True)
class Report:
    """The full post-incident report as a file."""

    format: str = "md"
    lang: str | None = None
    incident: int | None = None


@dataclass(frozen=True)
class FollowUpAdd:
    """A follow-up action with an owner and a due date."""

    text: str
    owner: str
    due: str
    incident: int | None = None


@dataclass(frozen=True)
class FollowUps:
    """The follow-ups of an incident."""

    incident: int | None = None


@dataclass(frozen=True)
class FollowUpDone:
    """A follow-up is done."""

    number: int
    incident: int | None = None


@dataclass(frozen=True)
class Drill:
    """Run the playbook as an exercise, from a scenario."""

    scenario: str | None = None


@dataclass(frozen=True)
class History:
    """Past incidents and drills with their key times."""


@dataclass(frozen=True)
class Snooze:
    """Put a phase's reminder off for a while, with a reason."""

    phase: str | None = None
    duration: str = "30m"
    reason: str = ""
    incident: int | None = None


Command = (
    Declare | Status | Roles | Assign | Unassign | Log | Tasks | Done | Phase | Close | Help | Capture | Answer
    | Questions | Clocks | Facts | Affected | Notified | DraftNew | DraftEdit | DraftShow | Drafts | Approve
    | ClientsImport | ClientsShow | ClientsNotified | Letters | Send | Summary | Report | FollowUpAdd | FollowUps
    | FollowUpDone | Drill | History | Snooze

)


# -- the registry: each command declared once, next to its flow ---------------------------------
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


def each(command: Command) -> list[Command]:
    """A command as the steps it runs: `/breach done 1 2 3` is three tasks, done together or not at all."""
    if isinstance(command, Done) and command.also:
        return [Done(task=task, note=command.note, incident=command.incident)
                for task in (command.task, *command.also)]
    return [command]


_CONTROL = {chr(c) for c in range(32) if chr(c) not in "\t\n\r"} | {"\x7f"}


def unstorable(command: Command) -> str | None:
    """The first character in a command's text that cannot be stored (NUL, other controls, lone surrogates)."""
    for value in vars(command).values():
        texts = value if isinstance(value, tuple) else (value,)
        for text in texts:
            if not isinstance(text, str):
                continue
            for ch in text:
                if ch in _CONTROL or "\ud800" <= ch <= "\udfff":
                    return f"U+{ord(ch):04X}"
    return None
