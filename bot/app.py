"""The bot: settings, store, playbook, clock and a chat platform, wired once by `create_app`."""

from __future__ import annotations

import functools
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from jinja2 import Environment
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot import delivery
from bot.chat import Chat, Context, Message
from bot.clock import Clock, SystemClock
from bot.commands import Command, Declare, Help, Send
from bot.errors import ConfigError, UserError, WhichIncident, new_error_id
from bot.flows import alerts, delivering, dispatch, lookups, send_returns, send_runner, tenancy, undelivered
from bot.flows import report as report_flows
from bot.flows.base import resolve
from bot.flows.canonical import canonical
from bot.flows.dispatch import each, unstorable
from bot.help import typed_word
from bot.incident import deadlines, incidents, timeline
from bot.incident.playbook import Playbook, load_playbook
from bot.law.regimes import FIRM_PROFILES, RegimeError, load_regimes
from bot.outbox import PENDING_ROOM, Outbox, split_message, with_rooms
from bot.registry import word
from bot.settings import FirmConfig, Settings
from bot.statements import drafts, sending, transports
from bot.text.i18n import message
from bot.text.i18n import text as t
from bot.text.worded import Listing
from bot.views import incident as views
from storage.db import make_engine, session_factory, transaction, upgrade
from storage.models import Incident, OutboundMessage, Participant, Workspace

log = logging.getLogger("breachbot")


@dataclass(frozen=True)
class WarRoomState:
    """A war room as stored: who is on its team, its topic and its living status message."""

    room: str
    members: set[str]
    topic: str
    status_id: str | None
    status: Message

ALERT_LEASE = timedelta(minutes=5)
ALERT_RETRY = timedelta(minutes=1)


class Breachbot(tenancy.FirmScoped):
    """Runs commands and due alerts against one store and one chat platform, for each firm with its settings
    (`firm`, `lang`, `timezone`, `playbook`, `firm_profile` are the served firm's: flows/tenancy.py)."""

    def __init__(self, *, settings: Settings, chat: Chat, clock: Clock | None = None, engine: Engine | None = None,
                 playbook: Playbook | None = None, firm: FirmConfig | None = None,
                 worker_id: str | None = None) -> None:
        self.settings = settings
        self.chat = chat
        self.clock = clock or SystemClock()
        self.engine = engine or make_engine(settings.sqlalchemy_url)
        self.sessions = session_factory(self.engine)
        self.readers = session_factory(self.engine, write=False)
        self.playbook = playbook or load_playbook(settings.playbook)
        self.firm = firm or settings.firm()
        try:
            self.regimes = replace(load_regimes(settings.regime_files), holidays=frozenset(self.firm.holidays))  # [holidays]
        except RegimeError as exc:
            raise ConfigError("problem.as_is", problem=exc) from exc
        unknown = set(self.firm.firm_profile) - set(FIRM_PROFILES)
        if unknown:
            raise ConfigError("problem.settings.profile", flags=Listing(sorted(unknown)), choices=Listing(FIRM_PROFILES))
        self.firm_profile = frozenset(self.firm.firm_profile)
        self.lang = self.firm.lang or settings.lang
        self.timezone = self.firm.timezone or settings.timezone
        self.worker_id = worker_id or f"{os.uname().nodename}:{os.getpid()}"
        # Called after alerts change, so a live scheduler can re-arm its wake-up.
        self.on_schedule_change: list[Any] = []
        self.stopping = threading.Event()  # set on SIGTERM: finish the row in flight, start nothing new

    # -- units of work ---------------------------------------------------------------------
    @contextmanager
    def unit(self, *, write: bool = True) -> Iterator[Session]:
        """One transaction (`write=False` for a read that should not queue behind writers)."""
        with transaction(self.sessions if write else self.readers) as session:
            yield session

    def now(self) -> datetime:
        """The injected clock's time."""
        return self.clock.now()

    @functools.cached_property
    def templates(self) -> Environment:
        """The statement templates, built on first use."""
        return drafts.environment(self.settings.templates_dir)

    def workspace(self, session: Session, context: Context) -> Workspace:
        """The workspace of an inbound event, kept in step with its language and timezone: what the firm's admins
        set (/breach config) wins; else the deployment's."""
        ws = incidents.workspace_for(session, platform=context.platform, external_id=context.workspace,
                                     lang=self.lang, timezone=self.timezone)
        wanted = tenancy.settled(session, ws, lang=self.default("lang"), timezone=self.default("timezone"))
        if (ws.lang, ws.timezone) != wanted:
            ws.lang, ws.timezone = wanted
            session.add(ws)
        return ws

    # -- commands --------------------------------------------------------------------------
    def handle(self, context: Context, command: Command) -> bool:
        """Run a command for a person, as their firm; every outcome, good or bad, is answered. True: carried out."""
        with tenancy.serving(self, context.workspace):
            return self._handle(context, command)

    def _handle(self, context: Context, command: Command) -> bool:
        outbox = Outbox()
        lang = self.lang
        if bad := unstorable(command):
            self._safe_reply(context, message(lang, "error.unstorable", kind="error", char=bad))
            return False
        try:
            # People typed as text become platform accounts, or the command is refused: asked before the
            # transaction, so no platform call ever holds the database.
            command = lookups.named_people(self, command)
            with report_flows.names_asked_first(self, context, command), self.unit() as session:
                ws = self.workspace(session, context)
                lang = ws.lang
                # A platform's retried delivery runs once, across processes; the key is written in the
                # command's own transaction, so a command that failed can still be retried.
                if context.delivery_id and not isinstance(command, Declare | Help) and not incidents.first_delivery(
                        session, key=context.delivery_id, now=self.now()):
                    log.info("repeated delivery %s ignored", context.delivery_id)
                    return False
                # Names as shown (roles, causes, phases … in either language) become keys, times ISO moments.
                ready = canonical(command, playbook=self.playbook, lang=lang, now=self.now(), tz=ws.timezone)
                steps = each(ready)
                for step in steps:
                    dispatch.run(self, session, ws, context, step, outbox)
                if len(steps) > 1:  # several tasks done from outside the war room: one "Done.", not three
                    outbox.replies = list(dict.fromkeys(outbox.replies))
                # What is to be said is stored with the change it announces; it goes out after the commit.
                rows = delivering.enqueue(self, session, outbox, now=self.now())
        except WhichIncident as exc:  # say it with the command typed: /breach log BR-2 …
            self._safe_reply(context, exc.naming(typed_word(exc.lang, word(command))))
            return False
        except UserError as exc:
            self._safe_reply(context, exc.message)
            return False
        except Exception:
            error_id = new_error_id()
            log.exception("command failed (error %s): %r from %s", error_id, command, context.user)
            self._safe_reply(context, message(lang, "error.internal", kind="error", error_id=error_id))
            return False
        self.deliver(context, outbox, rows)
        if isinstance(command, Send):  # a confirmed send starts now; `check` reads what came back
            self.after_send(command)
        return True

    # -- notices the bot sends (bot.flows.send_runner) ----------------------------------------
    @functools.cached_property
    def send_transports(self) -> dict[str, Any]:
        """The e-mail and SMS transports the settings configure (built once)."""
        return transports.build(self.settings, now=self.now)

    def after_send(self, command: Send) -> None:
        """Run the sends that are due, or read bounces and receipts, after the command committed."""
        try:
            if command.action == "check":
                send_returns.check_returns(self)
            elif command.action == "send" and command.confirm:
                send_runner.run_sends(self)
        except Exception:
            log.exception("sending after %r failed; the scheduler will resume it", command)

    def notify_schedule_change(self) -> None:
        """Tell a live scheduler that what is due changed."""
        for hook in self.on_schedule_change:
            hook()

    def deliver(self, context: Context | None, outbox: Outbox, rows: list[int]) -> None:
        """After the commit: make the war room, answer the person, send the rest; say what did not go."""
        with self.unit(write=False) as session:
            lanes = {r.lane for r in session.exec(select(OutboundMessage).where(col(OutboundMessage.id).in_(rows)))}
        # The war room first (the answer names it, the invites need it), then its invites beside its status.
        self.flush_outbox(lanes=lanes, ops={"room"})
        self.flush_outbox(lanes=lanes, ops=delivering.STEPS, parallel=self.chat.parallel_lanes)
        if context is not None:
            for msg, public in outbox.replies:
                self._safe_reply(context, with_rooms(msg, self._real_room), public=public)
        self.flush_outbox(lanes=lanes)
        if context is not None and rows:
            self._report(context, rows)
        self.notify_schedule_change()

    def _real_room(self, stand_in: str) -> str | None:  # a war room made after the commit, for the answer
        with self.unit(write=False) as session:
            incident = session.get(Incident, int(stand_in.removeprefix(PENDING_ROOM)))
            return incident.war_room if incident else None

    def _report(self, context: Context, rows: list[int]) -> None:
        """Tell the person what of their command is not delivered: kept and when it is retried, or what failed and why."""
        with self.unit(write=False) as session:
            waiting = undelivered.waiting(session, rows, now=self.now())
        told = undelivered.report(waiting, lang=self.lang, now=self.now(), name=self.chat.display_name)
        if told is not None:
            self._safe_reply(context, told)

    # -- the outbox ---------------------------------------------------------------------------------
    def flush_outbox(self, *, lanes: set[str] | None = None, ops: set[str] | None = None, parallel: int = 1) -> int:
        """Send what is due in the outbox (some lanes, some kinds of row, `parallel` lanes at once); returns how
        many went out."""
        return delivery.flush(self.sessions, platform=self.chat.platform, now=self.now(), lanes=lanes, ops=ops,
                              stop=self.stopping.is_set, parallel=parallel,
                              send=lambda row: delivering.send(self, row),
                              on_sent=lambda s, row, result: delivering.on_sent(self, s, row, result),
                              on_dead=lambda s, row, failure: delivering.on_dead(self, s, row, failure),
                              on_late=lambda s, row, failure: delivering.on_late(self, s, row, failure))

    def _safe_reply(self, context: Context, msg: Message, *, public: bool = False) -> None:
        """Answer the person, in as many parts as the platform needs; a failure is logged, never raised."""
        parts = split_message(msg, self.chat.fits, heading=lambda n, k: t(self.lang, "delivery.continued", n=n, total=k))
        try:
            for part in parts:
                self.chat.reply(context=context, message=part, public=public)
        except Exception:
            error_id = new_error_id()
            log.exception("could not answer %s (error %s)", context.user, error_id)

    # -- the war room's living status ----------------------------------------------------------
    def refresh_status(self, incident_id: int) -> None:
        """Re-render the pinned status message and the room topic from the database."""
        delivering.refresh(self, incident_id)

    # -- alerts -------------------------------------------------------------------------------
    def run_due(self) -> int:
        """Send every alert due by now, each once; returns how many went out."""
        sent = 0
        while not self.stopping.is_set():
            now = self.now()
            with self.unit(write=False) as session:
                batch = deadlines.due(session, now=now, limit=20, platform=self.chat.platform)
            progressed = False  # stays so when nothing is due
            for alert in batch:
                if self.stopping.is_set():  # SIGTERM: the rest of the batch waits for the next process
                    return sent
                with self.unit() as session:
                    if not deadlines.claim(session, alert_id=alert.id, worker=self.worker_id, now=now,
                                           lease=ALERT_LEASE):
                        continue
                progressed = True
                with tenancy.for_incident(self, alert.incident_id):  # said as that firm, with its credentials
                    sent += self._fire(alert.id)  # True: it went out
            if not progressed:
                break
        return sent

    def _fire(self, alert_id: int) -> bool:
        """Compose a claimed alert and queue its parts in one transaction; delivery marks it said."""
        now = self.now()
        outbox = Outbox()
        try:
            with self.unit() as session:
                state = alerts.alert_effects(self, session, alert_id=alert_id, now=now, outbox=outbox)
                held = [alert_id, *outbox.covers]
                if state != deadlines.SENT:
                    deadlines.finish(session, alert_id=alert_id, state=state, now=now)
                    return False
                outbox.meta["alerts"] = held
                rows = delivering.enqueue(self, session, outbox, now=now)
                for each in held:  # handed to the outbox: each part is delivered and recorded on its own
                    deadlines.finish(session, alert_id=each, state=deadlines.QUEUED, now=now)
                if not rows:  # nothing to say after all (a role filled meanwhile): it is done
                    for each in held:
                        alerts.alert_sent(self, session, alert_id=each, now=now)
        except Exception:
            log.exception("could not prepare alert %s", alert_id)
            with self.unit() as session:
                deadlines.release(session, alert_id=alert_id, retry_at=now + ALERT_RETRY)
            return False
        with self.unit(write=False) as session:
            lanes = {r.lane for r in session.exec(select(OutboundMessage).where(col(OutboundMessage.id).in_(rows)))}
        self.flush_outbox(lanes=lanes)
        return True

    def advance(self, to: datetime) -> None:
        """On a settable clock (virtual or offset), move to `to`, firing each alert at its own time, in order."""
        set_clock = getattr(self.clock, "set", None)
        if set_clock is None:
            raise TypeError("this bot runs on the real clock; time cannot be moved")
        while (wake := self.next_wakeup()) is not None and wake <= to:
            if wake > self.now():
                set_clock(wake)
            before = self.now()
            self.run_due()
            self.flush_outbox()
            send_runner.run_sends(self)
            if self.next_wakeup() == wake and self.now() == before:
                break  # nothing could go out at this moment: let time move on
        if to > self.now():
            set_clock(to)
        self.run_due()
        self.flush_outbox()
        send_runner.run_sends(self)

    def next_wakeup(self) -> datetime | None:
        """When the next pending alert, kept message or batch of a send is due."""
        with self.unit(write=False) as session:
            platform = self.chat.platform  # only this platform's firms (a deployment may serve Slack and WeCom)
            moments = [deadlines.next_fire_at(session, platform=platform), delivery.next_try(session, platform=platform),
                       sending.next_due(session, platform=platform)]
        return min((m for m in moments if m is not None), default=None)

    def war_rooms(self, *, platform: str, workspace: str) -> list[WarRoomState]:
        """Every war room of a workspace as the database knows it (a console rebuilds its rooms from this)."""
        out: list[WarRoomState] = []
        with self.unit(write=False) as session:
            ws = session.exec(select(Workspace).where(Workspace.platform == platform,
                                                      Workspace.external_id == workspace)).first()
            if ws is None:
                return out
            now = self.now()
            for incident in session.exec(select(Incident).where(Incident.workspace_id == ws.id,
                                                                col(Incident.war_room).is_not(None))
                                         .order_by(col(Incident.id))):
                team = set(session.exec(select(Participant.user).where(Participant.incident_id == incident.id)))
                team |= {a.user for a in incidents.active_roles(session, incident).values()}
                out.append(WarRoomState(
                    room=incident.war_room or "", members=team, status_id=incident.status_message,
                    topic=views.topic(session, incident=incident, playbook=self.playbook, ws=ws, now=now),
                    status=views.pinned(session, incident=incident, playbook=self.playbook, ws=ws, now=now)))
        return out

    def home(self, context: Context) -> Message:
        """The open incidents of the workspace, for a home screen."""
        with tenancy.serving(self, context.workspace), self.unit(write=False) as session:
            ws = self.workspace(session, context)
            return views.home(session, ws=ws, playbook=self.playbook, now=self.now(),
                              incidents_open=incidents.open_for_user(session, workspace=ws, user=context.user))

    def draft_text(self, context: Context, number: int, *, incident: int | None = None) -> str:
        """The current text of draft D-<number> (for a platform's edit form); UserError if there is none."""
        with tenancy.serving(self, context.workspace), self.unit(write=False) as session:
            ws = self.workspace(session, context)
            found = resolve(session, ws, context, incident, lock=False)
            return drafts.current(session, drafts.by_number(session, incident=found, number=number,
                                                             lang=ws.lang)).text

    def verify(self, number: int, platform: str = "console", workspace: str = "console") -> timeline.Verification:
        """Check an incident's timeline chain."""
        with self.unit(write=False) as session:
            incident = self.find(session, number, platform=platform, workspace=workspace)
            return timeline.verify(session, incident)

    def find(self, session: Session, number: int, *, platform: str, workspace: str) -> Incident:
        """An incident by number for the command line; UserError if there is none."""
        ws = incidents.workspace_for(session, platform=platform, external_id=workspace, lang=self.lang,
                                     timezone=self.timezone)
        incident = incidents.by_number(session, workspace=ws, number=number)
        if incident is None:
            raise UserError(t(ws.lang, "cli.no_incident_in", n=number, platform=platform, workspace=workspace))
        return incident


def create_app(settings: Settings, *, chat: Chat, clock: Clock | None = None, engine: Engine | None = None,
               playbook: Playbook | None = None, migrate: bool = False) -> Breachbot:
    """Build the bot (`migrate`: bring the store's schema up to date first). Starts no threads."""
    bot = Breachbot(settings=settings, chat=chat, clock=clock, engine=engine, playbook=playbook)
    if migrate:
        upgrade(bot.engine)
    return bot
