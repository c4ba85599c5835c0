"""E-mail from the delivery outbox: the management briefing to a partner listed by address.

An `email` row is written in the transaction that decided it, like a direct message, and sent after the
commit through the firm's own mail server (a fresh SMTP connection per row, so it never shares one with
a running `/breach send`). A refusal is permanent (the outbox sets the row aside and tells the war room);
no answer from the server is temporary and retried with backoff. A drill's e-mail reaches no server.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.chat import DeliveryError
from bot.flows.port import Bot
from bot.statements import sending, transports
from storage.models import Incident, OutboundMessage

log = logging.getLogger("breachbot.mail")


def configured(bot: Bot) -> bool:
    """Whether the firm's mail server is set up (host and sender)."""
    return bool(bot.settings.smtp_host and bot.settings.mail_from)


def deliver(bot: Bot, row: OutboundMessage) -> None:
    """Send one `email` row; raises DeliveryError saying whether it may work later."""
    incident = None
    if row.incident_id is not None:
        with bot.unit(write=False) as session:
            incident = session.get(Incident, row.incident_id)
    drill = bool(incident and incident.drill)
    channels = transports.drill() if drill else transports.build(bot.settings, now=bot.now)
    transport = channels.get(sending.EMAIL)
    if transport is None:
        raise DeliveryError("email_not_configured", permanent=True, subject="user")
    domain = (bot.settings.mail_from or "breachbot.invalid").rsplit("@", 1)[-1].strip(" >") or "breachbot.invalid"
    payload: dict[str, Any] = row.payload
    notice = sending.Notice(key=f"mail.{row.id}", channel=sending.EMAIL, to=row.target, lang=payload.get("lang", "en"),
                            subject=payload["subject"], text=payload["text"],
                            message_id=sending.message_id(f"mail.{row.id}", domain=domain))
    try:
        transport.send(notice)
    except sending.Refused as exc:
        raise DeliveryError("email_refused", permanent=True, subject="user", detail=str(exc)[:200]) from None
    except sending.Unavailable as exc:
        raise DeliveryError("email_unavailable", permanent=False, detail=str(exc)[:200]) from None
    except sending.Uncertain as exc:  # handed over, no answer: may have arrived, so never sent twice
        log.warning("e-mail %s to %s: %s", row.id, row.target, exc)
    finally:
        close = getattr(transport, "close", None)
        if close:
            close()
