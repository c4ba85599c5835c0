"""Who may do what: one table, one check. The README's permission matrix mirrors RULES."""

from __future__ import annotations

from bot.chat import Mention, Text
from bot.errors import UserError
from bot.i18n import message
from bot.i18n import text as t

# action → roles that may do it. Actions not listed are open to anyone on the incident.
RULES: dict[str, tuple[str, ...]] = {
    "assign": ("lead", "executive"),
    "unassign": ("lead", "executive"),
    "close": ("lead",),
    "notified": ("legal", "lead"),
}


def check(action: str, *, user: str, holders: dict[str, str], lang: str, role_names: dict[str, str]) -> None:
    """Raise UserError naming who may, unless `user` holds one of the roles the action needs.

    When none of those roles is held by anyone (a team without a lead yet), anyone may act,
    so a team is never locked out of its own incident.
    """
    needed = RULES.get(action)
    if not needed:
        return
    if any(holders.get(role) == user for role in needed):
        return
    if not any(role in holders for role in needed):
        return
    who: list = []
    for role in (r for r in needed if r in holders):
        who += [Text(", ")] if who else []
        who += [Text(f"{role_names.get(role, role)} "), Mention(holders[role])]
    raise UserError(message(lang, "error.permission", kind="error", action=t(lang, f"permission.{action}"),
                            who=tuple(who)))
