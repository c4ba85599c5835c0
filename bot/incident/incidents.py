"""Incident services: plain functions with an explicit session and keyword arguments.

Each one changes state and writes the matching timeline event in the caller's transaction,
or raises UserError before changing anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from bot.chat import Mention
from bot.errors import UserError
from bot.incident import deadlines, timeline
from bot.incident.playbook import Playbook
from bot.text import mentions
from bot.text.facts import DATA_CATEGORIES, MAX_CLIENTS, TEXT_MAX, TITLE_MAX
from bot.text.i18n import message
from bot.text.i18n import text as t
from storage import db
from storage.models import Delivery, Incident, Participant, PhaseState, RoleAssignment, TaskState, Workspace

OPEN, CLOSED = "open", "closed"


def ref(incident: Incident) -> str:
    """How people name an incident: BR-<n>."""
    return f"BR-{incident.number}"


def workspace_for(session: Session, *, platform: str, external_id: str, lang: str, timezone: str,
                  name: str = "") -> Workspace:
    """The workspace row for a platform team, created on first use (by upsert: the first commands of a
    new workspace may arrive at once, from several processes, and none of them may fail for it)."""
    query = select(Workspace).where(Workspace.platform == platform, Workspace.external_id == external_id)
    found = session.exec(query).first()
    if found:
        return found
    values = {"platform": platform, "external_id": external_id, "lang": lang, "timezone": timezone, "name": name,
              "last_number": 0}
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    session.execute(insert(Workspace).values(**values).on_conflict_do_nothing(
        index_elements=["platform", "external_id"]))
    return session.exec(query.execution_options(populate_existing=True)).one()


def by_number(session: Session, *, workspace: Workspace, number: int, lock: bool = False) -> Incident | None:
    """The incident BR-<number> of a workspace (locked for update when asked)."""
    stmt = select(Incident).where(Incident.workspace_id == workspace.id, Incident.number == number)
    if lock:
        stmt = stmt.with_for_update()
    return session.exec(stmt).first()


def by_room(session: Session, *, workspace: Workspace, room: str) -> Incident | None:
    """The incident whose war room this is."""
    return session.exec(select(Incident).where(
        Incident.workspace_id == workspace.id, Incident.war_room == room)).first()


def open_for_user(session: Session, *, workspace: Workspace, user: str) -> list[Incident]:
    """Open incidents this person is on the team of, newest first."""
    return list(session.exec(
        select(Incident).join(Participant, col(Participant.incident_id) == col(Incident.id))
        .where(Incident.workspace_id == workspace.id, Incident.status == OPEN, Participant.user == user)
        .order_by(col(Incident.number).desc())
    ))


def last_closed_for_user(session: Session, *, workspace: Workspace, user: str) -> Incident | None:
    """The closed incident this person was on the team of that closed last (None if there is none)."""
    return session.exec(
        select(Incident).join(Participant, col(Participant.incident_id) == col(Incident.id))
        .where(Incident.workspace_id == workspace.id, Incident.status == CLOSED, Participant.user == user)
        .order_by(col(Incident.closed_at).desc(), col(Incident.number).desc())
    ).first()


def lock(session: Session, incident: Incident) -> Incident:
    """Re-read an incident holding its row lock (PostgreSQL), so concurrent commands queue."""
    locked = session.exec(select(Incident).where(Incident.id == incident.id).with_for_update()).one()
    session.refresh(locked)
    return locked


def require_open(incident: Incident, lang: str) -> None:
    """Refuse changes to a closed incident."""
    if incident.status != OPEN:
        raise UserError(t(lang, "error.closed", id=ref(incident)))


def add_participant(session: Session, *, incident: Incident, user: str, now: datetime) -> bool:
    """Put someone on the team; False if they already were."""
    exists = session.exec(select(Participant).where(
        Participant.incident_id == incident.id, Participant.user == user)).first()
    if exists:
        return False
    session.add(Participant(incident_id=incident.id, user=user, added_at=now))
    session.flush()
    return True


def is_participant(session: Session, incident: Incident, user: str) -> bool:
    """Whether someone is on the incident's team."""
    return session.exec(select(Participant).where(
        Participant.incident_id == incident.id, Participant.user == user)).first() is not None


def participants(session: Session, incident: Incident) -> list[str]:
    """Everyone on the team, in the order they joined."""
    rows = session.exec(select(Participant).where(Participant.incident_id == incident.id)
                        .order_by(col(Participant.id)))
    return [p.user for p in rows]


def check_title(title: str, lang: str) -> str:
    """A title is one line of 1–TITLE_MAX characters."""
    title = " ".join(title.split())
    if not title:
        raise UserError(t(lang, "error.title_empty"))
    if len(title) > TITLE_MAX:
        raise UserError(t(lang, "error.title_long", max=TITLE_MAX, length=len(title)))
    return title


def check_text(text: str, lang: str, *, what: str) -> str:
    """Free text (notes, decisions, lessons): not empty, not longer than TEXT_MAX."""
    text = text.strip()
    if not text:
        raise UserError(t(lang, "error.text_empty", what=what))
    if len(text) > TEXT_MAX:
        raise UserError(t(lang, "error.text_long", what=what, max=TEXT_MAX, length=len(text)))
    return text


@dataclass
class Declared:
    """What declare made, for the caller to announce."""

    incident: Incident
    roles: dict[str, str] = field(default_factory=dict)
    team: list[str] = field(default_factory=list)
    existing: bool = False


def declare(session: Session, *, workspace: Workspace, playbook: Playbook, title: str, severity: str | None,
            aware_at: datetime, clients: int | None, data: tuple[str, ...], drill: bool, actor: str, room: str,
            roster: dict[str, list[str]], now: datetime, declare_key: str | None = None) -> Declared:
    """Create an incident with its phases, tasks, deadlines, team and first timeline events."""
    lang = workspace.lang
    if existing := _declared_by_key(session, workspace, declare_key):
        return Declared(incident=existing, existing=True)
    title = check_title(title, lang)
    severity = (severity or playbook.default_severity).lower()
    if severity not in playbook.severities:
        raise UserError(t(lang, "error.severity", value=severity, choices=", ".join(playbook.severities)))
    if aware_at > now:
        raise UserError(t(lang, "error.aware_future"))
    if clients is not None and not 0 <= clients <= MAX_CLIENTS:
        raise UserError(t(lang, "error.clients", value=clients))
    unknown = [d for d in data if d not in DATA_CATEGORIES]
    if unknown:
        raise UserError(t(lang, "error.data", value=", ".join(unknown), choices=", ".join(DATA_CATEGORIES)))
    unknown_roles = [r for r in roster if r not in playbook.roles]
    if unknown_roles:
        raise UserError(t(lang, "error.roster_role", value=", ".join(unknown_roles)))

    # Numbering under a lock on the workspace row: two declares never get the same BR-<n>. The row is read
    # again under the lock (populate_existing): the copy this session loaded before may be stale. In a storm
    # the wait for the lock may be longer than a statement's usual limit (storage.db.NUMBERING_WAIT).
    with db.waiting_up_to(session, db.NUMBERING_WAIT):
        ws = session.exec(select(Workspace).where(Workspace.id == workspace.id).with_for_update()
                          .execution_options(populate_existing=True)).one()
    if existing := _declared_by_key(session, ws, declare_key):  # the same declare, retried meanwhile
        return Declared(incident=existing, existing=True)
    ws.last_number += 1
    session.add(ws)
    first = playbook.phases[0]
    facts: dict = {"data": list(dict.fromkeys(data))}
    if clients is not None:
        facts["clients"] = clients
    incident = Incident(workspace_id=ws.id, number=ws.last_number, title=title, severity=severity, drill=drill,
                        playbook=playbook.key, aware_at=aware_at, declared_at=now, declared_by=actor,
                        declared_in=room, current_phase=first.key, facts=facts, declare_key=declare_key)
    session.add(incident)
    session.flush()
    assert incident.id is not None

    timeline.append(session, incident=incident, actor=actor, kind="declared", now=now,
                    text=title, data={"severity": severity, "drill": drill, "aware_at": aware_at.isoformat(),
                                      "clients": clients, "data": facts["data"], "room": room})
    for position, spec in enumerate(playbook.phases, start=1):
        session.add(PhaseState(incident_id=incident.id, key=spec.key, position=position, owner_role=spec.owner,
                               started_at=now if position == 1 else None))
        for task_position, task in enumerate(spec.tasks, start=1):
            session.add(TaskState(incident_id=incident.id, phase_key=spec.key, key=task.key, position=task_position))
        deadlines.schedule(session, incident_id=incident.id, kind="phase", ref=spec.key, due_at=aware_at + spec.due,
                           remind_before=spec.remind_before, now=now)
    timeline.append(session, incident=incident, actor="breachbot", kind="phase_started", now=now,
                    text=first.title("en"), data={"phase": first.key, "position": 1})

    # The roster's first person for each role takes it; the declarer leads unless the roster names a lead.
    holders: dict[str, str] = {"lead": actor}
    for role, people in roster.items():
        if people:
            holders[role] = people[0]
    team = [actor] + [p for people in roster.values() for p in people]
    for user in dict.fromkeys(team):
        add_participant(session, incident=incident, user=user, now=now)
    for role in playbook.roles:
        if role in holders:
            _assign(session, incident=incident, role=role, user=holders[role], actor="breachbot", now=now)
    return Declared(incident=incident, roles=holders, team=list(dict.fromkeys(team)))


def _declared_by_key(session: Session, workspace: Workspace, declare_key: str | None) -> Incident | None:
    """The incident a retried declare already made, if any."""
    if not declare_key:
        return None
    return session.exec(select(Incident).where(Incident.workspace_id == workspace.id,
                                               Incident.declare_key == declare_key)).first()


TWIN_WINDOW = timedelta(minutes=10)


def recent_twin(session: Session, *, workspace: Workspace, title: str, now: datetime) -> Incident | None:
    """An open incident with the same title declared in the last ten minutes: the same declare typed twice."""
    folded = " ".join(title.split()).casefold()
    recent = session.exec(select(Incident).where(Incident.workspace_id == workspace.id, Incident.status != CLOSED,
                                                 Incident.declared_at >= now - TWIN_WINDOW)
                          .order_by(col(Incident.number).desc())).all()
    return next((x for x in recent if " ".join(x.title.split()).casefold() == folded), None)


def attach_war_room(session: Session, *, incident: Incident, room: str, now: datetime) -> None:
    """Record the war room the platform made for the incident."""
    incident.war_room = room
    session.add(incident)
    timeline.append(session, incident=incident, actor="breachbot", kind="war_room_opened", now=now,
                    text=room, data={"room": room})


def active_roles(session: Session, incident: Incident) -> dict[str, RoleAssignment]:
    """Role → current assignment."""
    rows = session.exec(select(RoleAssignment).where(
        RoleAssignment.incident_id == incident.id, col(RoleAssignment.ended_at).is_(None)))
    return {row.role: row for row in rows}


def role_history(session: Session, incident: Incident) -> list[RoleAssignment]:
    """Every assignment ever made, in order."""
    return list(session.exec(select(RoleAssignment).where(RoleAssignment.incident_id == incident.id)
                             .order_by(col(RoleAssignment.assigned_at), col(RoleAssignment.id))))


def _assign(session: Session, *, incident: Incident, role: str, user: str, actor: str, now: datetime) -> None:
    session.add(RoleAssignment(incident_id=incident.id, role=role, user=user, assigned_by=actor, assigned_at=now))
    timeline.append(session, incident=incident, actor=actor, kind="role_assigned", now=now,
                    text=f"{role}: {user}", data={"role": role, "user": user})


def assign_role(session: Session, *, incident: Incident, playbook: Playbook, role: str, user: str, actor: str,
                now: datetime, lang: str) -> RoleAssignment | None:
    """Give a role to someone, ending the previous holder's; returns the previous assignment."""
    require_open(incident, lang)
    check_role(playbook, role, lang)
    if not user:
        raise UserError(t(lang, "error.assign_nobody"))
    current = active_roles(session, incident).get(role)
    if current and current.user == user:
        raise UserError(message(lang, "error.already_holds", user=Mention(user),
                                role=playbook.roles[role](lang)))
    if current:
        current.ended_at, current.ended_by = now, actor
        session.add(current)
        timeline.append(session, incident=incident, actor=actor, kind="role_ended", now=now,
                        text=f"{role}: {current.user}", data={"role": role, "user": current.user})
    add_participant(session, incident=incident, user=user, now=now)
    _assign(session, incident=incident, role=role, user=user, actor=actor, now=now)
    return current


def unassign_role(session: Session, *, incident: Incident, playbook: Playbook, role: str, actor: str,
                  now: datetime, lang: str) -> RoleAssignment:
    """Leave a role empty; returns the assignment that ended."""
    require_open(incident, lang)
    check_role(playbook, role, lang)
    current = active_roles(session, incident).get(role)
    if not current:
        raise UserError(t(lang, "error.role_empty", role=playbook.roles[role](lang)))
    current.ended_at, current.ended_by = now, actor
    session.add(current)
    timeline.append(session, incident=incident, actor=actor, kind="role_ended", now=now,
                    text=f"{role}: {current.user}", data={"role": role, "user": current.user})
    return current


def check_role(playbook: Playbook, role: str, lang: str) -> None:
    """Refuse a role key the playbook does not know, listing the ones it does."""
    if role not in playbook.roles:
        raise UserError(t(lang, "error.unknown_role", value=role, choices=", ".join(playbook.roles)))


def record(session: Session, *, incident: Incident, text: str, actor: str, now: datetime, lang: str,
           decision: bool = False, mentioned: tuple[tuple[str, str], ...] = ()) -> timeline.TimelineEvent:
    """A note or a decision, in the timeline, with the people the platform marked in it."""
    require_open(incident, lang)
    mentioned = mentions.stored(mentioned)
    body = check_text(text, lang, what=t(lang, "word.decision" if decision else "word.note"))
    return timeline.append(session, incident=incident, actor=actor, kind="decision" if decision else "note",
                           text=body, now=now, data={"mentions": mentioned} if mentioned else None)


def capture(session: Session, *, incident: Incident, text: str, author: str, at: datetime, source: str,
            actor: str, now: datetime, lang: str, mentioned: tuple[tuple[str, str], ...] = ()
            ) -> timeline.TimelineEvent | None:
    """Put a chat message into the timeline with its own time and author; None if it is there already."""
    require_open(incident, lang)
    mentioned = mentions.stored(mentioned)
    body = check_text(text, lang, what=t(lang, "word.note"))
    key = f"capture:{incident.id}:{source}"[:200]
    if session.get(Delivery, key) is not None:
        return None
    session.add(Delivery(key=key, seen_at=now))
    return timeline.append(session, incident=incident, actor=author, kind="captured", text=body, now=now, at=at,
                           data={"source": source, "captured_by": actor,
                                 **({"mentions": mentioned} if mentioned else {})})


def first_delivery(session: Session, *, key: str, now: datetime) -> bool:
    """Record a platform delivery; False if it was recorded before (a retried event)."""
    key = key[:200]
    if session.get(Delivery, key) is not None:
        return False
    session.add(Delivery(key=key, seen_at=now))
    session.flush()
    return True
