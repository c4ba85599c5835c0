"""Commands of client care and reporting up: /breach offer, /breach clients compensate | feedback, /breach brief.

Declared in their own module, imported after the other flows so help lists them after the commands people
need first; what they share with the alerts and the phase flow is in bot/flows/care.py."""

from __future__ import annotations

from sqlmodel import Session

from bot.chat import Context, Line, Mention, Message, Text, Upload
from bot.commands import Brief, ClientsCompensate, ClientsFeedback, Offer
from bot.errors import UserError
from bot.flows.base import acknowledge, here, resolve
from bot.flows.care import brief_management
from bot.flows.changes import default_currency
from bot.flows.grammar.tokens import Args, leading_incident
from bot.flows.port import Bot
from bot.incident import care, changes, incidents
from bot.outbox import FILE_PLACE, Outbox
from bot.registry import command
from bot.statements import clients
from bot.text.i18n import line, message
from bot.text.i18n import text as t
from storage.models import Incident, Workspace


def parse_offer(lang: str, name: str, tail: str) -> Offer:
    """`/breach offer monitoring 12 months of credit monitoring, free` (or `/breach offer` for the list)."""
    number, body = leading_incident(tail)
    words = body.split(None, 1)
    if not words:
        return Offer(incident=number)
    if len(words) < 2:
        Args(lang, name, []).fail("offer.how")
    return Offer(kind=words[0], text=words[1].strip(), incident=number)


def parse_brief(lang: str, name: str, tail: str) -> Brief:
    number, body = leading_incident(tail)
    if body.strip():
        Args(lang, name, []).fail("error.extra_words", words=body.strip())
    return Brief(incident=number)


@command(Offer, "offer", parse=parse_offer, zh=("补救",), group="tell")
def offer(bot: Bot, session: Session, ws: Workspace, context: Context, cmd: Offer, out: Outbox) -> None:
    """Record what the firm offers the people affected; client letters and updates drafted after it say so."""
    lang = ws.lang
    incident = resolve(session, ws, context, cmd.incident, lock=bool(cmd.text))
    if cmd.text:
        n = care.add_offer(session, incident=incident, kind=cmd.kind, text=cmd.text, actor=context.user,
                           now=bot.now(), lang=lang)
        out.post(incident, message(lang, "offer.recorded", actor=Mention(context.user), n=n,
                                   id=incidents.ref(incident), what=t(lang, f"offer.kinds.{cmd.kind}"),
                                   text=cmd.text.strip()))
        acknowledge(out, context, incident, lang)
        out.refresh.add(incident.id)
        return
    entries = care.offers(incident)
    if not entries:
        out.reply(message(lang, "offer.none", id=incidents.ref(incident)), public=here(context, incident))
        return
    lines: list[Line] = [line(lang, "offer.header", id=incidents.ref(incident))]
    lines += [(Text(f"  O-{e['n']} {t(lang, 'offer.kinds.' + e['kind'])}: {e['text']}"),) for e in entries]
    out.reply(Message(lines=tuple(lines)), public=here(context, incident))


def _client(session: Session, incident: Incident, who: str, lang: str) -> clients.Client:
    everyone = clients.register(session, incident)
    if not everyone:
        raise UserError(t(lang, "clients.none"))
    found = clients.find(everyone, who, lang)
    if found is None:
        raise UserError(t(lang, "clients.unknown", name=who, count=len(everyone)))
    return found


@command(ClientsCompensate, "clients compensate")
def clients_compensate(bot: Bot, session: Session, ws: Workspace, context: Context, cmd: ClientsCompensate,
                       out: Outbox) -> None:
    """Compensation for one client (after close too: payments come late)."""
    lang = ws.lang
    incident = resolve(session, ws, context, cmd.incident)
    client = _client(session, incident, cmd.who, lang)
    amount = changes.parse_amount(cmd.amount, default_currency=default_currency(lang), lang=lang)
    care.compensate(session, incident=incident, client=client, shown=clients.shown_name(client), amount=amount,
                    note=cmd.note, actor=context.user, now=bot.now(), lang=lang)
    total = " + ".join(a.show() for a in care.compensation_totals(incident).values())
    out.post(incident, message(lang, "clients.compensated", actor=Mention(context.user), id=incidents.ref(incident),
                               client=clients.shown_name(client), amount=amount.show(), total=total))
    acknowledge(out, context, incident, lang)
    out.refresh.add(incident.id)


@command(ClientsFeedback, "clients feedback")
def clients_feedback(bot: Bot, session: Session, ws: Workspace, context: Context, cmd: ClientsFeedback,
                     out: Outbox) -> None:
    """A client's satisfaction score and comment (mostly after close, from the survey)."""
    lang = ws.lang
    incident = resolve(session, ws, context, cmd.incident)
    client = _client(session, incident, cmd.who, lang)
    entry = care.record_feedback(session, incident=incident, client=client, shown=clients.shown_name(client),
                                 score=cmd.score, comment=cmd.comment,
                                 actor=context.user, now=bot.now(), lang=lang)
    out.post(incident, message(lang, "clients.feedback_recorded", actor=Mention(context.user),
                               id=incidents.ref(incident), client=clients.shown_name(client), score=entry["score"],
                               average=care.average_score(incident), count=len(care.feedback(incident))))
    acknowledge(out, context, incident, lang)
    out.refresh.add(incident.id)


@command(Brief, "brief", parse=parse_brief, zh=("汇报",), group="start")
def brief(bot: Bot, session: Session, ws: Workspace, context: Context, cmd: Brief, out: Outbox) -> None:
    """Send the summary to the executive sponsor and the partners now."""
    incident = resolve(session, ws, context, cmd.incident)
    brief_management(bot, session, ws, incident, out, actor=context.user, why="asked")
    acknowledge(out, context, incident, ws.lang)


def mailing(bot: Bot, session: Session, ws: Workspace, context: Context, incident: Incident, numbers: tuple[int, ...],
            out: Outbox) -> None:
    """Approved progress updates or surveys merged once per client already told, in the client's language
    (one approved draft per language); a zip in the war room, like the first letters."""
    from bot.flows import page
    from bot.flows.base import role_holders
    from bot.incident import timeline
    from bot.statements import drafts
    from bot.statements import gaps as draft_gaps
    from bot.statements import letters as letter_merge
    from bot.text.i18n import drill_suffix

    lang, now = ws.lang, bot.now()
    chosen: dict[str, tuple] = {}
    for number in numbers:
        draft = drafts.by_number(session, incident=incident, number=number, lang=lang)
        version = drafts.current(session, draft)
        if version.status != "approved":
            holders = role_holders(session, incident)
            who = ", ".join(f"{bot.playbook.roles[r](lang)} @{holders[r]}" if r in holders else bot.playbook.roles[r](lang)
                            for r in bot.playbook.drafts[draft.kind].approvers)
            raise UserError(t(lang, "letters.not_approved", id=f"D-{number} v{version.version}", who=who, n=number))
        if gaps := draft_gaps.find_gaps(version.text):
            raise UserError(draft_gaps.refusal("letters.gaps", gaps, playbook=bot.playbook, draft_id=f"D-{number}",
                                               version=version.version, lang=lang,
                                               redraft=drafts.redraft_command(draft, lang)))
        chosen[draft.lang] = (draft, version)
    told = [c for c in clients.register(session, incident) if c.notified_at is not None]
    if not told:
        raise UserError(t(lang, "mailing.nobody_told", id=incidents.ref(incident)))
    merged, manifest, left = [], [], 0
    for index, client in enumerate(told, start=1):
        if client.lang not in chosen:
            left += 1
            continue
        draft, version = chosen[client.lang]
        survey = page.survey_url(bot.settings, session, incident=incident, client=client, now=now) \
            if draft.kind == "survey" else ""
        body = letter_merge.fill(version.text, name=client.name, data=None, regulators="", survey=survey)
        filename = clients.safe_filename(index, client.name)
        merged.append((client, filename, body))
        manifest.append(letter_merge.manifest_row(client, filename=filename, draft=draft, version=version, lang=lang,
                                                  tz=ws.timezone, letter=False))
    if not merged:
        raise UserError(t(lang, "mailing.no_language", langs=", ".join(sorted({c.lang for c in told}))))
    if not incident.war_room:
        raise UserError(t(lang, "report.no_war_room", id=incidents.ref(incident)))
    kind = next(iter(chosen.values()))[0].kind
    timeline.append(session, incident=incident, actor=context.user, kind="mailing_merged", now=now,
                    text=f"{len(merged)} {kind}", data={"kind": kind, "count": len(merged),
                                                        "drafts": [d.number for d, _ in chosen.values()]})
    name = f"{incidents.ref(incident)}-{kind}{drill_suffix(incident.drill)}.zip"
    archive = clients.letters_zip(letters=merged, manifest_rows=manifest)
    out.upload(incident, Upload(filename=name, content=archive, title=name),  # shared after the commit
               message(lang, "mailing.done", count=len(merged), where=FILE_PLACE, left=left))
