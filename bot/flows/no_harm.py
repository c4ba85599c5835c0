"""`/breach noharm`: a recorded decision that a breach will likely cause no harm, under one law's exception.

The decision names the law, gives the reasons and who decided; it closes that law's notices the exception
covers and opens the filing the law asks for instead (Florida: the written determination to the
Department within 30 days; New York: to the AG within 10 days when more than 500 residents; GDPR
Art. 33: none, the record under Art. 33(5) is the decision itself). It stays in the timeline and the report.
`/breach noharm withdraw <law>` takes it back, with reasons: the notices it closed apply again (counted from
their own start, as if it had never been made), the filing it opened drops unless already sent, and the
timeline keeps both the decision and its withdrawal.
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


WITHDRAW = ("withdraw", "revoke", "undo", "撤回", "撤销")


def parse(lang: str, name: str, tail: str) -> NoHarm:
    """`noharm <regime> --reason <why>`, or `noharm withdraw <regime> --reason <why>`."""
    args = Args(lang, name, tokenize(tail), values=("reason",), texts=("reason",), source=tail)
    number = args.incident()
    words = [p.word for p in args.positional]
    withdraw = bool(words) and words[0].lower() in WITHDRAW
    if len(words) != 1 + withdraw or not args.flags.get("reason", "").strip():
        args.fail("no_harm.how_withdraw" if withdraw else "no_harm.how")
    return NoHarm(regime=words[-1], reason=args.flags["reason"], incident=number, withdraw=withdraw)


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
        raise UserError(t(lang, "no_harm.which", value=cmd.regime, choices=("、" if lang == "zh" else ", ").join(
            clocks.shown_regime(bot.regimes, k, lang) for k in keys)))
    key, why = keys[0], " ".join(cmd.reason.split())
    if len(why) > REASON_MAX:
        raise UserError(t(lang, "error.text_long", what="--reason", max=REASON_MAX, length=len(why)))
    decisions = dict(incident.facts.get("no_harm") or {})
    if cmd.withdraw:
        _withdraw(bot, session, ws, context, incident, key, why, decisions, out)
        return
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


def _withdraw(bot: Bot, session: Session, ws: Workspace, context: Context, incident: incidents.Incident, key: str,
              why: str, decisions: dict, out: Outbox) -> None:
    """Take a recorded decision back: the notices it closed apply again, the timeline keeps both."""
    lang, now = ws.lang, bot.now()
    if key not in decisions:
        sep = "、" if lang == "zh" else ", "
        recorded = sep.join(clocks.shown_regime(bot.regimes, k, lang) for k in decisions) or t(lang, "config.none")
        raise UserError(t(lang, "no_harm.not_recorded", regime=clocks.shown_regime(bot.regimes, key, lang),
                          recorded=recorded))
    before = decisions.pop(key)
    incident.facts = {**incident.facts, "no_harm": decisions}
    session.add(incident)
    timeline.append(session, incident=incident, actor=context.user, kind="no_harm_withdrawn", now=now,
                    text=f"{key}: {why}", data={"regime": key, "reason": why, "by": context.user,
                                                "decided_by": before["by"], "decided_reason": before["reason"],
                                                "decided_at": before["at"]})
    out.post(incident, message(lang, "no_harm.withdrawn", actor=Mention(context.user),
                               title=bot.regimes.regimes[key].title(lang), by=before["by"], before=before["reason"],
                               reason=why).prefixed(drill(incident, lang)))
    resync(bot, session, ws, incident, out)  # the notices it closed come back, the filing it opened drops
    acknowledge(out, context, incident, lang)
    out.refresh.add(incident.id)
