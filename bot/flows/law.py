"""Flows for the legal clocks: facts by command, people by residence, the clocks, notices sent."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from bot.chat import Context, Mention, Message
from bot.commands import Affected, Clocks, Facts, Notified
from bot.errors import UserError
from bot.flows.base import acknowledge, drill, here, moment_done, resolve
from bot.flows.grammar import parsers as p
from bot.flows.grammar.tokens import flag_names
from bot.flows.port import Bot
from bot.incident import incidents, names, questions, wording
from bot.incident.answers import NO, YES, parse_residences
from bot.incident.playbook import Playbook
from bot.law import clocks
from bot.outbox import Outbox
from bot.registry import command
from bot.statements.gaps import measure_labels, measure_tasks
from bot.text.facts import CAC_LEVELS, DATA_CATEGORIES
from bot.text.i18n import message
from bot.text.i18n import text as t
from bot.text.times import format_number, format_time, parse_when
from bot.views import incident as views
from storage.models import Deadline, Incident, Participant, Workspace

# /breach facts flags → (fact, kind)
FACT_FLAGS = {
    "data": ("data", "categories"),
    "encrypted": ("encrypted", "yes_no"),
    "key_safe": ("key_safe", "yes_no"),
    "crime": ("crime_suspected", "yes_no"),
    "ransom": ("ransom_paid", "yes_no"),
    "contained": ("contained", "yes_no"),
    "press": ("press_aware", "yes_no"),
    "on_behalf": ("on_behalf", "yes_no"),
    "determined": ("determined_at", "when"),
    "assessed": ("assessed_at", "when"),
    "handled": ("handling_ended_at", "when"),
    "paid": ("ransom_paid_at", "when"),  # NYDFS counts its extortion notices from the payment
    "cac_level": ("cac_level", "cac_level"),
    "from": ("exposure_from", "when"),  # the exposure window: when the leak began …
    "to": ("exposure_to", "when"),  # … and ended
    "systems": ("systems", "text"),
    "measures": ("measures", "measures"),  # what statements may say was done (a ticked task alone never is)
}


AFTER_AWARE = ("determined", "assessed", "handled", "paid")  # steps of the response: never before the firm knew


def read_fact(flag: str, raw: str, *, now: datetime, tz: str, lang: str,
              aware: datetime | None = None, measures: dict[str, str] | None = None,
              measure_choices: str = "-", measure_shown: dict[str, str] | None = None) -> tuple[str, Any]:
    """One `--flag value` of /breach facts as (fact, value); UserError says what is valid (`measures`: each way
    of naming a measure the playbook words → its task key; `measure_shown`: task key → how the list shows it)."""
    measure_shown = measure_shown or {}
    fact, kind = FACT_FLAGS[flag]
    value = raw.strip()
    if kind == "measures":
        typed = [w.strip() for w in re.split(r"[,，、;；]+", value) if w.strip()]
        known = measures or {}
        found = {w: names.matching(w, known) for w in typed}
        unknown = [w for w, keys in found.items() if len(keys) != 1]
        if unknown or not typed:
            said = t(lang, "facts.measures", value=("、" if lang == "zh" else ", ").join(unknown) or "-",
                     choices=measure_choices)
            meant = [k for w in unknown for k in found[w] or names.near(w, known)]
            if meant:
                said += t(lang, "names.did_you_mean", suggestion=(" / ".join(dict.fromkeys(
                    measure_shown.get(k, k) for k in meant))))
            raise UserError(said)
        return fact, list(dict.fromkeys(found[w][0] for w in typed))
    if kind == "yes_no":
        if value.lower() in YES:
            return fact, True
        if value.lower() in NO:
            return fact, False
        raise UserError(t(lang, "facts.yes_no", flag=flag_names(lang, flag), value=value))
    if kind == "categories":
        cats = [c.strip().lower() for c in value.replace("，", ",").split(",") if c.strip()]
        unknown = [c for c in cats if c not in DATA_CATEGORIES]
        if unknown or not cats:
            raise UserError(t(lang, "error.data", value=", ".join(unknown) or "-", choices=", ".join(DATA_CATEGORIES)))
        return fact, list(dict.fromkeys(cats))
    if kind == "text":
        return fact, " ".join(value.split())
    if kind == "cac_level":
        if value not in CAC_LEVELS:
            raise UserError(t(lang, "facts.cac_level", value=value, choices=", ".join(CAC_LEVELS)))
        return fact, value
    try:
        when = parse_when(value, now=now, tz=tz)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    if when > now:  # facts record what has happened: the leak's start and end too, never the firm's awareness
        raise UserError(t(lang, "correct.future", what=flag_names(lang, flag),
                          at=format_time(when, tz, now=now, lang=lang)))
    if aware is not None and flag in AFTER_AWARE and when < aware:
        raise UserError(t(lang, "correct.before_aware", what=flag_names(lang, flag), at=format_time(when, tz, now=now, lang=lang),
                          aware=format_time(aware, tz, now=now, lang=lang)))
    return fact, when.isoformat()


def measure_names(playbook: Playbook) -> dict[str, str]:
    """Every way to name a measure the playbook words (its key, `4.1`, the task or the measure in either
    language), folded, → the task's key."""
    found: dict[str, str] = {}
    for number, phase in enumerate(playbook.phases, start=1):
        for i, task in enumerate(phase.tasks, start=1):
            if task.measure is not None:
                for typed in (task.key, f"{number}.{i}", task.text.en, task.text.zh, task.measure.en, task.measure.zh):
                    found.setdefault(names.fold(typed), task.key)
    return found


def measure_texts(playbook: Playbook, keys: list[str], lang: str) -> list[str]:
    """The measure tasks recorded, as the list shows them: only tasks that are measures (a task key may recur in
    another phase: `monitoring` is also the media desk's 'Monitor the press')."""
    return [task.text(lang) for phase in playbook.phases for task in phase.tasks
            if task.measure is not None and task.key in keys]


def resync(bot: Bot, session: Session, ws: Workspace, incident: Incident, out: Outbox) -> list[clocks.ClockChange]:
    """Recompute the legal clocks after a fact changed, and say in the war room what moved; returns what did."""
    changes = clocks.sync(session, incident=incident, book=bot.regimes, firm_profile=bot.firm_profile,
                          now=bot.now())
    for change in changes:
        out.post(incident, views.clock_change(bot.regimes, ws=ws, change=change, now=bot.now(),
                                                       drill=incident.drill))
    return changes


def announce(bot: Bot, ws: Workspace, incident: incidents.Incident, change: questions.FactChange,
             out: Outbox) -> None:
    """Say in the war room what a fact change moved."""
    if change.phases_moved:
        out.post(incident, message(ws.lang, "question.phases_moved",
                                            aware=format_time(incident.aware_at, ws.timezone, now=bot.now(),
                                                              lang=ws.lang)))


def apply(bot: Bot, session: Session, ws: Workspace, context: Context, incident: Incident,
          changes: dict[str, Any], out: Outbox, via: str) -> None:
    """Set facts, move what depends on them, and tell the war room (a closed incident's too, but a drill's: the
    notices still owed after close are drafted from them)."""
    change = questions.set_facts(session, incident=incident, playbook=bot.playbook, changes=changes,
                                 actor=context.user, now=bot.now(), lang=ws.lang, via=via, after_close=True)
    announce(bot, ws, incident, change, out)
    resync(bot, session, ws, incident, out)
    out.refresh.add(incident.id)


def recorded_facts(bot: Bot, ws: Workspace, incident: Incident, now: datetime) -> Message:
    """The facts recorded for an incident, in words, each once; or that none is recorded yet."""
    lang = ws.lang
    shown = {key: value for key, value in incident.facts.items() if value not in (None, [], {}, "")}
    if "measures" in shown:
        shown["measures"] = measure_texts(bot.playbook, shown["measures"], lang)
    said = [wording.fact(key, value, lang, when=lambda at: views.when(ws, at, now)) for key, value in shown.items()]
    cause = incident.cause or incident.facts.get("cause")
    if cause in bot.playbook.causes:
        said.insert(0, t(lang, "facts.cause", cause=bot.playbook.causes[cause](lang)))
    words = t(lang, "regime_reason.join.clauses").join(s for s in said if s)
    if not words:
        return message(lang, "facts.none", id=incidents.ref(incident))
    return message(lang, "facts.shown", id=incidents.ref(incident), facts=words)


def _still_owed(incident: Incident, lang: str) -> None:
    """Facts are recorded after close too (the notices still owed are drafted from them), but not a drill's."""
    if incident.drill:
        incidents.require_open(incident, lang)


def after_close_note(ws: Workspace, incident: Incident, out: Outbox) -> None:
    """Say that a fact given to a closed incident is recorded after the close."""
    if incident.status != incidents.OPEN:
        out.post(incident, message(ws.lang, "facts.after_close", id=incidents.ref(incident)))


@command(Facts, "facts", parse=p.facts, zh=("事实",), group="law")
def facts(bot: Bot, session: Session, ws: Workspace, context: Context, cmd: Facts, out: Outbox) -> None:
    lang, now = ws.lang, bot.now()
    # Alone it only reads: outside a war room after the close, the last closed incident's facts (as status).
    incident = resolve(session, ws, context, cmd.incident, last_closed=not cmd.changes)
    if not cmd.changes:  # `/breach facts` alone: what is recorded so far, and how to add to it
        out.reply(recorded_facts(bot, ws, incident, now), public=here(context, incident))
        return
    _still_owed(incident, lang)
    changes = dict(read_fact(flag, raw, now=now, tz=ws.timezone, lang=lang, aware=incident.aware_at,
                             measures=measure_names(bot.playbook), measure_choices=measure_tasks(bot.playbook, lang),
                             measure_shown=measure_labels(bot.playbook, lang))
                   for flag, raw in cmd.changes)
    if "ransom_paid_at" in changes:  # a payment time says a ransom was paid
        changes.setdefault("ransom_paid", True)
    apply(bot, session, ws, context, incident, changes, out, via="facts")
    shown = {**changes, **({"measures": measure_texts(bot.playbook, changes["measures"], lang)}
                           if "measures" in changes else {})}
    out.post(incident, message(lang, "facts.recorded", actor=Mention(context.user),
                                        facts=wording.facts(shown, lang, when=lambda at: views.when(ws, at, now))))
    after_close_note(ws, incident, out)
    acknowledge(out, context, incident, lang)


@command(Affected, "affected", parse=p.affected, zh=("影响",), group="law")
def affected(bot: Bot, session: Session, ws: Workspace, context: Context, cmd: Affected,
             out: Outbox) -> None:
    lang = ws.lang
    incident = resolve(session, ws, context, cmd.incident)
    _still_owed(incident, lang)
    before = dict((incident.facts or {}).get("affected") or {})
    words = cmd.counts.split()
    added = [w.lstrip("+＋") for w in words if w[:1] in "+＋" and w.lstrip("+＋")]
    typed = [w for w in words if w[:1] not in "+＋"]
    if added:  # `+US-CA=5` adds to what was recorded; codes not typed stay as they were
        counts = {**before, **(parse_residences(" ".join(typed), lang) if typed else {})}
        for code, count in parse_residences(" ".join(added), lang).items():
            counts[code] = counts.get(code, 0) + count
    else:
        counts = parse_residences(cmd.counts, lang)
    apply(bot, session, ws, context, incident, {"affected": counts}, out, via="affected")
    out.post(incident, message(lang, "facts.affected", actor=Mention(context.user),
                                        counts=wording.residences(counts, lang),
                                        total=format_number(sum(counts.values()), lang)))
    if before and before != counts and not added:  # say what the new counts replaced, and how to add instead
        out.post(incident, message(lang, "facts.affected_replaced", counts=wording.residences(before, lang),
                                   total=format_number(sum(before.values()), lang)))
    after_close_note(ws, incident, out)
    acknowledge(out, context, incident, lang)


@command(Clocks, "clocks", parse=p.clocks, zh=("时限",), group="law")
def show(bot: Bot, session: Session, ws: Workspace, context: Context, cmd: Clocks, out: Outbox) -> None:
    incident = resolve(session, ws, context, cmd.incident, lock=False)
    current = clocks.rows(session, incident=incident, book=bot.regimes, firm_profile=bot.firm_profile,
                          now=bot.now())
    shown = views.clocks(bot.regimes, incident=incident, ws=ws, rows=current, now=bot.now(), everything=cmd.all)
    contracts = views.contract_clocks(session, incident=incident, ws=ws, now=bot.now())
    out.reply(Message(lines=shown.lines[:-2] + contracts + shown.lines[-2:], kind=shown.kind),
              public=here(context, incident))


def owing_incident(session: Session, ws: Workspace, context: Context, number: int | None) -> Incident:
    """The incident a notice is for: as for any command, or else the person's one closed incident still owing one.

    WeCom commands come from the 1:1 chat, where "this incident" means the person's open one; after
    the close, legal's `/breach notified <clock>` there should still find the incident that owes it.
    """
    try:
        return resolve(session, ws, context, number)
    except UserError:
        if number is not None or incidents.open_for_user(session, workspace=ws, user=context.user):
            raise
        owing = session.exec(
            select(Incident).join(Participant, col(Participant.incident_id) == col(Incident.id))
            .join(Deadline, col(Deadline.incident_id) == col(Incident.id))
            .where(Incident.workspace_id == ws.id, Incident.status == incidents.CLOSED,
                   Participant.user == context.user, Deadline.kind == clocks.REGIME,
                   col(Deadline.met_at).is_(None), col(Deadline.cancelled_at).is_(None))
        ).unique().all()
        if len(owing) != 1:
            raise
        return incidents.lock(session, owing[0])


@command(Notified, "notified", parse=p.notified, zh=("已通报",), group="law", may=("legal", "lead"),
         finds=owing_incident)
def notified(bot: Bot, session: Session, ws: Workspace, context: Context, cmd: Notified,
             out: Outbox) -> None:
    lang, now = ws.lang, bot.now()
    incident = owing_incident(session, ws, context, cmd.incident)
    # No require_open: a notice the law demands is owed, and recorded, after the firm closes its response.
    current = clocks.rows(session, incident=incident, book=bot.regimes, firm_profile=bot.firm_profile, now=now)
    found = clocks.find_clock(bot.regimes, current, cmd.regime)
    if not found:
        applicable = sorted({(r.result.regime_key, r.result.clock_id) for r in current if r.status != "not_applicable"})
        raise UserError(t(lang, "clocks.unknown", value=cmd.regime, choices=("、" if lang == "zh" else ", ").join(
            f"{clocks.shown_regime(bot.regimes, key, lang)}（{clock}）" if lang == "zh" else clock
            for key, clock in applicable) or t(lang, "clocks.none_yet")))
    if len(found) > 1:
        raise UserError(t(lang, "clocks.which", value=cmd.regime, choices=("、" if lang == "zh" else ", ").join(
            f"{r.result.clock_id}（{r.result.audience_zh}）" if lang == "zh" else f"{r.result.clock_id} ({r.result.audience_en})"
            for r in found)))
    row = found[0]
    if row.status == "met":
        raise UserError(t(lang, "clocks.already_met", clock=row.result.clock_id,
                          at=views.when(ws, row.met_at, now) if row.met_at else "—"))
    at = moment_done(cmd.at, now=now, ws=ws, incident=incident)
    if len(cmd.reference) > 200:
        raise UserError(t(lang, "error.text_long", what="--ref", max=200, length=len(cmd.reference)))
    clocks.mark_notified(session, incident=incident, row=row, at=at, reference=cmd.reference.strip(),
                         actor=context.user, now=now)
    resync(bot, session, ws, incident, out)  # a clock counted from this notice (California's AG) moves now
    late = row.result.due_at is not None and at > row.result.due_at
    out.post(incident, message(lang, "clocks.notified_late" if late else "clocks.notified",
                                        actor=Mention(context.user),
                                        clock=bot.regimes.clock_title(row.result.clock_id, lang), audience=row.result.audience_zh if lang == "zh" else row.result.audience_en,
                                        at=views.when(ws, at, now), ref=cmd.reference.strip() or t(lang, "clocks.no_ref"),
                                        ).prefixed(drill(incident, lang)))
    if incident.status != incidents.OPEN and not clocks.open_clocks(
            session, incident=incident, book=bot.regimes, firm_profile=bot.firm_profile, now=now):
        out.post(incident, message(lang, "close.clocks_all_done", id=incidents.ref(incident))
                 .prefixed(drill(incident, lang)))
    acknowledge(out, context, incident, lang)
    out.refresh.add(incident.id)
