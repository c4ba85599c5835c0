"""What every flow needs: which incident a command is about, who holds what, where it was typed."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

from sqlmodel import Session

from bot.chat import Context, RoomRef, Text
from bot.errors import UserError, WhichIncident
from bot.flows.grammar.tokens import flag_names
from bot.flows.port import Bot
from bot.incident import incidents
from bot.incident.corrections import check_time
from bot.outbox import Outbox
from bot.text.i18n import drill_prefix, message
from bot.text.i18n import text as t
from bot.text.times import format_time, parse_when
from bot.views import incident as views
from storage.models import Incident, Workspace

log = logging.getLogger("breachbot")


def resolve(session: Session, ws: Workspace, context: Context, number: int | None, *,
            lock: bool = True, last_closed: bool | None = None) -> Incident:
    """The incident a command is about: named, this war room's, or the person's only open one.

    With none of theirs open, outside a war room (WeCom's 1:1 chat, #general after the close): a command that
    only reads (`lock=False`, unless `last_closed=False`) is about the one of theirs that closed last, as
    `/breach status` is; one that changes something is refused, naming that incident and how to name it."""
    lang = ws.lang
    if number is not None:
        incident = incidents.by_number(session, workspace=ws, number=number)
        # Outsiders learn nothing, not even that BR-<n> exists: only the team and people in the war room.
        if incident is None or not may_see(session, incident, context):
            raise UserError(t(lang, "error.no_incident", id=f"BR-{number}"))
    else:
        incident = incidents.by_room(session, workspace=ws, room=context.room)
        if incident is None:
            mine = incidents.open_for_user(session, workspace=ws, user=context.user)
            if not mine:
                closed = incidents.last_closed_for_user(session, workspace=ws, user=context.user)
                if closed is None:
                    raise UserError(t(lang, "error.no_open_incident"))
                if last_closed if last_closed is not None else not lock:
                    return closed
                raise UserError(message(lang, "error.name_closed", id=incidents.ref(closed),
                                        room=RoomRef(closed.war_room) if closed.war_room else "-", kind="error"))
            if len(mine) > 1:
                example = incidents.ref(mine[0])
                listing = views.incident_list(mine, lang, "error.which_incident", example=example).lines[1:]
                raise WhichIncident(lang=lang, listing=listing, example=example)
            incident = mine[0]
    return incidents.lock(session, incident) if lock else incident


def may_see(session: Session, incident: Incident, context: Context) -> bool:
    """The team (declarer, roster, role holders) and whoever is in the war room may see an incident."""
    return context.room == incident.war_room or incidents.is_participant(session, incident, context.user)


def moment_done(raw: str | None, *, now: datetime, ws: Workspace, incident: Incident | None = None,
                what: str | None = None) -> datetime:
    """When something was done, as typed (`--at "10m ago"`), or now; never in the future, and never before
    the firm became aware of `incident` (the reason is said, and nothing is recorded)."""
    try:
        at = parse_when(raw, now=now, tz=ws.timezone) if raw else now
    except ValueError as exc:
        raise UserError(str(exc)) from None
    if at > now:
        raise UserError(t(ws.lang, "clocks.future"))
    if incident is not None:
        check_time(at, incident=incident, now=now, lang=ws.lang, what=what or flag_names(ws.lang, "at"),
                   say=lambda when: format_time(when, ws.timezone, now=now, lang=ws.lang))
    return at


def role_holders(session: Session, incident: Incident) -> dict[str, str]:
    return {role: a.user for role, a in incidents.active_roles(session, incident).items()}


def role_names(bot: Bot, lang: str) -> dict[str, str]:
    return {key: name(lang) for key, name in bot.playbook.roles.items()}


def drill(incident: Incident, lang: str) -> tuple[Text, ...]:
    """The DRILL marker for a message about this incident."""
    return drill_prefix(lang, incident.drill)


def here(context: Context, incident: Incident) -> bool:
    """Whether the command was typed in the incident's own war room."""
    return context.room == incident.war_room


def acknowledge(out: Outbox, context: Context, incident: Incident, lang: str) -> None:
    """A short 'Done.' for a change made from outside the war room (inside, the war room's post says it)."""
    if not here(context, incident):
        out.reply(message(lang, "ok.done"))


# The platform's names of people, asked before the command's transaction (names_asked_first), for the record.
_ASKED: ContextVar[Mapping[str, str] | None] = ContextVar("names_asked", default=None)


def ask_names(bot: Bot, users: set[str]) -> dict[str, str]:
    """Each person's name on the platform (Slack users.info, WeCom user/get), asked outside any transaction; one
    the platform cannot say is left out (named by id); the roster's [people] is not asked about."""
    names: dict[str, str] = {}
    for user in sorted(users - set(bot.firm.people)):
        try:
            names[user] = bot.chat.display_name(user)
        except Exception:  # a platform hiccup names the person by id, as before
            log.warning("could not name %s on %s", user, bot.chat.platform)
    return names


@contextmanager
def names_known(names: Mapping[str, str]) -> Iterator[None]:
    """While inside: display_names also knows these names (asked before the transaction)."""
    token = _ASKED.set(names)
    try:
        yield
    finally:
        _ASKED.reset(token)


def display_names(bot: Bot) -> Callable[[str], str]:
    """How a record names people: the roster's [people] name, else the platform's name asked before the
    transaction (names_known), else the id (`@id` keeps its @). It never calls the platform: it runs inside
    the command's transaction."""
    people, asked = bot.firm.people, _ASKED.get() or {}

    def name(user: str) -> str:
        at, bare = ("@", user[1:]) if user.startswith("@") else ("", user)
        return at + (people.get(bare) or asked.get(bare) or bare)

    return name
