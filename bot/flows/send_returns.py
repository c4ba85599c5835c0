"""What comes back after a send: bounces read by IMAP from the firm's mailbox, and SMS delivery receipts.

Each returned notice is marked failed, the client is taken off the told count, the client liaison gets a
follow-up, the legal clocks of that audience open again if they were met by the send, and the war room
is told.
"""

from __future__ import annotations

import imaplib
import logging
from datetime import timedelta
from typing import Any

from sqlmodel import col, select

from bot.chat import Mention
from bot.flows import delivering, tenancy
from bot.flows.send_runner import Breachbot, vault
from bot.incident import incidents
from bot.outbox import Outbox
from bot.statements import clients, reach, sending, transports
from bot.text.i18n import message
from bot.text.i18n import text as t
from storage.models import Client, Incident, SendAttempt, Workspace

log = logging.getLogger("breachbot.send")
RECEIPT_WINDOW = timedelta(days=3)


def check_returns(bot: Breachbot) -> int:
    """Read bounces from the mailbox and SMS receipts; mark failures, open tasks, tell the war room."""
    failures: list[int] = []  # the incident of each returned notice
    mailbox = transports.bounce_mailbox(bot.settings)
    if mailbox is not None:
        from bot.statements.transports.bounces import parse_dsn

        handled = []
        try:
            found = mailbox.fetch()
        except (OSError, imaplib.IMAP4.error) as exc:
            log.warning("the bounce mailbox cannot be read: %s", exc)
            found = []
        for uid, raw in found:
            returned = parse_dsn(raw)
            for item in returned:
                reason = " ".join(p for p in (item.status, item.diagnostic) if p)
                found = _fail(bot, message_id=item.message_id, reason=reason)
                if found:
                    failures.append(found)
            if returned:
                handled.append(uid)
        if handled:
            mailbox.mark_seen(handled)
    sms = bot.send_transports.get(sending.SMS)
    if sms is not None:
        failures += _receipts(bot, sms)
    if failures:  # queued with each failure's record; the outbox sends them (and retries what Slack refuses)
        lanes = {delivering.lane_of("post", "", incident_id) for incident_id in failures}
        try:
            bot.flush_outbox(lanes=lanes)
        except Exception:
            log.exception("could not tell the war rooms about returned notices; the outbox retries it")
        bot.notify_schedule_change()
    return len(failures)


def _receipts(bot: Breachbot, provider: Any) -> list[int]:
    now = bot.now()
    with bot.unit(write=False) as session:
        pending = [(a.id, a.client_id, a.message_id, a.accepted_at) for a in session.exec(select(SendAttempt).where(
            SendAttempt.channel == sending.SMS, SendAttempt.state == sending.SENT,
            col(SendAttempt.accepted_at) > now - RECEIPT_WINDOW))]
    out: list[int] = []
    for attempt_id, client_id, provider_id, accepted_at in pending:
        with bot.unit(write=False) as session:  # each client opened with its own firm's key
            client = session.get(Client, client_id)
            incident = session.get(Incident, client.incident_id) if client else None
            secret = vault(bot, session, incident.workspace_id) if incident else None
            phone = secret.open(client.contact_encrypted).replace(" ", "").replace("-", "") if client and secret else ""
        try:
            state, code = provider.receipt(phone=phone, provider_id=provider_id, sent_at=accepted_at)
        except sending.Unavailable as exc:
            log.warning("SMS receipts unavailable: %s", exc)
            break
        if state == "delivered":
            with bot.unit() as session:
                attempt = session.get(SendAttempt, attempt_id)
                if attempt is not None:
                    reach.delivered(session, attempt=attempt)
        elif state == "failed":
            found = _fail(bot, message_id=provider_id, reason=code or "failed")
            if found:
                out.append(found)
    return out


def _fail(bot: Breachbot, *, message_id: str, reason: str) -> int | None:
    """Mark one returned notice failed, with its follow-up and the war-room line that says so, queued in the
    same transaction (as its firm: its playbook's senders, its profile's audiences); the incident's id."""
    with bot.unit(write=False) as session:
        attempt = reach.by_message_id(session, message_id)
        incident_id = attempt.incident_id if attempt is not None else None
    if incident_id is None:
        return None
    with tenancy.for_incident(bot, incident_id):
        return _failed(bot, message_id=message_id, reason=reason)


def _failed(bot: Breachbot, *, message_id: str, reason: str) -> int | None:
    now = bot.now()
    with bot.unit() as session:
        attempt = reach.by_message_id(session, message_id)
        if attempt is None:
            return None
        incident = incidents.lock(session, session.get(Incident, attempt.incident_id))
        ws = session.get(Workspace, incident.workspace_id)
        lang = ws.lang if ws else bot.lang
        holders = {a.role: a.user for a in incidents.active_roles(session, incident).values()}
        roles = bot.playbook.drafts["client"].senders or ["client_liaison"]
        owner = next((holders[r] for r in roles if r in holders), incident.declared_by)
        number = reach.failed(session, incident=incident, attempt=attempt, reason=reason, at=now, owner=owner,
                              lang=lang)
        if number is None:
            return None
        reach.audiences(session, incident=incident, book=bot.regimes, firm_profile=bot.firm_profile, now=now,
                        meet=False, lang=lang)
        client = session.get(Client, attempt.client_id)
        said = message(lang, "send.bounced", name=clients.shown_name(client) if client else "?",
                       channel=t(lang, f"send.channel.{attempt.channel}"), reason=reason[:200],
                       task=f"F-{number}", owner=Mention(owner))
        if incident.war_room:
            out = Outbox(about=incident.id)
            out.post(incident, said)
            delivering.enqueue(bot, session, out, now=now)
        assert incident.id is not None
        return incident.id
