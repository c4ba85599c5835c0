"""`/breach correct`: a recorded time or a notice's reference was wrong; the correction and the original
both stay in the timeline, and everything that reads times (key times, the report, the clocks) follows."""

from __future__ import annotations

import re

from sqlmodel import Session

from bot.chat import Context, Mention
from bot.commands import Correct
from bot.errors import UserError
from bot.flows.base import acknowledge, drill, moment_done, resolve
from bot.flows.grammar.tokens import Args, tokenize
from bot.flows.port import Bot
from bot.incident import corrections, incidents
from bot.law import clocks
from bot.outbox import Outbox
from bot.registry import command
from bot.text.i18n import catalogue, message
from bot.text.i18n import text as t
from bot.views import incident as views
from storage.models import Workspace

_EVENT = re.compile(r"^#?(\d{1,7})$")


def parse(lang: str, name: str, tail: str) -> Correct:
    """`correct <#n | clock id | regime key> [--at <when>] [--ref <reference>] --reason <why>`."""
    args = Args(lang, name, tokenize(tail), values=("at", "ref", "reason"), texts=("reason", "ref"),
                whens=("at",), source=tail)
    number = args.incident()
    if len(args.positional) != 1 or not args.flags.get("reason", "").strip():
        args.fail("correct.how")
    if "at" not in args.flags and "ref" not in args.flags:
        args.fail("correct.how")
    return Correct(target=args.positional[0].word, at=args.flags.get("at"), reference=args.flags.get("ref"),
                   reason=args.flags["reason"], incident=number)


@command(Correct, "correct", parse=parse, zh=("更正",), group="record", may=("lead", "legal", "scribe"))
def correct(bot: Bot, session: Session, ws: Workspace, context: Context, cmd: Correct, out: Outbox) -> None:
    """Correct when something happened (event #n, or a clock's notice), with the reason."""
    lang, now = ws.lang, bot.now()
    incident = resolve(session, ws, context, cmd.incident)
    if match := _EVENT.match(cmd.target):
        seq = int(match[1])
    else:
        current = clocks.rows(session, incident=incident, book=bot.regimes, firm_profile=bot.firm_profile, now=now)
        found = [r for r in clocks.find_clock(bot.regimes, current, cmd.target) if r.status == "met"]
        if len(found) != 1:
            met = sorted(r.result.clock_id for r in current if r.status == "met")
            raise UserError(t(lang, "correct.which_notice", value=cmd.target, choices=("、" if lang == "zh" else ", ").join(met) or "—"))
        notice = corrections.last_notice(session, incident, found[0].result.clock_id)
        if notice is None:
            raise UserError(t(lang, "correct.which_notice", value=cmd.target, choices="—"))
        seq = notice.seq
    at = moment_done(cmd.at, now=now, ws=ws, incident=incident) if cmd.at else None
    done = corrections.correct(session, incident=incident, seq=seq, at=at, reference=cmd.reference,
                               reason=cmd.reason, actor=context.user, now=now, lang=lang)
    kind = catalogue(lang).get(f"report.event.{done.target.kind}", done.target.kind)
    out.post(incident, message(lang, "correct.done", actor=Mention(context.user), seq=seq, event=kind,
                               before=views.when(ws, done.before, now), after=views.when(ws, done.after, now),
                               reason=cmd.reason.strip(), by=done.event.seq, id=incidents.ref(incident))
             .prefixed(drill(incident, lang)))
    acknowledge(out, context, incident, lang)
    out.refresh.add(incident.id)
