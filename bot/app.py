"""The bot: settings, store, playbook, clock and a chat platform, wired once by `create_app`."""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from jinja2 import Environment
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot import delivery
from bot.chat import Chat, Context, Mention, Message, MessageRef, RoomRef
from bot.clock import Clock, SystemClock
from bot.commands import Command, Declare, Help, Send
from bot.errors import ConfigError, UserError, WhichIncident, new_error_id
from bot.flows import alerts, dispatch, send_returns, send_runner
from bot.flows.base import resolve
from bot.flows.canonical import canonical
from bot.flows.dispatch import each, unstorable
from bot.incident import deadlines, incidents, timeline
from bot.incident.playbook import Playbook, load_playbook
from bot.law.regimes import FIRM_PROFILES, RegimeError, load_regimes
from bot.outbox import Outbox
from bot.registry import word
from bot.settings import FirmConfig, Settings
from bot.statements import drafts, sending, transports
from bot.text.i18n import message
from bot.views import incident as views
from storage.db import make_engine, session_factory, transaction, upgrade
from storage.models import Incident, Participant, Workspace

log = logging.getLogger("breachbot")

ALERT_LEASE = timedelta(minutes=5)
ALERT_RETRY = timedelta(minutes=1)


class Breachbot:
    """Runs commands and due alerts against one store and one chat platform."""

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
        paths = settings.regime_files
        try:
            self.regimes = load_regimes(paths)
        except RegimeError as exc:
            raise ConfigError(str(exc)) from exc
        unknown = set(self.firm.firm_profile) - set(FIRM_PROFILES)
        if unknown:
            raise ConfigError(f"unknown firm profile flags {', '.join(sorted(unknown))}; use: {', '.join(FIRM_PROFILES)}")
        self.firm_profile = frozenset(self.firm.firm_profile)
        self.lang = self.firm.lang or settings.lang
        self.timezone = self.firm.timezone or settings.timezone
        self.worker_id = worker_id or f"{os.uname().nodename}:{os.getpid()}"
        # Called after alerts change, so a live scheduler can re-arm its wake-up.
        self.on_schedule_change: list[Any] = []

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
        """The workspace of an inbound event, kept in step with the configured language and timezone."""
        ws = incidents.workspace_for(session, platform=context.platform, external_id=context.workspace,
                                     lang=self.lang, timezone=self.timezone)
        if (ws.lang, ws.timezone) != (self.lang, self.timezone):
            ws.lang, ws.timezone = self.lang, self.timezone
            session.add(ws)
        return ws

    # -- commands --------------------------------------------------------------------------
    def handle(self, context: Context, command: Command) -> None:
        """Run a command for a person; every outcome, good or bad, is answered."""
        outbox = Outbox()
        lang = self.lang
        if bad := unstorable(command):
            self._safe_reply(context, message(lang, "error.unstorable", kind="error", char=bad))
            return
        try:
            with self.unit() as session:
                ws = self.workspace(session, context)
                lang = ws.lang
                # A platform's retried delivery runs once, across processes; the key is written in the
                # command's own transaction, so a command that failed can still be retried.
                if context.delivery_id and not isinstance(command, Declare | Help) and not incidents.first_delivery(
                        session, key=context.delivery_id, now=self.now()):
                    log.info("repeated delivery %s ignored", context.delivery_id)
                    return
                # Names as shown (roles, causes, phases … in either language) become keys, times ISO moments.
                ready = canonical(command, playbook=self.playbook, lang=lang, now=self.now(), tz=ws.timezone)
                steps = each(ready)
                for step in steps:
                    dispatch.run(self, session, ws, context, step, outbox)
                if len(steps) > 1:  # several tasks done from outside the war room: one "Done.", not three
                    outbox.replies = list(dict.fromkeys(outbox.replies))
        except WhichIncident as exc:  # say it with the command typed: /breach log BR-2 …
            self._safe_reply(context, exc.naming(word(command)))
            return
        except UserError as exc:
            self._safe_reply(context, exc.message)
            return
        except Exception:
            error_id = new_error_id()
            log.exception("command failed (error %s): %r from %s", error_id, command, context.user)
            self._safe_reply(context, message(lang, "error.internal", kind="error", error_id=error_id))
            return
        self.deliver(context, outbox)
        if isinstance(command, Send):  # a confirmed send starts now; `check` reads what came back
            self.after_send(command)

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

    def deliver(self, context: Context | None, outbox: Outbox) -> None:
        """Send what a committed command wants said; report what could not go out."""
        failures: list[str] = []

        def attempt(what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except Exception as exc:  # a platform error must not hide the rest
                log.exception("delivery failed: %s", what)
                failures.append(f"{what}: {exc}")
                return None

        for room, users in outbox.invites:
            attempt(f"invite to {room}", self.chat.invite, room=room, users=users)
        if context is not None:
            for msg, public in outbox.replies:
                attempt("reply", self.chat.reply, context=context, message=msg, public=public)
        for room, msg in outbox.posts:
            self._send_or_keep("post", room, msg, failures)
        for user, msg in outbox.directs:
            self._send_or_keep("direct", user, msg, failures)
        for incident_id in sorted(outbox.refresh):
            attempt("status update", self.refresh_status, incident_id)
        if context is not None and failures:
            self._safe_reply(context, message(self.lang, "error.delivery", kind="error",
                                              details="; ".join(failures)))
        for hook in self.on_schedule_change:
            hook()

    # -- the outbox ---------------------------------------------------------------------------------
    def _send(self, op: str, target: str, msg: Message) -> None:
        if op == "post":
            self.chat.post(room=target, message=msg)
        else:
            self.chat.direct(user=target, message=msg)

    def _send_or_keep(self, op: str, target: str, msg: Message, failures: list[str]) -> None:
        """Send now, or keep it in the outbox: behind earlier messages to the same target, or after a failure."""
        platform = self.chat.platform
        with self.unit() as session:
            if delivery.waiting(session, platform=platform, op=op, target=target):
                delivery.keep(session, platform=platform, op=op, target=target, message=msg, incident_id=None,
                              now=self.now())
                failures.append(f"{op} {target}: queued behind undelivered messages")
                return
        try:
            self._send(op, target, msg)
        except Exception as exc:  # kept and retried; never dropped
            log.warning("delivery to %s %s failed, kept for retry: %s", op, target, exc)
            failures.append(f"{op} {target}: {exc}")
            with self.unit() as session:
                delivery.keep(session, platform=platform, op=op, target=target, message=msg, incident_id=None,
                              now=self.now(), error=str(exc), attempts=1)

    def flush_outbox(self) -> int:
        """Retry kept messages that are due; returns how many went out."""
        return delivery.flush(self.sessions, platform=self.chat.platform, send=self._send, warn=self._warn_undelivered,
                              now=self.now(), worker=self.worker_id)

    def _warn_undelivered(self, row: Any) -> None:
        """Tell the war room (or the lead, when the war room is what fails) that a message is stuck."""
        with self.unit() as session:
            incident = session.get(Incident, row.incident_id) if row.incident_id else None
            if incident is None and row.op == "post":
                incident = session.exec(select(Incident).where(Incident.war_room == row.target)).first()
            if incident is None:
                ws_rows = session.exec(select(Incident).join(Participant, col(Participant.incident_id) == col(Incident.id))
                                       .where(Participant.user == row.target, Incident.status == "open")
                                       .order_by(col(Incident.id).desc())).first()
                incident = ws_rows
            if incident is None:
                log.error("message to %s %s undelivered since %s; no incident to tell", row.op, row.target,
                          row.created_at)
                return
            ws = session.get(Workspace, incident.workspace_id)
            lead = incidents.active_roles(session, incident).get("lead")
            room, lang = incident.war_room, ws.lang if ws else self.lang
            since = views.when(ws, row.created_at, self.now()) if ws else row.created_at.isoformat()
        msg = message(lang, "error.undelivered", target=Mention(row.target) if row.op == "direct" else RoomRef(row.target),
                      since=since, error=row.last_error[:200])
        try:
            if row.op == "post" and row.target == room and lead:
                self.chat.direct(user=lead.user, message=msg)
            elif room:
                self.chat.post(room=room, message=msg)
        except Exception:
            log.exception("could not warn about an undelivered message")

    def _safe_reply(self, context: Context, msg: Message) -> None:
        try:
            self.chat.reply(context=context, message=msg)
        except Exception:
            log.exception("could not answer %s", context.user)

    # -- the war room's living status ----------------------------------------------------------
    def refresh_status(self, incident_id: int) -> None:
        """Re-render the pinned status message and the room topic from the database."""
        with self.unit(write=False) as session:
            incident = session.get(Incident, incident_id)
            if incident is None or not incident.war_room or not incident.status_message:
                return
            ws = session.get(Workspace, incident.workspace_id)
            assert ws is not None
            now = self.now()
            msg = views.status(session, incident=incident, playbook=self.playbook, ws=ws, now=now)
            topic = views.topic(session, incident=incident, playbook=self.playbook, ws=ws, now=now)
            room, ref = incident.war_room, incident.status_message
        self.chat.update(ref=MessageRef(room=room, id=ref), message=msg)
        self.chat.set_topic(room=room, topic=topic)

    # -- alerts -------------------------------------------------------------------------------
    def run_due(self) -> int:
        """Send every alert due by now, each once; returns how many went out."""
        sent = 0
        while True:
            now = self.now()
            with self.unit(write=False) as session:
                batch = deadlines.due(session, now=now, limit=20)
            if not batch:
                return sent
            progressed = False
            for alert in batch:
                with self.unit() as session:
                    if not deadlines.claim(session, alert_id=alert.id, worker=self.worker_id, now=now,
                                           lease=ALERT_LEASE):
                        continue
                progressed = True
                if self._fire(alert.id):
                    sent += 1
            if not progressed:
                return sent

    def _fire(self, alert_id: int) -> bool:
        now = self.now()
        outbox = Outbox()
        try:
            with self.unit() as session:
                state = alerts.alert_effects(self, session, alert_id=alert_id, now=now, outbox=outbox)
        except Exception:
            log.exception("could not prepare alert %s", alert_id)
            with self.unit() as session:
                deadlines.release(session, alert_id=alert_id, retry_at=now + ALERT_RETRY)
            return False
        if state != deadlines.SENT:
            with self.unit() as session:
                deadlines.finish(session, alert_id=alert_id, state=state, now=now)
            return False
        try:
            for room, msg in outbox.posts:
                self.chat.post(room=room, message=msg)
            for user, msg in outbox.directs:
                self.chat.direct(user=user, message=msg)
        except Exception:
            log.exception("could not send alert %s; will retry", alert_id)
            with self.unit() as session:
                for held in [alert_id, *outbox.covers]:
                    deadlines.release(session, alert_id=held, retry_at=now + ALERT_RETRY)
            return False
        try:
            with self.unit() as session:
                for held in [alert_id, *outbox.covers]:
                    alerts.alert_sent(self, session, alert_id=held, now=now)
        except Exception:
            # It went out: never let an expiring claim send it again. Mark it sent even without its
            # timeline line (logged), rather than risk a second reminder.
            log.exception("alert %s went out but could not be recorded in the timeline", alert_id)
            with self.unit() as session:
                for held in [alert_id, *outbox.covers]:
                    deadlines.finish(session, alert_id=held, state=deadlines.SENT, now=now)
        for incident_id in outbox.refresh:
            try:
                self.refresh_status(incident_id)
            except Exception:
                log.exception("status refresh failed after alert %s", alert_id)
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
            moments = [deadlines.next_fire_at(session), delivery.next_try(session, platform=self.chat.platform),
                       sending.next_due(session)]
        return min((m for m in moments if m is not None), default=None)

    def home(self, context: Context) -> Message:
        """The open incidents of the workspace, for a home screen."""
        with self.unit(write=False) as session:
            ws = self.workspace(session, context)
            return views.home(session, ws=ws, playbook=self.playbook, now=self.now(),
                              incidents_open=incidents.open_for_user(session, workspace=ws, user=context.user))

    def draft_text(self, context: Context, number: int, *, incident: int | None = None) -> str:
        """The current text of draft D-<number> (for a platform's edit form); UserError if there is none."""
        with self.unit(write=False) as session:
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
            raise UserError(f"No incident BR-{number} in the {platform} workspace {workspace!r}.")
        return incident


def create_app(settings: Settings, *, chat: Chat, clock: Clock | None = None, engine: Engine | None = None,
               playbook: Playbook | None = None, migrate: bool = False) -> Breachbot:
    """Build the bot (`migrate`: bring the store's schema up to date first). Starts no threads."""
    bot = Breachbot(settings=settings, chat=chat, clock=clock, engine=engine, playbook=playbook)
    if migrate:
        upgrade(bot.engine)
    return bot
