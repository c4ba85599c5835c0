"""What a command wants said, collected during its transaction, stored with it, delivered after commit.

Nothing reaches chat until the change it announces is committed; what is to be delivered is
written in the same transaction (the delivery outbox), so a failure after the commit loses nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.chat import Button, Line, Message, RoomRef, Span, Strong, Text, Upload


class HasRoom(Protocol):
    """An incident as the outbox needs it: its id and its war room (None while it is being made)."""

    id: int | None
    war_room: str | None


@dataclass
class Outbox:
    """Ordered chat effects of one command."""

    replies: list[tuple[Message, bool]] = field(default_factory=list)
    # (incident id, room or None while the war room is being made, message)
    posts: list[tuple[int | None, str | None, Message]] = field(default_factory=list)
    directs: list[tuple[str, Message]] = field(default_factory=list)
    # E-mails through the firm's mail server: (address, subject, plain text, language).
    emails: list[tuple[str, str, str, str]] = field(default_factory=list)
    invites: list[tuple[int | None, list[str]]] = field(default_factory=list)
    refresh: set[int] = field(default_factory=set)
    # War rooms to make after the commit: (incident id, base name, title, first members).
    rooms: list[tuple[int, str, str, list[str]]] = field(default_factory=list)
    # Files to share in a war room after the commit, each with the message naming it (FILE_PLACE where it
    # says where the file is): (position among `posts`, incident id, file, message).
    uploads: list[tuple[int, int, Upload, Message]] = field(default_factory=list)
    # Other due alerts this message also says (questions asked again together); counted with it.
    covers: list[int] = field(default_factory=list)
    # Question keys asked again by this alert: counted as asked once delivered, not before.
    reasked: list[str] = field(default_factory=list)
    # Stored with every row: which alerts it says, so delivery is what marks them said.
    meta: dict[str, Any] = field(default_factory=dict)
    # The incident direct messages are about (for their fallback); else the first one spoken about.
    about: int | None = None

    def reply(self, message: Message, *, public: bool = False) -> None:
        """Answer the person who acted."""
        self.replies.append((message, public))

    def post(self, incident: HasRoom | None, message: Message) -> None:
        """Post in an incident's war room (made after the commit when it does not exist yet)."""
        if incident is not None and incident.id is not None:
            self.posts.append((incident.id, incident.war_room, message))

    def upload(self, incident: HasRoom, upload: Upload, message: Message) -> None:
        """Share a file in an incident's war room after the commit, then post `message` naming it (FILE_PLACE in
        it becomes where the platform put the file), in order with the room's other posts."""
        assert incident.id is not None
        self.uploads.append((len(self.posts), incident.id, upload, message))

    def direct(self, user: str, message: Message) -> None:
        """Send someone a direct message."""
        self.directs.append((user, message))

    def email(self, address: str, *, subject: str, text: str, lang: str) -> None:
        """Send an e-mail through the firm's mail server (a partner listed by address)."""
        self.emails.append((address, subject, text, lang))

    def invite(self, incident: HasRoom | None, users: list[str]) -> None:
        """Bring people into an incident's war room."""
        if incident is not None and incident.id is not None and users:
            self.invites.append((incident.id, users))

    def make_room(self, incident: HasRoom, *, name: str, title: str, members: list[str]) -> None:
        """Make the incident's war room after the commit, then post and pin its status there."""
        assert incident.id is not None
        self.rooms.append((incident.id, name, title, members))

    def incident_ids(self) -> list[int]:
        """The incidents this command spoke about, first one first."""
        seen = ([self.about] if self.about is not None else []) + [i for i, _, _ in self.posts if i is not None] + [i for i, _ in self.invites if i is not None]
        seen += [i for _, i, _, _ in self.uploads]
        seen += [i for i, *_ in self.rooms] + sorted(self.refresh)
        return list(dict.fromkeys(seen))


# A war room that does not exist yet (its creation is a step after the declare's commit): messages
# written before it exists name it with this, and the outbox puts the real room in when sending.
PENDING_ROOM = "war-room-of:"


def pending_room(incident_id: int) -> str:
    """The stand-in room id of an incident whose war room is not made yet."""
    return f"{PENDING_ROOM}{incident_id}"


def with_rooms(message: Message, rooms: Callable[[str], str | None]) -> Message:
    """The message with stand-in rooms replaced by real ones (`rooms` answers None: left as it is)."""
    def swap(line: Line) -> Line:
        out: list[Span] = []
        for span in line:
            if isinstance(span, RoomRef) and span.room.startswith(PENDING_ROOM):
                real = rooms(span.room)
                out.append(RoomRef(real) if real else Text("-"))
            else:
                out.append(span)
        return tuple(out)
    return Message(lines=tuple(swap(line) for line in message.lines),
                   fields=tuple((label, swap(value)) for label, value in message.fields),
                   buttons=message.buttons, kind=message.kind)


# Where a shared file can be found, unknown until the platform has it: the message naming the file says this,
# and the outbox puts the platform's answer (a link, a name, a path) in when it posts the message.
FILE_PLACE = "\ue000file\ue000"


def with_file(message: Message, where: str) -> Message:
    """The message with FILE_PLACE replaced by where the file is."""
    def swap(line: Line) -> Line:
        return tuple(type(s)(s.text.replace(FILE_PLACE, where)) if isinstance(s, Text | Strong) else s for s in line)
    return Message(lines=tuple(swap(line) for line in message.lines),
                   fields=tuple((label, swap(value)) for label, value in message.fields),
                   buttons=message.buttons, kind=message.kind)


def split_message(message: Message, fits: Callable[[Message], bool], *, heading: Callable[[int, int], str],
                  max_parts: int = 50) -> list[Message]:
    """The message as few parts as `fits` accepts, cut between lines (a too-long line between words).

    Parts after the first start with `heading(i, n)` ("(continued 2/3)"); buttons go with the line
    they belong to, fields and other buttons with the last part. Each part is rendered (and escaped)
    on its own, so nothing is ever cut inside an escape or a mention.
    """
    if fits(message):
        return [message]
    lines = [line for line in message.lines]
    pieces: list[list[int]] = [list(range(len(lines)))]  # indices into `lines`
    # Lines too long on their own are cut into several lines first (text only, between words).
    expanded: list[Line] = []
    origin: list[int] = []
    for index, line in enumerate(lines):
        for cut in _cut_line(line, fits):
            expanded.append(cut)
            origin.append(index)
    lines = expanded
    pieces = [list(range(len(lines)))]

    def build(part: list[int], number: int, total: int) -> Message:
        body = tuple(lines[i] for i in part)
        anchored = {origin[i] for i in part}
        last = number == total
        buttons = tuple(b for b in message.buttons
                        if (b.line is not None and b.line in anchored) or (b.line is None and last))
        first_line = {origin[i]: n for n, i in reversed(list(enumerate(part)))}
        buttons = tuple(Button(**{**vars(b), "line": first_line.get(b.line) if b.line is not None else None})
                        for b in buttons)
        head = ((Text(heading(number, total)),),) if number > 1 else ()
        shift = len(head)
        buttons = tuple(Button(**{**vars(b), "line": b.line + shift}) if b.line is not None else b for b in buttons)
        return Message(lines=head + body, fields=message.fields if last else (), buttons=buttons, kind=message.kind)

    for _ in range(max_parts):
        total = len(pieces)
        bad = next((n for n, part in enumerate(pieces) if len(part) > 1 and not fits(build(part, n + 1, total + 1))),
                   None)
        if bad is None:
            break
        part = pieces[bad]
        middle = len(part) // 2
        pieces[bad:bad + 1] = [part[:middle], part[middle:]]
    total = len(pieces)
    return [build(part, n + 1, total) for n, part in enumerate(pieces)]


def _cut_line(line: Line, fits: Callable[[Message], bool]) -> list[Line]:
    """A line that does not fit alone becomes several, each text span cut between words."""
    if fits(Message(lines=(line,))) or not any(isinstance(s, Text | Strong) and len(s.text) > 200 for s in line):
        return [line]
    out: list[Line] = []
    for span in line:
        if isinstance(span, Text | Strong) and len(span.text) > 200:
            text = span.text
            while text:
                size = len(text)
                while size > 200 and not fits(Message(lines=((type(span)(text[:size]),),))):
                    size = size // 2
                cut = text.rfind(" ", size // 2, size) if size < len(text) else size
                cut = cut if cut > 0 else size
                out.append((type(span)(text[:cut]),))
                text = text[cut:].lstrip(" ")
        else:
            out.append((span,))
    return out
