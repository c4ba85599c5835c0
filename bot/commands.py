"""What people ask the bot to do, as small typed objects. Platforms build these; bot/ runs them.

Times stay as the text the person typed: the bot reads them against its clock and the workspace timezone."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Declare:
    title: str
    severity: str | None = None
    aware: str | None = None
    clients: int | None = None
    data: tuple[str, ...] = ()
    drill: bool = False
    new: bool = False  # open another incident even though the same one was declared minutes ago


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
    mentioned: tuple[tuple[str, str], ...] = ()  # (id, display name) of people the platform marked in `text`


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
    batch: tuple[str, ...] = field(default=(), compare=False)  # every task typed, when one step of several


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
    mentioned: tuple[tuple[str, str], ...] = ()  # (id, display name) of people the platform marked in `text`


@dataclass(frozen=True)
class Answer:
    """An answer to a playbook question, by key or number."""

    question: str
    value: str
    incident: int | None = None


@dataclass(frozen=True)
class Questions:  # The questions still open.
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
class Notified:  # A notice went out: the clock of a regime (or one clock id) is met.
    regime: str
    at: str | None = None
    reference: str = ""
    incident: int | None = None


@dataclass(frozen=True)
class NoHarm:  # a recorded decision that a breach will likely cause no harm, under one regime's exception
    regime: str
    reason: str = ""
    incident: int | None = None
    withdraw: bool = False  # `noharm withdraw <regime>`: the decision is taken back, its clocks return


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
class Drafts:  # List the drafts.
    incident: int | None = None


@dataclass(frozen=True)
class Approve:
    """Approve the current version of a draft for the roles the approver holds."""

    number: int | None  # None: the person did not say which; the answer lists what awaits approval
    incident: int | None = None
    more: tuple[int, ...] = ()  # further drafts approved at once (all or none)


@dataclass(frozen=True)
class ClientsImport:
    """Import the affected-client register from CSV bytes (a platform reads the file or upload)."""

    content: bytes | None = None
    source: str = ""
    incident: int | None = None


@dataclass(frozen=True)
class ClientsShow:
    """The register in counts and names (individuals masked): all, those not yet told, or a name fragment; a page."""

    incident: int | None = None
    untold: bool = False
    fragment: str = ""
    page: int = 1


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
class History:  # past incidents and drills with their key times
    link_hours: int | None = None  # `link [hours]`: a firm admin's link to the history page, valid this long


@dataclass(frozen=True)
class Snooze:
    """Put a phase's reminder off for a while, with a reason."""

    phase: str | None = None
    duration: str = "30m"
    reason: str = ""
    incident: int | None = None


@dataclass(frozen=True)
class Severity:
    """The severity changes, with why."""

    severity: str
    reason: str
    incident: int | None = None


@dataclass(frozen=True)
class Rename:
    """A new internal title (it never appears in anything sent outside the firm)."""

    title: str
    incident: int | None = None


@dataclass(frozen=True)
class Public:
    """What statements say happened, in words fit for clients, the press and regulators."""

    text: str
    incident: int | None = None


@dataclass(frozen=True)
class Cost:
    """A cost of the response (`amount` as typed); with no amount, the costs so far."""

    amount: str = ""
    category: str = ""
    note: str = ""
    incident: int | None = None


@dataclass(frozen=True)
class Media:
    """The media desk: log an enquiry (outlet, question), record its answer, or list them."""

    outlet: str = ""
    text: str = ""
    answered: int | None = None  # M-<n> answered with `text`
    incident: int | None = None
    spokesperson: str = ""  # the one voice statements name
    watch: bool = False  # `text` is a monitoring note (what the press and social media say)


@dataclass(frozen=True)
class Correct:
    """A recorded time (or a notice's reference) was wrong: event #n, or the notice of a clock, corrected."""

    target: str
    at: str | None = None
    reference: str | None = None
    reason: str = ""
    incident: int | None = None


@dataclass(frozen=True)
class Offer:  # what the firm offers the people affected (credit monitoring, a hotline…); alone, the list
    kind: str = ""
    text: str = ""
    incident: int | None = None


@dataclass(frozen=True)
class Brief:  # send the summary to management now: the executive sponsor and the partners
    incident: int | None = None


@dataclass(frozen=True)
class ClientsCompensate:  # compensation for one client of the register (`amount` as typed)
    who: str
    amount: str
    note: str = ""
    incident: int | None = None


@dataclass(frozen=True)
class ClientsFeedback:  # one client's satisfaction: a score 1-5 and what they said
    who: str
    score: str
    comment: str = ""
    incident: int | None = None


Command = (Declare | Status | Roles | Assign | Unassign | Log | Tasks | Done | Phase | Close | Help
           | Capture | Answer | Questions | Clocks | Facts | Affected | Notified | DraftNew | DraftEdit
           | DraftShow | Drafts | Approve | ClientsImport | ClientsShow | ClientsNotified | Letters | Send
           | Summary | Report | FollowUpAdd | FollowUps | FollowUpDone | Drill | History | Snooze | Severity
           | Rename | Public | Cost | Media | Correct | Offer | Brief | ClientsCompensate | ClientsFeedback
           | NoHarm)
