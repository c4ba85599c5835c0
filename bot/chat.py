"""The Chat port: neutral messages out, neutral events in. Each platform implements `Chat`.

Text written by people travels as `Text` spans, never as markup, so a renderer can always
escape it: a user's `<!channel>` stays four harmless characters on every platform.
"""

from __future__ import annotations

import contextvars
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from bot import commands

# The workspace (Slack team, WeCom corp) whose work this thread is doing: a platform that serves several
# workspaces from one deployment calls it with that workspace's credentials (Slack: its bot token).
_ACTING: ContextVar[str | None] = ContextVar("breachbot_acting_workspace", default=None)


@contextmanager
def acting_for(workspace: str | None) -> Iterator[None]:
    """Platform calls made inside the block are made for `workspace` (None: leave it as it is)."""
    if workspace is None:
        yield
        return
    token = _ACTING.set(workspace)
    try:
        yield
    finally:
        _ACTING.reset(token)


def acting_workspace() -> str | None:
    """The workspace the current platform calls are for (None outside any)."""
    return _ACTING.get()


@dataclass(frozen=True)
class Text:
    """Literal text; renderers escape it."""

    text: str


@dataclass(frozen=True)
class Strong:
    """Emphasised literal text."""

    text: str


@dataclass(frozen=True)
class Mention:
    """A person, by the platform's user id; rendered as that platform's mention."""

    user: str


@dataclass(frozen=True)
class RoomRef:
    """A room, by the platform's room id; rendered as a link where the platform has one."""

    room: str


Span = Text | Strong | Mention | RoomRef
Line = tuple[Span, ...]


@dataclass(frozen=True)
class Button:
    """An action a person can take with one tap; `action_id` and `value` come back in an `Action`."""

    label: str
    action_id: str
    value: str = ""
    style: str | None = None  # "primary" | "danger" | None
    confirm: str | None = None  # a question asked before a hard-to-undo action
    # The index of the message line this button sits under (one question of a digest); None: below it all.
    line: int | None = None


@dataclass(frozen=True)
class Message:
    """A platform-neutral message: lines of spans, optional fields and buttons."""

    lines: tuple[Line, ...] = ()
    fields: tuple[tuple[str, Line], ...] = ()
    buttons: tuple[Button, ...] = ()
    # What the message is for, so a platform may render it differently (status, prompt, error, …).
    kind: str = "info"

    @staticmethod
    def plain(text: str, *, kind: str = "info") -> Message:
        """A message of literal text, one line per newline."""
        return Message(lines=tuple((Text(line),) for line in text.split("\n")), kind=kind)

    def prefixed(self, spans: Line) -> Message:
        """The same message with spans put before its first line (a DRILL marker, an icon)."""
        if not spans:
            return self
        first = self.lines[0] if self.lines else ()
        return Message(lines=(tuple(spans) + first,) + self.lines[1:], fields=self.fields,
                       buttons=self.buttons, kind=self.kind)

    def plain_text(self, *, mention: Callable[[str], str] | None = None) -> str:
        """The message as plain text (mentions as @user unless `mention` says otherwise)."""
        name = mention or (lambda user: f"@{user}")
        out = [line_text(line, name) for line in self.lines]
        out += [f"{label}: {line_text(value, name)}" for label, value in self.fields]
        return "\n".join(out)


def line_text(line: Line, mention: Callable[[str], str]) -> str:
    """Join a line's spans as plain text."""
    parts = []
    for span in line:
        if isinstance(span, Text | Strong):
            parts.append(span.text)
        elif isinstance(span, Mention):
            parts.append(mention(span.user))
        elif isinstance(span, RoomRef):
            parts.append(f"#{span.room}")
    return "".join(parts)


@dataclass(frozen=True)
class MessageRef:
    """Where a posted message lives, so it can be updated or pinned later."""

    room: str
    id: str


@dataclass(frozen=True)
class Context:
    """Who is acting, where: the neutral part of any inbound event."""

    workspace: str  # platform team / corp id; "console" for the local workspace
    user: str
    room: str
    platform: str = "console"
    # A platform-supplied key for de-duplicating retried deliveries (Slack retries, WeCom MsgId).
    delivery_id: str | None = None


@dataclass(frozen=True)
class Action:
    """What a button means, on every platform: bot/ draws it, the platform hands back its action id and
    value untouched, and `Action.read(...).command()` turns it into the command it stands for.

    The value is `<incident>:<args…>`; platforms may add `:<n>` to the action id to keep ids unique.
    """

    kind: str  # one of ACTIONS
    incident: int
    args: tuple[str, ...] = ()

    @property
    def value(self) -> str:
        """The button value sent to the platform."""
        return ":".join((str(self.incident), *self.args))

    def button(self, label: str, *, style: str | None = None, confirm: str | None = None) -> Button:
        """This action as a button."""
        return Button(label=label, action_id=self.kind, value=self.value, style=style, confirm=confirm)

    @staticmethod
    def read(action_id: str, value: str) -> Action | None:
        """A button's action id and value back as the action; None for anything the bot did not draw."""
        kind = action_id.split(":", 1)[0]
        if kind not in ACTIONS or (":" in action_id and not action_id.split(":", 1)[1].isdecimal()):
            return None
        number, *rest = value.split(":", ACTIONS[kind])
        if not number.isdecimal() or len(rest) != ACTIONS[kind] or not all(rest):
            return None
        return Action(kind=kind, incident=int(number), args=tuple(rest))

    def command(self, *, snooze_reason: str = "") -> commands.Command:
        """The command a press of this button runs (an `answer_form` press: an Answer with no value yet)."""
        n, args = self.incident, self.args
        if self.kind == "task_done":
            return commands.Done(task=args[0], incident=n)
        if self.kind == "phase_next":
            return commands.Phase(target="next", incident=n)
        if self.kind == "answer_form":
            return commands.Answer(question=args[0], value="", incident=n)
        if self.kind == "snooze":
            return commands.Snooze(phase=args[0], duration=args[1], reason=snooze_reason, incident=n)
        if self.kind == "approve":
            return commands.Approve(number=int(args[0]) if args[0].isdecimal() else None, incident=n)
        return commands.Answer(question=args[0], value=args[1], incident=n)


# Each action and how many parts follow the incident number in its value (the last part may hold ':').
ACTIONS: dict[str, int] = {"answer": 2, "answer_form": 1, "task_done": 1, "phase_next": 0, "approve": 1, "snooze": 2}


@dataclass
class Upload:
    """A file to hand to people in a room."""

    filename: str
    content: bytes
    title: str = ""


class DeliveryError(Exception):
    """A platform call that did not do what was asked, with its kind.

    `permanent`: the same call cannot succeed later (an archived room, an unknown person, a message
    too large); the outbox sets it aside and uses a fallback instead of retrying. Otherwise it is
    temporary (rate limit, 5xx, timeout, reset) and retried with backoff, after `retry_after` seconds
    at the earliest. `subject` says what was refused: "room", "user", "size" or "call".
    """

    def __init__(self, code: str, *, permanent: bool, subject: str = "call", retry_after: float | None = None,
                 detail: str = "") -> None:
        self.code, self.permanent, self.subject, self.retry_after = code, permanent, subject, retry_after
        self.detail = detail
        super().__init__(detail or code)


class Chat(ABC):
    """What the bot needs from a chat platform. Implementations only translate."""

    platform: str = "abstract"
    # Whether the platform hands over people it recognised in typed text as `<@id|label>` (Slack does; on the
    # console and WeCom everything in a message was typed, so a look-alike stays text).
    marks_mentions: bool = False
    # How many outbox lanes (a war room, one invite, a person) may be sent to at once after a command: calls
    # that do not depend on each other go out together (a war room's invites beside its status). 1: in turn.
    parallel_lanes: int = 1
    # Whether the firm's roster is everyone there is (the console: people exist only as breachbot.toml lists
    # them); a platform with its own directory (Slack, WeCom) answers find_user from it instead.
    roster_is_everyone: bool = False
    # Whether a person can hand the bot a file with a command (Slack: shared with it; the console: a path). A WeCom
    # app never receives one, so the register is imported through a signed upload link (bot/flows/register_import.py).
    receives_files: bool = True

    @abstractmethod
    def create_room(self, *, name: str, topic: str, members: list[str], private: bool = True,
                    title: str = "") -> str:
        """Create a room (private by default) with these members; return its id.

        `name` is the base name (breach-<n>); a platform may add a slug from `title`.
        """

    @abstractmethod
    def invite(self, *, room: str, users: list[str]) -> None:
        """Add people to a room; people already in it are not an error."""

    @abstractmethod
    def post(self, *, room: str, message: Message) -> MessageRef:
        """Post a message in a room."""

    @abstractmethod
    def update(self, *, ref: MessageRef, message: Message) -> None:
        """Replace a posted message in place."""

    @abstractmethod
    def pin(self, *, ref: MessageRef) -> None:
        """Pin a posted message in its room."""

    @abstractmethod
    def set_topic(self, *, room: str, topic: str) -> None:
        """Set a room's topic line."""

    @abstractmethod
    def direct(self, *, user: str, message: Message) -> MessageRef:
        """Send a person a direct message."""

    @abstractmethod
    def reply(self, *, context: Context, message: Message, public: bool = False) -> None:
        """Answer the person who acted: only they see it unless `public`."""

    @abstractmethod
    def upload(self, *, room: str, upload: Upload) -> str:
        """Share a file in a room; return where it can be found (a URL or a path)."""

    def display_name(self, user: str) -> str:
        """How a person is named in plain text (reports, exports)."""
        return user

    def fits(self, message: Message) -> bool:
        """Whether the platform accepts this message as one (its size limits); parts are sent otherwise."""
        return True

    def find_user(self, typed: str) -> str | None:
        """The platform's id of a person typed as text (an id, a name, an e-mail); None if there is none."""
        return typed

    def check_user(self, user: str) -> str | None:
        """Why a stored person id is not a usable account ('user_not_found', 'deactivated'…); None if it is."""
        return None

    def post_once(self, *, room: str, message: Message, key: str) -> MessageRef:
        """Post, marking the message with `key` where the platform keeps such marks (Slack: its metadata),
        so `sent_before` can find it after a crash; elsewhere a plain post."""
        return self.post(room=room, message=message)

    def direct_once(self, *, user: str, message: Message, key: str) -> MessageRef:
        """A direct message marked with `key` like `post_once`, found again by `sent_before(room=user, …)` where
        the platform lets the bot read its direct messages back; elsewhere a plain direct message."""
        return self.direct(user=user, message=message)

    def sent_before(self, *, room: str, key: str) -> bool | None:
        """Whether a message marked `key` is in `room` (or in the direct messages with a person's id): True,
        False, or None when the platform cannot tell (the outbox then sends again: at-least-once for it)."""
        return None


@dataclass
class Sent:
    """One thing a platform did, as recorded by recording platforms (console, tests)."""

    op: str
    room: str | None = None
    user: str | None = None
    message: Message | None = None
    text: str = ""
    extra: dict = field(default_factory=dict)


_SPANS = {"text": Text, "strong": Strong, "mention": Mention, "room": RoomRef}
_KINDS = {cls: name for name, cls in _SPANS.items()}


def _span_dict(span: Span) -> dict:
    value = span.user if isinstance(span, Mention) else span.room if isinstance(span, RoomRef) else span.text
    return {"t": _KINDS[type(span)], "v": value}


def _span(data: dict) -> Span:
    return _SPANS[data["t"]](data["v"])


def message_to_dict(message: Message) -> dict:
    """A message as JSON-able data (for the outbox)."""
    return {
        "kind": message.kind,
        "lines": [[_span_dict(s) for s in line] for line in message.lines],
        "fields": [[label, [_span_dict(s) for s in value]] for label, value in message.fields],
        # `line` only when set, so a message without anchored buttons keeps its old shape.
        "buttons": [{k: v for k, v in vars(b).items() if k != "line" or v is not None} for b in message.buttons],
    }


def message_from_dict(data: dict) -> Message:
    """The inverse of message_to_dict."""
    return Message(
        lines=tuple(tuple(_span(s) for s in line) for line in data.get("lines", [])),
        fields=tuple((label, tuple(_span(s) for s in value)) for label, value in data.get("fields", [])),
        buttons=tuple(Button(**b) for b in data.get("buttons", [])),
        kind=data.get("kind", "info"),
    )


def beside(chat: Chat, call: Callable[[], None]) -> Callable[[], None]:
    """Start a platform call on a thread of its own when the platform takes calls in parallel; returns what
    waits for it and raises its failure. Otherwise the call is made when that is called."""
    if chat.parallel_lanes <= 1:
        return call
    failed: list[BaseException] = []
    context = contextvars.copy_context()  # the workspace acted for goes with it

    def run() -> None:
        try:
            context.run(call)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            failed.append(exc)

    thread = threading.Thread(target=run, name="platform-call", daemon=True)
    thread.start()

    def wait() -> None:
        thread.join()
        if failed:
            raise failed[0]
    return wait
