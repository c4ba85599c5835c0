"""`/breach noharm`: a recorded decision that a breach will likely cause no harm, under one law's exception.

The decision names the law, gives the reasons and who decided; it closes that law's notices the exception
covers and opens the filing the law asks for instead (Florida: the written determination to the
Department within 30 days; New York: to the AG within 10 days when more than 500 residents; GDPR
Art. 33: none, the record under Art. 33(5) is the decision itself). It stays in the timeline and the report.
"""

from __future__ import annotations

from sqlmodel import Session

from bot.chat import Context, Mention
from bot.commands import NoHarm
from bot.errors import UserError
from bot.flows.base import acknowledge, drill, resolve
from bot.flows.grammar.tokens import Args, tokenize
from bot.flows.law import resync
from bot.flows.port import Bot
from bot.incident import incidents, timeline
from bot.law import clocks
from bot.law.regimes import decidable
from bot.outbox import Outbox
from bot.registry import command
from bot.text.i18n import message
from bot.text.i18n import text as t
from storage.models import Workspace

REASON_MAX = 2000


def parse(lang: str, name: str, tail: str) -> NoHarm:
    """`noharm <regime> --reason <why>`."""
    args = Args(lang, name, tokenize(tail), values=("reason",), texts=("reason",), source=tail)
    number = args.incident()
    if len(args.positional) != 1 or not args.flags.get("reason", "").strip():
        args.fail("no_harm.how")
    return NoHarm(regime=args.positional[0].word, reason=args.flags["reason"], incident=number)


def _choices(bot: Bot, lang: str) -> str:
    sep = "、" if lang == "zh" else ", "
    return sep.join(clocks.shown_regime(bot.regimes, key, lang) for key in decidable(bot.regimes))


@command(NoHarm, "noharm", parse=parse, zh=("无害认定", "无害"), aliases=("no-harm",), group="law",
         may=("legal", "lead"))
def no_harm(bot: Bot, session: Session, ws: Workspace, context: Context, cmd: NoHarm, out: Outbox) -> None:
    """Record that the breach will likely cause no harm under one law's exception, with reasons and who decided."""
    lang, now = ws.lang, bot.now()
    incident = resolve(session, ws, context, cmd.incident)
    incidents.require_open(incident, lang)
    allowed = decidable(bot.regimes)
    keys = [key for key in clocks.regime_keys(bot.regimes, cmd.regime) if key in allowed]
    if not keys:
        raise UserError(t(lang, "no_harm.unknown", value=cmd.regime, choices=_choices(bot, lang)))
    if len(keys) > 1:
        raise UserError(t(lang, "no_harm.which", value=cmd.regime, choices=("、" if lang == "zh" else ", ").join(keys)))
    key, why = keys[0], " ".join(cmd.reason.split())
    if len(why) > REASON_MAX:
        raise UserError(t(lang, "error.text_long", what="--reason", max=REASON_MAX, length=len(why)))
    decisions = dict(incident.facts.get("no_harm") or {})
    if key in decisions:
        raise UserError(t(lang, "no_harm.already", regime=clocks.shown_regime(bot.regimes, key, lang),
                          by=decisions[key]["by"], reason=decisions[key]["reason"]))
    decisions[key] = {"at": now.isoformat(), "by": context.user, "reason": why}
    incident.facts = {**incident.facts, "no_harm": decisions}
    session.add(incident)
    timeline.append(session, incident=incident, actor=context.user, kind="no_harm", now=now, text=f"{key}: {why}",
                    data={"regime": key, "reason": why, "by": context.user})
    regime = bot.regimes.regimes[key]
    out.post(incident, message(lang, "no_harm.recorded", actor=Mention(context.user), title=regime.title(lang),
                               exception=regime.no_harm(lang) if regime.no_harm else "", reason=why)
             .prefixed(drill(incident, lang)))
    resync(bot, session, ws, incident, out)  # closes the notices the exception covers, opens the filing
    acknowledge(out, context, incident, lang)
    out.refresh.add(incident.id)
