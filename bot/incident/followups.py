"""Follow-up actions: an owner, a due date, a reminder before it; the playbook's standard ones at close."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from bot.errors import UserError
from bot.incident import deadlines, timeline
from bot.incident.playbook import Playbook
from bot.text.facts import TEXT_MAX
from bot.text.i18n import text as t
from storage.models import FollowUp, Incident

FOLLOWUP = "followup"


def remind_before(due_at: datetime, now: datetime) -> timedelta:
    """A day ahead for anything a week or more away; otherwise a quarter of the time left."""
    span = due_at - now
    return timedelta(days=1) if span >= timedelta(days=7) else max(timedelta(minutes=15), span / 4)


def all_of(session: Session, incident: Incident) -> list[FollowUp]:
    """Every follow-up of an incident in number order."""
    return list(session.exec(select(FollowUp).where(FollowUp.incident_id == incident.id)
                             .order_by(col(FollowUp.number))))


def add(session: Session, *, incident: Incident, text: str, owner: str, due_at: datetime, actor: str,
        now: datetime, lang: str) -> FollowUp:
    """A new follow-up F-<n> with its reminder; allowed during and after the incident."""
    text = text.strip()
    if not text:
        raise UserError(t(lang, "followup.empty"))
    if len(text) > min(TEXT_MAX, 2000):
        raise UserError(t(lang, "error.text_long", what=t(lang, "followup.word"), max=2000, length=len(text)))
    if due_at <= now:
        raise UserError(t(lang, "followup.past"))
    existing = all_of(session, incident)
    item = FollowUp(incident_id=incident.id, number=(existing[-1].number + 1) if existing else 1, text=text,
                    owner=owner, due_at=due_at, created_by=actor, created_at=now)
    session.add(item)
    session.flush()
    deadlines.schedule(session, incident_id=incident.id, kind=FOLLOWUP, ref=f"F-{item.number}", due_at=due_at,
                       remind_before=remind_before(due_at, now), now=now, meta={"followup": item.number})
    timeline.append(session, incident=incident, actor=actor, kind="followup_added", now=now,
                    text=f"F-{item.number} {owner}: {text}", data={"number": item.number, "owner": owner,
                                                                   "due_at": due_at.isoformat()})
    return item


def done(session: Session, *, incident: Incident, number: int, actor: str, now: datetime, lang: str) -> FollowUp:
    """Mark F-<n> done; its reminders stop."""
    item = next((f for f in all_of(session, incident) if f.number == number), None)
    if item is None:
        raise UserError(t(lang, "followup.unknown", id=f"F-{number}"))
    if item.done_at is not None:
        raise UserError(t(lang, "followup.done_already", id=f"F-{number}"))
    item.done_at, item.done_by = now, actor
    session.add(item)
    deadline = deadlines.get(session, incident_id=incident.id, kind=FOLLOWUP, ref=f"F-{number}")
    if deadline is not None and deadline.met_at is None:
        deadlines.meet(session, deadline, at=now)
    timeline.append(session, incident=incident, actor=actor, kind="followup_done", now=now, text=f"F-{number}",
                    data={"number": number})
    return item


def schedule_standard(session: Session, *, incident: Incident, playbook: Playbook, holders: dict[str, str],
                      actor: str, now: datetime, lang: str) -> list[FollowUp]:
    """The playbook's follow-ups for a closing incident; a role nobody holds falls to the lead."""
    made = []
    for spec in playbook.followups_on_close:
        owner = holders.get(spec.owner) or holders.get("lead") or actor
        made.append(add(session, incident=incident, text=spec.text(lang), owner=owner, due_at=now + spec.after,
                        actor="breachbot", now=now, lang=lang))
    return made
