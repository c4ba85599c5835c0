"""The roster checked against the platform: every person in breachbot.toml must be a real, active account."""

from __future__ import annotations

import logging

from bot.chat import Chat
from bot.settings import FirmConfig

log = logging.getLogger("breachbot.roster")


def bad_entries(chat: Chat, firm: FirmConfig) -> dict[str, str]:
    """Roster entries the platform does not know as active accounts, with why (empty: all fine)."""
    people = list(dict.fromkeys(p for members in firm.roster.values() for p in members))
    bad: dict[str, str] = {}
    for person in people:
        why = chat.check_user(person)
        if why:
            bad[person] = why
    return bad


def warn_at_start(chat: Chat, firm: FirmConfig) -> None:
    """Check the roster once at start-up; a bad entry is one warning in the log, never a failed start."""
    try:
        bad = bad_entries(chat, firm)
    except Exception:  # the platform may be unreachable right now: the outbox copes later
        log.warning("could not check the roster against %s at start-up", chat.platform, exc_info=True)
        return
    if bad:
        log.warning("roster entries that are not active %s accounts (fix breachbot.toml): %s", chat.platform,
                    "; ".join(f"{person}: {why}" for person, why in bad.items()))
