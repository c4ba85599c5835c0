"""Signed links to an incident's read-only page: given out, checked, revoked, each opening recorded.

A link is `…/incidents/BR-<n>?k=<token>`. The token is signed (itsdangerous, HMAC-SHA1 over the
payload) with the workspace's own key, kept in the database, so a link from one firm never opens
another firm's page and nobody can forge or stretch one. The token names its link row; the row
says which incident, until when, and whether it was revoked, so revoking works at once.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer
from sqlmodel import Session, col, select

from bot.incident import timeline
from storage.models import Client, Incident, PageLink, PageSecret, TimelineEvent, Workspace

DEFAULT_HOURS = 72
MAX_HOURS = 24 * 30
MAX_FOR = 200  # characters in `--for <name>`
_SALT = "breachbot.page"
_HISTORY_SALT = "breachbot.history"
_SURVEY_SALT = "breachbot.survey"
_UPLOAD_SALT = "breachbot.upload"  # a register upload link: opens the upload form, never the page
UPLOAD_HOURS = 1
SURVEY_DAYS = 90  # how long a client's survey link answers


class Refused(Exception):
    """A link that opens nothing: why, for the log and the test (the person sees one plain 403)."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


def _key(session: Session, workspace_id: int, now: datetime) -> str:
    """The workspace's signing key, made the first time a link is given out."""
    row = session.get(PageSecret, workspace_id)
    if row is None:
        row = PageSecret(workspace_id=workspace_id, secret=secrets.token_urlsafe(32), created_at=now)
        session.add(row)
        session.flush()
    return row.secret


def _serializer(secret: str, salt: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=salt)


def create(session: Session, *, incident: Incident, hours: int, for_name: str, actor: str,
           now: datetime, upload_room: str | None = None) -> tuple[PageLink, str]:
    """A new link L-<n> for `incident`, valid `hours`; returns it with its token. Timeline: link_created.

    `upload_room`: a link to upload the client register instead (for `actor` only, as asked from that room),
    signed apart so it never opens the page, and the page's link never opens the upload form."""
    assert incident.id is not None
    last = session.exec(select(PageLink).where(PageLink.incident_id == incident.id)
                        .order_by(col(PageLink.number).desc()).limit(1)).first()
    link = PageLink(incident_id=incident.id, number=(last.number + 1) if last else 1, for_name=for_name,
                    created_by=actor, created_at=now, expires_at=now + timedelta(hours=hours))
    session.add(link)
    session.flush()
    payload = {"w": incident.workspace_id, "l": link.id}
    if upload_room is not None:
        payload |= {"u": actor, "r": upload_room}
    token = _serializer(_key(session, incident.workspace_id, now), _SALT if upload_room is None else _UPLOAD_SALT
                        ).dumps(payload)
    timeline.append(session, incident=incident, actor=actor, kind="link_created",
                    text=f"L-{link.number}" + (f" for {for_name}" if for_name else ""), now=now,
                    data={"link": link.number, "for": for_name, "expires_at": link.expires_at.isoformat()}
                    | ({"upload": True} if upload_room is not None else {}))
    return link, token


def live(session: Session, incident: Incident, now: datetime) -> list[PageLink]:
    """The links of an incident that still open it."""
    return [link for link in session.exec(select(PageLink).where(PageLink.incident_id == incident.id)
                                          .order_by(col(PageLink.number)))
            if link.revoked_at is None and link.expires_at > now]


def revoke(session: Session, *, incident: Incident, number: int | None, actor: str, now: datetime) -> list[PageLink]:
    """Revoke one link (L-<number>) or every live one; returns those revoked. Timeline: link_revoked."""
    chosen = [link for link in live(session, incident, now) if number is None or link.number == number]
    for link in chosen:
        link.revoked_at, link.revoked_by = now, actor
        session.add(link)
        timeline.append(session, incident=incident, actor=actor, kind="link_revoked", text=f"L-{link.number}",
                        now=now, data={"link": link.number, "for": link.for_name})
    return chosen


def _payload(session: Session, token: str, salt: str) -> dict:
    """The token's payload, once its signature checks out against its workspace's key."""
    try:
        _, unverified = _serializer("-", salt).loads_unsafe(token)
        workspace_id = int(unverified["w"])  # type: ignore[index]
    except (TypeError, KeyError, ValueError, IndexError):
        raise Refused("malformed") from None
    row = session.get(PageSecret, workspace_id)
    if row is None:
        raise Refused("no key")
    try:
        payload = _serializer(row.secret, salt).loads(token)
    except BadSignature:
        raise Refused("bad signature") from None
    if not isinstance(payload, dict):
        raise Refused("malformed")
    return payload


@dataclass(frozen=True)
class Opened:
    """What a checked link opens."""

    link: PageLink
    incident: Incident
    workspace: Workspace
    user: str = ""  # an upload link's person
    room: str = ""  # and the room they asked from


def check(session: Session, *, token: str, number: int, now: datetime, upload: bool = False) -> Opened:
    """The link a token names, if it opens incident BR-<number> now; Refused otherwise (`upload`: a register
    upload link, whose person and room are `Opened.user` and `Opened.room`)."""
    payload = _payload(session, token, _UPLOAD_SALT if upload else _SALT)
    link = session.get(PageLink, payload.get("l"))
    if link is None:
        raise Refused("no such link")
    incident = session.get(Incident, link.incident_id)
    if incident is None or incident.workspace_id != payload.get("w") or incident.number != number:
        raise Refused("another incident")
    if link.revoked_at is not None:
        raise Refused("revoked")
    if link.expires_at <= now:
        raise Refused("expired")
    if upload and (payload.get("u") != link.created_by or not isinstance(payload.get("r"), str)):
        raise Refused("malformed")
    workspace = session.get(Workspace, incident.workspace_id)
    assert workspace is not None
    return Opened(link=link, incident=incident, workspace=workspace, user=str(payload.get("u", "")),
                  room=str(payload.get("r", "")))


def record_opening(session: Session, *, opened: Opened, where: str, agent: str, now: datetime) -> None:
    """Each opening of the page goes in the timeline: which link, for whom, from which address."""
    link = opened.link
    timeline.append(session, incident=opened.incident, actor=link.for_name or f"L-{link.number}",
                    kind="link_opened", text=f"L-{link.number} opened from {where}", now=now,
                    data={"link": link.number, "for": link.for_name, "from": where[:100], "agent": agent[:200]})


def history_token(session: Session, *, workspace: Workspace, hours: int, now: datetime) -> str:
    """A firm admin's token for the history page of one workspace, valid `hours`."""
    assert workspace.id is not None
    expires = int((now + timedelta(hours=hours)).timestamp())
    return _serializer(_key(session, workspace.id, now), _HISTORY_SALT).dumps({"w": workspace.id, "x": expires})


def check_history(session: Session, *, token: str, now: datetime) -> Workspace:
    """The workspace whose history a firm admin's token opens now; Refused otherwise."""
    payload = _payload(session, token, _HISTORY_SALT)
    if int(payload.get("x", 0)) <= now.timestamp():
        raise Refused("expired")
    workspace = session.get(Workspace, payload.get("w"))
    if workspace is None:
        raise Refused("no such workspace")
    return workspace


def survey_token(session: Session, *, incident: Incident, client: Client, now: datetime) -> str:
    """One client's token for the satisfaction survey of `incident`, valid SURVEY_DAYS."""
    expires = int((now + timedelta(days=SURVEY_DAYS)).timestamp())
    return _serializer(_key(session, incident.workspace_id, now), _SURVEY_SALT).dumps(
        {"w": incident.workspace_id, "c": client.id, "x": expires})


def check_survey(session: Session, *, token: str, now: datetime) -> tuple[Client, Incident, Workspace]:
    """The client, incident and workspace a survey token answers for now; Refused otherwise."""
    payload = _payload(session, token, _SURVEY_SALT)
    if int(payload.get("x", 0)) <= now.timestamp():
        raise Refused("expired")
    client = session.get(Client, payload.get("c"))
    incident = session.get(Incident, client.incident_id) if client is not None else None
    if client is None or incident is None or incident.workspace_id != payload.get("w"):
        raise Refused("no such client")
    workspace = session.get(Workspace, incident.workspace_id)
    assert workspace is not None
    return client, incident, workspace


def head(session: Session, incident: Incident) -> str:
    """A version of the incident's page: the timeline's head (every state change writes an event)."""
    last = session.exec(select(TimelineEvent.hash).where(TimelineEvent.incident_id == incident.id)
                        .order_by(col(TimelineEvent.seq).desc()).limit(1)).first()
    return last or timeline.GENESIS
