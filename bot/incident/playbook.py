"""Playbooks are data: YAML files under playbooks/, loaded and validated here."""

from __future__ import annotations

import functools
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bot.text.facts import ANSWER_TYPES, FACTS
from bot.text.times import parse_duration
from bot.text.worded import Lines, Listing, Worded, from_pydantic, place, shown

REQUIRED_ROLES = ("lead", "it_security", "legal", "executive", "comms", "client_liaison", "scribe")
_KEY = r"^[a-z][a-z0-9_]*$"


class PlaybookError(Worded):
    """A playbook that cannot be used; it names the file, the place and the problem, in any language."""


class Localized(BaseModel):
    """A text in English and Chinese."""

    model_config = ConfigDict(extra="forbid")
    en: str = Field(min_length=1)
    zh: str = Field(min_length=1)

    def __call__(self, lang: str) -> str:
        """The text in `lang` (English when unknown)."""
        return self.zh if lang == "zh" else self.en


def _duration(value: Any) -> timedelta:
    if isinstance(value, timedelta):
        return value
    try:
        if isinstance(value, str | int):
            return parse_duration(str(value))
    except ValueError:
        pass
    raise Worded("problem.playbook.duration", value=shown(value))


class TaskSpec(BaseModel):
    """One checklist item."""

    model_config = ConfigDict(extra="forbid")
    key: str = Field(pattern=_KEY)
    text: Localized
    # Done, this task is a measure statements may state, in these words; unset: internal work, never stated.
    measure: Localized | None = None


class OptionSpec(BaseModel):
    """One choice of a one_of / several_of question."""

    model_config = ConfigDict(extra="forbid")
    key: str = Field(pattern=r"^[a-z][a-z0-9_-]*$|^[A-Z]{2}(-[A-Z]{2})?$")
    label: Localized


class QuestionSpec(BaseModel):
    """A question the bot asks when its phase starts; the answer sets an incident fact."""

    model_config = ConfigDict(extra="forbid")
    key: str = Field(pattern=_KEY)
    text: Localized
    example: Localized | None = None  # shown when asking ("e.g. …"), not in confirmations
    ask: str
    type: str
    sets: str
    options: list[OptionSpec] = Field(default_factory=list)
    every: timedelta = timedelta(minutes=30)
    times: int = Field(default=4, ge=1, le=20)
    unless: dict[str, Any] = Field(default_factory=dict)  # not asked while these facts hold (key_safe: encrypted no)
    # also taken: `not_applicable` (n/a, 不适用: the fact is cleared, the question closed) and `unknown`
    # (不知道: the fact is cleared, the question stays open and is asked again)
    also: list[Literal["not_applicable", "unknown"]] = Field(default_factory=list)

    _parse_every = field_validator("every", mode="before")(lambda cls, v: _duration(v))

    @model_validator(mode="after")
    def _sane(self) -> QuestionSpec:
        if self.type not in ANSWER_TYPES:
            raise Worded("problem.playbook.type", value=shown(self.type), choices=Listing(ANSWER_TYPES))
        if self.sets not in FACTS:
            raise Worded("problem.playbook.sets", value=shown(self.sets), choices=Listing(FACTS))
        if unknown := [f for f in self.unless if f not in FACTS]:
            raise Worded("problem.playbook.unless", names=Listing(unknown), choices=Listing(FACTS))
        if FACTS[self.sets] != self.type:
            raise Worded("problem.playbook.fact_type", fact=self.sets, wanted=FACTS[self.sets], type=self.type)
        if self.type in ("one_of", "several_of") and not self.options:
            raise Worded("problem.playbook.needs_options", type=self.type)
        if self.every <= timedelta(0):
            raise Worded("problem.playbook.every")
        return self


class RolePrompt(BaseModel):
    """Roles that must not stay empty: after `after`, the war room is asked to fill them."""

    model_config = ConfigDict(extra="forbid")
    roles: list[str] = Field(default_factory=list)
    after: timedelta = timedelta(minutes=15)

    _parse_after = field_validator("after", mode="before")(lambda cls, v: _duration(v))


class DraftRule(BaseModel):
    """Who must approve a kind of statement before it may go out, and who may have the bot send it."""

    model_config = ConfigDict(extra="forbid")
    approvers: list[str] = Field(min_length=1)
    senders: list[str] = Field(default_factory=lambda: ["client_liaison"])


DEFAULT_DRAFT_RULES = {
    "client": {"approvers": ["legal"]},
    "regulator": {"approvers": ["legal"]},
    "media": {"approvers": ["comms", "executive"]},
    "press": {"approvers": ["comms", "executive"]},
    "staff": {"approvers": ["lead"]},
    "update": {"approvers": ["legal"], "senders": ["client_liaison", "comms"]},
    "qa": {"approvers": ["comms"]},
    "survey": {"approvers": ["client_liaison"]},
}


class ClientUpdates(BaseModel):
    """How often clients hear how the response is going, until close, and how early the reminder comes."""

    model_config = ConfigDict(extra="forbid")
    every: timedelta
    remind_before: timedelta = timedelta(hours=6)

    _parse = field_validator("every", "remind_before", mode="before")(lambda cls, v: _duration(v))

    @model_validator(mode="after")
    def _sane(self) -> ClientUpdates:
        if self.every <= timedelta(0) or self.remind_before >= self.every:
            raise Worded("problem.playbook.updates")
        return self


class FollowUpSpec(BaseModel):
    """A standard follow-up the firm schedules when an incident closes."""

    model_config = ConfigDict(extra="forbid")
    text: Localized
    owner: str
    after: timedelta

    _parse_after = field_validator("after", mode="before")(lambda cls, v: _duration(v))


class PhaseSpec(BaseModel):
    """One response phase: who owns it, what it asks, when it is due after aware_at."""

    model_config = ConfigDict(extra="forbid")
    key: str = Field(pattern=_KEY)
    title: Localized
    owner: str
    due: timedelta
    remind_before: timedelta = timedelta(minutes=15)
    tasks: list[TaskSpec] = Field(default_factory=list)
    questions: list[QuestionSpec] = Field(default_factory=list)
    brief: bool = False  # when it starts, the summary goes to the executive sponsor and the partners
    waits_for_lead: bool = False  # its last task done does not start the next phase: the lead moves on

    _parse_due = field_validator("due", "remind_before", mode="before")(lambda cls, v: _duration(v))

    @model_validator(mode="after")
    def _sane(self) -> PhaseSpec:
        if self.due <= timedelta(0):
            raise Worded("problem.playbook.due")
        if self.remind_before >= self.due:
            raise Worded("problem.playbook.remind_before")
        keys = [t.key for t in self.tasks]
        if len(keys) != len(set(keys)):
            raise Worded("problem.playbook.tasks_repeat", keys=_twice(keys))
        return self


class Playbook(BaseModel):
    """A whole playbook: roles, severities, causes and the ordered phases."""

    model_config = ConfigDict(extra="forbid")
    key: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    name: Localized
    severities: list[str] = Field(min_length=1)
    default_severity: str
    roles: dict[str, Localized]
    causes: dict[str, Localized] = Field(min_length=1)
    phases: list[PhaseSpec] = Field(min_length=1)
    discovery: dict[str, Localized] = Field(default_factory=dict)
    role_prompts: RolePrompt = Field(default_factory=RolePrompt)
    followups_on_close: list[FollowUpSpec] = Field(default_factory=list)
    client_updates: ClientUpdates | None = None  # progress updates to clients, every … until close
    survey: list[Localized] = Field(default_factory=list)  # the satisfaction questions asked after close
    media_answer_within: timedelta | None = None  # a press enquiry unanswered this long is raised in the war room

    _parse_media = field_validator("media_answer_within", mode="before")(
        lambda cls, v: None if v is None else _duration(v))
    drafts: dict[str, DraftRule] = Field(
        default_factory=lambda: {k: DraftRule.model_validate(v) for k, v in DEFAULT_DRAFT_RULES.items()})

    @model_validator(mode="after")
    def _consistent(self) -> Playbook:
        missing = [r for r in REQUIRED_ROLES if r not in self.roles]
        if missing:
            raise Worded("problem.playbook.roles_missing", missing=Listing(missing), required=Listing(REQUIRED_ROLES))
        if self.default_severity not in self.severities:
            raise Worded("problem.playbook.default_severity", value=shown(self.default_severity),
                         choices=Listing(self.severities))
        keys = [p.key for p in self.phases]
        if len(keys) != len(set(keys)):
            raise Worded("problem.playbook.phases_repeat", keys=_twice(keys))
        for i, phase in enumerate(self.phases):
            if phase.owner not in self.roles:
                raise Worded("problem.playbook.owner", i=i, phase=phase.key, value=shown(phase.owner),
                             choices=Listing(self.roles))
            for j, question in enumerate(phase.questions):
                if question.ask not in self.roles:
                    raise Worded("problem.playbook.ask", i=i, j=j, question=question.key, value=shown(question.ask),
                                 choices=Listing(self.roles))
        qkeys = [q.key for q in self.questions()]
        if len(qkeys) != len(set(qkeys)):
            raise Worded("problem.playbook.questions_repeat", keys=_twice(qkeys))
        for kind, rule in DEFAULT_DRAFT_RULES.items():  # a kind the file leaves out keeps its default rule
            self.drafts.setdefault(kind, DraftRule.model_validate(rule))
        for kind, rule in self.drafts.items():
            if kind not in DEFAULT_DRAFT_RULES:
                raise Worded("problem.playbook.draft_kind", kind=kind, choices=Listing(DEFAULT_DRAFT_RULES))
            for field, named in (("approvers", rule.approvers), ("senders", rule.senders)):
                if bad := [r for r in named if r not in self.roles]:
                    raise Worded("problem.playbook.draft_roles", kind=kind, field=field, roles=Listing(bad),
                                 choices=Listing(self.roles))
        for i, follow in enumerate(self.followups_on_close):
            if follow.owner not in self.roles:
                raise Worded("problem.playbook.followup_owner", i=i, value=shown(follow.owner),
                             choices=Listing(self.roles))
        unknown = [r for r in self.role_prompts.roles if r not in self.roles]
        if unknown:
            raise Worded("problem.playbook.role_prompts", roles=Listing(unknown), choices=Listing(self.roles))
        return self

    def questions(self) -> list[QuestionSpec]:
        """Every question in playbook order (their 1-based position is the number people type)."""
        return [q for phase in self.phases for q in phase.questions]

    def question(self, key: str) -> QuestionSpec:
        """The question with this key (KeyError if none)."""
        for question in self.questions():
            if question.key == key:
                return question
        raise KeyError(key)

    def phase_of_question(self, key: str) -> PhaseSpec:
        """The phase that asks a question."""
        return next(p for p in self.phases if any(q.key == key for q in p.questions))

    def phase(self, key: str) -> PhaseSpec:
        """The phase with this key (KeyError if none)."""
        for phase in self.phases:
            if phase.key == key:
                return phase
        raise KeyError(key)

    def position(self, key: str) -> int:
        """1-based position of a phase."""
        return [p.key for p in self.phases].index(key) + 1


def _twice(keys: list[str]) -> Listing:
    return Listing(sorted({k for k in keys if keys.count(k) > 1}))


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: ten times faster on the 3,500-line regimes file


def parse_yaml(text: str) -> Any:
    """YAML text as Python data (safe types only)."""
    return yaml.load(text, Loader=_LOADER)  # noqa: S506 (a safe loader)


def yaml_tree(text: str) -> yaml.Node | None:
    """The node tree of YAML text, for line numbers in error messages (built only when there is an error)."""
    return yaml.compose(text, Loader=_LOADER)


def file_version(path: Path) -> tuple[int, int] | None:
    """What changes when a file is edited (modification time and size), None when it cannot be read."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


def yaml_line(node: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """Follow a pydantic error location through the YAML node tree to a line number."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            break
        if node is None:
            break
        line = node.start_mark.line + 1
    return line


def load_playbook(path: Path) -> Playbook:
    """Load and validate a playbook file, once per version of it; PlaybookError names file, line/key and
    problem."""
    return _load_playbook(Path(path), file_version(Path(path)))


@functools.lru_cache(maxsize=32)
def _load_playbook(path: Path, version: tuple[int, int] | None) -> Playbook:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PlaybookError("problem.playbook.unreadable", path=path, why=exc.strerror) from exc
    try:
        raw = parse_yaml(text)
    except yaml.YAMLError as exc:
        mark, why = getattr(exc, "problem_mark", None), getattr(exc, "problem", exc)
        if mark:
            raise PlaybookError("problem.playbook.yaml_at", path=path, line=mark.line + 1, why=why) from exc
        raise PlaybookError("problem.playbook.yaml", path=path, why=why) from exc
    if not isinstance(raw, dict):
        raise PlaybookError("problem.playbook.not_mapping", path=path)
    try:
        return Playbook.model_validate(raw)
    except ValidationError as exc:
        problems, root = Lines(), yaml_tree(text)
        for error in exc.errors():
            loc = tuple(p for p in error["loc"] if p not in ("function-after",))
            where = place(loc)
            problems.append(Worded("problem.at" if where else "problem.at_top", path=path,
                                   line=yaml_line(root, loc) or "?", place=where, problem=from_pydantic(error)))
        raise PlaybookError("problem.lines", lines=problems) from None
