"""Flows for the media desk: the enquiry log (`/breach media …`). Its parser sits beside the flow."""

from __future__ import annotations

import re
from datetime import datetime

from sqlmodel import Session

from bot.chat import Context, Line, Mention, Message, Text
from bot.commands import Media
from bot.flows.base import acknowledge, here, resolve
from bot.flows.grammar.tokens import QUOTES, Args, leading_incident
from bot.flows.port import Bot
from bot.incident import deadlines, incidents, media, questions
from bot.outbox import Outbox
from bot.registry import command
from bot.text.i18n import line, message
from bot.text.i18n import text as t
from bot.views import incident as views
from storage.models import Workspace

_ANSWERED = ("answered", "answer", "已答复", "答复")  # the sub-word for recording an answer
ENQUIRY = "media_enquiry"  # the deadline kind of an enquiry waiting for the firm's answer
_SPOKESPERSON = ("spokesperson", "发言人")
_WATCH = ("watch", "monitor", "监测")
_NUMBER = re.compile(r"^(?:M-?)?(\d{1,6})$", re.I)


def parse_media(lang: str, name: str, tail: str) -> Media:
    """`/breach media <outlet> <question>`, `/breach media answered M-2 <answer>`, or `/breach media`."""
    number, body = leading_incident(tail)
    words = body.split(None, 2)
    if not words:
        return Media(incident=number)
    if words[0].lower() in _SPOKESPERSON:
        if len(words) < 2:
            Args(lang, name, []).fail("media.how_spokesperson")
        return Media(spokesperson=body.strip().split(None, 1)[1].strip(), incident=number)
    if words[0].lower() in _WATCH:
        if len(words) < 2:
            Args(lang, name, []).fail("media.how_watch")
        return Media(text=body.strip().split(None, 1)[1].strip(), watch=True, incident=number)
    if words[0].lower() in _ANSWERED:
        found = _NUMBER.match(words[1]) if len(words) > 1 else None
        if found is None or len(words) < 3:
            Args(lang, name, []).fail("media.how_answer")
        return Media(answered=int(found[1]), text=words[2], incident=number)  # type: ignore[index]
    if (quoted := _quoted_outlet(lang, name, body.strip())) is not None:
        outlet, question = quoted
    elif len(words) < 2:
        Args(lang, name, []).fail("media.how")
    else:
        outlet, question = body.strip().split(None, 1)  # any white space, the ideographic space too
    if not question.strip():
        Args(lang, name, []).fail("media.how")
    return Media(outlet=outlet, text=question.strip(), incident=number)


def _quoted_outlet(lang: str, name: str, body: str) -> tuple[str, str] | None:
    """`"Albany Times Union" Is it true…` → the whole quoted outlet and the question; None when the outlet is not
    quoted. A quote never closed is refused: where the outlet ends is anyone's guess."""
    closing = QUOTES.get(body[:1])
    if closing is None:
        return None
    end = body.find(closing, 1)
    if end == -1 or not body[1:end].strip():
        Args(lang, name, []).fail("media.outlet_quote", typed=body[:40])
    return body[1:end].strip(), body[end + 1:].strip()


@command(Media, "media", parse=parse_media, zh=("媒体",), group="tell")
def media_desk(bot: Bot, session: Session, ws: Workspace, context: Context, cmd: Media, out: Outbox) -> None:
    """Log an enquiry, record the answer, or list them (unanswered first)."""
    lang, now = ws.lang, bot.now()
    incident = resolve(session, ws, context, cmd.incident, lock=bool(cmd.text))
    ref = incidents.ref(incident)
    if cmd.spokesperson:
        who = media.set_spokesperson(session, incident=incident, person=cmd.spokesperson, actor=context.user,
                                     now=now, lang=lang)
        questions.mark_answered(session, incident=incident, playbook=bot.playbook, values={"spokesperson": who},
                                actor=context.user, now=now)
        out.post(incident, message(lang, "media.spokesperson_set", actor=Mention(context.user), id=ref,
                                   who=who))
        acknowledge(out, context, incident, lang)
        out.refresh.add(incident.id)
        return
    if cmd.watch:
        n = media.add_watch(session, incident=incident, note=cmd.text, actor=context.user, now=now, lang=lang)
        out.post(incident, message(lang, "media.watch_logged", actor=Mention(context.user), id=ref, n=n))
        acknowledge(out, context, incident, lang)
        return
    if cmd.answered is not None:
        entry = media.answer_enquiry(session, incident=incident, number=cmd.answered, answer=cmd.text,
                                     actor=context.user, now=now, lang=lang)
        if (waiting := deadlines.get(session, incident_id=incident.id, kind=ENQUIRY, ref=f"M-{entry['n']}")) \
                and waiting.met_at is None:
            deadlines.meet(session, waiting, at=now)
        out.post(incident, message(lang, "media.answered", actor=Mention(context.user), id=ref,
                                            n=entry["n"], outlet=entry["outlet"]))
        acknowledge(out, context, incident, lang)
        out.refresh.add(incident.id)
        return
    if cmd.text:
        n = media.log_enquiry(session, incident=incident, outlet=cmd.outlet, question=cmd.text, actor=context.user,
                              now=now, lang=lang)
        if bot.playbook.media_answer_within is not None:
            deadlines.schedule(session, incident_id=incident.id, kind=ENQUIRY, ref=f"M-{n}",
                               due_at=now + bot.playbook.media_answer_within, remind_before=None, now=now)
        out.post(incident, message(lang, "media.logged", actor=Mention(context.user), id=ref, n=n,
                                            outlet=" ".join(cmd.outlet.split()), command=t(lang, "media.answer_command", n=n)))
        acknowledge(out, context, incident, lang)
        out.refresh.add(incident.id)
        return
    out.reply(enquiry_list(incident, ws, now), public=here(context, incident))


def enquiry_list(incident: incidents.Incident, ws: Workspace, now: datetime) -> Message:
    """Unanswered enquiries first, then the answered ones."""
    lang, entries = ws.lang, media.enquiries(incident)
    watch = media.watch_notes(incident)
    if not entries and not watch and not media.spokesperson(incident):
        return message(lang, "media.none", id=incidents.ref(incident))
    lines: list[Line] = [line(lang, "media.header", id=incidents.ref(incident), open=len(media.unanswered(incident)),
                              total=len(entries))]
    if media.spokesperson(incident):
        lines.append(line(lang, "media.spokesperson", who=media.spokesperson(incident)))
    for e in sorted(entries, key=lambda e: (bool(e["answered_at"]), e["n"])):
        asked = views.when(ws, datetime.fromisoformat(e["at"]), now)
        state = (line(lang, "media.item_answered", at=views.when(ws, datetime.fromisoformat(e["answered_at"]), now))
                 if e["answered_at"] else line(lang, "media.item_open"))
        lines.append((Text(f"  M-{e['n']} {e['outlet']} · {asked} · "), Mention(e["by"]), Text(f": {e['question']} "),
                      *state))
    if watch:
        lines.append(line(lang, "media.watch_header", count=len(watch)))
        lines += [(Text(f"  W-{w['n']} {views.when(ws, datetime.fromisoformat(w['at']), now)} · {w['note']}"),)
                  for w in watch[-10:]]
    return Message(lines=tuple(lines))
