"""What a due alert says and to whom: phase reminders and escalations, questions asked again, empty roles."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from bot.chat import Action, Mention, Message, RoomRef, Text
from bot.flows.base import drill, role_holders
from bot.flows.care import enquiry_alert, update_alert
from bot.flows.port import Bot
from bot.flows.status_out import STATUS
from bot.incident import care, deadlines, incidents, questions, scenarios, timeline
from bot.incident.answers import named
from bot.incident.followups import all_of
from bot.law.clocks import clock_name
from bot.outbox import Outbox
from bot.statements import clients
from bot.text.i18n import message
from bot.text.i18n import text as t
from bot.views import incident as views
from bot.views import questions as question_views
from storage.models import Alert, Deadline, Incident, Workspace

LATE = timedelta(minutes=5)


def alert_effects(bot: Bot, session: Session, *, alert_id: int, now: datetime, outbox: Outbox) -> str:
    """Compose a claimed alert's messages; returns SENT to send them or CANCELLED if no longer needed."""
    alert = session.get(Alert, alert_id)
    assert alert is not None
    deadline = session.get(Deadline, alert.deadline_id)
    incident = session.get(Incident, alert.incident_id)
    assert deadline is not None and incident is not None
    finished = incident.status != incidents.OPEN and (incident.drill or deadline.kind not in deadlines.AFTER_CLOSE)
    if finished or deadline.met_at is not None or deadline.cancelled_at is not None:
        return deadlines.CANCELLED
    if alert.kind == deadlines.REMINDER and deadline.due_at <= now and session.exec(select(Alert.id).where(
            Alert.deadline_id == deadline.id, Alert.kind == deadlines.ESCALATION)).first() is not None:
        return deadlines.CANCELLED  # the bot was down past the due time: the escalation says it, not a reminder too
    ws = session.get(Workspace, incident.workspace_id)
    assert ws is not None
    outbox.meta["workspace"] = ws.external_id  # direct messages go with this firm's credentials (flows/tenancy.py)
    holders = role_holders(session, incident)
    compose = _COMPOSERS.get(deadline.kind)
    late = now - alert.fire_at > LATE
    if compose is None:  # a kind this version does not know (a newer process wrote it): leave it for them
        return deadlines.CANCELLED
    compose(bot, session, incident=incident, ws=ws, deadline=deadline, alert=alert, holders=holders, now=now,
            outbox=outbox)
    if late:  # the bot was down when this fell due: say so rather than pretend it is on time
        note = (Text(t(ws.lang, "alert.late", at=views.when(ws, alert.fire_at, now))),)
        outbox.posts = [(incident_id, room, Message(lines=msg.lines + (note,), buttons=msg.buttons, kind=msg.kind))
                        for incident_id, room, msg in outbox.posts]
        outbox.directs = [(user, Message(lines=msg.lines + (note,), buttons=msg.buttons, kind=msg.kind))
                          for user, msg in outbox.directs]
    return deadlines.SENT


def _phase(bot: Bot, session: Session, *, incident: Incident, ws: Workspace, deadline: Deadline,
           alert: Alert, holders: dict[str, str], now: datetime, outbox: Outbox) -> None:
    lang = ws.lang
    spec = bot.playbook.phase(deadline.ref)
    owner = holders.get(spec.owner)
    what = f"{bot.playbook.position(spec.key)}/{len(bot.playbook.phases)} {spec.title(lang)}"
    prefix = drill(incident, lang)
    if alert.kind == deadlines.REMINDER:
        msg = message(lang, "alert.reminder", id=incidents.ref(incident), phase=what,
                      due=views.due_phrase(ws, deadline.due_at, now),
                      room=RoomRef(incident.war_room) if incident.war_room else "-")
        snooze = Action("snooze", incident.number, (spec.key, "30m")).button(t(lang, "snooze.button"))
        msg = Message(lines=msg.prefixed(prefix).lines, buttons=(snooze,), kind="reminder")
        if owner:
            outbox.direct(owner, msg)
        else:
            outbox.post(incident, msg)
        return
    msg = message(lang, "alert.escalation", id=incidents.ref(incident), phase=what,
                  at=views.when(ws, deadline.due_at, now),
                  owner=Mention(owner) if owner else t(lang, "roles.unassigned"),
                  people=_people(holders, ("lead", "executive")) or t(lang, "roles.nobody"))
    outbox.post(incident, Message(lines=msg.prefixed(prefix).lines, kind="escalation"))
    outbox.refresh.add(incident.id)


def _people(holders: dict[str, str], roles: tuple[str, ...]) -> tuple:
    """Mentions of the holders of these roles, each once, separated by spaces."""
    people: list = []
    for role in roles:
        user = holders.get(role)
        if user and Mention(user) not in people:
            people += ([Text(" ")] if people else []) + [Mention(user)]
    return tuple(people)


def _due_siblings(bot: Bot, session: Session, *, incident: Incident, alert: Alert, now: datetime,
                  kind: str = "question") -> list[Deadline]:
    """Other deadlines of this kind (questions, clients' contracts) of the incident whose same kind of alert is due
    now: claimed here, said in one message."""
    rows = session.exec(
        select(Alert, Deadline).join(Deadline, col(Deadline.id) == col(Alert.deadline_id))
        .where(Alert.incident_id == incident.id, Deadline.kind == kind, Alert.kind == alert.kind,
               col(Alert.id) != alert.id, col(Alert.fire_at) <= now, col(Alert.state) == deadlines.PENDING,
               col(Deadline.met_at).is_(None), col(Deadline.cancelled_at).is_(None))
        .order_by(col(Alert.fire_at), col(Alert.id))).all()
    return [deadline for sibling, deadline in rows
            if deadlines.claim(session, alert_id=sibling.id, worker=bot.worker_id, now=now, lease=timedelta(minutes=5))]


def _question(bot: Bot, session: Session, *, incident: Incident, ws: Workspace, deadline: Deadline,
              alert: Alert, holders: dict[str, str], now: datetime, outbox: Outbox) -> None:
    lang = ws.lang
    siblings = _due_siblings(bot, session, incident=incident, alert=alert, now=now)
    outbox.covers += [a.id for a in session.exec(select(Alert).where(
        col(Alert.deadline_id).in_([d.id for d in siblings]), Alert.kind == alert.kind,
        col(Alert.state) == deadlines.CLAIMED, Alert.claimed_by == bot.worker_id)) if a.id is not None]
    specs = [bot.playbook.question(d.ref) for d in [deadline, *siblings]]
    prefix = drill(incident, lang)
    if alert.kind == deadlines.REMINDER:
        # Counted as asked when a part of it is delivered (bot.flows.delivering), not when it is written.
        times = [questions.times_asked(session, incident=incident, key=spec.key) + 1 for spec in specs]
        outbox.reasked += [spec.key for spec in specs]
        if len(specs) == 1:
            outbox.post(incident, question_views.question_prompt(
                incident=incident, playbook=bot.playbook, ws=ws, spec=specs[0], holders=holders, times=times[0]))
            return
        heading = prefix + message(lang, "question.digest", id=incidents.ref(incident), count=len(specs),
                                   times=max(times), max=max(s.times for s in specs)).lines[0]
        for msg in question_views.question_digest(incident=incident, playbook=bot.playbook, ws=ws, heading=heading,
                                                  specs=specs, holders=holders):
            outbox.post(incident, msg)
        return
    lead = _people(holders, ("lead",)) or t(lang, "roles.nobody")
    if len(specs) == 1:
        spec = specs[0]
        msg = message(lang, "question.escalation", id=incidents.ref(incident),
                      key=_question_ref(question_views.number_of(bot.playbook, spec), named(bot.playbook, spec, lang)),
                      times=spec.times, lead=lead,
                      text=question_views.asking(incident, spec, lang))
        outbox.post(incident, Message(lines=msg.prefixed(prefix).lines, kind="escalation"))
        return
    lines = [prefix + message(lang, "question.escalation_digest", id=incidents.ref(incident), count=len(specs),
                              lead=lead).lines[0]]
    lines += [question_views.question_line(incident=incident, playbook=bot.playbook, spec=spec, holders=holders, lang=lang)
              for spec in specs]
    outbox.post(incident, Message(lines=tuple(lines), kind="escalation"))


def _client(bot: Bot, session: Session, *, incident: Incident, ws: Workspace, deadline: Deadline,
            alert: Alert, holders: dict[str, str], now: datetime, outbox: Outbox) -> None:
    """A client's contractual notice deadline (the register's notice_hours): before it, and once it passed with the
    client not told; the clients due at the same moment in one message, with their numbers in /breach clients."""
    lang = ws.lang
    siblings = _due_siblings(bot, session, incident=incident, alert=alert, now=now, kind=clients.CLIENT)
    outbox.covers += [a.id for a in session.exec(select(Alert).where(
        col(Alert.deadline_id).in_([d.id for d in siblings]), Alert.kind == alert.kind,
        col(Alert.state) == deadlines.CLAIMED, Alert.claimed_by == bot.worker_id)) if a.id is not None]
    refs = {d.ref for d in [deadline, *siblings]}
    numbers = [n for n, c in enumerate(clients.register(session, incident), start=1)
               if f"client:{c.id}" in refs and c.notified_at is None]
    if not numbers:
        return
    sep = "、" if lang == "zh" else ", "
    shown = sep.join(f"#{n}" for n in numbers[:12]) + ("…" if len(numbers) > 12 else "")
    if alert.kind == deadlines.REMINDER:
        msg = message(lang, "clocks.contract_reminder", id=incidents.ref(incident), count=len(numbers),
                      numbers=shown, due=views.due_phrase(ws, deadline.due_at, now), first=numbers[0],
                      who=_people(holders, ("client_liaison", "lead")) or t(lang, "roles.nobody"))
        outbox.post(incident, Message(lines=msg.prefixed(drill(incident, lang)).lines, kind="reminder"))
        return
    msg = message(lang, "clocks.contract_escalation", id=incidents.ref(incident), count=len(numbers), numbers=shown,
                  at=views.when(ws, deadline.due_at, now),
                  who=_people(holders, ("client_liaison", "lead", "legal")) or t(lang, "roles.nobody"))
    outbox.post(incident, Message(lines=msg.prefixed(drill(incident, lang)).lines, kind="escalation"))
    outbox.refresh.add(incident.id)


def _role(bot: Bot, session: Session, *, incident: Incident, ws: Workspace, deadline: Deadline,
          alert: Alert, holders: dict[str, str], now: datetime, outbox: Outbox) -> None:
    lang = ws.lang
    if deadline.ref in holders:
        return
    msg = message(lang, "role_prompt", id=incidents.ref(incident), role=bot.playbook.roles[deadline.ref](lang),
                  lead=_people(holders, ("lead", "executive")) or t(lang, "roles.nobody"),
                  key=bot.playbook.roles[deadline.ref](lang) if lang == "zh" else deadline.ref)
    outbox.post(incident, Message(lines=msg.prefixed(drill(incident, lang)).lines, kind="prompt"))


def _regime(bot: Bot, session: Session, *, incident: Incident, ws: Workspace, deadline: Deadline,
            alert: Alert, holders: dict[str, str], now: datetime, outbox: Outbox) -> None:
    lang = ws.lang
    title = clock_name(bot.regimes, deadline.ref, lang)
    if alert.kind == deadlines.REMINDER:
        msg = message(lang, "clocks.reminder", id=incidents.ref(incident), title=title, clock=deadline.ref,
                      due=views.due_phrase(ws, deadline.due_at, now),
                      who=_people(holders, ("legal", "lead")) or t(lang, "roles.nobody"))
        outbox.post(incident, Message(lines=msg.prefixed(drill(incident, lang)).lines, kind="reminder"))
        return
    msg = message(lang, "clocks.escalation", id=incidents.ref(incident), title=title, clock=deadline.ref,
                  at=views.when(ws, deadline.due_at, now),
                  who=_people(holders, ("lead", "legal", "executive")) or t(lang, "roles.nobody"))
    outbox.post(incident, Message(lines=msg.prefixed(drill(incident, lang)).lines, kind="escalation"))
    outbox.refresh.add(incident.id)


def _followup(bot: Bot, session: Session, *, incident: Incident, ws: Workspace, deadline: Deadline,
              alert: Alert, holders: dict[str, str], now: datetime, outbox: Outbox) -> None:

    lang = ws.lang
    item = next((f for f in all_of(session, incident) if f"F-{f.number}" == deadline.ref), None)
    if item is None or item.done_at is not None:
        return
    if alert.kind == deadlines.REMINDER:
        outbox.direct(item.owner, message(lang, "followup.reminder", incident=incidents.ref(incident),
                                          id=deadline.ref, due=views.due_phrase(ws, deadline.due_at, now),
                                          text=item.text).prefixed(drill(incident, lang)))
        return
    msg = message(lang, "followup.missed", incident=incidents.ref(incident), id=deadline.ref,
                  at=views.when(ws, deadline.due_at, now), text=item.text, owner=Mention(item.owner))
    outbox.direct(item.owner, msg.prefixed(drill(incident, lang)))
    outbox.post(incident, msg.prefixed(drill(incident, lang)))


def _inject(bot: Bot, session: Session, *, incident: Incident, ws: Workspace, deadline: Deadline,
            alert: Alert, holders: dict[str, str], now: datetime, outbox: Outbox) -> None:
    lang = ws.lang
    text = deadline.meta.get(lang) or deadline.meta.get("en", "")
    msg = message(lang, "drill.inject", at=scenarios.offset_words(deadline.meta.get("at"), lang), text=text)
    outbox.post(incident, Message(lines=msg.prefixed(drill(incident, lang)).lines, kind="inject"))


def _status(bot: Bot, session: Session, *, incident: Incident, ws: Workspace, deadline: Deadline,
            alert: Alert, holders: dict[str, str], now: datetime, outbox: Outbox) -> None:
    outbox.refresh.add(incident.id)  # the time left reads differently now; the refresh plans the next one


_COMPOSERS = {STATUS: _status, "phase": _phase, "question": _question, "role": _role, "regime": _regime, "followup": _followup, clients.CLIENT: _client,
              "inject": _inject, care.UPDATE: update_alert, "media_enquiry": enquiry_alert}

# What each alert is called in the timeline, by deadline kind and alert kind.
_EVENT = {
    ("phase", deadlines.REMINDER): "reminder_sent",
    ("phase", deadlines.ESCALATION): "escalated",
    ("question", deadlines.REMINDER): "asked_again",
    ("question", deadlines.ESCALATION): "question_escalated",
    ("role", deadlines.ESCALATION): "role_prompted",
    ("regime", deadlines.REMINDER): "clock_reminder",
    ("regime", deadlines.ESCALATION): "clock_missed",
    (clients.CLIENT, deadlines.REMINDER): "client_notice_reminder",
    (clients.CLIENT, deadlines.ESCALATION): "client_notice_missed",
    ("followup", deadlines.REMINDER): "followup_reminder",
    ("followup", deadlines.ESCALATION): "followup_missed",
    ("inject", deadlines.ESCALATION): "inject",
    (care.UPDATE, deadlines.REMINDER): "update_reminder",
    (care.UPDATE, deadlines.ESCALATION): "update_due",
    ("media_enquiry", deadlines.ESCALATION): "enquiry_unanswered",
}


def alert_sent(bot: Bot, session: Session, *, alert_id: int, now: datetime) -> None:
    """Mark an alert sent and record it in the incident's timeline, in one transaction."""
    alert = session.get(Alert, alert_id)
    assert alert is not None
    deadline = session.get(Deadline, alert.deadline_id)
    incident = incidents.lock(session, session.get(Incident, alert.incident_id))
    assert deadline is not None
    deadlines.finish(session, alert_id=alert_id, state=deadlines.SENT, now=now)
    if deadline.kind == STATUS:  # the pin refreshed by itself: nothing was said, nothing to record
        return
    kind = _EVENT.get((deadline.kind, alert.kind), f"{deadline.kind}_{alert.kind}")
    timeline.append(session, incident=incident, actor="breachbot", kind=kind, now=now,
                    text=f"{deadline.kind}:{deadline.ref}",
                    data={"deadline": deadline.ref, "due_at": deadline.due_at.isoformat(),
                          "fire_at": alert.fire_at.isoformat(), "late": now - alert.fire_at > LATE})


def _question_ref(number: int, name: str) -> str:
    """`Q3 (data)`; in Chinese the name is the number already (`Q1`), said once."""
    return name if name == f"Q{number}" else f"Q{number} ({name})"
