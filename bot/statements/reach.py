"""What came back after a send, and what it means for the register and the legal clocks.

A bounce (a DSN naming the notice's Message-ID) or a failed SMS receipt marks the notice failed: the
client is no longer counted as told (unless another notice or a person told them), and the client
liaison gets a follow-up to reach them another way. A legal clock whose audience is the affected people
themselves (clocks `individuals` and `residents`) counts as met only when every client of the register
living where the law applies was reached; the bot then meets it at the last acceptance time, and opens
it again if one of those notices comes back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from bot.chat import Line
from bot.incident import deadlines, followups, timeline
from bot.law import clocks
from bot.law.regimes import RegimeBook
from bot.statements import clients as register
from bot.statements.sending import BOUNCED, DELIVERED, REACHED, SENT
from bot.text.facts import covered_by
from bot.text.i18n import line
from bot.text.i18n import text as t
from storage.models import Client, Incident, SendAttempt

AUDIENCE_CLOCKS = ("individuals", "residents")  # clocks whose audience is the affected people themselves
BY_SEND = "breachbot send"
BY_REGISTER = "by_register"  # a clock's deadline meta: met because every client it covers was reached
TASK_DUE = timedelta(hours=24)


def by_message_id(session: Session, message_id: str) -> SendAttempt | None:
    """The notice a returned Message-ID (or SMS id) names."""
    return session.exec(select(SendAttempt).where(SendAttempt.message_id == message_id.strip())).first()


def delivered(session: Session, *, attempt: SendAttempt) -> None:
    """A receipt says the handset got it."""
    if attempt.state == SENT:
        attempt.state = DELIVERED
        session.add(attempt)


def failed(session: Session, *, incident: Incident, attempt: SendAttempt, reason: str, at: datetime, owner: str,
           lang: str) -> int | None:
    """A notice came back: the client is not told by it, and the owner gets a follow-up; returns its number.

    A notice already marked failed is left alone (the same bounce read twice opens one task).
    """
    if attempt.state not in REACHED:
        return None
    attempt.state, attempt.failed_at, attempt.error = BOUNCED, at, reason[:500]
    session.add(attempt)
    client = session.get(Client, attempt.client_id)
    assert client is not None
    if client.notified_via == attempt.channel and client.notified_at == attempt.accepted_at and not _other_reached(
            session, attempt):
        client.notified_at = client.notified_via = client.notified_by = None
        session.add(client)
        deadline = deadlines.get(session, incident_id=incident.id, kind=register.CLIENT, ref=f"client:{client.id}")
        if deadline is not None and deadline.met_at is not None:
            deadline.met_at = None
            deadlines.plan_alerts(session, deadline, remind_before=None, now=at)
    timeline.append(session, incident=incident, actor="breachbot", kind="notice_failed", now=at,
                    text=f"{attempt.channel} to client {client.id}: {reason[:200]}",
                    data={"client": client.id, "channel": attempt.channel, "reason": reason[:200]})
    task = followups.add(session, incident=incident, owner=owner, due_at=at + TASK_DUE, actor="breachbot", now=at,
                         lang=lang, text=t(lang, "send.bounce_task", name=register.shown_name(client),
                                           channel=t(lang, f"send.channel.{attempt.channel}"), reason=reason[:200]))
    return task.number


def _other_reached(session: Session, attempt: SendAttempt) -> bool:
    return session.exec(select(SendAttempt).where(SendAttempt.client_id == attempt.client_id,
                                                  col(SendAttempt.id) != attempt.id,
                                                  col(SendAttempt.state).in_(REACHED))).first() is not None


@dataclass(frozen=True)
class Audience:
    """A clock whose audience is the clients themselves, and how many of them were reached."""

    clock_id: str
    reached: int
    total: int
    met: bool
    changed: bool = False  # met or reopened just now
    people: int = 0  # people recorded as affected there (/breach affected): more than the register holds are untold
    name: str = ""  # how chat names the clock (`clocks.clock_name`); the id is typed only in a command

    def said(self) -> tuple[str, dict[str, object]]:
        """The catalogue key and values that say where this clock stands: clients counted against clients, and
        the people recorded as affected beyond the register named as people."""
        key = ("send.clock_met" if self.met else "send.clock_people" if self.people > self.total
               else "send.clock_open")
        return key, {"clock": self.name or self.clock_id, "handle": self.clock_id, "reached": self.reached, "total": self.total, "people": self.people}


def standing(audiences: list[Audience], lang: str) -> list[Line]:
    """Where the clocks told through the register stand, as few lines as say it: each clock met on its own line,
    the clocks not met yet in one line with their count (not the same 'not met' line once for each clock)."""
    out = [line(lang, key, **values) for key, values in (a.said() for a in audiences if a.met)]
    waiting = [a for a in audiences if not a.met]
    if len(waiting) == 1:
        key, values = waiting[0].said()
        out.append(line(lang, key, **values))
    elif waiting:
        items = [t(lang, "send.clock_item_people" if a.people > a.total else "send.clock_item", clock=a.name or a.clock_id,
                   reached=a.reached, total=a.total, people=a.people) for a in waiting]
        out.append(line(lang, "send.clocks_open", count=len(waiting), clocks=("；" if lang == "zh" else "; ").join(items)))
        if any(a.people > a.total for a in waiting):
            out.append(line(lang, "send.clocks_people"))
    return out


def _covers(jurisdiction: str, residence: str) -> bool:
    return covered_by(residence, jurisdiction) or residence.startswith(jurisdiction + "-")


def audiences(session: Session, *, incident: Incident, book: RegimeBook, firm_profile: frozenset[str],
              now: datetime, meet: bool, lang: str, actor: str = BY_SEND) -> list[Audience]:
    """The applicable clocks told through the register, with their counts; met (when `meet`) once all were reached,
    credited to `actor`: the person who recorded the last notices by hand, else `breachbot send`; the notice's
    reference (`1/1 个客户已送达`) is written in the workspace's language `lang`.

    A clock met through the register is opened again when a notice to one of its audience fails.
    """
    everyone = register.register(session, incident)
    out = []
    for row in clocks.rows(session, incident=incident, book=book, firm_profile=firm_profile, now=now):
        result = row.result
        if result.clock_id.split("/")[-1] not in AUDIENCE_CLOCKS or row.status == "not_applicable":
            continue
        jurisdiction = book.regimes[result.regime_key].jurisdiction
        audience = [c for c in everyone if _covers(jurisdiction, c.residence)]
        told = [c for c in audience if c.notified_at is not None]
        # people recorded as affected there (/breach affected) and not in the register are not told yet
        recorded = sum(n for code, n in ((incident.facts or {}).get("affected") or {}).items()
                       if _covers(jurisdiction, code))
        complete = bool(audience) and len(told) == len(audience) and len(told) >= recorded
        deadline = deadlines.get(session, incident_id=incident.id, kind=clocks.REGIME, ref=result.clock_id)
        if row.status == "met" and not complete and deadline is not None and (
                deadline.meta.get(BY_REGISTER) or deadline.meta.get("notified_by") == BY_SEND):
            deadline.met_at = None
            deadline.meta = {k: v for k, v in deadline.meta.items() if k not in ("reference", "notified_by", BY_REGISTER)}
            session.add(deadline)
            span = (result.due_at - incident.aware_at) if result.due_at else timedelta(hours=24)
            deadlines.plan_alerts(session, deadline, remind_before=clocks.remind_before(span), now=now)
            timeline.append(session, incident=incident, actor="breachbot", kind="clock_reopened", now=now,
                            text=f"{result.clock_id}: {len(told)}/{len(audience)} reached",
                            data={"clock": result.clock_id, "reached": len(told), "total": len(audience)})
            out.append(Audience(result.clock_id, len(told), len(audience), False, changed=True, people=recorded,
                                name=clocks.clock_name(book, result.clock_id, lang)))
            continue
        if meet and complete and row.status != "met":
            last = max(c.notified_at for c in told if c.notified_at is not None)
            clocks.mark_notified(session, incident=incident, row=row, at=last, actor=actor, now=now,
                                 reference=t(lang, "send.reached_ref", reached=len(told), total=len(audience)))
            met = deadlines.get(session, incident_id=incident.id, kind=clocks.REGIME, ref=result.clock_id)
            if met is not None:  # met by the register's count, not by a notice typed in: a bounce reopens it
                met.meta = {**met.meta, BY_REGISTER: True}
                session.add(met)
            out.append(Audience(result.clock_id, len(told), len(audience), True, changed=True,
                                name=clocks.clock_name(book, result.clock_id, lang)))
            continue
        out.append(Audience(result.clock_id, len(told), len(audience), row.status == "met", people=recorded,
                            name=clocks.clock_name(book, result.clock_id, lang)))
    return out
