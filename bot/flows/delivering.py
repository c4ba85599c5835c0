"""What the outbox does with each kind of row, and what happens when one fails for good.

Rows are written by `enqueue` in the transaction of the command or alert that decided them; the
generic queue (`bot.delivery`) claims, sends, retries and sets aside. Here: how a row is sent
(resolving a war room that did not exist when the row was written, splitting what is too large),
what its delivery means (the war room now exists, an alert now counts as said) and the fallback
when it cannot be delivered (a war room unreachable: the lead and the executive sponsor by DM; a
person unreachable: the war room, naming them; nothing left: a timeline event and a dead letter).
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any, Protocol

from sqlmodel import Session, col, select

from bot import delivery
from bot.chat import (
    DeliveryError,
    Mention,
    Message,
    MessageRef,
    RoomRef,
    Text,
    acting_workspace,
    beside,
    message_from_dict,
    message_to_dict,
)
from bot.flows import alerts, file_out, mail_out, send_progress, status_out, tenancy
from bot.flows.port import Bot
from bot.incident import incidents, questions, timeline
from bot.outbox import PENDING_ROOM, Outbox, split_message, with_rooms
from bot.text.i18n import message, template
from bot.text.i18n import text as t
from bot.views import incident as views
from storage.models import Alert, Incident, OutboundMessage, Workspace


class Breachbot(Bot, Protocol):
    """What sending needs beyond a flow's Bot: the workspace language and the status refresh."""

    lang: str

    def refresh_status(self, incident_id: int) -> None:
        """Re-render the pinned status message and the room topic from the database."""
        ...

refresh = status_out.refresh  # the living status re-rendered (app.refresh_status)
STEPS = {"room", "status", "invite"}  # what makes a war room usable: sent before the command's answer


def lane_of(op: str, target: str, incident_id: int | None) -> str:
    """Which messages must keep their order with this one."""
    if op in ("room", "status", "post", "upload", send_progress.OP) and incident_id is not None:
        return f"room:{incident_id}"
    if op == "invite":
        return f"invite:{incident_id}:{target}"
    if op == "refresh":
        return f"refresh:{incident_id}"
    return f"{op}:{target}"


def enqueue(bot: Breachbot, session: Session, out: Outbox, *, now: datetime, platform: str | None = None) -> list[int]:
    """Write a command's (or an alert's) chat effects as outbox rows; returns their ids. `platform`: for another
    platform's bot to send (the command line writes them; the running serve or worker delivers them)."""
    platform = platform or bot.chat.platform
    about = (out.incident_ids() or [None])[0]
    meta = dict(out.meta)
    if out.reasked:
        meta["reasked"] = list(out.reasked)
    ids: list[int] = []
    lanes: set[str] = set()
    # an alert that only refreshes the status (the pin's own timer) is said when that refresh is done
    only = "refresh" if not (out.rooms or out.invites or out.posts or out.directs or out.emails or out.uploads) else ""

    def add(op: str, target: str, incident_id: int | None, payload: dict[str, Any], extra: dict | None = None) -> None:
        row = delivery.add(session, platform=platform, op=op, target=target,
                           lane=lane_of(op, target, incident_id), payload=payload, incident_id=incident_id,
                           now=now, meta={**meta, **(extra or {})} if op in ("post", "direct") or op == only else {})
        assert row.id is not None
        ids.append(row.id)
        lanes.add(row.lane)

    for incident_id, name, title, members in out.rooms:
        add("room", "", incident_id, {"name": name, "title": title, "members": members})
    for incident_id, users in out.invites:  # people first, so the status greets them in the room
        for user in dict.fromkeys(users):
            add("invite", user, incident_id, {})
    for incident_id, *_ in out.rooms:
        add("status", "", incident_id, {})
    uploads = list(out.uploads)

    def files_before(position: int) -> None:  # a file, then what names it, in the order the command decided
        while uploads and uploads[0][0] <= position:
            _, upload_incident, upload, named = uploads.pop(0)
            add(file_out.OP, upload.filename[:100], upload_incident, file_out.payload(upload, named))

    for position, (incident_id, _room, msg) in enumerate(out.posts):
        files_before(position)
        add("post", "", incident_id, message_to_dict(msg))
    files_before(len(out.posts))
    for user, msg in out.directs:
        add("direct", user, about, message_to_dict(msg), {"workspace": acting_workspace()} if about is None and "workspace" not in meta else None)
    for address, subject, text, lang in out.emails:
        add("email", address, about, {"subject": subject, "text": text, "lang": lang})
    for incident_id in sorted(out.refresh):
        waiting = session.exec(select(OutboundMessage.id).where(
            OutboundMessage.lane == lane_of("refresh", "", incident_id),
            col(OutboundMessage.state) == delivery.PENDING)).first()
        if waiting is None:  # one refresh waiting is enough: it renders the status when it goes
            add("refresh", "", incident_id, {})
    delivery.retry_now(session, lanes=lanes, now=now)
    return ids


# -- sending -------------------------------------------------------------------------------------
def send(bot: Breachbot, row: OutboundMessage) -> dict[str, Any] | None:
    """Carry out one row on the platform, for its incident's workspace (a firm's own credentials); raises to say
    it failed (DeliveryError says which kind)."""
    with tenancy.for_incident(bot, row.incident_id, fallback=(row.meta or {}).get("workspace")):
        return _send(bot, row)


def _send(bot: Breachbot, row: OutboundMessage) -> dict[str, Any] | None:
    if row.op == "room":
        return _make_room(bot, row)
    if row.op == "refresh":
        if row.incident_id:
            bot.refresh_status(row.incident_id)
        return None
    # A row taken over from a process that died while sending it, or whose last try failed (a timeout may come
    # after the platform took the message): each part is looked for first, by its key, where the platform can.
    again = row.state == delivery.SENDING or (row.attempts > 0 and row.reason != "ratelimited")
    if row.op == "direct":
        _send_parts(bot, row, lambda part, key: bot.chat.direct_once(user=row.target, message=part, key=key),
                    seen=(lambda key: bot.chat.sent_before(room=row.target, key=key)) if again else None)
        return None
    if row.op == "email":
        mail_out.deliver(bot, row)
        return None
    room = war_room(bot, row)
    if row.op == "invite":
        bot.chat.invite(room=room, users=[row.target])
    elif row.op == "status":
        _status(bot, row, room)
    elif row.op == send_progress.OP:
        return send_progress.deliver(bot, row, room, lang=bot.lang)
    else:  # a post, or a file shared first and then the message that names it
        _send_parts(bot, row, lambda part, key: bot.chat.post_once(room=room, message=part, key=key),
                    seen=(lambda key: bot.chat.sent_before(room=room, key=key)) if again else None,
                    msg=file_out.deliver(bot, row, room) if row.op == file_out.OP else None)
    return None


def war_room(bot: Breachbot, row: OutboundMessage) -> str:
    """The war room a row goes to; NotReady while it is being made, DeliveryError when it never will be."""
    with bot.unit(write=False) as session:
        incident = session.get(Incident, row.incident_id) if row.incident_id else None
        if incident is not None and incident.war_room:
            return incident.war_room
        making = session.exec(select(OutboundMessage).where(
            OutboundMessage.incident_id == row.incident_id, OutboundMessage.op == "room",
            col(OutboundMessage.state).in_(delivery.UNDELIVERED))).first()
    if making is not None and making.id != row.id:
        raise delivery.NotReady(max(making.next_try_at, making.lease_until or making.next_try_at, bot.now()))
    raise DeliveryError("no_war_room", permanent=True, subject="room")


def _rooms(bot: Breachbot) -> Any:
    """Stand-in rooms to real ones; a message naming a war room still being made waits for it."""
    def real(stand_in: str) -> str | None:
        with bot.unit(write=False) as session:
            incident = session.get(Incident, int(stand_in.removeprefix(PENDING_ROOM)))
            if incident is None or incident.war_room:
                return incident.war_room if incident else None
            making = session.exec(select(OutboundMessage).where(
                OutboundMessage.incident_id == incident.id, OutboundMessage.op == "room",
                col(OutboundMessage.state).in_(delivery.UNDELIVERED))).first()
        if making is not None:
            raise delivery.NotReady(max(making.next_try_at, making.lease_until or making.next_try_at, bot.now()))
        return None
    return real


def _make_room(bot: Breachbot, row: OutboundMessage) -> dict[str, Any]:
    with bot.unit(write=False) as session:
        incident = session.get(Incident, row.incident_id)
        assert incident is not None
        if incident.war_room:  # made already (a retried step never makes a second room)
            return {"room": incident.war_room}
        ws = session.get(Workspace, incident.workspace_id)
        assert ws is not None
        topic = views.topic(session, incident=incident, playbook=bot.playbook, ws=ws, now=bot.now())
    room = bot.chat.create_room(name=row.payload["name"], topic=topic, members=list(row.payload["members"]),
                                private=True, title=row.payload.get("title", ""))
    # Stored at once, before anything else can fail: a retry finds it instead of making another room.
    with bot.unit() as session:
        incident = incidents.lock(session, session.get(Incident, row.incident_id))
        if not incident.war_room:
            incidents.attach_war_room(session, incident=incident, room=room, now=bot.now())
    return {"room": room}


def _status(bot: Breachbot, row: OutboundMessage, room: str) -> None:
    """Post the living status (once), pin it and set the topic."""
    with bot.unit(write=False) as session:
        incident = session.get(Incident, row.incident_id)
        assert incident is not None
        ws = session.get(Workspace, incident.workspace_id)
        assert ws is not None
        ref_id, now = incident.status_message, bot.now()
        status = views.pinned(session, incident=incident, playbook=bot.playbook, ws=ws, now=now)
        topic = views.topic(session, incident=incident, playbook=bot.playbook, ws=ws, now=now)
    topic_set = beside(bot.chat, lambda: bot.chat.set_topic(room=room, topic=topic))  # needs nothing else
    try:
        if ref_id is None:
            ref = bot.chat.post(room=room, message=status)
            with bot.unit() as session:
                incident = session.get(Incident, row.incident_id)
                assert incident is not None
                incident.status_message = ref.id
                session.add(incident)
        else:
            ref = MessageRef(room=room, id=ref_id)
        bot.chat.pin(ref=ref)
    except BaseException:
        with contextlib.suppress(Exception):  # the post's failure is the one that counts
            topic_set()
        raise
    topic_set()


def _send_parts(bot: Breachbot, row: OutboundMessage, deliver: Any, *, seen: Any = None,
                msg: Message | None = None) -> None:
    """Send a message in as many parts as the platform needs; parts already sent are not sent again.

    Each part is sent with its key (`bb-<row>-<part>`); `seen(key)` True means the platform already has
    that part (sent by a process that died before recording it), so it is not sent again."""
    msg = with_rooms(msg or message_from_dict(row.payload), _rooms(bot))
    lang = bot.lang

    def heading(n: int, total: int) -> str:
        return t(lang, "delivery.continued", n=n, total=total)

    parts = split_message(msg, bot.chat.fits, heading=heading)
    done = int(row.meta.get("parts_sent", 0))
    for index in range(done, len(parts)):
        key = f"bb-{row.id}-{index}"
        try:
            if seen is None or seen(key) is not True:
                deliver(parts[index], key)
        except DeliveryError as exc:
            if exc.subject != "size":
                raise
            # The platform measured it bigger than we did: smaller pieces of this part, same order.
            for n, piece in enumerate(split_message(parts[index], lambda m: len(m.plain_text()) <= 1500
                                                    and bot.chat.fits(m), heading=heading)):
                if seen is None or seen(f"{key}-{n}") is not True:
                    deliver(piece, f"{key}-{n}")
        with bot.unit() as session:
            fresh = session.get(OutboundMessage, row.id)
            assert fresh is not None
            fresh.meta = {**fresh.meta, "parts_sent": index + 1, "parts": len(parts)}
            session.add(fresh)


# -- what delivery means --------------------------------------------------------------------------
def on_sent(bot: Breachbot, session: Session, row: OutboundMessage, result: dict[str, Any]) -> None:
    """In the transaction that marks the row sent: the alerts it says now count as said; a shared file's
    content is not kept once the platform has it."""
    file_out.forget(row, session.add)
    alert_ids = [int(i) for i in row.meta.get("alerts", [])]
    first = True
    for alert_id in alert_ids:
        alert = session.get(Alert, alert_id)
        if alert is None or alert.state == "sent":
            first = False
            continue
        alerts.alert_sent(bot, session, alert_id=alert_id, now=bot.now())
    if alert_ids and first and row.meta.get("reasked") and row.incident_id:
        incident = session.get(Incident, row.incident_id)
        for key in row.meta["reasked"]:
            questions.record_reask(session, incident=incident, key=key)


def reason_text(lang: str, code: str, op: str = "") -> str:
    """A platform's error code as people read it, with what to do where we know."""
    for key in (f"delivery.why.{op}_{code}", f"delivery.why.{code}"):
        try:
            return f"{template(lang, key)} ({code})"
        except KeyError:
            continue
    return code


def _about(bot: Breachbot, session: Session, row: OutboundMessage) -> tuple[Incident, Workspace | None, str] | None:
    """The incident a row is about, its workspace and language (None: a row about no incident)."""
    incident = session.get(Incident, row.incident_id) if row.incident_id else None
    if incident is None:
        return None
    ws = session.get(Workspace, incident.workspace_id)
    return incident, ws, ws.lang if ws else bot.lang


def _lead_and_sponsor(session: Session, incident: Incident) -> list[str]:
    """Who hears what the war room cannot: the incident lead and the executive sponsor."""
    holders = {role: a.user for role, a in incidents.active_roles(session, incident).items()}
    return list(dict.fromkeys(u for u in (holders.get("lead"), holders.get("executive")) if u))


def on_dead(bot: Breachbot, session: Session, row: OutboundMessage, failure: delivery.Failure) -> list[int]:
    """A row set aside: record it in the timeline and send its fallback, in the same transaction."""
    found = _about(bot, session, row)
    if found is None or row.op == send_progress.OP:  # a send's bar is no record: its summary has the fallback
        return []
    incident, ws, lang = found
    reason = reason_text(lang, failure.code, row.op)
    ref = incidents.ref(incident)
    depth = int(row.meta.get("depth", 0))
    now = bot.now()
    out = Outbox(meta={k: v for k, v in row.meta.items() if k in ("alerts", "reasked")} | {"depth": depth + 1},
                 about=incident.id)
    fallback = ""
    if row.op == "room":
        out.direct(incident.declared_by, message(lang, "delivery.room_failed", id=ref, reason=reason))
        fallback = incident.declared_by
    elif row.op == "email" and incident.war_room:
        out.post(incident, message(lang, "delivery.email_failed", id=ref, address=row.target,
                                   reason=failure.text()[:200]))
        fallback = "war room"
    elif row.op == file_out.OP and depth == 0:  # in the room unless the room is the problem
        note = message(lang, "delivery.upload_failed", id=ref, file=row.target, reason=reason)
        people = [] if incident.war_room and failure.subject != "room" else _lead_and_sponsor(session, incident)
        for user in people:
            out.direct(user, note)
        if not people:
            out.post(incident, note)
        fallback = ", ".join(people) or "war room"
    elif row.op == "invite" and incident.war_room:
        out.post(incident, message(lang, "delivery.invite_failed", id=ref, user=Mention(row.target), reason=reason))
        fallback = "war room"
    elif row.op in ("post", "direct") and depth == 0:
        original = message_from_dict(row.payload)
        if row.op == "post":
            people = _lead_and_sponsor(session, incident)
            note = message(lang, "delivery.room_failed_dm", id=ref, reason=reason)
            for user in people:
                out.direct(user, Message(lines=note.lines + original.lines, fields=original.fields, kind=original.kind))
            fallback = ", ".join(people)
        elif incident.war_room:
            note = message(lang, "delivery.dm_failed_post", user=Mention(row.target), reason=reason)
            out.post(incident, Message(lines=note.lines + original.lines, fields=original.fields,
                                       buttons=original.buttons, kind=original.kind))
            fallback = "war room"
    timeline.append(session, incident=incident, actor="breachbot", now=now,
                    kind="delivery_fallback" if fallback else "delivery_failed",
                    text=f"{row.op} {row.target or 'war room'}: {failure.code}",
                    data={"row": row.id, "op": row.op, "target": row.target, "reason": failure.code,
                          "fallback": fallback})
    if not (out.posts or out.directs):
        return []
    rows = enqueue(bot, session, out, now=now)
    row.meta = {**row.meta, "fallback_rows": rows}
    session.add(row)
    return rows


def on_late(bot: Breachbot, session: Session, row: OutboundMessage, failure: delivery.Failure) -> list[int]:
    """A row still undelivered 10 minutes after its first failed try: tell the war room, or the lead."""
    found = _about(bot, session, row)
    if found is None:
        return []
    incident, ws, lang = found
    since = views.when(ws, row.first_failed_at or row.created_at, bot.now()) if ws else ""
    room_problem = row.lane == f"room:{incident.id}"
    target: Any = (RoomRef(incident.war_room) if incident.war_room else Text(incidents.ref(incident))) \
        if room_problem else Mention(row.target) if row.op == "direct" else Text(row.target or row.op)
    warning = message(lang, "error.undelivered", target=target, since=since, error=failure.text()[:200])
    out = Outbox(about=incident.id)
    if room_problem:
        for user in _lead_and_sponsor(session, incident):
            out.direct(user, warning)
    else:
        out.post(incident, warning)
    return enqueue(bot, session, out, now=bot.now())
