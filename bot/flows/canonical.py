"""A command as typed → a command of keys: names as shown (roles, causes, phases … in either language)
become keys, typed times become ISO moments in the workspace's timezone, before any flow runs."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from bot import commands as c
from bot.errors import UserError
from bot.incident import names
from bot.incident.playbook import Playbook
from bot.text.facts import narrow
from bot.text.times import FUTURE, PAST, parse_duration, parse_when


def moment(raw: str, *, now: datetime, tz: str, lang: str, facing: str = PAST) -> str:
    """A typed time as an ISO moment, or UserError in the workspace's language saying what to type."""
    try:
        return parse_when(raw, now=now, tz=tz, lang=lang, facing=facing).isoformat()
    except ValueError as exc:
        raise UserError(str(exc)) from None


_TIME_FACTS = ("determined", "assessed", "handled", "from", "to")


def canonical(command: c.Command, *, playbook: Playbook, lang: str, now: datetime, tz: str) -> c.Command:
    """The command with shown names read as keys and typed times as ISO moments, before any flow runs."""
    when = {"now": now, "tz": tz, "lang": lang}
    if isinstance(command, c.Assign | c.Unassign):
        role = names.resolve("role", command.role, playbook, lang, "error.unknown_role")
        return replace(command, role=role)
    if isinstance(command, c.Close):
        return replace(command, cause=command.cause and names.resolve("cause", command.cause, playbook, lang,
                                                                       "error.cause"))
    if isinstance(command, c.Declare):
        severity = command.severity and names.resolve("severity", command.severity, playbook, lang, "error.severity")
        data = tuple(k for raw in command.data for k in names.known_categories(raw, playbook, lang))
        aware = command.aware and moment(command.aware, **when)
        return replace(command, severity=severity, data=data, aware=aware)
    if isinstance(command, c.Phase):
        return replace(command, target=names.phase_target(command.target, playbook, lang))
    if isinstance(command, c.Snooze):
        try:
            parse_duration(command.duration, lang=lang)
        except ValueError as exc:
            raise UserError(str(exc)) from None
        phase = command.phase and names.phase_target(command.phase, playbook, lang, allow_next=False)
        return replace(command, phase=phase)
    if isinstance(command, c.DraftNew):
        kind = names.resolve("draft", command.kind, playbook, lang, "draft.bad_kind")
        return replace(command, kind=kind, lang=command.lang and (names.key("lang", command.lang, playbook) or command.lang),
                       variant=names.key("variant", command.variant, playbook) or command.variant)
    if isinstance(command, c.Report):
        return replace(command, lang=command.lang and (names.key("lang", command.lang, playbook) or command.lang),
                       format=names.key("format", command.format, playbook) or command.format)
    if isinstance(command, c.Facts):
        return replace(command, changes=tuple((flag, _fact(flag, value, playbook, when))
                                              for flag, value in command.changes))
    if isinstance(command, c.Notified):
        return replace(command, at=command.at and moment(command.at, **when))
    if isinstance(command, c.ClientsNotified):
        return replace(command, via=names.key("via", command.via, playbook) or command.via,
                       at=command.at and moment(command.at, **when))
    if isinstance(command, c.Severity):
        return replace(command, severity=names.resolve("severity", command.severity, playbook, lang, "error.severity"))
    if isinstance(command, c.Cost) and command.amount:
        return replace(command, category=names.resolve("cost", command.category, playbook, lang, "cost.category"))
    if isinstance(command, c.Offer) and command.kind:
        return replace(command, kind=names.resolve("offer", command.kind, playbook, lang, "offer.kind"))
    if isinstance(command, c.FollowUpAdd):
        return replace(command, due=moment(command.due, **when, facing=FUTURE))
    return command


def _fact(flag: str, value: str, playbook: Playbook, when: dict[str, Any]) -> str:
    if flag == "data":
        return ",".join(names.known_categories(value, playbook, when["lang"]))
    if flag == "cac_level":
        return names.resolve("cac_level", value, playbook, when["lang"], "facts.cac_level")
    if flag in _TIME_FACTS:
        return moment(value, **when)
    return " ".join(narrow(value).split())
