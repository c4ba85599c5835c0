"""Flows for the summary, the report, follow-ups and history."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from bot.chat import Context, Line, Mention, Message, Strong, Text, Upload
from bot.commands import Command, FollowUpAdd, FollowUpDone, FollowUps, History, Report, Summary
from bot.errors import UserError
from bot.flows.base import (
    acknowledge,
    ask_names,
    display_names,
    drill,
    here,
    names_known,
    resolve,
    role_holders,
)
from bot.flows.grammar import parsers as p
from bot.flows.port import Bot
from bot.incident import care, deadlines, followups, incidents, names, wording
from bot.incident.phases import phase_states, task_states
from bot.law import clocks
from bot.law.regimes import RegimeBook
from bot.outbox import FILE_PLACE, Outbox
from bot.registry import command
from bot.report import document, metrics
from bot.statements import drafts
from bot.text.i18n import drill_prefix, drill_suffix, line, message, shorten
from bot.text.i18n import text as t
from bot.text.times import format_duration, parse_duration, parse_when
from bot.views import incident as views
from storage.models import FollowUp, Incident, Participant, TimelineEvent, Workspace


@command(Summary, "summary", parse=p.summary, zh=("总结",), group="start")
def summary(bot: Bot, session: Session, ws: Workspace, context: Context, cmd: Summary, out: Outbox) -> None:
    """A short summary in chat: phase, roles, clocks, open tasks, last decisions."""
    incident = resolve(session, ws, context, cmd.incident, lock=False)
    out.reply(summary_message(bot, session, ws, incident), public=here(context, incident))


def summary_message(bot: Bot, session: Session, ws: Workspace, incident: Incident) -> Message:
    """The summary of an incident (also what management is briefed with)."""
    lang, now = ws.lang, bot.now()
    holders = role_holders(session, incident)
    states = phase_states(session, incident)
    state = next(s for s in states if s.key == incident.current_phase)
    open_tasks = [x for x in task_states(session, incident, state.key) if x.done_at is None]
    lines: list[Line] = [
        drill_prefix(lang, incident.drill) + line(
            lang, "summary.header", id=Strong(incidents.ref(incident)), title=incident.title,
            severity=wording.severity(lang, incident.severity), status=wording.state(lang, incident.status)),
        line(lang, "summary.phase", position=state.position, total=len(bot.playbook.phases),
             phase=bot.playbook.phase(state.key).title(lang), open=len(open_tasks)),
    ]
    overdue = sorted((d.due_at, f"{s.position} {bot.playbook.phase(s.key).title(lang)}") for s in states
                     if s.completed_at is None and (d := deadlines.get(session, incident_id=incident.id, kind="phase",
                                                                       ref=s.key)) and d.due_at < now)
    if overdue and incident.status == incidents.OPEN:
        lines.append(views.overdue_line(ws, overdue, now))
    lines.append(views.role_line(holders, bot.playbook, lang, everyone=True))
    times = metrics.key_times(session, incident, bot.regimes)
    reached = [t(lang, f"summary.time_{k}", took=format_duration(span, lang))
               for k in HISTORY_KEYS if (span := times.span(k)) is not None]
    lines.append(line(lang, "summary.key_times", times=t(lang, "regime_reason.join.list").join(reached)))
    rows = [r for r in clocks.rows(session, incident=incident, book=bot.regimes, firm_profile=bot.firm_profile,
                                   now=now) if r.status in ("pending", "missed", "waiting")]
    for row in rows[:4]:
        due = views.due_phrase(ws, row.result.due_at, now) if row.result.due_at else t(lang, "clocks.status.waiting")
        lines.append(line(lang, "summary.clock", clock=row.result.clock_id, due=due,
                          title=clocks.clock_name(bot.regimes, row.result.clock_id, lang)))
    if len(rows) > 4:
        lines.append(line(lang, "clients.more", count=len(rows) - 4))
    decisions = session.exec(select(TimelineEvent).where(TimelineEvent.incident_id == incident.id,
                                                         TimelineEvent.kind == "decision")
                             .order_by(col(TimelineEvent.seq).desc()).limit(3)).all()
    for event in reversed(decisions):
        lines.append(line(lang, "summary.decision", at=views.when(ws, event.at, now), actor=Mention(event.actor),
                          text=event.text))
    pending_drafts = [f"D-{d.number}" for d, v in drafts.all_drafts(session, incident) if v.status != "approved"]
    if pending_drafts:
        lines.append(line(lang, "summary.drafts", drafts=("、" if lang == "zh" else ", ").join(pending_drafts)))
    return Message(lines=tuple(lines), kind="summary")


@command(Report, "report", parse=p.report, zh=("报告",), group="after")
def full_report(bot: Bot, session: Session, ws: Workspace, context: Context, cmd: Report,
                out: Outbox) -> None:
    """The post-incident report as a file in the war room (the console writes it and prints the path)."""
    lang = cmd.lang or ws.lang
    if cmd.format not in document.FORMATS:
        raise UserError(t(ws.lang, "report.bad_format", value=cmd.format, choices=names.choices("format", None, ws.lang)))
    if lang not in ("en", "zh"):
        raise UserError(t(ws.lang, "draft.bad_lang", value=lang))
    incident = resolve(session, ws, context, cmd.incident, lock=False)
    data = _document(bot, session, ws, incident, lang, name=display_names(bot))
    body = document.render(data, cmd.format, pdf_font=bot.settings.pdf_font)
    name = f"{incidents.ref(incident)}-report{drill_suffix(incident.drill)}-{lang}.{cmd.format}"
    # Reports go to the war room only, never to a public room.
    if not incident.war_room:
        raise UserError(t(ws.lang, "report.no_war_room", id=incidents.ref(incident)))
    # Shared after the commit by the outbox (never while the transaction holds the database), then named.
    out.upload(incident, Upload(filename=name, content=body, title=name),
               message(ws.lang, "report.saved", id=incidents.ref(incident),
                       format=wording.name(ws.lang, "format", cmd.format), where=FILE_PLACE)
               .prefixed(drill(incident, ws.lang)))


def _document(bot: Bot, session: Session, ws: Workspace, incident: Incident, lang: str, *,
              name: Callable[[str], str]) -> dict:
    return document.build(session, incident=incident, playbook=bot.playbook, regimes=bot.regimes,
                          firm_profile=bot.firm_profile, ws=ws, lang=lang, now=bot.now(),
                          firm_name=bot.settings.identity(bot.firm).name_in(lang), name=name)


@contextmanager
def names_asked_first(bot: Bot, context: Context, cmd: Command) -> Iterator[None]:
    """For /breach report: the platform's names of the people it names, asked before the command's transaction
    (a read of the record finds who they are: document.people, not the document itself, which the command builds
    once), so no platform call holds the database; other commands: nothing."""
    named: set[str] = set()
    if isinstance(cmd, Report):
        try:
            with bot.unit(write=False) as session:
                ws = bot.workspace(session, context)
                named = document.people(session, resolve(session, ws, context, cmd.incident, lock=False))
        except UserError:
            pass  # the command itself says what is wrong, in its transaction
    with names_known(ask_names(bot, named)):
        yield


HISTORY_KEYS = ("declare", "contain", "notify", "clients", "close")  # the columns of /breach history


def _due(raw: str, *, now: datetime, tz: str) -> datetime:
    text = raw.strip()
    if text.startswith("+"):
        return now + parse_duration(text[1:])
    return parse_when(text, now=now, tz=tz)


@command(FollowUpAdd, "followup", parse=p.followup, zh=("跟进",), carries=(("跟进完成", "done"),), group="after")
def followup_add(bot: Bot, session: Session, ws: Workspace, context: Context, cmd: FollowUpAdd,
                 out: Outbox) -> None:
    lang, now = ws.lang, bot.now()
    incident = resolve(session, ws, context, cmd.incident)
    if incident.drill and incident.status != incidents.OPEN:  # a closed drill pages nobody, ever
        raise UserError(t(lang, "followup.drill_closed", id=incidents.ref(incident)))
    try:
        due_at = _due(cmd.due, now=now, tz=ws.timezone)
    except ValueError as exc:
        raise UserError(t(lang, "followup.bad_due", detail=str(exc))) from None
    item = followups.add(session, incident=incident, text=cmd.text, owner=cmd.owner, due_at=due_at,
                         actor=context.user, now=now, lang=lang)
    # A drill's follow-ups say so wherever they appear, so nobody mistakes one for real work on a real leak.
    out.post(incident, message(lang, "followup.added", id=f"F-{item.number}", text=item.text,
                                        owner=Mention(item.owner), due=views.when(ws, item.due_at, now))
             .prefixed(drill(incident, lang)))
    out.direct(item.owner, message(lang, "followup.yours", id=f"F-{item.number}", incident=incidents.ref(incident),
                                   text=item.text, due=views.when(ws, item.due_at, now))
               .prefixed(drill(incident, lang)))
    acknowledge(out, context, incident, lang)


@command(FollowUps, "followups", parse=p.followups, zh=("跟进事项",), group="after")
def followup_list(bot: Bot, session: Session, ws: Workspace, context: Context, cmd: FollowUps,
                  out: Outbox) -> None:
    lang, now = ws.lang, bot.now()
    incident = _with_followups(session, ws, context, cmd.incident)
    items = followups.all_of(session, incident)
    lines: list[Line] = [drill(incident, lang) + line(lang, "followup.header", id=incidents.ref(incident))]
    for f in items:
        mark = "✓" if f.done_at else " "
        lines.append((Text(f"  [{mark}] F-{f.number} {f.text} — "), Mention(f.owner),
                      Text(f" · {views.when(ws, f.due_at, now)}")))
    if not items:
        lines.append(line(lang, "followup.none"))
    out.reply(Message(lines=tuple(lines)), public=here(context, incident))


@command(FollowUpDone, "followup done")
def followup_done(bot: Bot, session: Session, ws: Workspace, context: Context, cmd: FollowUpDone,
                  out: Outbox) -> None:
    lang = ws.lang
    incident = resolve(session, ws, context, cmd.incident)
    item = followups.done(session, incident=incident, number=cmd.number, actor=context.user, now=bot.now(),
                          lang=lang)
    out.post(incident, message(lang, "followup.completed", id=f"F-{item.number}", text=item.text,
                                        actor=Mention(context.user)).prefixed(drill(incident, lang)))
    acknowledge(out, context, incident, lang)


def history_message(session: Session, ws: Workspace, user: str | None = None,
                    regimes: RegimeBook | None = None) -> Message:
    """Past incidents and drills with key times, averages for real ones, and a bar chart of time to contain.

    In chat a person sees the incidents they were on; the command line (`user=None`) sees all.
    """
    lang = ws.lang
    every = list(session.exec(select(Incident).where(Incident.workspace_id == ws.id).order_by(col(Incident.number))))
    if user is not None:
        every = [i for i in every if incidents.is_participant(session, i, user)]
    if not every:
        return Message(lines=(line(lang, "history.none"),))

    def show(value: float | None) -> str:
        return "—" if value is None else format_duration(timedelta(hours=value), lang)

    lines: list[Line] = [line(lang, "history.header")]
    real: list[dict] = []
    for incident in every:
        times = metrics.key_times(session, incident, regimes).hours()
        if not incident.drill:
            real.append(times)
        tag = t(lang, "history.drill") if incident.drill else wording.severity(lang, incident.severity)
        lines.append((Text(f"  BR-{incident.number} · {tag} · {wording.state(lang, incident.status)} · "
                           f"{shorten(incident.title, HISTORY_TITLE)} · "
                           + " / ".join(show(times[k]) for k in HISTORY_KEYS)),))
    for key in ("declare", "contain", "notify", "clients"):
        values = [r[key] for r in real if r[key] is not None]
        if values:
            lines.append(line(lang, f"history.avg_{key}", value=show(sum(values) / len(values)), count=len(values)))
    scored = [(f"BR-{i.number}", score, len(care.feedback(i))) for i in every
              if (score := care.average_score(i)) is not None and not i.drill]
    if scored:  # the trend of client satisfaction, oldest incident first
        lines.append(line(lang, "history.satisfaction", count=len(scored),
                          scores=" → ".join(f"{name} {score}/5 ({n})" for name, score, n in scored),
                          average=round(sum(score for _, score, _ in scored) / len(scored), 1)))
        colon = "：" if lang == "zh" else ": "
        said = [(f"BR-{i.number}", e) for i in every if not i.drill for e in care.feedback(i) if e.get("comment")]
        if said:  # what the clients said, newest incident first, a few each
            lines.append(line(lang, "history.comments"))
            for name, entry in sorted(said, key=lambda s: -int(s[0][3:]))[:COMMENTS]:
                lines.append((Text(f"  {name} · {entry['score']}/5 · {entry['name']}{colon}{entry['comment']}"),))
    contain = [(f"BR-{i.number}", metrics.key_times(session, i, regimes).hours()["contain"])
               for i in every if not i.drill]
    known = [(name, v) for name, v in contain if v is not None]
    if known:
        lines.append(line(lang, "history.chart"))
        top = max(v for _, v in known) or 1
        for name, value in known:
            lines.append((Text(f"  {name:>6} {'█' * max(1, round(24 * value / top))} {show(value)}"),))
    return Message(lines=tuple(lines))


HISTORY_TITLE = 40  # characters of a title /breach history shows, cut between words
COMMENTS = 12  # client comments shown by /breach history, newest incident first


@command(History, "history", parse=p.history, zh=("历史",), group="after")
def history(bot: Bot, session: Session, ws: Workspace, context: Context, cmd: History, out: Outbox) -> None:
    """The history in chat; `link`: a firm admin's link to the history page, told only to them."""
    if cmd.link_hours is None:
        out.reply(history_message(session, ws, context.user, bot.regimes))
        return
    from bot.flows import firm
    from bot.incident import links
    from bot.statements.template_context import long_date
    from storage.models import FirmSettings

    row = session.get(FirmSettings, ws.id)
    allowed = firm.admins(bot, dict(row.values) if row is not None else {})
    if context.user not in allowed:
        who: list = []
        for person in allowed:
            who += ([Text("、" if ws.lang == "zh" else ", ")] if who else []) + [Mention(person)]
        raise UserError(message(ws.lang, "history.not_admin" if allowed else "config.no_admins", kind="error",
                                who=tuple(who), workspace=f"{ws.platform}:{ws.external_id}"))
    now = bot.now()
    token = links.history_token(session, workspace=ws, hours=cmd.link_hours, now=now)
    out.reply(message(ws.lang, "history.link", url=f"{bot.settings.page_base}/history?k={token}",
                      until=long_date(now + timedelta(hours=cmd.link_hours), ws.timezone, ws.lang)), public=False)


def _with_followups(session: Session, ws: Workspace, context: Context, number: int | None) -> Incident:
    """The incident whose follow-ups are asked for: as `resolve` finds it, else (after close, from outside the
    war room) the person's one closed incident with follow-ups still open, since they keep running."""
    try:
        return resolve(session, ws, context, number, lock=False, last_closed=False)
    except UserError:
        if number is not None or incidents.open_for_user(session, workspace=ws, user=context.user):
            raise
        owing = session.exec(
            select(Incident).join(Participant, col(Participant.incident_id) == col(Incident.id))
            .join(FollowUp, col(FollowUp.incident_id) == col(Incident.id))
            .where(Incident.workspace_id == ws.id, Incident.status == incidents.CLOSED,
                   Participant.user == context.user, col(FollowUp.done_at).is_(None))).unique().all()
        if len(owing) != 1:
            raise
        return owing[0]
