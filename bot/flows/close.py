"""Closing an incident: say what is still open and close only when confirmed; the law's clocks outlive it."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.chat import Context, Line, Mention, Message
from bot.commands import Close
from bot.errors import UserError
from bot.flows.base import drill, here, resolve, role_holders
from bot.flows.grammar import parsers as p
from bot.flows.port import Bot
from bot.incident import followups, incidents, phases, wording
from bot.law import clocks
from bot.law.clocks import ClockRow
from bot.law.reasons import render
from bot.outbox import Outbox
from bot.registry import command
from bot.statements import clients, drafts
from bot.text.i18n import line, message
from bot.text.i18n import text as t
from bot.views import incident as views
from storage.models import Draft, DraftVersion, Incident, TaskState, Workspace

CONTAINMENT = "containment"


@dataclass
class StillOpen:
    """What a closing incident leaves undone: each item is something a person would regret not seeing."""

    clocks: list[ClockRow] = field(default_factory=list)
    drafts: list[tuple[Draft, DraftVersion]] = field(default_factory=list)
    phase: str = ""
    tasks: list[TaskState] = field(default_factory=list)
    containment_missing: bool = False
    clients_untold: int = 0
    clients_total: int = 0

    def __bool__(self) -> bool:
        return bool(self.clocks or self.drafts or self.tasks or self.containment_missing or self.clients_untold)

    def record(self) -> dict[str, Any]:
        """For the timeline's `closed` event: what was still open when the lead closed."""
        return {"clocks": [r.result.clock_id for r in self.clocks],
                "drafts": [f"D-{d.number}" for d, _ in self.drafts],
                "tasks": [f"{x.phase_key}.{x.key}" for x in self.tasks],
                "containment_missing": self.containment_missing, "clients_untold": self.clients_untold}


def still_open(bot: Bot, session: Session, incident: Incident, now: datetime) -> StillOpen:
    """Legal clocks not notified, drafts not approved, the current phase's open tasks, containment, clients."""
    states = {s.key: s for s in phases.phase_states(session, incident)}
    contained = incident.facts.get("contained") is True or (
        CONTAINMENT in states and states[CONTAINMENT].completed_at is not None)
    # A current phase already completed (by `phase next --reason` on the last one) has no tasks to chase.
    current_open = states[incident.current_phase].completed_at is None
    register = clients.register(session, incident)
    return StillOpen(
        clocks=clocks.open_clocks(session, incident=incident, book=bot.regimes,
                                  firm_profile=bot.firm_profile, now=now),
        drafts=[(d, v) for d, v in drafts.all_drafts(session, incident) if v.status != "approved"],
        phase=incident.current_phase,
        tasks=[x for x in phases.task_states(session, incident, incident.current_phase)
               if x.done_at is None and current_open],
        containment_missing=not contained and CONTAINMENT in states,
        clients_untold=sum(1 for c in register if c.notified_at is None), clients_total=len(register))


def clock_lines(bot: Bot, ws: Workspace, rows: list[ClockRow], now: datetime) -> list[Line]:
    """One line per clock: id, audience, and when it is due (or why its start is not known yet)."""
    lang = ws.lang
    out: list[Line] = []
    for row in rows:
        result = row.result
        due = views.due_phrase(ws, result.due_at, now) if result.due_at else render(result.reason, lang)
        out.append(line(lang, "close.open_clock", clock=bot.regimes.clock_title(result.clock_id, lang),
                        audience=result.audience_zh if lang == "zh" else result.audience_en, due=due))
    return out


def still_open_message(bot: Bot, ws: Workspace, incident: Incident, items: StillOpen, cmd: Close,
                       now: datetime) -> Message:
    """What is open, and the one command that closes anyway."""
    lang = ws.lang
    lines: list[Line] = [drill(incident, lang) + line(lang, "close.still_open", id=incidents.ref(incident))]
    lines += clock_lines(bot, ws, items.clocks, now)
    if items.drafts:
        lines.append(line(lang, "close.open_drafts", drafts=("、" if lang == "zh" else ", ").join(
            f"D-{d.number}（{wording.name(lang, 'draft_kind', d.kind)}）" if lang == "zh" else f"D-{d.number} ({d.kind})"
            for d, _ in items.drafts)))
    if items.tasks:
        spec = bot.playbook.phase(items.phase)
        lines.append(line(lang, "close.open_tasks", phase=f"{bot.playbook.position(spec.key)} {spec.title(lang)}",
                          count=len(items.tasks),
                          tasks="; ".join(spec.tasks[x.position - 1].text(lang) for x in items.tasks)))
    if items.containment_missing:
        lines.append(line(lang, "close.not_contained"))
    if items.clients_untold:
        lines.append(line(lang, "close.clients_untold", untold=items.clients_untold, total=items.clients_total))
    if items.clocks and not incident.drill:
        lines.append(line(lang, "close.clocks_go_on", id=incidents.ref(incident)))
    lessons = " ".join(cmd.lessons.split())
    if len(lessons) > 300 or '"' in lessons or lessons != cmd.lessons.strip():
        lessons = t(lang, "close.same_lessons")
    if lang == "zh":  # echoed as the person would type it: Chinese words, the cause by its Chinese name
        cause = bot.playbook.causes[cmd.cause].zh if cmd.cause in bot.playbook.causes else cmd.cause
        again = f'/breach 结案 {incidents.ref(incident)} --原因 {cause} --教训 "{lessons}" --确认'
    else:
        again = f'/breach close {incidents.ref(incident)} --cause {cmd.cause} --lessons "{lessons}" --confirm'
    lines.append(line(lang, "close.confirm", command=again))
    return Message(lines=tuple(lines), kind="error")


def open_incident(session: Session, ws: Workspace, context: Context, number: int | None) -> Incident:
    """The incident to close: "already closed" is said before who may close it."""
    incident = resolve(session, ws, context, number)
    if incident.status != incidents.OPEN:
        raise UserError(t(ws.lang, "error.closed_already", id=incidents.ref(incident)))
    return incident


@command(Close, "close", parse=p.close, zh=("结案", "关闭", "结束"), group="after", may=("lead",), finds=open_incident)
def close(bot: Bot, session: Session, ws: Workspace, context: Context, cmd: Close, out: Outbox) -> None:
    """`/breach close`: with something still open, list it and ask for --confirm; otherwise close."""
    lang, now = ws.lang, bot.now()
    incident = open_incident(session, ws, context, cmd.incident)
    holders = role_holders(session, incident)
    if not cmd.cause:  # the cause already recorded (the cause question, or /breach facts) is not typed again
        recorded = incident.cause or incident.facts.get("cause")
        if not recorded:
            raise UserError(t(lang, "error.close_flags"))
        cmd = replace(cmd, cause=recorded)
    # A wrong cause or empty lessons is said before the open items, so a confirmation is never wasted.
    if cmd.cause not in bot.playbook.causes:
        raise UserError(t(lang, "error.cause", value=cmd.cause, choices=", ".join(bot.playbook.causes)))
    incidents.check_text(cmd.lessons, lang, what=t(lang, "word.lessons"))
    items = still_open(bot, session, incident, now)
    if items and not cmd.confirm:
        out.reply(still_open_message(bot, ws, incident, items, cmd, now))
        return
    prefix = drill(incident, lang)
    # A drill schedules no follow-ups: a reminder a month on to check "client satisfaction" after a
    # breach that never happened could send someone to a real client. The team adds its own.
    standard = [] if incident.drill else followups.schedule_standard(
        session, incident=incident, playbook=bot.playbook, holders=holders, actor=context.user, now=now, lang=lang)
    phases.close(session, incident=incident, playbook=bot.playbook, cause=cmd.cause, lessons=cmd.lessons,
                 actor=context.user, now=now, lang=lang, still_open=items.record() if items else None)
    if standard:
        listed: list[Any] = []
        for f in standard:  # each owner a mention, as everywhere else a person is named
            if listed:
                listed += line(lang, "followup.scheduled_sep")
            listed += line(lang, "followup.scheduled_item", id=f"F-{f.number}", text=f.text, owner=Mention(f.owner),
                          due=views.when(ws, f.due_at, now))
        out.post(incident, message(lang, "followup.scheduled", items=tuple(listed)))
    elif incident.drill and bot.playbook.followups_on_close:
        out.post(incident, message(lang, "close.drill_followups", items="; ".join(
            spec.text(lang) for spec in bot.playbook.followups_on_close)).prefixed(prefix))
    closed = message(lang, "close.closed", id=incidents.ref(incident), actor=Mention(context.user),
                     cause=bot.playbook.causes[cmd.cause](lang)).prefixed(prefix)
    out.post(incident, closed)
    if incident.drill:
        out.post(incident, message(lang, "close.drill_stops", id=incidents.ref(incident)).prefixed(prefix))
    elif items.clocks:
        heading = prefix + line(lang, "close.clocks_open", id=incidents.ref(incident))
        out.post(incident, Message(lines=(heading, *clock_lines(bot, ws, items.clocks, now)),
                                            kind="reminder"))
    if not here(context, incident):
        out.reply(closed)
    out.refresh.add(incident.id)

