"""Runs confirmed sends: notice by notice within the firm's rate, a progress bar in the war room, a summary.

Each notice is claimed in one transaction and confirmed in the next (bot.statements.sending), so a
process killed in between never sends it again; a run whose process died is picked up by the next one
once its lease runs out. Also reads what came back (bounces by IMAP, SMS receipts) and tells the war room.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from sqlmodel import Session

from bot.chat import Message
from bot.flows import delivering, send_progress, tenancy
from bot.flows.port import Bot
from bot.incident import incidents
from bot.law import clocks
from bot.outbox import Outbox
from bot.report.letter_pdf import letter_pdf
from bot.statements import clients, keys, reach, sending, template_context, transports
from bot.statements import letters as letter_merge
from bot.text.i18n import line
from bot.text.i18n import text as t
from storage.models import Client, Draft, DraftVersion, Incident, SendAttempt, SendRun, Workspace


class Breachbot(Bot, Protocol):
    """What sending needs of the running bot beyond a flow's needs: the transports, the language, a wake-up."""

    lang: str

    @property
    def send_transports(self) -> dict[str, Any]:
        """The configured e-mail and SMS transports."""
        ...

    def notify_schedule_change(self) -> None:
        """Tell a live scheduler that what is due changed."""
        ...

    def flush_outbox(self, *, lanes: set[str] | None = None, ops: set[str] | None = None, parallel: int = 1) -> int:
        """Send what is due in the outbox (some lanes)."""
        ...

log = logging.getLogger("breachbot.send")
PROGRESS_EVERY = 25


@dataclass
class Composer:
    """Merges an approved letter for one client, as e-mail or SMS, in the client's language."""

    bot: Breachbot
    incident: Incident
    authorities: dict[str, list[tuple[str, str]]]

    @classmethod
    def of(cls, bot: Breachbot, session: Session, incident: Incident) -> Composer:
        """The merge context of an incident as recorded now."""
        rows = clocks.rows(session, incident=incident, book=bot.regimes, firm_profile=bot.firm_profile, now=bot.now())
        affected = dict((incident.facts or {}).get("affected") or {})
        return cls(bot, incident, {code: template_context.authorities_told(rows, bot.regimes, code, affected)
                                   for code in ("en", "zh")})

    def body(self, client: Client, draft: Draft, version: DraftVersion, *, name: str | None = None,
             survey: str = "") -> str:
        """The client's letter: merge fields filled in (`survey`: their link to the online survey), DRILL on top."""
        data = letter_merge.client_data(client, incident=self.incident, playbook=self.bot.playbook, lang=draft.lang)
        body = letter_merge.fill(version.text, name=name or client.name, data=data, residence=client.residence,
                                 regulators=letter_merge.client_regulators(client, self.authorities[draft.lang],
                                                                           draft.lang), survey=survey)
        banner = t(draft.lang, "draft.drill_banner")
        return banner + "\n\n" + body if self.incident.drill and not body.startswith(banner) else body

    def notice(self, client: Client, draft: Draft, version: DraftVersion, *, channel: str, to: str, key: str,
               message_id: str, test: bool = False, survey: str = "") -> sending.Notice:
        """One notice, ready for its transport."""
        settings, lang = self.bot.settings, draft.lang
        firm = settings.identity(self.bot.firm)
        subject = t(lang, "send.subject" if draft.kind == "client" else f"send.subject_{draft.kind}",
                    firm=firm.name_in(lang))
        if test:
            subject = t(lang, "send.test_subject") + subject
        text = self.body(client, draft, version, survey=survey)
        pdf = letter_pdf(text, font=settings.pdf_font) if settings.mail_pdf and channel == sending.EMAIL else None
        return sending.Notice(key=key, channel=channel, to=to, lang=lang, subject=subject, text=text,
                              message_id=message_id, client_name=client.name, attachment=pdf,
                              attachment_name=f"{incidents.ref(self.incident)}-{t(lang, 'send.pdf_name')}.pdf",
                              sms_params={"firm": firm.name_in(lang)[:35],
                                          "hotline": (firm.contact or settings.mail_reply_to or "")[:35]})


def vault(bot: Any, session: Session, workspace_id: int | None, *, create: bool = False) -> clients.Vault:
    """The vault of one firm's contacts (its own data key; `create`: make the key if the firm has none yet)."""
    master = bot.settings.data_key.get_secret_value() if bot.settings.data_key else None
    return keys.firm_vault(session, workspace_id=workspace_id, master=master, now=bot.now() if create else None)


def transports_for(bot: Breachbot, incident: Incident) -> dict[str, Any]:
    """The real transports, or for a drill ones that reach no server at all."""
    return transports.drill() if incident.drill else bot.send_transports


def mail_domain(bot: Breachbot) -> str:
    """The domain of the firm's sender address, for Message-IDs."""
    sender = bot.settings.mail_from or "breachbot.invalid"
    return sender.rsplit("@", 1)[-1].strip(" >") or "breachbot.invalid"


def run_sends(bot: Breachbot) -> int:
    """Send what is due of every running send this process can hold; returns how many notices went out."""
    now = bot.now()
    with bot.unit(write=False) as session:
        due = [r.id for r in sending.due_runs(session, now=now, platform=bot.chat.platform)]
    total = 0
    for run_id in due:
        with bot.unit() as session:
            if not sending.claim_run(session, run_id=run_id, worker=bot.worker_id, now=now):
                continue
            run_incident = session.get(SendRun, run_id).incident_id  # type: ignore[union-attr]
        try:
            with tenancy.for_incident(bot, run_incident):
                total += _batch(bot, run_id)
        except Exception:
            log.exception("send run %s failed; it will be resumed", run_id)
    return total


def _batch(bot: Breachbot, run_id: int) -> int:
    with bot.unit() as session:
        run = session.get(SendRun, run_id)
        assert run is not None
        incident = session.get(Incident, run.incident_id)
        assert incident is not None
        ws = session.get(Workspace, incident.workspace_id)
        lang, room = (ws.lang if ws else bot.lang), incident.war_room
        lane = delivering.lane_of(send_progress.OP, "", incident.id)
        if room and run.progress_message is None:  # the bar goes up before the first notice
            send_progress.queue(bot, session, run=run, lane=lane, now=bot.now())
    if room:
        _show(bot, lane)
    channels = transports_for(bot, incident)
    with bot.unit(write=False) as session:  # the merge context once per batch, not once per letter
        secret = vault(bot, session, incident.workspace_id)
        composer = Composer.of(bot, session, session.get(Incident, incident.id))
    sent = 0
    finished = False
    done: tuple[int, tuple[str, str]] | None = None  # the last notice handed over, and what the server said
    try:
        while True:
            now = bot.now()
            moved = False  # the bar is due to move on (every PROGRESS_EVERY notices sent)
            # One transaction records the last outcome and claims the next notice, committed before it leaves.
            with bot.unit() as session:
                run = session.get(SendRun, run_id)
                assert run is not None
                if done is not None:
                    paused = _record(bot, session, run, *done)
                    if done[1][0] == "sent":
                        sent += 1
                        moved = bool(room) and sent % PROGRESS_EVERY == 0
                        if moved:
                            send_progress.queue(bot, session, run=run, lane=lane, now=now)
                    done = None
                    if paused:
                        break
                if run.state != sending.RUNNING:
                    break
                count, oldest = sending.sent_in_last_minute(session, now=now)
                if count >= bot.settings.send_per_minute and oldest is not None and sending.has_queued(session, run):
                    run.next_at, run.lease_until = oldest + timedelta(minutes=1), None
                    session.add(run)
                    break
                run.lease_until = now + sending.LEASE
                session.add(run)
                attempt = sending.claim_next(session, run=run, now=now)
                if attempt is None:
                    incident = incidents.lock(session, session.get(Incident, run.incident_id))
                    counts = sending.finish(session, incident=incident, run=run, now=now)
                    audiences = reach.audiences(session, incident=incident, book=bot.regimes,
                                                firm_profile=bot.firm_profile, now=now, meet=True, lang=lang)
                    if room:  # the last bar, then the summary, queued with the run's end: said once, in order
                        send_progress.queue(bot, session, run=run, lane=lane, now=now)
                        out = Outbox(about=incident.id)
                        out.post(incident, _summary(run, counts, audiences, lang))
                        delivering.enqueue(bot, session, out, now=now)
                    finished = True
                    break
                notice, transport = _prepare(session, attempt, channels, secret, composer)
                assert attempt.id is not None
            if moved:  # after the commit, never inside it; a bar the platform refuses waits in the outbox
                _show(bot, lane)
            done = (attempt.id, _hand_over(transport, notice))
        if done is not None:  # stopped with an outcome still to record
            with bot.unit() as session:
                run = session.get(SendRun, run_id)
                assert run is not None
                _record(bot, session, run, *done)
    finally:
        for transport in channels.values():
            close = getattr(transport, "close", None)
            if close:
                close()
    if room:
        if not finished:  # paused (the firm's rate, a server saying later): the bar shows where it stopped
            with bot.unit() as session:
                run = session.get(SendRun, run_id)
                assert run is not None
                send_progress.queue(bot, session, run=run, lane=lane, now=bot.now())
        _show(bot, lane)
    bot.notify_schedule_change()
    return sent


def _show(bot: Breachbot, lane: str) -> None:
    """Send what waits in the war room's lane (the bar, the summary) through the outbox; never raises: what
    the platform refuses stays queued and is retried with the outbox's backoff, the notices go on."""
    try:
        bot.flush_outbox(lanes={lane})
    except Exception:
        log.exception("could not deliver the send's progress in %s; the outbox retries it", lane)


def _record(bot: Breachbot, session: Session, run: SendRun, attempt_id: int, outcome: tuple[str, str]) -> bool:
    """What the server said about one notice, in the register; True when the run must pause (try later)."""
    attempt = session.get(SendAttempt, attempt_id)
    assert attempt is not None
    if outcome[0] == "sent":
        incident = incidents.lock(session, session.get(Incident, attempt.incident_id))
        sending.confirm(session, incident=incident, attempt=attempt, provider_id=outcome[1], at=bot.now(),
                        actor=run.actor)
    elif outcome[0] == "refused":
        sending.refuse(session, attempt=attempt, error=outcome[1], at=bot.now())
    elif outcome[0] == "later":
        sending.requeue(session, attempt=attempt)
        run.next_at, run.lease_until = bot.now() + timedelta(minutes=1), None
        session.add(run)
        log.warning("send S-%s paused: %s", run.number, outcome[1])
        return True
    return False


def _prepare(session: Session, attempt: SendAttempt, channels: dict[str, Any], secret: clients.Vault,
             composer: Composer) -> tuple[sending.Notice, Any]:
    """The notice of a claimed attempt; the contact is decrypted here, in memory, for this one send."""
    client = session.get(Client, attempt.client_id)
    version = session.get(DraftVersion, attempt.version_id)
    assert client is not None and version is not None
    draft = session.get(Draft, version.draft_id)
    assert draft is not None
    to = secret.open(client.contact_encrypted).strip()
    if attempt.channel == sending.SMS:
        to = to.replace(" ", "").replace("-", "")
    from bot.flows.page import survey_url

    survey = survey_url(composer.bot.settings, session, incident=composer.incident, client=client,
                        now=composer.bot.now()) if draft.kind == "survey" else ""
    notice = composer.notice(client, draft, version, channel=attempt.channel, to=to, message_id=attempt.message_id,
                             survey=survey,
                             key=sending.attempt_key(client_id=client.id or 0, version_id=version.id or 0,
                                                     channel=attempt.channel))
    return notice, channels.get(attempt.channel)


def _hand_over(transport: Any, notice: sending.Notice) -> tuple[str, str]:
    """sent/refused/later/uncertain with the provider's id or the error."""
    if transport is None:
        return "later", f"no {notice.channel} transport configured"
    try:
        return "sent", transport.send(notice)
    except sending.Refused as exc:
        return "refused", str(exc)
    except sending.Unavailable as exc:
        return "later", str(exc)
    except Exception as exc:  # a lost answer, or a bug: it may have gone out, so it stays unconfirmed
        log.exception("notice %s: no clear answer; left unconfirmed", notice.key)
        return "uncertain", str(exc)


def _summary(run: SendRun, counts: sending.Tally, audiences: list[reach.Audience], lang: str) -> Message:
    skipped = sum(run.skipped.values())
    reasons = ("、" if lang == "zh" else ", ").join(f"{t(lang, f'send.skip.{reason}')} {count}"
                                                     for reason, count in sorted(run.skipped.items()))
    lines = [line(lang, "send.summary", id=f"S-{run.number}", sent=counts.sent,
                  email=counts.by_channel.get(sending.EMAIL, 0), sms=counts.by_channel.get(sending.SMS, 0),
                  refused=counts.refused, bounced=counts.bounced, skipped=skipped,
                  reasons=(f"（{reasons}）" if lang == "zh" else f" ({reasons})") if reasons else "")]
    if run.drill:
        lines.insert(0, line(lang, "send.drill_nothing_sent"))
    if counts.unconfirmed:
        lines.append(line(lang, "send.unconfirmed", count=counts.unconfirmed))
    lines.extend(reach.standing(audiences, lang))
    return Message(lines=tuple(lines))


def preview(bot: Breachbot, composer: Composer, item: sending.Item) -> str:
    """The sample shown before a send: the first client's letter with their name masked."""
    assert item.draft is not None and item.version is not None
    return composer.body(item.client, item.draft, item.version, name=clients.shown_name(item.client))
