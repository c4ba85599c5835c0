"""The Chat port on WeCom: war rooms are app group chats (`appchat`), people get app messages.

What WeCom cannot do, and what happens instead:
- An app chat needs at least two members. A war room for one person (no roster, nobody
  else yet) is *deferred*: its chatid is reserved and its posts go to that person as 1:1 app
  messages; the group is created the moment a second person is invited (usually the first
  `/breach assign`), and then shows the current status.
- Sent messages cannot be edited. `update` sends nothing, except the first status after a
  deferred room became a group, so the people who just joined see where things stand. Every
  change already posts its own line in the room, and `/breach status` shows the rest.
- Commands come from a person's 1:1 chat with the app (`dm:<userid>`); anything the bot
  says "in" that room is an app message to that person.
- There is no pin and no topic. `pin` and `set_topic` do nothing (renaming the group would
  post a system notice on every change).
- There are no buttons. A question prompt says which number means what, and everyone who was
  shown it may answer with just that number in their 1:1 chat (`numbered.Prompts` remembers
  who saw which prompt); several questions in one message are answered `Q3 2`.
"""

from __future__ import annotations

import io
import itertools
import logging
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.chat import Chat, Context, Line, Message, MessageRef, Text, Upload, acting_workspace, line_text
from bot.clock import Clock, SystemClock
from bot.text.i18n import text as t
from handlers.wecom.api import WeComAPIError, WeComClient, call, check_delivered, translated
from handlers.wecom.numbered import Prompts, Seen, hint
from handlers.wecom.pacing import Pace
from handlers.wecom.render import escape, render, split

log = logging.getLogger("breachbot.wecom")

DM_PREFIX = "dm:"
GROUP_NAME_MAX = 50  # WeCom cuts app chat names at 50 characters
CHAT_EXISTS = 86215  # appchat/create: "chatid exists"
_CHAT_ID = re.compile(r"^([a-z]+)(\d+)z[0-9a-f]+$")


def dm_room(user: str) -> str:
    """The room id of a person's 1:1 chat with the app (commands arrive there)."""
    return f"{DM_PREFIX}{user}"


@dataclass
class WarRoom:
    """What this process knows about one app chat."""

    name: str
    owner: str
    members: list[str] = field(default_factory=list)
    created: bool = False  # False: deferred until it has two members; posts go 1:1
    status_due: bool = False  # became a group after its status went out: show the next one (one process only;
    # with `WeComChat.due` set, as web.build does, the database says so for every process)


class WeComChat(Chat):
    """App chats for war rooms, app messages for people. Every API failure raises WeComAPIError."""

    platform = "wecom"
    receives_files = False  # callbacks carry text, images, voice, video, locations and links, never a file

    def __init__(self, client: WeComClient, *, agent_id: int, markdown: bool = True,
                 team: Callable[[str], list[str]] | None = None) -> None:
        self._client, self._agent_id = client, agent_id
        # Several corps on one deployment: each corp's client and agent, by the corp being acted for.
        self.corps: dict[str, tuple[WeComClient, int]] = {}
        self.markdown = markdown
        # Who is on a war room's team, from the database: rebuilds a deferred room after a restart.
        self.team = team
        # Question prompts people may answer with a number (set by web.build; None: no numbers shown).
        self.prompts: Prompts | None = None
        self.rooms: dict[str, WarRoom] = {}
        self.clock: Clock = SystemClock()  # the bot's clock (web.build): what paces messages to people
        self.pace = Pace()
        # Rooms owed a fresh status, shared by every process (handlers.wecom_shared.StatusDue, set by web.build).
        self.due: Any = None
        self._names: dict[tuple[str | None, str], str] = {}
        self.lang_of: Callable[[], str] | None = None  # the served firm's language (the bot's, web.build)
        self.lang = "zh"  # the workspace language (web.build), for what this adapter says itself
        self._lock = threading.RLock()
        self._ids = itertools.count(1)

    lang = property(lambda self: self.lang_of() if self.lang_of else self._lang,
                    lambda self, value: setattr(self, "_lang", value), doc="The language this adapter speaks.")

    @property
    def client(self) -> WeComClient:
        """The API client of the corp being acted for (one corp: always the same), its own access token cached."""
        return self.corps.get(acting_workspace() or "", (self._client, self._agent_id))[0]

    @client.setter
    def client(self, value: WeComClient) -> None:
        self._client = value

    @property
    def agent_id(self) -> int:
        """The AgentId of the corp being acted for."""
        return self.corps.get(acting_workspace() or "", (self._client, self._agent_id))[1]

    @agent_id.setter
    def agent_id(self, value: int) -> None:
        self._agent_id = value

    # -- rooms ----------------------------------------------------------------------------------
    def create_room(self, *, name: str, topic: str, members: list[str], private: bool = True,
                    title: str = "") -> str:
        """Reserve a chatid; create the app chat now if two or more people are on the team."""
        people = list(dict.fromkeys(members))
        if not people:
            raise ValueError("a war room needs at least the person who declared")
        chat_id = new_chat_id(name)
        room = WarRoom(name=group_name(name, title), owner=people[0], members=people)
        with self._lock, translated():
            self.rooms[chat_id] = room
            if len(people) >= 2:
                self._create(chat_id, room)
            else:
                log.info("war room %s deferred: only %s so far; posts go as app messages", chat_id, people[0])
        return chat_id

    def invite(self, *, room: str, users: list[str]) -> None:
        """Add people; a deferred room becomes an app chat once it has two members."""
        with self._lock, translated(about="user"):
            state = self._room(room)
            new = [u for u in dict.fromkeys(users) if u not in state.members]
            if not new or room.startswith(DM_PREFIX):
                return
            if state.created:
                call("appchat/update", self.client.appchat.update, room, add_user_list=new)
                state.members += new
                return
            if len(state.members + new) >= 2:
                self._create(room, WarRoom(name=state.name, owner=state.owner, members=state.members + new))
                state.created, state.status_due = True, True
                self._owe_status(room)
            state.members += new  # only once WeCom took them: a refused person does not block the next

    def _create(self, chat_id: str, room: WarRoom) -> None:
        try:
            call("appchat/create", self.client.appchat.create, chat_id=chat_id, name=room.name, owner=room.owner,
                 user_list=room.members)
        except WeComAPIError as exc:
            if exc.errcode != CHAT_EXISTS:
                raise
            # Another process made it a moment ago: it is a group; add whoever it lacks.
            have = call("appchat/get", self.client.appchat.get, chat_id).get("userlist", [])
            missing = [m for m in room.members if m not in have]
            if missing:
                call("appchat/update", self.client.appchat.update, chat_id, add_user_list=missing)
        room.created = True
        log.info("war room %s created with %s", chat_id, ", ".join(room.members))

    def _room(self, chat_id: str) -> WarRoom:
        """A room as WeCom and the database say it is. `rooms` is only a cache: an app chat, once made, stays one,
        so a made room is taken from it; a room still deferred here may have been made a group by another
        process (serve and worker, several of each), so WeCom is asked again; one never seen is rebuilt from its
        team in the database."""
        known = self.rooms.get(chat_id)
        if known is not None and known.created:
            return known
        if chat_id.startswith(DM_PREFIX):  # someone's 1:1 chat with the app: never a group
            user = chat_id[len(DM_PREFIX):]
            return WarRoom(name=user, owner=user, members=[user])
        try:
            info = call("appchat/get", self.client.appchat.get, chat_id)
        except WeComAPIError as exc:
            if known is not None:  # still deferred everywhere: as this process left it (people join one by one)
                return known
            members = self.team(chat_id) if self.team else []
            if not members:
                raise
            log.info("war room %s is not an app chat yet (%s); rebuilding it from its team", chat_id, exc)
            state = WarRoom(name=self.room_name(chat_id), owner=members[0], members=list(members))
            if len(members) >= 2:
                self._create(chat_id, state)
                state.status_due = True
                self._owe_status(chat_id)
        else:
            state = WarRoom(name=info.get("name") or chat_id, owner=info.get("owner", ""),
                            members=list(info.get("userlist", [])), created=True)
        self.rooms[chat_id] = state
        return state

    def room_name(self, chat_id: str) -> str:
        """How a war room is named in messages: its group name, else breach-<n> from its chatid."""
        known = self.rooms.get(chat_id)
        if known:
            return known.name
        match = _CHAT_ID.match(chat_id)
        return f"{match[1]}-{match[2]}" if match else chat_id

    # -- messages -------------------------------------------------------------------------------
    def post(self, *, room: str, message: Message) -> MessageRef:
        """Say something in a war room (1:1 to its members while it is deferred)."""
        message = self._draft_as_file(message, room)
        seen = self.prompts.read(message, room) if self.prompts else None  # before the lock: it may read the database
        with self._lock, translated():
            state = self._room(room)
            if state.created:
                for piece in self._pieces(message, seen):
                    call("appchat/send", self.client.appchat.send, room, self._msgtype, content=piece)
                msg_id = str(next(self._ids))
            else:
                msg_id = self._send_to(state.members, message, seen)
            self._shown(state.members, seen)
        return MessageRef(room=room, id=msg_id)

    def update(self, *, ref: MessageRef, message: Message) -> None:
        """WeCom cannot edit a sent message: only a room that just became a group gets a fresh status."""
        with self._lock:
            state = self.rooms.get(ref.room)
            if self.due is not None:  # several processes: whichever refreshes first shows it, once
                if state is not None:
                    state.status_due = False
                if not self.due.claim(ref.room):
                    return
            elif state is None or not (state.created and state.status_due):
                return
            else:
                state.status_due = False
        self.post(room=ref.room, message=message)

    def _owe_status(self, chat_id: str) -> None:
        if self.due is not None:
            self.due.mark(chat_id, self.clock.now())

    def pin(self, *, ref: MessageRef) -> None:
        """App chats have no pins; the status is one `/breach status` away."""

    def set_topic(self, *, room: str, topic: str) -> None:
        """App chats have no topic line, and renaming the group on every change would be noise."""

    def direct(self, *, user: str, message: Message) -> MessageRef:
        """An app message to one person."""
        message = self._draft_as_file(message, dm_room(user))
        seen = self.prompts.read(message, None) if self.prompts else None
        with translated(about="user"):
            msg_id = self._send_to([user], message, seen)
        self._shown([user], seen)
        return MessageRef(room=dm_room(user), id=msg_id)

    def reply(self, *, context: Context, message: Message, public: bool = False) -> None:
        """Answer in the person's 1:1 chat with the app (the only place commands come from)."""
        self._send_to([context.user], self._draft_as_file(message, dm_room(context.user)))

    def upload(self, *, room: str, upload: Upload) -> str:
        """Upload the file as temporary media and send it as a file message; returns its file name.

        The file message sits right next to whatever the bot says about it, so its name is where
        people find it (a WeCom media id means nothing to them, and expires after three days).
        """
        with self._lock:
            state = self._room(room)
            one_to_one = [] if state.created else list(state.members)
        if one_to_one:  # sent as an app message to each member: past their 30 a minute WeCom would drop it
            self.pace.take([f"{acting_workspace() or ''}:{u}" for u in one_to_one], 1, self.clock.now())
        # WeCom's errcodes as DeliveryErrors: 45009 (the minute's calls used up) waits the 60 s WeCom blocks for.
        with translated(about="room"):
            result = call("media/upload", self.client.media.upload, "file",
                          (upload.filename, io.BytesIO(upload.content)))
            media_id = result.get("media_id")
            if not media_id:
                raise WeComAPIError("media/upload", result.get("errcode"), "no media_id in the answer")
            with self._lock:
                state = self._room(room)
                if state.created:
                    call("appchat/send", self.client.appchat.send, room, "file", media_id=media_id)
                else:
                    check_delivered("message/send", call(
                        "message/send", self.client.message.send, self.agent_id, state.members,
                        msg={"msgtype": "file", "file": {"media_id": media_id}}))
        log.info("%s sent to %s as WeCom media %s", upload.filename, room, media_id)
        return upload.filename

    def find_user(self, typed: str) -> str | None:
        """WeCom people are typed by userid: one this corp knows (user/get), else None."""
        userid = typed.strip().lstrip("@")
        return userid if userid and self.check_user(userid) is None else None

    def check_user(self, user: str) -> str | None:
        """Why a userid is not usable (errcode 60111: not in the corp; disabled), None when it is."""
        try:
            info = call("user/get", self.client.user.get, user)
        except WeComAPIError as exc:
            return f"errcode {exc.errcode}" if exc.errcode is not None else "unreachable"
        return "disabled" if info.get("status") in (2, 4) or info.get("enable") == 0 else None

    def display_name(self, user: str) -> str:
        """The person's name in the address book (user/get, remembered); their userid if WeCom will not say."""
        key = (acting_workspace(), user)  # the same userid in two corps is two people
        if key in self._names:
            return self._names[key]
        try:
            name = str(call("user/get", self.client.user.get, user).get("name") or user)
        except WeComAPIError:
            return user
        self._names[key] = name
        return name

    def fits(self, message: Message) -> bool:
        """Within WeCom's 2,048 bytes for one markdown or text message (a long draft goes as a file)."""
        return message.kind == "draft" or len(self._pieces(message)) == 1

    def _draft_as_file(self, message: Message, room: str) -> Message:
        """A draft too long for one message: its text as a .txt file in the room, and the card without it.

        Forty messages of 2,048 bytes would bury the war room and read as fragments; the file holds the
        draft exactly, and the card keeps its header, gaps, what to do next and the approve line.
        """
        if message.kind != "draft" or len(self._pieces(message)) == 1:
            return message
        body = [line for line in message.lines if _is_body(line)]
        header = line_text(message.lines[0], str) if message.lines else ""
        found = _DRAFT_REF.search(header)
        ref = found[1] if found else "D-?"
        name = f"{ref}-v{found[2]}.txt" if found else "draft.txt"
        text = "\n".join(line_text(line, str).removeprefix(BODY_INDENT) for line in body) + "\n"
        self.upload(room=room, upload=Upload(filename=name, content=text.encode("utf-8"), title=name))
        note = (Text(t(self.lang, "draft.as_file", name=name, chars=len(text), id=ref)),)
        kept = [line for line in message.lines if not _is_body(line)]
        return Message(lines=(*kept[:-1], note, *kept[-1:]), buttons=message.buttons, kind=message.kind)

    # -- rendering and sending ------------------------------------------------------------------
    @property
    def _msgtype(self) -> str:
        return "markdown" if self.markdown else "text"

    def _pieces(self, message: Message, seen: Seen | None = None) -> list[str]:
        content = render(message, markdown=self.markdown, room_name=self.room_name, person=self.display_name)
        line = hint(seen, self.prompts.lang()) if self.prompts and seen is not None else None
        return split(f"{content}\n{escape(line)}" if line else content)

    def _shown(self, users: list[str], seen: Seen | None) -> None:
        """People were just shown a question prompt: a bare number from them now answers it."""
        if self.prompts and seen is not None:
            self.prompts.remember(users, seen)

    def _send_to(self, users: list[str], message: Message, seen: Seen | None = None) -> str:
        msg_id = ""
        pieces = self._pieces(message, seen)
        # Past WeCom's limit it would be dropped unsaid; counted per corp (one userid in two corps: two people).
        self.pace.take([f"{acting_workspace() or ''}:{u}" for u in users], len(pieces), self.clock.now())
        for piece in pieces:
            result = check_delivered("message/send", call(
                "message/send", self.client.message.send, self.agent_id, users,
                msg={"msgtype": self._msgtype, self._msgtype: {"content": piece}}))
            msg_id = str(result.get("msgid") or next(self._ids))
        return msg_id


BODY_INDENT = "    "  # a draft card's text lines (bot.flows.statements.draft_card)
_DRAFT_REF = re.compile(r"(D-\d+) (?:v|第)(\d+)")  # `D-2 v1`, or `D-2 第1版` in Chinese


def _is_body(line: Line) -> bool:
    return len(line) == 1 and isinstance(line[0], Text) and line[0].text.startswith(BODY_INDENT)


def new_chat_id(name: str) -> str:
    """A fresh chatid from the room's base name: breach-12 → breach12z<hex> (0-9a-zA-Z, ≤ 32)."""
    base = "".join(ch for ch in name.lower() if ch.isascii() and ch.isalnum())[:20] or "breach"
    return f"{base}z{secrets.token_hex(4)}"


def group_name(name: str, title: str) -> str:
    """The app chat's name: `breach-1 · title`, cut to WeCom's 50 characters."""
    full = f"{name} · {' '.join(title.split())}" if title.strip() else name
    return full if len(full) <= GROUP_NAME_MAX else full[:GROUP_NAME_MAX - 1] + "…"
