"""What a command wants said, collected during its transaction and delivered after commit.

Nothing reaches chat until the change it announces is committed; if delivery then fails,
the record stands and the person is told what did not go out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.chat import Message


@dataclass
class Outbox:
    """Ordered chat effects of one command."""

    replies: list[tuple[Message, bool]] = field(default_factory=list)
    posts: list[tuple[str, Message]] = field(default_factory=list)
    directs: list[tuple[str, Message]] = field(default_factory=list)
    invites: list[tuple[str, list[str]]] = field(default_factory=list)
    refresh: set[int] = field(default_factory=set)
    # Other due alerts this message also says (questions asked again together); marked sent with it.
    covers: list[int] = field(default_factory=list)

    def reply(self, message: Message, *, public: bool = False) -> None:
        """Answer the person who acted."""
        self.replies.append((message, public))

    def post(self, room: str | None, message: Message) -> None:
        """Post in a room (ignored when the incident has no room yet)."""
        if room:
            self.posts.append((room, message))

    def direct(self, user: str, message: Message) -> None:
        """Send someone a direct message."""
        self.directs.append((user, message))

    def invite(self, room: str | None, users: list[str]) -> None:
        """Bring people into a room."""
        if room and users:
            self.invites.append((room, users))
