"""The local workspace: named people in rooms typing `/breach …`, interactively or from a script."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from bot.app import Breachbot
from bot.chat import Context, Sent
from bot.clock import OffsetClock, VirtualClock
from bot.commands import ClientsImport
from bot.errors import ConfigError, UserError
from bot.flows import lookups, tenancy
from bot.text.i18n import text as t
from bot.text.times import parse_duration, zone_label
from bot.text.worded import shown as as_typed
from handlers.console.chat import ConsoleChat, render
from handlers.console.restore import keep_clock, restore_rooms
from handlers.router import command_word, is_command, parse

WORKSPACE_ID = "console"
_LINE = re.compile(r"^(?P<user>[\w.\-]+)\s*(?:#(?P<room>[\w.\-]+))?\s*>\s?(?P<text>.*)$", re.UNICODE)


def _chinese_command(text: str) -> bool:
    """Whether a line starts with a Chinese command word (`完成 3。`, `状态`)."""
    words = text.strip().split(None, 1)
    return bool(words) and bool(re.search(r"[\u3400-\u9fff]", words[0])) and command_word(words[0]) is not None


class ScriptError(ValueError):
    """A script line that is not `USER #ROOM> TEXT`, `~ time`, a comment or blank."""


@dataclass
class ConsoleWorkspace:
    """Drives a Breachbot through the console platform; what tests and `breachbot console` use."""

    bot: Breachbot
    chat: ConsoleChat
    clock: VirtualClock | OffsetClock
    user: str = "alice"

    def __post_init__(self) -> None:
        self.rooms: dict[str, str] = {}
        self.resumed: datetime | None = None  # the clock went on from the time an earlier run recorded
        # A text block in progress: `/breach draft edit D-1 <<<`, lines, then `>>>`.
        self._block: tuple[str, str, list[str]] | None = None
        # A second run on the same database finds its war rooms, members and pinned status again.
        restore_rooms(self.bot, self.chat)
        self.chat.names = dict(self.bot.firm.people)
        self.user = self.person(self.user)

    def person(self, name: str) -> str:
        """A person as typed: their id, or their display name from the roster (`陈晓` → carol)."""
        name = name.strip().lstrip("@")
        return next((user for user, shown in self.bot.firm.people.items() if shown == name), name)

    def shown(self, user: str) -> str:
        """How the console names a person: the roster's display name, else the id."""
        return self.bot.firm.people.get(user, user)

    def roster_people(self) -> list[str]:
        """Everyone the firm lists (roster first, then [people]), each once; empty when there is no roster."""
        with tenancy.serving(self.bot, WORKSPACE_ID):  # the roster as the firm's admins set it (/breach config)
            return self.bot.firm.listed()

    def known_person(self, typed: str) -> str | None:
        """The person a name, display name or roster number stands for; None when the roster has no such person
        (any name goes when there is no roster at all)."""
        people = self.roster_people()
        typed = typed.strip()
        if typed.isdigit() and 1 <= int(typed) <= len(people):
            return people[int(typed) - 1]
        person = self.person(typed)
        return person if person in people or (not people and person) else None

    def unknown_person(self, typed: str, *, key: str = "console.unknown_user") -> str:
        """The line for a name not on the roster, listing the names to choose from."""
        people = self.roster_people()
        sep = "、" if self.bot.lang == "zh" else ", "
        names = sep.join(self.shown(p) + ((f"（{p}）" if self.bot.lang == "zh" else f" ({p})")
                                          if p in self.bot.firm.people else "") for p in people)
        return t(self.bot.lang, key, name=typed.strip(), names=names, example=people[0], user=self.shown(self.user))

    def _ids_for_names(self, text: str) -> str:
        """`@陈晓` typed in a command → `@carol`, the id the bot knows."""
        for user, shown in sorted(self.bot.firm.people.items(), key=lambda p: -len(p[1])):
            text = re.sub(rf"[@＠]{re.escape(shown)}(?![\w.\-])", f"@{user}", text)
        return text

    def land(self, user: str) -> None:
        """Put a person who has not moved yet in their war room, when they are on exactly one open incident."""
        if user in self.rooms:
            return
        context = Context(workspace=WORKSPACE_ID, user=user, room="general", platform="console")
        with tenancy.serving(self.bot, WORKSPACE_ID):
            rooms = lookups.open_war_rooms(self.bot, context)
        if len(rooms) == 1 and rooms[0] in self.chat.rooms:
            self.rooms[user] = rooms[0]

    def lang(self) -> str:
        """The workspace's language, as its admins set it (/breach config lang), for what the console says itself."""
        with tenancy.serving(self.bot, WORKSPACE_ID):
            return self.bot.lang

    def room_of(self, user: str) -> str:
        """The room a person is in now (#general until they move)."""
        return self.rooms.get(user, "general")

    def say(self, user: str, text: str, room: str | None = None) -> list[Sent]:
        """`user` types `text` in `room` (or where they are); returns what the bot did in answer."""
        user, text = self.person(user), self._ids_for_names(text)
        room = (room or self.room_of(user)).lstrip("#")
        self.chat.ensure_room(room)
        self.rooms[user] = room
        before = len(self.chat.sent)
        # `／breach` too, as a Chinese keyboard types it; a lone command word (`状态`) is that command, as on WeCom.
        # A line that starts with a Chinese command word (`完成 3。`) is that command too, as on WeCom; an English
        # word is not, since people chat in English in the same rooms ("done with the logs").
        if is_command(text) or command_word(text.strip()) is not None or _chinese_command(text):
            context = Context(workspace=WORKSPACE_ID, user=user, room=room, platform="console")
            with tenancy.serving(self.bot, WORKSPACE_ID):  # read in the firm's own language (/breach config)
                try:
                    command = self._local_files(parse(text, lang=self.bot.lang))
                except UserError as exc:
                    self.chat.reply(context=context, message=exc.message)
                else:
                    self.bot.handle(context, command)
        return self.chat.sent[before:]

    def _local_files(self, command: object) -> object:
        """The console's own part of a file upload: read the path the person typed."""
        if isinstance(command, ClientsImport) and command.content is None:
            path = Path(command.source).expanduser()
            if not command.source or not path.is_file():
                raise UserError(t(self.bot.lang, "console.no_file", path=command.source))
            return replace(command, content=path.read_bytes())
        return command

    def advance(self, to: datetime) -> list[Sent]:
        """Move the clock to `to`, firing every alert due on the way at its own time, in order."""
        before = len(self.chat.sent)
        self.bot.advance(to)
        return self.chat.sent[before:]

    def parse_time(self, spec: str) -> datetime:
        """`+90m`, `+2h`, or an ISO time (no offset = workspace timezone)."""
        spec = spec.strip()
        if spec.startswith("+"):
            return self.clock.now() + parse_duration(spec[1:])
        when = datetime.fromisoformat(spec)
        if when.tzinfo is None:
            when = when.replace(tzinfo=ZoneInfo(self.bot.timezone))
        return when.astimezone(UTC)

    # -- a line of input, scripted or typed --------------------------------------------------------
    def line(self, raw: str, *, out: TextIO, interactive: bool = False) -> bool:
        """Act on one line; False means quit. Raises ScriptError for a line it cannot read."""
        if self._block is not None:
            user, head, body = self._block
            if raw.strip() == ">>>":
                self._block = None
                self.say(user, head + "\n" + "\n".join(body))
            else:
                body.append(raw.rstrip("\n"))
            return True
        text = raw.strip()
        if not text or text.startswith(";"):
            return True
        if text.endswith("<<<"):
            match = _LINE.match(text)
            user, head = (match["user"], match["text"]) if match else (self.user, text)
            if match and match["room"]:
                self.rooms[user] = match["room"]
            self._block = (user, head[:-3].rstrip(), [])
            return True
        if text.startswith("~"):
            try:
                target = self.parse_time(text[1:])
            except ValueError as exc:
                raise ScriptError(t(self.lang(), "console.bad_time", text=text)) from exc
            if target < self.clock.now():
                raise ScriptError(t(self.lang(), "console.past", text=text))
            self.advance(target)
            keep_clock(self.bot, target)
            out.write(f"~ {target.astimezone(ZoneInfo(self.bot.timezone)):%Y-%m-%d %H:%M} "
                      f"{zone_label(self.bot.timezone, target)}\n")
            return True
        if text.startswith(":"):
            return self._meta(text, out)
        if interactive and not _LINE.match(text):
            self.say(self.user, text)
            return True
        match = _LINE.match(text)
        if not match:
            raise ScriptError(t(self.lang(), "console.bad_line", text=text))
        self.say(match["user"], match["text"], match["room"])
        if interactive:
            self.user = self.person(match["user"])
        return True

    def _meta(self, text: str, out: TextIO) -> bool:
        word, _, arg = text.partition(" ")
        arg = arg.strip()
        if word == ":quit" or word == ":q":
            return False
        if word == ":as" and arg:
            if (found := self.known_person(arg)) is None:  # not on the roster: say so, stay who you are
                out.write(self.unknown_person(arg, key="console.unknown_as") + "\n")
                return True
            self.user = found
            self.land(found)
        elif word == ":room" and arg:
            room = arg.lstrip("#")
            if room not in self.chat.rooms:  # a typo or a war room not made yet: say so, stay where you are
                out.write(t(self.bot.lang, "console.no_room", room=room,
                            rooms=("、" if self.bot.lang == "zh" else ", ").join(f"#{r}" for r in self.chat.rooms))
                          + "\n")
                return True
            self.rooms[self.user] = room
        elif word == ":rooms":
            lang = self.bot.lang
            for name, room in self.chat.rooms.items():
                members = ("、" if lang == "zh" else ", ").join(sorted(self.shown(m) for m in room["members"]))
                out.write(t(lang, "console.room_line", room=name, topic=f" {room['topic']}" if room["topic"] else "",
                            kind=t(lang, f"console.room_{'private' if room['private'] else 'public'}"),
                            members=members or t(lang, "console.no_members")).rstrip() + "\n")
        elif word == ":pins" and arg:
            for message in self.chat.pinned(arg.lstrip("#")):
                out.write(render(message, self.chat.names) + "\n")
        else:
            raise ScriptError(t(self.lang(), "console.unknown_command", text=text))
        return True

    def run_script(self, lines: Iterable[str], *, out: TextIO) -> int:
        """Run a script; 0 when every line was read, 2 naming the first line that was not."""
        for number, raw in enumerate(lines, start=1):
            try:
                if not self.line(raw, out=out):
                    break
            except ScriptError as exc:
                out.write(t(self.lang(), "console.script_line", number=number, error=exc) + "\n")
                return 2
            # What is due now goes out now, as the interactive console's scheduler sends it: an overdue phase
            # or a prompt due at declare does not wait for the next `~` line.
            self.fire_due()
        return 0

    def fire_due(self) -> list[Sent]:
        """Send every alert already due at the current virtual time (the clock does not move)."""
        return self.advance(self.clock.now())

    def prompt(self) -> str:
        """The interactive prompt: `alice #general> `."""
        return f"{self.shown(self.user)} #{self.room_of(self.user)}> "


def clock_for(now: str | None, *, interactive: bool) -> VirtualClock | OffsetClock:
    """Scripts run on a virtual clock (from --now, or the real time); people get real time they can skip."""
    if now:
        try:
            start = datetime.fromisoformat(now)
        except ValueError:
            start = None
        if start is None or start.tzinfo is None:
            raise ConfigError("problem.settings.now", value=as_typed(now))
        return VirtualClock(start) if not interactive else OffsetClock(start - datetime.now(UTC))
    return VirtualClock(datetime.now(UTC)) if not interactive else OffsetClock(timedelta(0))
