"""What a process does once as it starts, before it sends reminders: open incidents' legal clocks counted again
where they were counted with other holidays than those in force now (an edit of [holidays] in breachbot.toml
reaches open clocks at the restart, not at the incident's next fact change)."""

from __future__ import annotations

import logging
from typing import Protocol

from sqlmodel import col, select

from bot.flows import delivering, law, tenancy
from bot.flows.delivering import Breachbot as Sending
from bot.incident import incidents
from bot.law import clocks
from bot.outbox import Outbox
from bot.text.i18n import message
from storage.models import Incident, Workspace

log = logging.getLogger("breachbot.restart")


class Breachbot(Sending, Protocol):
    """The running bot as a start needs it: what sending needs, and its outbox sent at once."""

    def flush_outbox(self, *, lanes: set[str] | None = None, ops: set[str] | None = None, parallel: int = 1) -> int:
        """Send what is due in the outbox."""
        ...


def recount_holidays(bot: Breachbot) -> list[int]:
    """Count again the clocks of every open incident of the bot's platform whose clocks were counted with other
    holidays than its firm's now; each war room is told what moved (the timeline records it). Returns the ids of
    the incidents counted again."""
    with bot.unit(write=False) as session:
        ids = list(session.exec(select(Incident.id).join(Workspace, col(Workspace.id) == col(Incident.workspace_id))
                                .where(Workspace.platform == bot.chat.platform, col(Incident.closed_at).is_(None))
                                .order_by(col(Incident.id))))
    counted: list[int] = []
    for incident_id in ids:
        try:
            with tenancy.for_incident(bot, incident_id):  # that firm's holidays, time zone and language
                if _recount(bot, incident_id):
                    counted.append(incident_id)
        except Exception:  # one incident's trouble never stops the start; its next fact change counts it again
            log.exception("could not count the clocks of incident %s again at start", incident_id)
    if counted:
        bot.flush_outbox()
    return counted


def _recount(bot: Breachbot, incident_id: int) -> bool:
    out = Outbox(about=incident_id)
    with bot.unit() as session:
        incident = session.get(Incident, incident_id)
        if incident is None or incident.closed_at is not None:
            return False
        incident = incidents.lock(session, incident)  # another process starting at the same time waits, then finds
        if not clocks.counted_with_other_holidays(session, incident=incident, book=bot.regimes):  # it done
            return False
        ws = session.get(Workspace, incident.workspace_id)
        assert ws is not None
        out.post(incident, message(ws.lang, "clocks.holidays_restart"))
        changes = law.resync(bot, session, ws, incident, out)
        if not changes:
            return True  # the new holidays are noted with the clocks; nothing moved, nothing said
        out.refresh.add(incident_id)
        delivering.enqueue(bot, session, out, now=bot.now())
        return True
