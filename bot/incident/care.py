"""Client care: what the firm offers the people affected, compensation and feedback per client, progress
updates on a cadence, and briefings to management.

Offers, compensation and feedback are kept with the incident's facts (lists of entries); each recording
is a timeline event in the caller's transaction. Compensation and feedback may be recorded after close
(payments and survey answers come late); offers may not (letters are drafted while open).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session, select

from bot.errors import UserError
from bot.incident import deadlines, timeline
from bot.incident.changes import Amount
from bot.incident.incidents import check_text, require_open
from bot.incident.playbook import Playbook
from bot.text.i18n import text as t
from storage.models import Client, Deadline, Incident

OFFER_KINDS: tuple[str, ...] = ("monitoring", "compensation", "hotline", "support", "other")
UPDATE = "client_update"  # the deadline kind of the progress-update cadence
SCORES = range(1, 6)


# -- offers ------------------------------------------------------------------------------------------
def offers(incident: Incident) -> list[dict[str, Any]]:
    """What the firm offers the people affected, oldest first."""
    return list(incident.facts.get("offers") or [])


def add_offer(session: Session, *, incident: Incident, kind: str, text: str, actor: str, now: datetime,
              lang: str) -> int:
    """Record an offer (credit monitoring, compensation, a hotline…); letters drafted after it say so."""
    require_open(incident, lang)
    if kind not in OFFER_KINDS:
        raise UserError(t(lang, "offer.kind", value=kind, choices=("、" if lang == "zh" else ", ").join(
            t(lang, f"names.offer.{k}").split("/")[0] if lang == "zh" else k for k in OFFER_KINDS)))
    text = " ".join(check_text(text, lang, what=t(lang, "word.offer")).split())
    entries = offers(incident)
    entry = {"n": len(entries) + 1, "kind": kind, "text": text, "by": actor, "at": now.isoformat()}
    incident.facts = {**incident.facts, "offers": [*entries, entry]}
    session.add(incident)
    timeline.append(session, incident=incident, actor=actor, kind="offer_recorded", now=now, text=text,
                    data={"n": entry["n"], "kind": kind})
    return entry["n"]


# -- compensation and feedback, per client ----------------------------------------------------------------
def compensation(incident: Incident) -> list[dict[str, Any]]:
    """Compensation recorded per client, oldest first."""
    return list(incident.facts.get("compensation") or [])


def compensate(session: Session, *, incident: Incident, client: Client, shown: str, amount: Amount, note: str,
               actor: str, now: datetime, lang: str) -> dict[str, Any]:
    """Record compensation paid or promised to one client of the register (`shown`: the masked name, the only
    one kept with the facts, which the export and the page carry)."""
    note = check_text(note, lang, what=t(lang, "word.note")) if note.strip() else ""
    entries = compensation(incident)
    entry = {"n": len(entries) + 1, "client": client.id, "name": shown, "amount": str(amount.value),
             "currency": amount.currency, "note": note, "by": actor, "at": now.isoformat()}
    incident.facts = {**incident.facts, "compensation": [*entries, entry]}
    session.add(incident)
    timeline.append(session, incident=incident, actor=actor, kind="client_compensated", now=now, text=note,
                    data={"client": client.id, "amount": entry["amount"], "currency": amount.currency})
    return entry


def compensation_totals(incident: Incident) -> dict[str, Amount]:
    """Compensation per currency."""
    found: dict[str, Decimal] = {}
    for entry in compensation(incident):
        found[entry["currency"]] = found.get(entry["currency"], Decimal(0)) + Decimal(entry["amount"])
    return {currency: Amount(value, currency) for currency, value in sorted(found.items())}


def feedback(incident: Incident) -> list[dict[str, Any]]:
    """Each client's latest feedback (a score 1-5 and a comment)."""
    return list(incident.facts.get("feedback") or [])


def record_feedback(session: Session, *, incident: Incident, client: Client, shown: str, score: str, comment: str,
                    actor: str, now: datetime, lang: str) -> dict[str, Any]:
    """A client's satisfaction: a score from 1 to 5 and what they said; a second answer replaces the first
    (`shown`: the client's masked name)."""
    value = score.strip().removesuffix("分").removesuffix("/5")
    if not value.isdecimal() or int(value) not in SCORES:
        raise UserError(t(lang, "feedback.score", value=score))
    comment = check_text(comment, lang, what=t(lang, "word.comment")) if comment.strip() else ""
    entry = {"client": client.id, "name": shown, "score": int(value), "comment": comment, "by": actor,
             "at": now.isoformat()}
    kept = [e for e in feedback(incident) if e["client"] != client.id]
    incident.facts = {**incident.facts, "feedback": [*kept, entry]}
    session.add(incident)
    timeline.append(session, incident=incident, actor=actor, kind="client_feedback", now=now, text=comment,
                    data={"client": client.id, "score": entry["score"]})
    return entry


def average_score(incident: Incident) -> float | None:
    """The clients' average satisfaction score, None when nobody answered."""
    scores = [e["score"] for e in feedback(incident)]
    return round(sum(scores) / len(scores), 1) if scores else None


# -- progress updates ----------------------------------------------------------------------------------------
def schedule_update(session: Session, *, incident: Incident, playbook: Playbook, after: datetime,
                    now: datetime) -> None:
    """The next progress update to clients falls due `every` after `after` (nothing when the playbook sets none)."""
    cadence = playbook.client_updates
    if cadence is None or incident.id is None:
        return
    number = sum(1 for _ in update_deadlines(session, incident)) + 1
    deadlines.schedule(session, incident_id=incident.id, kind=UPDATE, ref=f"U-{number}", due_at=after + cadence.every,
                       remind_before=cadence.remind_before, now=now)


def first_told(session: Session, *, incident: Incident, playbook: Playbook, now: datetime,
               at: datetime | None = None) -> None:
    """Clients were first told (`at`, when that was recorded for an earlier time, else now): from then on they hear
    how the response goes, on the playbook's cadence."""
    if not update_deadlines(session, incident):
        schedule_update(session, incident=incident, playbook=playbook, after=min(at or now, now), now=now)


def update_sent(session: Session, *, incident: Incident, playbook: Playbook, now: datetime) -> None:
    """An update was approved: the one waiting is met and the next is planned from now."""
    for deadline in update_deadlines(session, incident):
        if deadline.met_at is None and deadline.cancelled_at is None:
            deadlines.meet(session, deadline, at=now)
    schedule_update(session, incident=incident, playbook=playbook, after=now, now=now)


def update_deadlines(session: Session, incident: Incident) -> list[Deadline]:
    return list(session.exec(select(Deadline).where(Deadline.incident_id == incident.id, Deadline.kind == UPDATE)))


def record_briefing(session: Session, *, incident: Incident, people: list[str], actor: str, now: datetime,
                    why: str) -> None:
    """The summary went to management: who got it and why (the phase began, or someone asked)."""
    timeline.append(session, incident=incident, actor=actor, kind="management_briefed", now=now,
                    text=", ".join(people), data={"to": people, "why": why})
