"""The console platform: rooms and people in memory, every message printed as `[#room] text`."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path
from typing import TextIO

from bot.chat import Chat, Context, DeliveryError, Message, MessageRef, RoomRef, Sent, Upload


def render(message: Message, names: dict[str, str] | None = None) -> str:
    """A message as console text: mentions as @name (the roster's display name when it has one), rooms as #name."""
    if not names:
        return message.plain_text()
    return message.plain_text(mention=lambda user: f"@{names.get(user, user)}")


class ConsoleChat(Chat):
    """A whole chat workspace in one process. Records everything it did in `sent`."""

    platform = "console"
    roster_is_everyone = True  # with a roster in breachbot.toml, a name not on it is nobody

    def __init__(self, out: TextIO | None = None, uploads: Path | None = None) -> None:
        self.out = out if out is not None else sys.stdout
        self.uploads = uploads or Path("breachbot-files")
        self.rooms: dict[str, dict] = {"general": {"members": set(), "topic": "", "private": False, "pins": []}}
        self.messages: dict[str, tuple[str, Message]] = {}
        self.sent: list[Sent] = []
        self._ids = itertools.count(1)
        self.names: dict[str, str] = {}  # person id → display name ([people] in breachbot.toml)

    # -- output ---------------------------------------------------------------------------------
    def _print(self, where: str, message: Message) -> None:
        text = render(message, self.names)
        first, *rest = text.split("\n") if text else [""]
        lines = [f"[{where}] {first}"] + [f"    {line}" for line in rest]
        self.out.write("\n".join(lines) + "\n")
        self.out.flush()

    # -- the Chat port --------------------------------------------------------------------------
    def create_room(self, *, name: str, topic: str, members: list[str], private: bool = True,
                    title: str = "") -> str:
        room = name
        suffix = 2
        while room in self.rooms:
            room, suffix = f"{name}-{suffix}", suffix + 1
        self.rooms[room] = {"members": set(members), "topic": topic, "private": private, "pins": []}
        self.sent.append(Sent("create_room", room=room, text=topic, extra={"members": list(members),
                                                                         "private": private}))
        return room

    def invite(self, *, room: str, users: list[str]) -> None:
        self._room(room)["members"].update(users)
        self.sent.append(Sent("invite", room=room, extra={"users": list(users)}))

    def post(self, *, room: str, message: Message) -> MessageRef:
        self._room(room)
        ref = MessageRef(room=room, id=str(next(self._ids)))
        self.messages[ref.id] = (room, message)
        self.sent.append(Sent("post", room=room, message=message, text=render(message, self.names), extra={"id": ref.id}))
        self._print(f"#{room}", message)
        return ref

    def update(self, *, ref: MessageRef, message: Message) -> None:
        if ref.id not in self.messages:
            raise DeliveryError("message_not_found", permanent=True, subject="message", detail=f"#{ref.room} {ref.id}")
        self.messages[ref.id] = (ref.room, message)
        self.sent.append(Sent("update", room=ref.room, message=message, text=render(message, self.names), extra={"id": ref.id}))

    def pin(self, *, ref: MessageRef) -> None:
        self._room(ref.room)["pins"].append(ref.id)
        self.sent.append(Sent("pin", room=ref.room, extra={"id": ref.id}))

    def set_topic(self, *, room: str, topic: str) -> None:
        self._room(room)["topic"] = topic
        self.sent.append(Sent("topic", room=room, text=topic))

    def direct(self, *, user: str, message: Message) -> MessageRef:
        ref = MessageRef(room=f"@{user}", id=str(next(self._ids)))
        self.sent.append(Sent("direct", user=user, message=message, text=render(message, self.names)))
        self._print(f"@{self.names.get(user, user)}", message)
        return ref

    def reply(self, *, context: Context, message: Message, public: bool = False) -> None:
        self.sent.append(Sent("reply", room=context.room, user=context.user, message=message, text=render(message, self.names),
                              extra={"public": public}))
        # An answer only the person sees (Slack's ephemeral reply, WeCom's chat with the app) is printed as theirs,
        # so a signed link or a clock list typed in #general is not shown as said in the room.
        self._print(f"#{context.room}" if public else f"@{self.names.get(context.user, context.user)}", message)

    def upload(self, *, room: str, upload: Upload) -> str:
        self.uploads.mkdir(parents=True, exist_ok=True)
        path = self.uploads / upload.filename
        path.write_bytes(upload.content)
        self.sent.append(Sent("upload", room=room, text=str(path)))
        self._print(f"#{room}", Message.plain(f"📎 {upload.title or upload.filename}: {path}"))
        return str(path)

    # -- console helpers ------------------------------------------------------------------------
    def _room(self, room: str) -> dict:
        if room not in self.rooms:
            raise DeliveryError("channel_not_found", permanent=True, subject="room", detail=f"#{room}")
        return self.rooms[room]

    def ensure_room(self, room: str) -> None:
        """Make a public room exist (people can walk into any public room in the console)."""
        self.rooms.setdefault(room, {"members": set(), "topic": "", "private": False, "pins": []})

    def continue_ids(self, start: int) -> None:
        """Give out message ids from `start` on (after a restart, past those already stored)."""
        self._ids = itertools.count(start)

    def pinned(self, room: str) -> list[Message]:
        """The current text of a room's pinned messages."""
        return [self.messages[i][1] for i in self._room(room)["pins"]]


__all__ = ["ConsoleChat", "RoomRef", "render"]
