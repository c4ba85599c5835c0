"""Neutral messages built from an incident's state. Platforms render them; nothing here knows how."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, select

from bot.chat import Action, Line, Mention, Message, RoomRef, Strong, Text
from bot.incident import care, changes, deadlines, media, wording
from bot.incident.incidents import OPEN, active_roles, ref
from bot.incident.phases import phase_states, task_states
from bot.incident.playbook import Playbook
from bot.law import coverage
from bot.law.clocks import ClockChange, ClockRow, clock_name
from bot.law.reasons import render
from bot.law.regimes import RegimeBook
from bot.statements import clients
from bot.text.i18n import catalogue, drill_prefix, has_chinese, line, message
from bot.text.i18n import text as t
from bot.text.times import dated, format_duration, format_time, is_dated, within
from storage.models import Deadline, Incident, OutboundMessage, TimelineEvent, Workspace

JUST = timedelta(minutes=1)  # a deadline less than a minute away or past is 'just due'


def when(ws: Workspace, at: datetime, now: datetime) -> str:
    """A time as people in this workspace read it."""
    return format_time(at, ws.timezone, now=now, lang=ws.lang)


def due_phrase(ws: Workspace, due_at: datetime, now: datetime) -> str:
    """'due 11:05 (in 58m)' or 'overdue since 11:05 (1h 02m)'; on text that stays on screen (`dated()`, refreshed
    as each step of the time left is crossed), 'due Sat 05 Dec 20:50, within 8h' or 'OVERDUE since …', never stale."""
    lang = ws.lang
    if abs(due_at - now) < JUST and (due_at >= now or not is_dated()):  # never 'in 0m', 'within 0 min', '0m late'
        return t(lang, "due.just", at=when(ws, due_at, now))  # (a pin then reads 'OVERDUE since', refreshed)
    if is_dated():
        if due_at >= now:
            return t(lang, "due.within", at=when(ws, due_at, now), left=within(due_at - now, lang))
        return t(lang, "due.overdue_since", at=when(ws, due_at, now))
    if due_at >= now:
        return t(lang, "due.in", at=when(ws, due_at, now), left=format_duration(due_at - now, lang))
    return t(lang, "due.overdue", at=when(ws, due_at, now), late=format_duration(now - due_at, lang))


def holder_spans(holders: dict[str, str], role: str, lang: str) -> Line:
    """A role holder as a mention, or 'unassigned'."""
    user = holders.get(role)
    return (Mention(user),) if user else (Text(t(lang, "roles.unassigned")),)


def overdue_line(ws: Workspace, overdue: list[tuple[datetime, str]], now: datetime) -> Line:
    """'⚠️ Overdue: 1 Immediate response (11:05); 2 …' from (due, 'position title') pairs."""
    return line(ws.lang, "status.overdue", phases=t(ws.lang, "regime_reason.join.clauses").join(
        t(ws.lang, "status.overdue_item", phase=title, at=when(ws, at, now)) for at, title in overdue))


def role_line(holders: dict[str, str], playbook: Playbook, lang: str, *, everyone: bool) -> Line:
    """'Roles: Incident lead @alice · IT security @bob · Scribe unassigned' (`everyone`: empty roles too)."""
    label = t(lang, "status.roles")
    spans: list = [Text(label)]
    shown = [r for r in playbook.roles if everyone or r in holders]
    for i, role in enumerate(shown):
        spans += [Text(" · " if i else ("" if label.endswith("：") else " ")), Text(f"{playbook.roles[role](lang)} ")]
        spans += list(holder_spans(holders, role, lang))
    return tuple(spans)


def pinned(session: Session, *, incident: Incident, playbook: Playbook, ws: Workspace, now: datetime) -> Message:
    """The status as pinned in the war room: it stays up for days, so every time in it says which day."""
    with dated():
        return status(session, incident=incident, playbook=playbook, ws=ws, now=now)


def status(session: Session, *, incident: Incident, playbook: Playbook, ws: Workspace, now: datetime,
           book: RegimeBook | None = None) -> Message:
    """The living status message (pinned in the war room, and the answer to /breach status)."""
    lang = ws.lang
    holders = {r: a.user for r, a in active_roles(session, incident).items()}
    states = phase_states(session, incident)
    current = next(s for s in states if s.key == incident.current_phase)
    spec = playbook.phase(current.key)
    deadline = deadlines.get(session, incident_id=incident.id, kind="phase", ref=current.key)
    if incident.status != OPEN:  # no phase counting down: closed, and what the law still wants
        header = drill_prefix(lang, incident.drill) + line(lang, "status.header_closed", id=Strong(ref(incident)),
                                               severity=wording.severity(lang, incident.severity),
                                               lead=holder_spans(holders, "lead", lang))
    else:
        header = drill_prefix(lang, incident.drill) + line(
            lang, "status.header", id=Strong(ref(incident)), severity=wording.severity(lang, incident.severity),
            position=current.position, total=len(states), phase=spec.title(lang),
            due=t(lang, "status.done") if current.completed_at else (
                due_phrase(ws, deadline.due_at, now) if deadline else ""),
            lead=holder_spans(holders, "lead", lang))
    lines: list[Line] = [header, (Text(incident.title),)]
    if incident.status == OPEN and (soonest := next_due(session, incident=incident, playbook=playbook, lang=lang,
                                                                  now=now)):
        at, what = soonest  # what is due next across everything, at the top
        lines.append(line(lang, "status.next_deadline", what=what, due=due_phrase(ws, at, now)))
    if incident.status != OPEN:
        lines += _closed_lines(session, incident=incident, playbook=playbook, ws=ws, now=now, book=book)
    lines.append(line(lang, "status.times", aware=when(ws, incident.aware_at, now),
                      declared=when(ws, incident.declared_at, now)))
    lines.append(role_line(holders, playbook, lang, everyone=True))
    overdue, upcoming = [], []
    for state in states:
        if state.completed_at is not None:
            continue
        d = deadlines.get(session, incident_id=incident.id, kind="phase", ref=state.key)
        if d is None:
            continue
        title = f"{state.position} {playbook.phase(state.key).title(lang)}"
        (overdue if d.due_at < now else upcoming).append((d.due_at, title))
    overdue += [(d.due_at, t(lang, "status.next.clock", title=regime_name(d.ref.split("/")[0], lang), clock=d.ref))
                for d in session.exec(select(Deadline).where(Deadline.incident_id == incident.id,
                                                             Deadline.kind == "regime"))
                if d.met_at is None and d.cancelled_at is None and d.due_at < now]  # a legal notice owed is late too
    if overdue and incident.status == OPEN:
        lines.append(overdue_line(ws, sorted(overdue), now))
    done = sum(1 for s in states if s.completed_at)
    lines.append(line(lang, "status.progress", done=done, total=len(states)))
    register = clients.register(session, incident)
    if register:
        told = sum(1 for c in register if c.notified_at)
        lines.append(line(lang, "status.clients", notified=told, total=len(register)))
        duties = [c for c in register if c.notice_hours is not None and c.notified_at is None]
        if duties:
            first = min(incident.aware_at + timedelta(hours=c.notice_hours or 0) for c in duties)
            lines.append(line(lang, "status.contract_clocks", count=len(duties), due=due_phrase(ws, first, now)))
    set_aside = len(session.exec(select(OutboundMessage.id).where(OutboundMessage.incident_id == incident.id,
                                                                 OutboundMessage.state == "dead")).all())
    if set_aside:  # every give-up shows, until someone looks at it with `breachbot outbox`
        lines.append(line(lang, "delivery.status_line", count=set_aside))
    if waiting := media.unanswered(incident):
        lines.append(line(lang, "status.media_open", count=len(waiting)))
    if totals := changes.totals(incident):
        lines.append(line(lang, "status.costs", total=" + ".join(a.show() for a in totals.values())))
    if care.offers(incident) or care.compensation(incident) or care.feedback(incident):
        lines.append(line(lang, "status.care", offers=len(care.offers(incident)),
                          paid=" + ".join(a.show() for a in care.compensation_totals(incident).values()) or "0",
                          score=care.average_score(incident) or "—", count=len(care.feedback(incident))))
    return Message(lines=tuple(lines), kind="status")


NEXT_KINDS = ("phase", "regime", "client", "followup", "question")  # what "due next" weighs; not drill injects


def next_due(session: Session, *, incident: Incident, playbook: Playbook, lang: str,
             now: datetime) -> tuple[datetime, str] | None:
    """The soonest open deadline of any kind — a phase, a legal clock, a client's contractual notice, a
    follow-up, a question — with what it is in words; None when nothing is counting down."""
    rows = [d for d in session.exec(select(Deadline).where(Deadline.incident_id == incident.id))
            if d.met_at is None and d.cancelled_at is None and d.kind in NEXT_KINDS]
    done = {s.key for s in phase_states(session, incident) if s.completed_at is not None}
    # what is still ahead: anything already late is in the overdue line (phases) or the clocks' own reminders
    rows = [d for d in rows if not (d.kind == "phase" and d.ref in done) and d.due_at >= now]
    if not rows:
        return None
    first = min(rows, key=lambda d: (d.due_at, NEXT_KINDS.index(d.kind), d.ref))
    if first.kind == "phase":
        what = t(lang, "status.next.phase", phase=f"{playbook.position(first.ref)} {playbook.phase(first.ref).title(lang)}")
    elif first.kind == "regime":
        what = t(lang, "status.next.clock", title=regime_name(first.ref.split("/")[0], lang), clock=first.ref)
    elif first.kind == "client":
        count = sum(1 for d in rows if d.kind == "client" and d.due_at == first.due_at)
        what = t(lang, "status.next.clients", count=count)
    elif first.kind == "followup":
        what = t(lang, "status.next.followup", id=first.ref)
    else:
        spec = next((q for q in playbook.questions() if q.key == first.ref), None)
        what = t(lang, "status.next.question", question=spec.text(lang) if spec else first.ref)
    return first.due_at, what


def regime_name(key: str, lang: str) -> str:
    """A regime by the short name people know it by in the workspace's language (`个人信息保护法`; `PIPL` in an
    English workspace, never a Chinese name there), else its key."""
    names = [name for name in catalogue(lang).get(f"regime_names.{key}", "").split("/") if name]
    if lang != "zh":
        names = [name for name in names if not has_chinese(name)]
    return names[0] if names else key


def _closed_lines(session: Session, *, incident: Incident, playbook: Playbook, ws: Workspace,
                  now: datetime, book: RegimeBook | None) -> list[Line]:
    """When, by whom and why it closed; then each legal clock still owed a notice, with its due time."""
    lang = ws.lang
    closing = session.exec(select(TimelineEvent).where(TimelineEvent.incident_id == incident.id,
                                                       TimelineEvent.kind == "closed")).first()
    lines: list[Line] = [line(lang, "status.closed", at=when(ws, incident.closed_at or now, now),
                              actor=Mention(closing.actor) if closing else "-",
                              cause=playbook.causes[incident.cause](lang) if incident.cause in playbook.causes else "-")]
    owed = sorted((d for d in session.exec(select(Deadline).where(Deadline.incident_id == incident.id,
                                                                  Deadline.kind == "regime"))
                   if d.met_at is None and d.cancelled_at is None), key=lambda d: (d.due_at, d.ref))
    if owed:
        lines.append(line(lang, "status.clocks_open", id=ref(incident)))
        lines += [(Text(f"  ⚖️ {clock_name(book, d.ref, lang) if book else d.ref} · {due_phrase(ws, d.due_at, now)}"),)
                  for d in owed]
    return lines


def topic(session: Session, *, incident: Incident, playbook: Playbook, ws: Workspace, now: datetime) -> str:
    """The war room's one-line topic: severity, phase, next deadline."""
    lang = ws.lang
    state = next(s for s in phase_states(session, incident) if s.key == incident.current_phase)
    d = deadlines.get(session, incident_id=incident.id, kind="phase", ref=state.key)
    prefix = "".join(x.text for x in drill_prefix(lang, incident.drill))
    with dated():  # a topic stays up for days: its deadline always says which day
        due = when(ws, d.due_at, now) if d else "-"
    return prefix + t(lang, "topic", id=ref(incident), severity=wording.severity(lang, incident.severity),
                      position=state.position,
                      total=len(playbook.phases), phase=playbook.phase(state.key).title(lang),
                      due=due, state=wording.state(lang, incident.status))


def phase_prompt(session: Session, *, incident: Incident, playbook: Playbook, ws: Workspace, now: datetime,
                 phase_key: str) -> Message:
    """What a phase asks of the team, posted when it starts."""
    lang = ws.lang
    spec = playbook.phase(phase_key)
    holders = {r: a.user for r, a in active_roles(session, incident).items()}
    d = deadlines.get(session, incident_id=incident.id, kind="phase", ref=phase_key)
    position = playbook.position(phase_key)
    lines: list[Line] = [drill_prefix(lang, incident.drill) + line(
        lang, "phase.prompt", id=ref(incident), position=position, total=len(playbook.phases),
        phase=Strong(spec.title(lang)), role=playbook.roles[spec.owner](lang),
        owner=holder_spans(holders, spec.owner, lang), due=due_phrase(ws, d.due_at, now) if d else "-")]
    buttons = []
    for i, task in enumerate(task_states(session, incident, phase_key), start=1):
        mark = "✓" if task.done_at else " "
        lines.append((Text(f"  [{mark}] {i}. {spec.tasks[task.position - 1].text(lang)}"),))
        if task.done_at is None:
            buttons.append(Action("task_done", incident.number, (f"{position}.{i}",)).button(t(lang, "button.done", n=i)))
    lines.append(line(lang, "phase.hint"))
    buttons.append(Action("phase_next", incident.number).button(t(lang, "button.next_phase")))
    return Message(lines=tuple(lines), buttons=tuple(buttons), kind="prompt")


def tasks(session: Session, *, incident: Incident, playbook: Playbook, ws: Workspace, now: datetime,
          everything: bool) -> Message:
    """The checklist of the current phase, or of every phase."""
    lang = ws.lang
    lines: list[Line] = []
    for state in phase_states(session, incident):
        if not everything and state.key != incident.current_phase:
            continue
        spec = playbook.phase(state.key)
        mark = " ✓" if state.completed_at else (" ◀" if state.key == incident.current_phase else "")
        lines.append((Strong(f"{state.position}. {spec.title(lang)}{mark}"),))
        for i, task in enumerate(task_states(session, incident, state.key), start=1):
            number = f"{state.position}.{i}" if everything else f"{i}"
            text = f"  [{'✓' if task.done_at else ' '}] {number} {spec.tasks[task.position - 1].text(lang)}"
            lines.append((Text(text),) if not task.done_at else (
                Text(text + " — "), Mention(task.done_by or ""), Text(f" {when(ws, task.done_at, now)}")))
    lines.append(line(lang, "tasks.hint"))
    return Message(lines=tuple(lines))


def roles(session: Session, *, incident: Incident, playbook: Playbook, ws: Workspace) -> Message:
    """Who holds each role."""
    lang = ws.lang
    holders = {r: a.user for r, a in active_roles(session, incident).items()}
    lines: list[Line] = [line(lang, "roles.header", id=ref(incident))]
    for role, name in playbook.roles.items():
        # English shows the key to type too; Chinese names are typed as they are (/breach assign @王芳 记录员)
        shown = f"  {role} — {name(lang)}: " if lang == "en" else f"  {name(lang)}："
        lines.append((Text(shown),) + holder_spans(holders, role, lang))
    lines.append(line(lang, "roles.hint"))
    return Message(lines=tuple(lines))


def incident_list(incidents: list[Incident], lang: str, key: str, **values: object) -> Message:
    """A short list of incidents after a header line (used to ask 'which one?')."""
    lines = [line(lang, key, **values)] + [(Text(f"  {ref(i)} · {wording.severity(lang, i.severity)} · {i.title[:80]}"),)
                             for i in incidents]
    return Message(lines=tuple(lines), kind="error")


def room_line(lang: str, key: str, room: str | None, **values: object) -> Message:
    """A one-line message that names a room as a link."""
    return message(lang, key, room=RoomRef(room) if room else "-", **values)


def home(session: Session, *, ws: Workspace, playbook: Playbook, now: datetime,
         incidents_open: list[Incident]) -> Message:
    """Open incidents with their phase and next deadline (Slack's App Home, a console listing)."""
    lang = ws.lang
    if not incidents_open:
        return Message(lines=(line(lang, "home.none"),), kind="home")
    lines: list[Line] = [line(lang, "home.header", count=len(incidents_open))]
    for incident in incidents_open:
        state = next(s for s in phase_states(session, incident) if s.key == incident.current_phase)
        pending = [d for d in (deadlines.get(session, incident_id=incident.id, kind="phase", ref=s.key)
                               for s in phase_states(session, incident) if s.completed_at is None) if d]
        nxt = min((d.due_at for d in pending), default=None)
        lines.append(drill_prefix(lang, incident.drill) + line(
            lang, "home.item", id=Strong(ref(incident)), severity=wording.severity(lang, incident.severity),
            title=incident.title[:80],
            position=state.position, total=len(playbook.phases), phase=playbook.phase(state.key).title(lang),
            due=due_phrase(ws, nxt, now) if nxt else "-",
            room=RoomRef(incident.war_room) if incident.war_room else "-"))
    return Message(lines=tuple(lines), kind="home")


def _clock_title(book: RegimeBook, clock_id: str, lang: str) -> str:
    return book.clock_title(clock_id, lang)


def clock_change(book: RegimeBook, *, ws: Workspace, change: ClockChange, now: datetime, drill: bool) -> Message:
    """'GDPR Art. 33 now applies: due Mon 09:00', 'moved', or 'no longer applies'."""
    lang = ws.lang
    title = clock_name(book, change.clock_id, lang)
    key = {"applies": "clocks.now_applies", "moved": "clocks.moved", "dropped": "clocks.dropped"}[change.change]
    msg = message(lang, key, title=title, clock=change.clock_id,
                  due=due_phrase(ws, change.due_at, now) if change.due_at else "-",
                  before=when(ws, change.before, now) if change.before else "-")
    return msg.prefixed(drill_prefix(lang, drill))


def clocks(book: RegimeBook, *, incident: Incident, ws: Workspace, rows: list[ClockRow], now: datetime,
           everything: bool) -> Message:
    """`/breach clocks`: each applicable clock with audience, due time, time left, status, citation."""
    lang = ws.lang
    lines: list[Line] = [drill_prefix(lang, incident.drill) + line(lang, "clocks.header", id=ref(incident))]
    shown = [r for r in rows if everything or r.status != "not_applicable" or r.result.decided]
    if not [r for r in shown if r.status != "not_applicable"]:
        lines.append(line(lang, "clocks.none"))
    for row in shown:
        result = row.result
        audience = result.audience_zh if lang == "zh" else result.audience_en
        status = t(lang, "clocks.status.no_harm" if row.result.decided else f"clocks.status.{row.status}")
        if row.status == "missed" and result.due_at and now - result.due_at < JUST:
            timing = t(lang, "due.just", at=when(ws, result.due_at, now))
        elif row.status == "missed" and result.due_at:  # the status says overdue already: only when and how late
            timing = t(lang, "due.past", at=when(ws, result.due_at, now),
                       late=format_duration(now - result.due_at, lang))
        elif row.status == "pending" and result.due_at:
            timing = due_phrase(ws, result.due_at, now)
        elif row.status == "met" and row.met_at:
            timing = t(lang, "clocks.met_at", at=when(ws, row.met_at, now), ref=row.reference or t(lang, "clocks.no_ref"))
        else:
            timing = render(result.reason, lang)
        target = "" if result.hard_deadline or row.status == "not_applicable" else t(
            lang, "clocks.firm_target_unread" if result.timing_unread else "clocks.firm_target")
        lines.append((Strong(f"{result.clock_id}"), Text(f" · {_clock_title(book, result.clock_id, lang)} → "
                                                          f"{audience} · {status} · {timing}{target}")))
        lines.append((Text(f"    {result.citation(lang)}" + (f" — {result.note(lang)}" if result.note else "")),))
        # what an entry was checked against, for the laws that apply (--all would repeat it for every state's law)
        if result.source and result.verified_on and (row.status != "not_applicable" or result.decided):
            lines.append((Text("    " + t(lang, "clocks.source", source=result.source(lang),
                                          date=result.verified_on.isoformat())),))
    lines += gap_lines(book, incident=incident, lang=lang, everything=everything)
    lines.append(line(lang, "clocks.hint"))
    lines.append((Text(book.disclaimer(lang)),))
    return Message(lines=tuple(lines), kind="clocks")


def gap_lines(book: RegimeBook, *, incident: Incident, lang: str, everything: bool) -> list[Line]:
    """What no clock speaks for: US residents with no state, places not modelled (never silence)."""
    out: list[Line] = []
    found = coverage.gaps(book, dict(incident.facts.get("affected") or {}), everything=everything)
    states = [g for g in found if g.count is None and g.note is None]
    for gap in found:
        if gap in states:
            continue
        place = gap.name(lang) if gap.name else wording.place_name(gap.place, lang)
        if gap.kind == "state_unknown":
            out.append(line(lang, "clocks.state_unknown", count=gap.count))
        elif gap.note is not None:
            out.append(line(lang, "clocks.not_modelled_note", place=place, count=gap.count or "—", note=gap.note(lang),
                            date=gap.verified_on.isoformat() if gap.verified_on else "—"))
        else:
            out.append(line(lang, "clocks.not_modelled", place=place, count=gap.count or "—"))
    if states:
        sep = "、" if lang == "zh" else ", "
        out.append(line(lang, "clocks.states_not_modelled",
                        places=sep.join(wording.place_name(g.place, lang) for g in states)))
    return out


def contract_clocks(session: Session, *, incident: Incident, ws: Workspace, now: datetime) -> tuple[Line, ...]:
    """`/breach clocks`' part for the clients' own contracts: clients not yet told, by due time, with their numbers."""
    lang = ws.lang
    register = clients.register(session, incident)
    due: dict[datetime, list[int]] = {}
    for number, client in enumerate(register, start=1):
        if client.notice_hours is not None and client.notified_at is None:
            due.setdefault(incident.aware_at + timedelta(hours=client.notice_hours), []).append(number)
    if not due:
        return ()
    sep = "、" if lang == "zh" else ", "
    lines: list[Line] = [line(lang, "clocks.contracts", count=sum(len(v) for v in due.values()))]
    for at, numbers in sorted(due.items()):
        shown = sep.join(f"#{n}" for n in numbers[:12]) + ("…" if len(numbers) > 12 else "")
        lines.append(line(lang, "clocks.contract_item", count=len(numbers), numbers=shown, due=due_phrase(ws, at, now)))
    return tuple(lines)
