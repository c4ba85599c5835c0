"""Flows for incident facts that change after declare: severity, the internal title, the public
description statements use, and the costs of the response. Each command's parser sits beside its flow."""

from __future__ import annotations

from sqlmodel import Session

from bot.chat import Context, Line, Mention, Message, Strong, Text
from bot.commands import Cost, Public, Rename, Severity
from bot.flows import law
from bot.flows.base import acknowledge, here, resolve
from bot.flows.grammar.tokens import Args, leading_incident, tokenize
from bot.flows.port import Bot
from bot.incident import changes, incidents, wording
from bot.outbox import Outbox
from bot.registry import command
from bot.text.i18n import line, message
from bot.text.i18n import text as t
from storage.models import Workspace

EDITORS = ("lead", "it_security", "executive")  # who may change what the incident is


# -- parsers ----------------------------------------------------------------------------------------
def parse_severity(lang: str, name: str, tail: str) -> Severity:
    """`/breach severity critical --reason "payroll of 3 clients confirmed"`."""
    args = Args(lang, name, tokenize(tail), values=("reason",), texts=("reason",), source=tail)
    number = args.incident()
    if len(args.positional) != 1 or not args.flags.get("reason", "").strip():
        args.fail("severity.how")
    return Severity(severity=args.positional[0].word.lower(), reason=args.flags["reason"], incident=number)


def parse_text(kind: type) -> object:
    """A leading BR-n, then free text as typed (a title, a public description)."""

    def parse_it(lang: str, name: str, tail: str) -> Rename | Public:
        number, body = leading_incident(tail)
        if not body.strip():
            Args(lang, name, []).fail(f"{name}.how")
        return kind(body.strip(), incident=number)  # type: ignore[operator]

    return parse_it


def parse_cost(lang: str, name: str, tail: str) -> Cost:
    """`/breach cost ¥12,000 forensics outside examiner` (or `/breach cost` for the list)."""
    number, body = leading_incident(tail)
    words = body.split(None, 2)
    if not words:
        return Cost(incident=number)
    if len(words) < 2:
        Args(lang, name, []).fail("cost.how")
    return Cost(amount=words[0], category=words[1], note=words[2] if len(words) > 2 else "", incident=number)


# -- flows ------------------------------------------------------------------------------------------
@command(Severity, "severity", parse=parse_severity, zh=("严重程度",), group="record", may=EDITORS)
def severity(bot: Bot, session: Session, ws: Workspace, context: Context, cmd: Severity, out: Outbox) -> None:
    """Change the severity; the war room and the status say so."""
    lang = ws.lang
    incident = resolve(session, ws, context, cmd.incident)
    before = changes.set_severity(session, incident=incident, playbook=bot.playbook, severity=cmd.severity,
                                  reason=cmd.reason, actor=context.user, now=bot.now(), lang=lang)
    out.post(incident, message(lang, "severity.changed", actor=Mention(context.user),
                                        id=incidents.ref(incident), before=wording.severity(lang, before),
                                        after=Strong(wording.severity(lang, incident.severity)), reason=cmd.reason))
    acknowledge(out, context, incident, lang)
    out.refresh.add(incident.id)


@command(Rename, "rename", parse=parse_text(Rename), zh=("改名", "重命名"), group="record", may=EDITORS)
def rename(bot: Bot, session: Session, ws: Workspace, context: Context, cmd: Rename, out: Outbox) -> None:
    """A new internal title."""
    lang = ws.lang
    incident = resolve(session, ws, context, cmd.incident)
    before = changes.rename(session, incident=incident, title=cmd.title, actor=context.user, now=bot.now(),
                            lang=lang)
    out.post(incident, message(lang, "rename.done", actor=Mention(context.user),
                                        id=incidents.ref(incident), before=before, after=incident.title))
    acknowledge(out, context, incident, lang)
    out.refresh.add(incident.id)


@command(Public, "public", parse=parse_text(Public), zh=("对外说明",), group="tell")
def public(bot: Bot, session: Session, ws: Workspace, context: Context, cmd: Public, out: Outbox) -> None:
    """The description statements use; drafts made before it say so as a gap until redrafted."""
    lang = ws.lang
    incident = resolve(session, ws, context, cmd.incident)
    changes.set_public(session, incident=incident, text=cmd.text, actor=context.user, now=bot.now(), lang=lang)
    out.post(incident, message(lang, "public.done", actor=Mention(context.user),
                                        id=incidents.ref(incident), text=cmd.text.strip()))
    law.after_close_note(ws, incident, out)
    acknowledge(out, context, incident, lang)


@command(Cost, "cost", parse=parse_cost, zh=("费用",), group="record")
def cost(bot: Bot, session: Session, ws: Workspace, context: Context, cmd: Cost, out: Outbox) -> None:
    """Record a cost (allowed after close: invoices come late), or list them with the totals."""
    lang = ws.lang
    incident = resolve(session, ws, context, cmd.incident, lock=bool(cmd.amount))
    if cmd.amount:
        amount = changes.parse_amount(cmd.amount, default_currency=default_currency(lang), lang=lang)
        n = changes.add_cost(session, incident=incident, amount=amount, category=cmd.category, note=cmd.note,
                             actor=context.user, now=bot.now(), lang=lang)
        out.post(incident, message(lang, "cost.recorded", actor=Mention(context.user), n=n,
                                            id=incidents.ref(incident), amount=amount.show(),
                                            category=t(lang, f"names.cost.{cmd.category}"),
                                            total=total_text(incident)))
        acknowledge(out, context, incident, lang)
        out.refresh.add(incident.id)
        return
    out.reply(cost_list(incident, lang), public=here(context, incident))


def default_currency(lang: str) -> str:
    """The currency assumed when none is typed."""
    return "CNY" if lang == "zh" else "USD"


def total_text(incident: incidents.Incident) -> str:
    """`¥12,000 + $500` (currencies are never added together)."""
    return " + ".join(a.show() for a in changes.totals(incident).values()) or "0"



def cost_list(incident: incidents.Incident, lang: str) -> Message:
    """Every cost, then the totals per category."""
    entries = changes.costs(incident)
    if not entries:
        return message(lang, "cost.none", id=incidents.ref(incident))
    lines: list[Line] = [line(lang, "cost.header", id=incidents.ref(incident), total=total_text(incident))]
    for e in entries:
        amount = changes.Amount(changes.Decimal(e["amount"]), e["currency"]).show()
        lines.append((Text(f"  C-{e['n']} {amount} · {t(lang, 'names.cost.' + e['category'])}"
                           + (f" · {e['note']}" if e["note"] else "") + " · "), Mention(e["by"])))
    lines.append(line(lang, "cost.by_category"))
    for (category, _), amount in changes.by_category(incident).items():
        lines.append((Text(f"  {t(lang, 'names.cost.' + category)}: {amount.show()}"),))
    return Message(lines=tuple(lines))
