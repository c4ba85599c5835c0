"""The media desk's enquiry log: who asked what, and whether the firm has answered (one voice).

Entries are kept with the incident's facts; each logging and each answer is a timeline event.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.errors import UserError
from bot.incident import timeline
from bot.incident.incidents import check_text
from bot.text.i18n import text as t
from storage.models import Incident


def enquiries(incident: Incident) -> list[dict[str, Any]]:
    """Every enquiry, oldest first."""
    return list(incident.facts.get("media") or [])


def unanswered(incident: Incident) -> list[dict[str, Any]]:
    """Enquiries still waiting for the firm's answer."""
    return [e for e in enquiries(incident) if not e.get("answered_at")]


def log_enquiry(session: Session, *, incident: Incident, outlet: str, question: str, actor: str, now: datetime,
                lang: str) -> int:
    """A journalist's (or anyone public's) question; returns its number (M-n)."""
    outlet = " ".join(check_text(outlet, lang, what=t(lang, "word.outlet")).split())
    question = check_text(question, lang, what=t(lang, "word.question"))
    entries = enquiries(incident)
    entry = {"n": len(entries) + 1, "outlet": outlet, "question": question, "by": actor, "at": now.isoformat(),
             "answered_at": None, "answer": None, "answered_by": None}
    incident.facts = {**incident.facts, "media": [*entries, entry]}
    session.add(incident)
    timeline.append(session, incident=incident, actor=actor, kind="media_enquiry", now=now, text=question,
                    data={"n": entry["n"], "outlet": outlet})
    return entry["n"]


def answer_enquiry(session: Session, *, incident: Incident, number: int, answer: str, actor: str, now: datetime,
                   lang: str) -> dict[str, Any]:
    """Record the firm's answer to enquiry M-<number>."""
    answer = check_text(answer, lang, what=t(lang, "word.answer"))
    entries = enquiries(incident)
    found = next((e for e in entries if e["n"] == number), None)
    if found is None:
        raise UserError(t(lang, "media.unknown", n=number, known=", ".join(f"M-{e['n']}" for e in entries) or "-"))
    updated = {**found, "answered_at": now.isoformat(), "answer": answer, "answered_by": actor}
    incident.facts = {**incident.facts, "media": [updated if e is found else e for e in entries]}
    session.add(incident)
    timeline.append(session, incident=incident, actor=actor, kind="media_answered", now=now, text=answer,
                    data={"n": number, "outlet": found["outlet"]})
    return updated


def spokesperson(incident: Incident) -> str:
    """The one voice of the firm to the press ('' until named)."""
    return str(incident.facts.get("spokesperson") or "")


def set_spokesperson(session: Session, *, incident: Incident, person: str, actor: str, now: datetime,
                     lang: str) -> str:
    """Name the spokesperson (an @user or a name); press statements drafted after it name them."""
    person = " ".join(check_text(person, lang, what=t(lang, "word.spokesperson")).split()).lstrip("@")
    if len(person) > 100:
        raise UserError(t(lang, "error.text_long", what=t(lang, "word.spokesperson"), max=100, length=len(person)))
    before = spokesperson(incident) or None
    incident.facts = {**incident.facts, "spokesperson": person}
    session.add(incident)
    timeline.append(session, incident=incident, actor=actor, kind="spokesperson_named", now=now, text=person,
                    data={"from": before, "to": person})
    return person


def watch_notes(incident: Incident) -> list[dict[str, Any]]:
    """What monitoring of the press and social media found, oldest first."""
    return list(incident.facts.get("media_watch") or [])


def add_watch(session: Session, *, incident: Incident, note: str, actor: str, now: datetime, lang: str) -> int:
    """A monitoring note (a post, an article, a forum thread); returns its number (W-n)."""
    note = check_text(note, lang, what=t(lang, "word.note"))
    entries = watch_notes(incident)
    entry = {"n": len(entries) + 1, "note": note, "by": actor, "at": now.isoformat()}
    incident.facts = {**incident.facts, "media_watch": [*entries, entry]}
    session.add(incident)
    timeline.append(session, incident=incident, actor=actor, kind="media_watch", now=now, text=note,
                    data={"n": entry["n"]})
    return entry["n"]
