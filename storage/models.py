"""The tables. Every datetime is stored in UTC and comes back timezone-aware."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, UniqueConstraint
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out, on SQLite and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use an aware one")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _when(*, nullable: bool = False, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


def _json() -> Any:
    return Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Workspace(SQLModel, table=True):
    """One chat workspace (a Slack team, a WeCom corp, the local console)."""

    __table_args__ = (UniqueConstraint("platform", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=20)
    external_id: str = Field(max_length=100)
    name: str = Field(default="", max_length=200)
    lang: str = Field(default="en", max_length=5)
    timezone: str = Field(default="UTC", max_length=64)
    last_number: int = 0
    # The app was taken out of the workspace (Slack: app_uninstalled, tokens_revoked): its alerts stop.
    removed_at: datetime | None = _when(nullable=True)
    removed_why: str = Field(default="", max_length=40)
    # The console's virtual clock as its last run left it (`~ +20h`): a restart goes on from here, never back.
    clock_at: datetime | None = _when(nullable=True)


class FirmSettings(SQLModel, table=True):
    """What a firm's admins set from chat (`/breach config`): each key set wins over breachbot.toml and the
    environment for that workspace (lang, timezone, name, name_en, contact, profile, roster, playbook, admins)."""

    __tablename__ = "firm_settings"

    workspace_id: int = Field(foreign_key="workspace.id", primary_key=True)
    values: dict[str, Any] = _json()
    updated_at: datetime | None = _when(nullable=True)
    updated_by: str = Field(default="", max_length=100)


class Incident(SQLModel, table=True):
    """A breach, shown to people as BR-<number> (numbered per workspace)."""

    __table_args__ = (
        UniqueConstraint("workspace_id", "number"),
        UniqueConstraint("workspace_id", "declare_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    number: int
    title: str = Field(max_length=2000)
    severity: str = Field(max_length=20)
    status: str = Field(default="open", max_length=20, index=True)
    drill: bool = False
    playbook: str = Field(default="breach-default", max_length=100)
    aware_at: datetime = _when()
    declared_at: datetime = _when()
    closed_at: datetime | None = _when(nullable=True)
    declared_by: str = Field(max_length=100)
    declared_in: str = Field(default="", max_length=100)
    war_room: str | None = Field(default=None, max_length=100, index=True)
    status_message: str | None = Field(default=None, max_length=100)
    current_phase: str = Field(max_length=100)
    cause: str | None = Field(default=None, max_length=50)
    lessons: str | None = Field(default=None, max_length=4000)
    facts: dict = _json()
    # Set from a platform's delivery id so a retried declare finds the incident it already made.
    declare_key: str | None = Field(default=None, max_length=200)


class Participant(SQLModel, table=True):
    """Someone on the incident's team: war-room member, roster member or role holder."""

    __table_args__ = (UniqueConstraint("incident_id", "user"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    user: str = Field(max_length=100)
    added_at: datetime = _when()


class RoleAssignment(SQLModel, table=True):
    """Who holds a role, from when, until when (ended_at None = holds it now)."""

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    role: str = Field(max_length=50)
    user: str = Field(max_length=100)
    assigned_by: str = Field(max_length=100)
    assigned_at: datetime = _when()
    ended_at: datetime | None = _when(nullable=True)
    ended_by: str | None = Field(default=None, max_length=100)


class PhaseState(SQLModel, table=True):
    """Where one playbook phase stands for one incident."""

    __table_args__ = (UniqueConstraint("incident_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    key: str = Field(max_length=100)
    position: int
    owner_role: str = Field(max_length=50)
    started_at: datetime | None = _when(nullable=True)
    completed_at: datetime | None = _when(nullable=True)
    completed_by: str | None = Field(default=None, max_length=100)
    completion_note: str | None = Field(default=None, max_length=2000)


class TaskState(SQLModel, table=True):
    """One checklist item of a phase."""

    __table_args__ = (UniqueConstraint("incident_id", "phase_key", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    phase_key: str = Field(max_length=100)
    key: str = Field(max_length=100)
    position: int
    done_at: datetime | None = _when(nullable=True)
    done_by: str | None = Field(default=None, max_length=100)
    note: str | None = Field(default=None, max_length=2000)


class Deadline(SQLModel, table=True):
    """A clock: a phase target, a legal notice, a client's contractual duty, a follow-up."""

    __table_args__ = (UniqueConstraint("incident_id", "kind", "ref"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    kind: str = Field(max_length=20)  # phase | regime | client | followup
    ref: str = Field(max_length=200)
    due_at: datetime = _when(index=True)
    met_at: datetime | None = _when(nullable=True)
    cancelled_at: datetime | None = _when(nullable=True)
    meta: dict = _json()


class Alert(SQLModel, table=True):
    """A side effect due at a time (reminder, escalation): claimed, sent and marked once."""

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    deadline_id: int = Field(foreign_key="deadline.id", index=True)
    kind: str = Field(max_length=20)  # reminder | escalation
    fire_at: datetime = _when(index=True)
    state: str = Field(default="pending", max_length=20, index=True)  # pending|claimed|sent|cancelled
    claimed_by: str | None = Field(default=None, max_length=100)
    lease_until: datetime | None = _when(nullable=True)
    sent_at: datetime | None = _when(nullable=True)
    attempts: int = 0


class TimelineEvent(SQLModel, table=True):
    """One entry of an incident's append-only, hash-chained timeline."""

    __table_args__ = (UniqueConstraint("incident_id", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    seq: int
    at: datetime = _when()
    recorded_at: datetime = _when()
    actor: str = Field(max_length=100)
    kind: str = Field(max_length=50)
    text: str = Field(max_length=40000)
    data: dict = _json()
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class Delivery(SQLModel, table=True):
    """A platform delivery already handled (retried Slack events, repeated WeCom MsgIds)."""

    key: str = Field(primary_key=True, max_length=200)
    seen_at: datetime = _when()


class QuestionState(SQLModel, table=True):
    """One playbook question for one incident: when it was asked, how often, and its answer."""

    __table_args__ = (UniqueConstraint("incident_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    key: str = Field(max_length=100)
    asked_at: datetime | None = _when(nullable=True)
    times_asked: int = 0
    answered_at: datetime | None = _when(nullable=True)
    answered_by: str | None = Field(default=None, max_length=100)
    answer: dict = _json()  # {"value": …} so any JSON value fits


class Draft(SQLModel, table=True):
    """A statement being prepared (client letter, media statement, regulator report…): D-<number>."""

    __table_args__ = (UniqueConstraint("incident_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    number: int
    kind: str = Field(max_length=20)  # client | media | press | regulator | staff
    template: str = Field(max_length=100)
    lang: str = Field(max_length=5)
    regime: str | None = Field(default=None, max_length=100)
    created_by: str = Field(max_length=100)
    created_at: datetime = _when()


class DraftVersion(SQLModel, table=True):
    """One version of a draft's text; approved versions are frozen."""

    __table_args__ = (UniqueConstraint("draft_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    draft_id: int = Field(foreign_key="draft.id", index=True)
    version: int
    text: str = Field(max_length=100_000)
    status: str = Field(default="draft", max_length=20)  # draft | approved | superseded
    created_by: str = Field(max_length=100)
    created_at: datetime = _when()
    approvals: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    facts_used: dict = _json()
    gaps: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class Client(SQLModel, table=True):
    """An affected client. The contact is encrypted at rest and never shown in chat."""

    __table_args__ = (UniqueConstraint("incident_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    name: str = Field(max_length=300)
    kind: str = Field(max_length=20)  # individual | company
    contact_encrypted: str = Field(max_length=4000)
    lang: str = Field(max_length=5)
    residence: str = Field(max_length=10)
    data: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    notice_hours: int | None = None  # a contractual duty to tell this client within N hours
    notified_at: datetime | None = _when(nullable=True)
    notified_via: str | None = Field(default=None, max_length=20)
    notified_by: str | None = Field(default=None, max_length=100)


class FollowUp(SQLModel, table=True):
    """An action after (or during) the incident with an owner and a due date: F-<number>."""

    __table_args__ = (UniqueConstraint("incident_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    number: int
    text: str = Field(max_length=2000)
    owner: str = Field(max_length=100)
    due_at: datetime = _when()
    created_by: str = Field(max_length=100)
    created_at: datetime = _when()
    done_at: datetime | None = _when(nullable=True)
    done_by: str | None = Field(default=None, max_length=100)


class OutboundMessage(SQLModel, table=True):
    """A message that could not be delivered at once: kept, retried with backoff, in order per target."""

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=20, index=True)
    incident_id: int | None = Field(default=None, foreign_key="incident.id", index=True)
    op: str = Field(max_length=10)  # post | direct | invite | room | status | refresh | email
    target: str = Field(max_length=100)  # a room id or a user id ("" = the incident's war room)
    payload: dict = _json()
    state: str = Field(default="pending", max_length=20, index=True)  # pending | sending | sent | dead
    # Messages of one lane leave in order (a war room, a person, one invite); lanes do not wait for each other.
    lane: str = Field(default="", max_length=200, index=True)
    # What the message is for (the alerts it says, a fallback of which row…), and what a part already did.
    meta: dict = _json()
    reason: str = Field(default="", max_length=100)  # the platform's error code of the last failure
    first_failed_at: datetime | None = _when(nullable=True)
    dead_at: datetime | None = _when(nullable=True)
    created_at: datetime = _when()
    next_try_at: datetime = _when(index=True)
    lease_until: datetime | None = _when(nullable=True)
    attempts: int = 0
    last_error: str = Field(default="", max_length=1000)
    sent_at: datetime | None = _when(nullable=True)
    warned_at: datetime | None = _when(nullable=True)


class SendRun(SQLModel, table=True):
    """`/breach send D-n --confirm`: approved letters going out to clients, run by whichever process holds it."""

    __table_args__ = (UniqueConstraint("incident_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    number: int  # S-<number> in the war room
    versions: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))  # DraftVersion ids
    target: str = Field(max_length=320)  # all | not-notified | client:<id>
    skipped: dict = _json()  # reason → how many clients the plan left out
    state: str = Field(default="running", max_length=20, index=True)  # running | stopped | done
    actor: str = Field(max_length=100)
    drill: bool = False
    created_at: datetime = _when()
    finished_at: datetime | None = _when(nullable=True)
    next_at: datetime = _when(index=True)  # when the next batch may go (the firm's rate per minute)
    claimed_by: str | None = Field(default=None, max_length=100)
    lease_until: datetime | None = _when(nullable=True)
    progress_message: str | None = Field(default=None, max_length=200)  # the war-room message kept up to date


class SendAttempt(SQLModel, table=True):
    """One (client, draft version, channel): claimed before the send, confirmed after, never sent twice."""

    __table_args__ = (UniqueConstraint("client_id", "version_id", "channel"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="sendrun.id", index=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    client_id: int = Field(foreign_key="client.id", index=True)
    version_id: int = Field(foreign_key="draftversion.id")
    channel: str = Field(max_length=10)  # email | sms
    # sending (claimed; unconfirmed if the process died) | sent | refused | bounced | delivered | skipped
    state: str = Field(default="sending", max_length=20, index=True)
    message_id: str = Field(max_length=300, index=True)  # e-mail Message-ID, or the SMS provider's id
    claimed_at: datetime = _when()
    accepted_at: datetime | None = _when(nullable=True)
    failed_at: datetime | None = _when(nullable=True)
    error: str = Field(default="", max_length=500)


class PageSecret(SQLModel, table=True):
    """A firm's (workspace's) key for signing incident-page links, made on first use."""

    workspace_id: int = Field(foreign_key="workspace.id", primary_key=True)
    secret: str = Field(max_length=100)
    created_at: datetime = _when()


class PageLink(SQLModel, table=True):
    """A signed link to an incident's read-only page: L-<number>, for whom, until when, revoked or not."""

    __table_args__ = (UniqueConstraint("incident_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    number: int
    for_name: str = Field(default="", max_length=200)
    created_by: str = Field(max_length=100)
    created_at: datetime = _when()
    expires_at: datetime = _when()
    revoked_at: datetime | None = _when(nullable=True)
    revoked_by: str | None = Field(default=None, max_length=100)


from storage import firm_tables, slack_tables, wecom_tables  # noqa: E402,F401 - more tables on the same metadata
