"""Client care and reporting up as the other flows use them: the briefing of management (the phase flow, and
/breach brief in bot/flows/support.py) and the progress-update reminders (an alert composer)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.chat import Mention, Message, Text
from bot.flows.base import drill, role_holders
from bot.flows.port import Bot
from bot.incident import care, deadlines, incidents
from bot.outbox import Outbox
from bot.text.i18n import line, message
from bot.text.i18n import text as t
from bot.views import incident as views
from storage.models import Alert, Deadline, Incident, Workspace


def brief_management(bot: Bot, session: Session, ws: Workspace, incident: Incident, out: Outbox, *, actor: str,
                     why: str) -> None:
    """The summary to the executive sponsor and the firm's partners, the war room told: by direct message, or
    by e-mail through the firm's mail server to a partner listed by address (`[firm] partners`)."""
    from bot.flows import mail_out
    from bot.flows.report import summary_message  # the summary flow's own message
    from bot.statements.sending import EMAIL, channel_of

    lang = ws.lang
    holders = role_holders(session, incident)
    people = list(dict.fromkeys([*([holders["executive"]] if "executive" in holders else []),
                                 *bot.firm.partners]))
    addresses = [p for p in people if "@" in p and channel_of(p) == EMAIL]
    unmailed = addresses if not mail_out.configured(bot) and not incident.drill else []
    people = [p for p in people if p not in unmailed]
    if not people:
        out.post(incident, message(lang, "brief.nobody", id=incidents.ref(incident)))
        if unmailed:
            out.post(incident, message(lang, "brief.no_mail", who=", ".join(unmailed)))
        return
    summary = summary_message(bot, session, ws, incident)
    # The phase started it, not whoever ticked a task: a sentence of its own (zh has no spaces around words).
    intro = line(lang, "brief.intro_automatic" if why == "phase" or actor == "breachbot" else "brief.intro",
                 id=incidents.ref(incident), actor=Mention(actor))
    briefing = Message(lines=(intro, *summary.lines), kind="summary")
    for person in people:
        if person in addresses:
            subject = t(lang, "brief.subject", id=incidents.ref(incident),
                        firm=bot.settings.identity(bot.firm).name_in(lang))
            out.email(person, subject=(t(lang, "drill.prefix") if incident.drill else "") + subject,
                      text=briefing.plain_text(), lang=lang)
        else:
            out.direct(person, briefing)
    care.record_briefing(session, incident=incident, people=people, actor=actor, now=bot.now(), why=why)
    mentions: list = []
    for person in people:
        mentions += ([Text("、" if lang == "zh" else ", ")] if mentions else []) + [
            Text(person) if person in addresses else Mention(person)]
    out.post(incident, message(lang, "brief.sent", id=incidents.ref(incident), who=tuple(mentions)))
    if unmailed:
        out.post(incident, message(lang, "brief.no_mail", who=", ".join(unmailed)))


# -- progress-update reminders (an alert composer, see bot/flows/alerts.py) ----------------------------------------
def update_alert(bot: Bot, session: Session, *, incident: Incident, ws: Workspace, deadline: Deadline,
                 alert: Alert, holders: dict[str, str], now: datetime, outbox: Outbox) -> None:
    """Remind the client liaison and communications that a progress update is due; when due, plan the next."""
    lang = ws.lang
    people = [holders[r] for r in ("client_liaison", "comms") if r in holders]
    msg = message(lang, "update.reminder" if alert.kind == deadlines.REMINDER else "update.due",
                  id=incidents.ref(incident), due=views.due_phrase(ws, deadline.due_at, now))
    msg = msg.prefixed(drill(incident, lang))
    for person in dict.fromkeys(people):
        outbox.direct(person, msg)
    if alert.kind != deadlines.REMINDER or not people:
        outbox.post(incident, msg)
    if alert.kind == deadlines.ESCALATION:
        deadlines.meet(session, deadline, at=now)
        care.schedule_update(session, incident=incident, playbook=bot.playbook, after=deadline.due_at, now=now)


def enquiry_alert(bot: Bot, session: Session, *, incident: Incident, ws: Workspace, deadline: Deadline,
                  alert: Alert, holders: dict[str, str], now: datetime, outbox: Outbox) -> None:
    """A press enquiry still unanswered when its time is up: the war room, communications and the lead hear of it."""
    from bot.incident import media

    lang = ws.lang
    entry = next((e for e in media.unanswered(incident) if f"M-{e['n']}" == deadline.ref), None)
    if entry is None:
        return
    msg = message(lang, "media.unanswered_alert", id=incidents.ref(incident), n=entry["n"], outlet=entry["outlet"],
                  question=entry["question"], since=views.when(ws, datetime.fromisoformat(entry["at"]), now),
                  command=t(lang, "media.answer_command", n=entry["n"])).prefixed(drill(incident, lang))
    outbox.post(incident, msg)
    for role in ("comms", "lead"):
        if role in holders:
            outbox.direct(holders[role], msg)
