"""Questions as messages: one question with its buttons, or several in one digest, each under its own buttons.

A phase that starts asks all its questions in one digest; questions asked again together go out
the same way. Every question in a digest keeps its number (the one `/breach answer` takes), its
choices, the line saying how to answer it and its own buttons, anchored under it.
"""

from __future__ import annotations

from bot.chat import Action, Button, Line, Message, Strong, Text
from bot.incident.answers import named, show, valid_choices
from bot.incident.incidents import ref
from bot.incident.playbook import Playbook, QuestionSpec
from bot.text.i18n import drill_prefix, line
from bot.text.i18n import text as t
from bot.views.incident import holder_spans
from storage.models import Incident, Workspace

# A longer digest goes out as several messages: with two blocks a question, Slack's 50 blocks hold it.
QUESTIONS_PER_MESSAGE = 12


def number_of(playbook: Playbook, spec: QuestionSpec) -> int:
    """A question's number: its position in the playbook, as people type it."""
    return [q.key for q in playbook.questions()].index(spec.key) + 1


def _choices(incident: Incident, spec: QuestionSpec, lang: str, indent: str) -> tuple[list[Line], list[Button]]:
    """A question's numbered choices, and a button per choice (or the Answer… form where a tap cannot say it)."""
    lines: list[Line] = []
    buttons: list[Button] = []
    if spec.type == "yes_no":
        for word, value in (("answer.yes", "yes"), ("answer.no", "no")):
            buttons.append(Action("answer", incident.number, (spec.key, value)).button(t(lang, word)))
    elif spec.type in ("one_of", "several_of"):
        for i, option in enumerate(spec.options, start=1):
            # a key in brackets helps who types English; a Chinese workspace types the number or the label
            lines.append((Text(f"{indent}{i}. {option.label(lang)}" + ("" if lang == "zh" else f" ({option.key})")),))
            if spec.type == "one_of":
                buttons.append(Action("answer", incident.number, (spec.key, option.key)).button(option.label(lang)))
    if spec.type not in ("yes_no", "one_of"):  # a count, a time, several choices: typed in a small form
        buttons.append(Action("answer_form", incident.number, (spec.key,)).button(t(lang, "question.answer_button")))
    return lines, buttons


def asking(incident: Incident, spec: QuestionSpec, lang: str) -> Line:
    """The question as asked: its text, an example of an answer, and what is known so far."""
    spans: list = [Strong(spec.text(lang))]
    if spec.example is not None:
        spans += line(lang, "question.example", example=spec.example(lang))
    known = incident.facts.get(spec.sets) if spec.type != "datetime" else None
    if known not in (None, [], {}, ""):
        spans += line(lang, "question.so_far", value=show(spec, known, lang))
    return tuple(spans)


def question_prompt(*, incident: Incident, playbook: Playbook, ws: Workspace, spec: QuestionSpec,
                    holders: dict[str, str], times: int = 1) -> Message:
    """A question in the war room: who is asked, what to answer, with a button per choice."""
    lang = ws.lang
    again = t(lang, "question.again", times=times, max=spec.times) if times > 1 else ""
    lines: list[Line] = [drill_prefix(lang, incident.drill) + line(
        lang, "question.prompt", id=ref(incident), number=number_of(playbook, spec),
        role=playbook.roles[spec.ask](lang), who=holder_spans(holders, spec.ask, lang), text=asking(incident, spec, lang),
        again=again)]
    choices, buttons = _choices(incident, spec, lang, "  ")
    lines += choices
    lines.append(line(lang, "question.hint", key=named(playbook, spec, lang), valid=valid_choices(spec, lang)))
    return Message(lines=tuple(lines), buttons=tuple(buttons), kind="question")


def question_line(*, incident: Incident, playbook: Playbook, spec: QuestionSpec, holders: dict[str, str],
                  lang: str) -> Line:
    """`  Q4 [clients] How many clients are affected? — IT security @bob`: one question in a list."""
    return (Text(f"  Q{number_of(playbook, spec)} " + ("" if lang == "zh" else f"[{spec.key}] ")), *asking(incident, spec, lang),
            Text(f" — {playbook.roles[spec.ask](lang)} "), *holder_spans(holders, spec.ask, lang))


def question_digest(*, incident: Incident, playbook: Playbook, ws: Workspace, heading: Line,
                    specs: list[QuestionSpec], holders: dict[str, str]) -> list[Message]:
    """Several questions in one message under `heading` (more than QUESTIONS_PER_MESSAGE: several messages)."""
    lang = ws.lang
    out = []
    for start in range(0, len(specs), QUESTIONS_PER_MESSAGE):
        lines: list[Line] = [heading]
        buttons: list[Button] = []
        for spec in specs[start:start + QUESTIONS_PER_MESSAGE]:
            choices, own = _choices(incident, spec, lang, "    ")
            lines += [question_line(incident=incident, playbook=playbook, spec=spec, holders=holders, lang=lang), *choices,
                      (Text("    "), *line(lang, "question.hint", key=named(playbook, spec, lang),
                                            valid=valid_choices(spec, lang)))]
            buttons += [Button(label=b.label, action_id=b.action_id, value=b.value, line=len(lines) - 1)
                        for b in own]
        out.append(Message(lines=tuple(lines), buttons=tuple(buttons), kind="question"))
    return out


def phase_questions(*, incident: Incident, playbook: Playbook, ws: Workspace, phase_key: str,
                    specs: list[QuestionSpec], holders: dict[str, str]) -> list[Message]:
    """What a phase that has just started asks: one question as itself, several as one digest."""
    if not specs:
        return []
    if len(specs) == 1:
        return [question_prompt(incident=incident, playbook=playbook, ws=ws, spec=specs[0], holders=holders)]
    lang = ws.lang
    roles = list(dict.fromkeys(spec.ask for spec in specs))
    who: list = []
    for i, role in enumerate(roles):
        who += [Text((" · " if i else "") + f"{playbook.roles[role](lang)} "), *holder_spans(holders, role, lang)]
    phase = playbook.phase(phase_key)
    heading = drill_prefix(lang, incident.drill) + line(
        lang, "question.phase_digest", id=ref(incident), position=playbook.position(phase_key),
        total=len(playbook.phases), phase=phase.title(lang), count=len(specs), who=tuple(who))
    return question_digest(incident=incident, playbook=playbook, ws=ws, heading=heading, specs=specs,
                           holders=holders)


def open_questions(*, incident: Incident, playbook: Playbook, ws: Workspace,
                   items: list[tuple[int, QuestionSpec]]) -> Message:
    """`/breach questions`: what the bot is still waiting to know, each with how to answer it."""
    lang = ws.lang
    if not items:
        return Message(lines=(line(lang, "question.none", id=ref(incident)),))
    lines: list[Line] = [line(lang, "question.header", id=ref(incident))]
    for number, spec in items:
        lines.append((Text(f"  {number}. " + ("" if lang == "zh" else f"[{spec.key}] ")), *asking(incident, spec, lang),
                      Text(f" — {playbook.roles[spec.ask](lang)}")))
        lines.append((Text("    "), *line(lang, "question.hint", key=named(playbook, spec, lang),
                                          valid=valid_choices(spec, lang))))
    return Message(lines=tuple(lines))
