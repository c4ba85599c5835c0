"""Who may do what: one check, run by dispatch for every command whose declaration names roles (`may=`).

The README's permission matrix mirrors the declarations (bot/flows/dispatch.rules())."""

from __future__ import annotations

from bot.chat import Mention, Text
from bot.errors import UserError
from bot.text.i18n import message
from bot.text.i18n import text as t

# While nobody holds any role an action needs, it falls to these people (never to anyone at all):
# whoever declared the incident, and the executive sponsor if one is named.
FALLBACK = ("declarer", "executive")


def check(action: str, *, needed: tuple[str, ...], user: str, holders: dict[str, str], declarer: str, lang: str,
          role_names: dict[str, str]) -> None:
    """Raise UserError naming who may, unless `user` holds one of the roles the action needs.

    When none of those roles is held (the lead stepped down), the declarer and the executive
    sponsor may still act, so a team is never locked out, and nobody else is let in.
    """
    if not needed:
        return
    if any(holders.get(role) == user for role in needed):
        return
    if any(role in holders for role in needed):
        who = _who([(role_names.get(r, r), holders[r]) for r in needed if r in holders])
        raise UserError(message(lang, "error.permission", kind="error", action=t(lang, f"permission.{action}"),
                                who=who))
    stand_ins = [(t(lang, "permission.declarer"), declarer)]
    if "executive" in holders:
        stand_ins.append((role_names.get("executive", "executive"), holders["executive"]))
    if any(person == user for _, person in stand_ins):
        return
    unique = [(label, person) for i, (label, person) in enumerate(stand_ins)
              if person not in [p for _, p in stand_ins[:i]]]
    raise UserError(message(lang, "error.permission_empty", kind="error", action=t(lang, f"permission.{action}"),
                            roles=t(lang, "permission.or").join(role_names.get(r, r) for r in needed),
                            who=_who(unique), role=needed[0]))


def _who(people: list[tuple[str, str]]) -> tuple:
    """'Incident lead @alice, Executive sponsor @frank' as spans (mentions stay mentions)."""
    spans: list = []
    for label, person in people:
        spans += [Text(", ")] if spans else []
        spans += [Text(f"{label} "), Mention(person)]
    return tuple(spans)
