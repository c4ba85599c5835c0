"""Numbered answers on WeCom: a question prompt shows its choices as numbers, and a bare `2` (or a
full-width `２`) typed in a person's 1:1 chat with the app answers the latest prompt they were shown.

WeCom app messages and app chats have no buttons, so the choices a prompt carries as buttons
(`answer`, value `<incident>:<question>:<option>`) become numbers in the text, in button order.

- A prompt without buttons (a count, several-of, free text) is recognised by its question text
  (the emphasised span) against the playbook, and its incident by the war room it is posted in.
- Per person who can see a prompt (the war room's members, or the direct recipient) the latest
  one is remembered in memory, bounded, least recently used out.
- A message asking several questions at once (a phase that starts, a reminder) is a digest: each
  question shows its number (Q3) and a reply of that number and the answer (`Q3 2`, `q4 1200`)
  answers it. A bare number answers a digest only if exactly one of its questions takes one;
  otherwise the person is asked to put the question number first, and nothing changes.
- A bare number never answers a date-time or a per-residence count, so those prompts do not
  replace the remembered one (at a declaration the "how was it discovered" choices stay
  answerable right after the "when did the firm become aware" prompt below them).
- After a restart the memory is empty: the bot answers which questions the sender's single open
  incident asked most recently (`bot.flows.lookups.last_asked`): one question, or a digest of those asked
  at the same moment.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from bot.chat import Action, Context, Message, Strong, acting_workspace
from bot.commands import Answer
from bot.errors import UserError
from bot.flows import lookups
from bot.incident.playbook import Playbook, QuestionSpec
from bot.text.i18n import text as t

if TYPE_CHECKING:
    from bot.app import Breachbot

log = logging.getLogger("breachbot.wecom")

CATALOGUE = Path(__file__).with_name("numbered.yaml")
ANSWER_ACTION = "answer"  # the action id of the bot's answer buttons
FORM_ACTION = "answer_form"  # … and of the Answer… button of a question a tap cannot answer
# Question types a bare number can answer: by choice, or as the value itself.
NUMBERED_TYPES = frozenset({"yes_no", "one_of", "several_of", "number", "text"})
MEMORY_SIZE = 10_000  # people remembered per process
_MAX_CHOICE_DIGITS = 4  # longer numbers are never a choice (and never a huge int())
_REPLY = re.compile(r"[0-9]+(?:(?:\s*[,;、]\s*|\s+)[0-9]+)*")
# `Q3 2`, `q4:1200`, `Ｑ２ 10:00` (after NFKC): a question's number, then the answer.
_NAMED = re.compile(r"[Qq]([0-9]{1,4})(?:\s*[:=、,.]\s*|\s+)(\S.*)")
_DIGITS = re.compile(r"[0-9]+")


@cache
def _catalogue() -> dict[str, Any]:
    return yaml.safe_load(CATALOGUE.read_text(encoding="utf-8"))


def say(lang: str, key: str, /, **values: Any) -> str:
    """A sentence of this module's catalogue (numbered.yaml), in zh or en."""
    node: Any = _catalogue()["zh" if lang == "zh" else "en"]
    for part in key.split("."):
        node = node[part]
    return str(node).format(**values)


# -- what people type -------------------------------------------------------------------------
@dataclass(frozen=True)
class Reply:
    """A 1:1 message that is nothing but a number (or numbers, for a several-of question)."""

    text: str  # ASCII digits, single spaces: "１ ２" → "1 2"
    numbers: tuple[str, ...]


def numbered_reply(text: str) -> Reply | None:
    """The reply if `text` is only digits (full-width ones too), else None (a command, a note …)."""
    plain = " ".join(unicodedata.normalize("NFKC", text).split())
    if not plain or not _REPLY.fullmatch(plain):
        return None
    return Reply(text=plain, numbers=tuple(_DIGITS.findall(plain)))


@dataclass(frozen=True)
class Named:
    """A 1:1 message that names a question by its number before the answer: `Q3 2`."""

    number: int  # the question's number in the playbook, as the prompt shows it (Q3)
    text: str  # the answer as typed: a choice's number, a count, a time …


def named_reply(text: str) -> Named | None:
    """The reply if `text` is `Q<number> <answer>` (full-width too), else None."""
    plain = " ".join(unicodedata.normalize("NFKC", text).split())
    match = _NAMED.fullmatch(plain)
    return Named(number=int(match[1]), text=match[2]) if match else None


# -- what a prompt offers -----------------------------------------------------------------------
@dataclass(frozen=True)
class Prompt:
    """One question as a person saw it: BR-<incident>, its key, and its choices in numbered order."""

    incident: int
    question: str
    type: str
    options: tuple[str, ...] = ()  # answer values: option keys, or yes/no
    labels: tuple[str, ...] = ()  # what people read for each option

    @property
    def ref(self) -> str:
        return f"BR-{self.incident}"

    def choices(self) -> str:
        """`1 = 是 · 2 = 否`."""
        return " · ".join(f"{i} = {label}" for i, label in enumerate(self.labels, start=1))

    def answer(self, reply: Reply, lang: str) -> Answer:
        """The command a numbered reply means; UserError (nothing changes) for a number not offered."""
        if not self.options:  # a count or free text: the reply is the answer itself
            value = reply.text.replace(" ", "") if self.type == "number" else reply.text
            return Answer(question=self.question, value=value, incident=self.incident)
        picked: list[str] = []
        for number in reply.numbers:
            index = int(number) if len(number) <= _MAX_CHOICE_DIGITS else 0
            if not 1 <= index <= len(self.options):
                raise UserError(say(lang, "range", value=number, id=self.ref, key=self.question,
                                    choices=self.choices()))
            picked.append(self.options[index - 1])
        if len(picked) > 1 and self.type != "several_of":
            raise UserError(say(lang, "one", id=self.ref, key=self.question, choices=self.choices()))
        return Answer(question=self.question, value=",".join(dict.fromkeys(picked)), incident=self.incident)


class _Several:
    """Several questions shown at once, not known which: a bare number cannot say which."""

    def __repr__(self) -> str:
        return "SEVERAL"


SEVERAL = _Several()


@dataclass(frozen=True)
class Digest:
    """Several questions of one incident in one message, with the numbers people see (Q3 …)."""

    incident: int
    numbered: tuple[tuple[int, Prompt], ...]  # the ones a bare number can answer: (Q number, prompt)
    questions: tuple[int, ...] = ()  # every question's Q number, in the order shown

    def only(self) -> Prompt | None:
        """The one question a bare number answers, if there is exactly one."""
        return self.numbered[0][1] if len(self.numbered) == 1 else None


Seen = Prompt | Digest | _Several


def from_spec(spec: QuestionSpec, *, incident: int, lang: str) -> Prompt:
    """A playbook question as the bot's prompt numbers it (yes = 1, no = 2; options in order)."""
    if spec.type == "yes_no":
        return Prompt(incident=incident, question=spec.key, type=spec.type, options=("yes", "no"),
                      labels=(t(lang, "answer.yes"), t(lang, "answer.no")))
    if spec.type in ("one_of", "several_of"):
        return Prompt(incident=incident, question=spec.key, type=spec.type,
                      options=tuple(o.key for o in spec.options), labels=tuple(o.label(lang) for o in spec.options))
    return Prompt(incident=incident, question=spec.key, type=spec.type)


def hint(prompt: Seen, lang: str) -> str | None:
    """The line a prompt gets on WeCom, saying that a number is enough (or which number goes first)."""
    if isinstance(prompt, Digest):
        if not prompt.numbered:
            return None
        first = prompt.numbered[0][0]
        if prompt.only() is None:
            return say(lang, "hint.digest", number=first)
        other = next((n for n in prompt.questions if n != first), first)
        return say(lang, "hint.digest_one", number=first, other=other)
    if not isinstance(prompt, Prompt):
        return None
    if prompt.type == "several_of":
        return say(lang, "hint.several")
    if prompt.type == "one_of" and len(prompt.options) > 2:  # the prompt lists them numbered already
        return say(lang, "hint.pick", last=len(prompt.options))
    if prompt.options:
        return say(lang, "hint.choices", choices=prompt.choices())
    if prompt.type == "number":
        return say(lang, "hint.number")
    return None  # free text: only a reply that happens to be a number is taken, so don't advertise it


class Prompts:
    """Reads question prompts on their way out; remembers, per person, the latest one a number answers."""

    def __init__(self, *, playbook: Callable[[], Playbook], lang: Callable[[], str],
                 incident_of: Callable[[str], int | None] | None = None, size: int = MEMORY_SIZE) -> None:
        self.playbook, self.lang, self.incident_of, self.size = playbook, lang, incident_of, size
        self._latest: OrderedDict[str, Seen] = OrderedDict()
        self._lock = threading.Lock()

    # -- reading a message --------------------------------------------------------------------
    def read(self, message: Message, room: str | None) -> Seen | None:
        """What a question prompt offers; a Digest for several questions (SEVERAL: several, not known which);
        None for anything a number does not answer."""
        if message.kind != "question":
            return None
        asked = self._asked(message)
        if len({key for _, key in asked}) > 1:
            return self._digest(asked)
        buttons = [b for b in message.buttons if b.action_id == ANSWER_ACTION]
        if buttons:
            return self._from_buttons([(b.label, b.value) for b in buttons])
        spec = self._spec(message)
        if spec is None:
            return SEVERAL
        if spec.type not in NUMBERED_TYPES or room is None or self.incident_of is None:
            return None
        try:
            number = self.incident_of(room)
        except Exception:  # the prompt still goes out; only its number shortcut is lost
            log.exception("war room %s: incident not found for a numbered prompt", room)
            return None
        return from_spec(spec, incident=number, lang=self.lang()) if number is not None else None

    def _from_buttons(self, buttons: list[tuple[str, str]]) -> Prompt | None:
        parsed = [Action.read(ANSWER_ACTION, value) for _, value in buttons]
        if any(a is None for a in parsed) or len({(a.incident, a.args[0]) for a in parsed if a}) != 1:
            return None  # not the bot's answer buttons as we know them: leave the memory alone
        actions = [a for a in parsed if a is not None]
        number, key = actions[0].incident, actions[0].args[0]
        try:
            kind = self.playbook().question(key).type
        except KeyError:
            kind = "one_of"
        return Prompt(incident=number, question=key, type=kind, options=tuple(a.args[1] for a in actions),
                      labels=tuple(label for label, _ in buttons))

    @staticmethod
    def _asked(message: Message) -> list[tuple[int, str]]:
        """(incident, question key) of every question the message's answer buttons answer, in order."""
        asked: list[tuple[int, str]] = []
        for button in message.buttons:
            action = Action.read(button.action_id, button.value)
            if action and action.kind in (ANSWER_ACTION, FORM_ACTION) and (action.incident, action.args[0]) not in asked:
                asked.append((action.incident, action.args[0]))
        return asked

    def _digest(self, asked: list[tuple[int, str]]) -> Digest | None:
        """The questions of a digest with their numbers; None if a bare number answers none (the memory stays)."""
        playbook, lang, incident = self.playbook(), self.lang(), asked[0][0]
        specs = {q.key: (i, q) for i, q in enumerate(playbook.questions(), start=1)}
        shown = [specs[key] for number, key in asked if number == incident and key in specs]
        numbered = tuple((n, from_spec(spec, incident=incident, lang=lang)) for n, spec in shown
                         if spec.type in NUMBERED_TYPES)
        return Digest(incident=incident, numbered=numbered, questions=tuple(n for n, _ in shown)) if numbered else None

    def _spec(self, message: Message) -> QuestionSpec | None:
        """The playbook question whose text the message emphasises (a prompt shows it in bold)."""
        strong = {span.text for line in message.lines for span in line if isinstance(span, Strong)}
        for spec in self.playbook().questions():
            if strong & {spec.text("zh"), spec.text("en")}:
                return spec
        return None

    # -- the memory -----------------------------------------------------------------------------
    def remember(self, users: Iterable[str], seen: Seen) -> None:
        """`users` were just shown this prompt (or several questions at once)."""
        with self._lock:
            for user in users:
                key = _person(user)
                self._latest[key] = seen
                self._latest.move_to_end(key)
            while len(self._latest) > self.size:
                self._latest.popitem(last=False)

    def latest(self, user: str) -> Seen | None:
        """The latest prompt this person was shown by this process, if any."""
        with self._lock:
            return self._latest.get(_person(user))


def _person(user: str) -> str:
    """A person as the memory knows them: the same userid in two corps is two people."""
    corp = acting_workspace()
    return f"{corp}\x00{user}" if corp else user


def open_prompt(bot: Breachbot, context: Context) -> Prompt | Digest | None:
    """With nothing remembered (a restart): what the bot says the sender was last asked, that a number answers
    (several asked at the same moment: a digest)."""
    last = lookups.last_asked(bot, context, types=NUMBERED_TYPES)
    if last is None:
        return None
    prompts = tuple((number, from_spec(spec, incident=last.incident, lang=last.lang)) for number, spec in last.questions)
    if len(prompts) == 1:
        return prompts[0][1]
    return Digest(incident=last.incident, numbered=prompts, questions=tuple(n for n, _ in prompts))


def sender_incident(bot: Breachbot, context: Context) -> int | None:
    """The number of the sender's single open incident (None: none, or several)."""
    return lookups.sender_incident(bot, context)
