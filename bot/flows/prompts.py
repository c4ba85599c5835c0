"""Flows for guided prompts: answering questions and listing the open ones."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.chat import Context, Mention
from bot.commands import Answer, Questions
from bot.flows import law
from bot.flows.base import here, resolve
from bot.flows.grammar import parsers as p
from bot.flows.port import Bot
from bot.incident import incidents, questions
from bot.incident.answers import UNKNOWN, extra, named, show
from bot.outbox import Outbox
from bot.registry import command
from bot.text.i18n import message
from bot.text.times import format_time
from bot.views import questions as question_views
from storage.models import Workspace


@command(Answer, "answer", parse=p.answer, zh=("回答",), group="work")
def answer(bot: Bot, session: Session, ws: Workspace, context: Context, cmd: Answer, out: Outbox) -> None:
    """`/breach answer <key or number> <value>` (and the buttons that mean the same)."""
    lang, now = ws.lang, bot.now()
    incident = resolve(session, ws, context, cmd.incident)
    spec, value, change = questions.answer(session, incident=incident, playbook=bot.playbook, ws=ws,
                                           ref=cmd.question, raw=cmd.value, actor=context.user, now=now)
    def said(v: Any) -> str:
        return (format_time(datetime.fromisoformat(v), ws.timezone, now=now, lang=lang)
                if spec.type == "datetime" else show(spec, v, lang))

    shown = said(value)
    previous = change.changed.get(spec.sets, (None, None))[0]
    # A first answer is recorded, not a change, even when it moves a default (aware = the time of declare).
    again = change.answered_before and previous not in (None, [], {}, "")
    key = "question.answered_again" if again else "question.answered"
    if extra(spec, value) == UNKNOWN:
        key = "question.not_known"
    out.post(incident, message(lang, key, actor=Mention(context.user), key=named(bot.playbook, spec, lang),
                                        question=spec.text(lang), value=shown,
                                        previous=said(previous) if again else ""))
    law.announce(bot, ws, incident, change, out)
    law.resync(bot, session, ws, incident, out)
    law.after_close_note(ws, incident, out)
    if not here(context, incident):
        out.reply(message(lang, "question.recorded", id=incidents.ref(incident), key=named(bot.playbook, spec, lang),
                          value=shown))
    out.refresh.add(incident.id)


@command(Questions, "questions", parse=p.questions, zh=("问题",), group="work")
def list_open(bot: Bot, session: Session, ws: Workspace, context: Context, cmd: Questions,
              out: Outbox) -> None:
    """`/breach questions`."""
    incident = resolve(session, ws, context, cmd.incident, lock=False)
    items = questions.open_questions(session, incident=incident, playbook=bot.playbook)
    out.reply(question_views.open_questions(incident=incident, playbook=bot.playbook, ws=ws, items=items),
              public=here(context, incident))
