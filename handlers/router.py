"""The platform-neutral router: the text after `/breach` becomes a command object.

Every platform hands text here (a Slack slash command, a WeCom app message, a console line),
so every platform gets the same grammar and the same errors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot import commands as c
from bot.chat import Message, Text
from bot.errors import UserError
from bot.help import SUBCOMMANDS, usage
from bot.i18n import text as t

ALIASES = {
    "宣布": "declare", "状态": "status", "角色": "roles", "指派": "assign", "记录": "log", "决定": "decision",
    "稍后提醒": "snooze", "总结": "summary", "报告": "report", "跟进": "followup", "演练": "drill", "历史": "history", "起草": "draft", "草稿": "drafts", "批准": "approve", "客户": "clients", "信函": "letters", "时限": "clocks", "事实": "facts", "影响": "affected", "已通报": "notified", "回答": "answer", "问题": "questions", "任务": "tasks", "完成": "done", "阶段": "phase", "下一阶段": "phase next", "结案": "close", "帮助": "help",
    "?": "help", "decide": "decision", "note": "log",
}
_INCIDENT = re.compile(r"^(?:BR-?)(\d{1,9})$", re.I)
_SLACK_USER = re.compile(r"^<@([A-Z0-9]+)(?:\|[^>]*)?>$")
_QUOTES = {'"': '"', "'": "'", "“": "”", "‘": "’", "「": "」"}


@dataclass(frozen=True)
class Token:
    """A word or a quoted phrase, with where it sits in the original text."""

    text: str
    start: int
    end: int
    quoted: bool = False


def tokenize(text: str) -> list[Token]:
    """Split on white space; a token that opens with a quote runs to its closing quote (or the end)."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        start = i
        closing = _QUOTES.get(text[i])
        end = text.find(closing, i + 1) if closing else -1
        if end != -1:  # a quote with no partner is just an apostrophe
            tokens.append(Token(text[i + 1:end], start, end + 1, quoted=True))
            i = end + 1
            continue
        while i < n and not text[i].isspace():
            i += 1
        tokens.append(Token(text[start:i], start, i))
    return tokens


def user_ref(raw: str) -> str | None:
    """A person named in a command: Slack's <@U123|name>, or @name."""
    if match := _SLACK_USER.match(raw):
        return match[1]
    if raw.startswith("@") and len(raw) > 1:
        return raw[1:]
    return None


class _Args:
    """Flags and positionals of one subcommand, checked against what it accepts."""

    def __init__(self, lang: str, name: str, tokens: list[Token], *, values: tuple[str, ...] = (),
                 switches: tuple[str, ...] = ()) -> None:
        self.lang, self.name = lang, name
        self.flags: dict[str, str] = {}
        self.switches: set[str] = set()
        self.positional: list[Token] = []
        self._all = tokens
        i = 0
        while i < len(tokens):
            token = tokens[i]
            if not token.quoted and token.text.startswith("--") and len(token.text) > 2:
                flag, _, inline = token.text[2:].partition("=")
                flag = flag.lower().replace("-", "_")
                if flag in switches:
                    self.switches.add(flag)
                elif flag in values:
                    if flag in self.flags:
                        self.fail("error.flag_twice", flag=f"--{flag}")
                    if inline:
                        self.flags[flag] = inline
                    elif i + 1 < len(tokens):
                        i += 1
                        self.flags[flag] = tokens[i].text
                    else:
                        self.fail("error.flag_value", flag=f"--{flag}")
                else:
                    self.fail("error.unknown_flag", flag=token.text)
            else:
                self.positional.append(token)
            i += 1

    def fail(self, key: str, **values: object) -> None:
        raise UserError(Message(lines=((Text(t(self.lang, key, **values)),),) + usage(self.lang, self.name).lines,
                                kind="error"))

    def incident(self) -> int | None:
        """Take a leading BR-n, if the person named one."""
        if self.positional and (match := _INCIDENT.match(self.positional[0].text)):
            self.positional.pop(0)
            return int(match[1])
        return None

    def rest(self) -> str:
        return " ".join(tok.text for tok in self.positional)

    def raw_rest(self, text: str) -> str:
        """The positional words as typed, when nothing else sits between them (keeps quotes and spacing)."""
        if not self.positional:
            return ""
        if len(self.positional) == 1 and self.positional[0].quoted:
            return self.positional[0].text
        first, last = self.positional[0], self.positional[-1]
        inside = [tok for tok in self._all if first.start <= tok.start <= last.start]
        if len(inside) != len(self.positional):
            return self.rest()
        return text[first.start:last.end]


def parse(text: str, *, lang: str = "en") -> c.Command:
    """Turn '/breach …' (or just the part after it) into a command; UserError says what to type."""
    body = text.strip()
    if body.lower().startswith("/breach"):
        body = body[len("/breach"):].strip()
    if not body:
        return c.Help()
    head, _, tail = body.partition(" ")
    tail = tail.strip()
    name = head.lower()
    if name in ALIASES:
        alias = ALIASES[name].split(" ", 1)
        name = alias[0]
        if len(alias) > 1:
            tail = f"{alias[1]} {tail}".strip()
    if name not in SUBCOMMANDS:
        raise UserError(t(lang, "error.unknown_subcommand", value=head, choices=", ".join(SUBCOMMANDS)))
    return _PARSERS[name](lang, name, tail)


def _free_text(lang: str, name: str, tail: str) -> tuple[int | None, str]:
    """A leading BR-n and then the text exactly as typed (notes keep their punctuation)."""
    match = re.match(r"^(BR-?\d{1,9})\b\s*", tail, re.I)
    if match:
        number = _INCIDENT.match(match[1])
        assert number
        return int(number[1]), tail[match.end():]
    return None, tail


def _declare(lang: str, name: str, tail: str) -> c.Command:
    tokens = tokenize(tail)
    args = _Args(lang, name, tokens, values=("severity", "aware", "clients", "data"), switches=("drill",))
    clients = None
    if "clients" in args.flags:
        raw = args.flags["clients"].replace(",", "").replace("_", "")
        if not raw.isdigit():
            args.fail("error.clients_number", value=args.flags["clients"])
        clients = int(raw)
    data = tuple(d.strip().lower() for d in re.split(r"[,，\s]+", args.flags.get("data", "")) if d.strip())
    title = args.raw_rest(tail)
    if not title.strip():
        args.fail("error.title_empty")
    return c.Declare(title=title, severity=args.flags.get("severity"), aware=args.flags.get("aware"),
                     clients=clients, data=data, drill="drill" in args.switches)


def _simple(kind: type) -> object:
    def parse_it(lang: str, name: str, tail: str) -> c.Command:
        args = _Args(lang, name, tokenize(tail))
        number = args.incident()
        if args.positional:
            args.fail("error.extra_words", words=args.rest())
        return kind(incident=number)

    return parse_it


def _tasks(lang: str, name: str, tail: str) -> c.Command:
    args = _Args(lang, name, tokenize(tail))
    number = args.incident()
    words = [tok.text.lower() for tok in args.positional]
    if words not in ([], ["all"], ["全部"]):
        args.fail("error.extra_words", words=args.rest())
    return c.Tasks(all=bool(words), incident=number)


def _assign(lang: str, name: str, tail: str) -> c.Command:
    args = _Args(lang, name, tokenize(tail))
    number = args.incident()
    users = [u for tok in args.positional if (u := user_ref(tok.text))]
    others = [tok.text for tok in args.positional if not user_ref(tok.text)]
    if len(users) != 1:
        args.fail("error.assign_who")
    if len(others) != 1:
        args.fail("error.assign_role")
    return c.Assign(user=users[0], role=others[0].lower(), incident=number)


def _unassign(lang: str, name: str, tail: str) -> c.Command:
    args = _Args(lang, name, tokenize(tail))
    number = args.incident()
    if len(args.positional) != 1:
        args.fail("error.assign_role")
    return c.Unassign(role=args.positional[0].text.lower(), incident=number)


def _log(lang: str, name: str, tail: str) -> c.Command:
    number, body = _free_text(lang, name, tail)
    if not body.strip():
        _Args(lang, name, []).fail("error.text_empty", what=t(lang, "word.decision" if name == "decision" else "word.note"))
    return c.Log(text=body, incident=number, decision=name == "decision")


def _done(lang: str, name: str, tail: str) -> c.Command:
    number, body = _free_text(lang, name, tail)
    task, _, note = body.strip().partition(" ")
    if not task:
        _Args(lang, name, []).fail("error.task_missing")
    return c.Done(task=task, note=note.strip(), incident=number)


def _phase(lang: str, name: str, tail: str) -> c.Command:
    args = _Args(lang, name, tokenize(tail), values=("reason",))
    number = args.incident()
    if len(args.positional) != 1:
        args.fail("error.phase_target")
    target = args.positional[0].text.lower()
    return c.Phase(target="next" if target in ("next", "下一", "下一阶段") else target,
                   reason=args.flags.get("reason", ""), incident=number)


def _close(lang: str, name: str, tail: str) -> c.Command:
    args = _Args(lang, name, tokenize(tail), values=("cause", "lessons"))
    number = args.incident()
    if args.positional:
        args.fail("error.extra_words", words=args.rest())
    if "cause" not in args.flags or "lessons" not in args.flags:
        args.fail("error.close_flags")
    return c.Close(cause=args.flags["cause"].lower(), lessons=args.flags["lessons"], incident=number)


def _answer(lang: str, name: str, tail: str) -> c.Command:
    number, body = _free_text(lang, name, tail)
    question, _, value = body.strip().partition(" ")
    if not question:
        _Args(lang, name, []).fail("error.answer_missing")
    return c.Answer(question=question, value=value.strip(), incident=number)


def _clocks(lang: str, name: str, tail: str) -> c.Command:
    args = _Args(lang, name, tokenize(tail), switches=("all",))
    number = args.incident()
    words = [tok.text.lower() for tok in args.positional]
    if words not in ([], ["all"]):
        args.fail("error.extra_words", words=args.rest())
    return c.Clocks(all="all" in args.switches or words == ["all"], incident=number)


_FACT_FLAGS = ("data", "encrypted", "key_safe", "crime", "ransom", "contained", "press", "determined", "assessed",
               "handled", "cac_level")


def _facts(lang: str, name: str, tail: str) -> c.Command:
    tokens = tokenize(tail)
    args = _Args(lang, name, tokens, values=_FACT_FLAGS)
    number = args.incident()
    if args.positional:
        args.fail("error.extra_words", words=args.rest())
    if not args.flags:
        args.fail("facts.nothing")
    order = [tok.text[2:].split("=")[0].lower().replace("-", "_") for tok in tokens if tok.text.startswith("--")]
    return c.Facts(changes=tuple((flag, args.flags[flag]) for flag in order if flag in args.flags), incident=number)


def _affected(lang: str, name: str, tail: str) -> c.Command:
    number, body = _free_text(lang, name, tail)
    if not body.strip():
        _Args(lang, name, []).fail("facts.affected_missing")
    return c.Affected(counts=body, incident=number)


def _notified(lang: str, name: str, tail: str) -> c.Command:
    args = _Args(lang, name, tokenize(tail), values=("at", "ref"))
    number = args.incident()
    if len(args.positional) != 1:
        args.fail("clocks.notified_missing")
    return c.Notified(regime=args.positional[0].text, at=args.flags.get("at"), reference=args.flags.get("ref", ""),
                      incident=number)


_DRAFT_ID = re.compile(r"^D-?(\d{1,6})$", re.I)


def _draft_number(args: _Args, raw: str) -> int:
    match = _DRAFT_ID.match(raw)
    if not match:
        args.fail("draft.id_needed", value=raw)
    assert match
    return int(match[1])


def _draft(lang: str, name: str, tail: str) -> c.Command:
    number, body = _free_text(lang, name, tail)
    head, rest = (re.split(r"\s", body.strip(), maxsplit=1) + [""])[:2]
    verb = head.lower()
    if verb in ("edit", "show"):
        match = re.match(r"\s*(\S*)[ \t]*\n?(.*)", rest, re.S)
        assert match
        target, text = match[1], match[2]
        args = _Args(lang, name, [])
        draft = _draft_number(args, target.strip())
        if verb == "show":
            return c.DraftShow(number=draft, incident=number)
        if not text.strip():
            args.fail("draft.edit_how", id=f"D-{draft}")
        return c.DraftEdit(number=draft, text=text, incident=number)
    args = _Args(lang, name, tokenize(body), values=("lang", "regime", "variant"))
    if len(args.positional) != 1:
        args.fail("draft.kind_needed")
    return c.DraftNew(kind=args.positional[0].text.lower(), lang=args.flags.get("lang"),
                      regime=args.flags.get("regime"), variant=args.flags.get("variant", "individual").lower(),
                      incident=number)


def _approve(lang: str, name: str, tail: str) -> c.Command:
    args = _Args(lang, name, tokenize(tail))
    number = args.incident()
    if len(args.positional) != 1:
        args.fail("draft.id_needed", value=args.rest() or "-")
    return c.Approve(number=_draft_number(args, args.positional[0].text), incident=number)


def _clients(lang: str, name: str, tail: str) -> c.Command:
    number, body = _free_text(lang, name, tail)
    verb, _, rest = body.strip().partition(" ")
    if not verb:
        return c.ClientsShow(incident=number)
    if verb.lower() == "import":
        return c.ClientsImport(source=rest.strip(), incident=number)
    if verb.lower() == "notified":
        args = _Args(lang, name, tokenize(rest), values=("via", "at"))
        who = args.raw_rest(rest).strip()
        if not who or "via" not in args.flags:
            args.fail("clients.notified_how")
        return c.ClientsNotified(who=who, via=args.flags["via"], at=args.flags.get("at"), incident=number)
    _Args(lang, name, []).fail("error.extra_words", words=body.strip())
    raise AssertionError("unreachable")


def _letters(lang: str, name: str, tail: str) -> c.Command:
    args = _Args(lang, name, tokenize(tail))
    number = args.incident()
    if not args.positional:
        args.fail("draft.id_needed", value="-")
    return c.Letters(numbers=tuple(_draft_number(args, tok.text) for tok in args.positional), incident=number)


def _report(lang: str, name: str, tail: str) -> c.Command:
    args = _Args(lang, name, tokenize(tail), values=("format", "lang"))
    number = args.incident()
    if args.positional:
        args.fail("error.extra_words", words=args.rest())
    return c.Report(format=args.flags.get("format", "md").lower(), lang=args.flags.get("lang"), incident=number)


_FOLLOWUP_ID = re.compile(r"^F-?(\d{1,6})$", re.I)


def _followup(lang: str, name: str, tail: str) -> c.Command:
    number, body = _free_text(lang, name, tail)
    verb, _, rest = body.strip().partition(" ")
    if verb.lower() == "done":
        match = _FOLLOWUP_ID.match(rest.strip())
        if not match:
            _Args(lang, name, []).fail("followup.id_needed", value=rest.strip() or "-")
        assert match
        return c.FollowUpDone(number=int(match[1]), incident=number)
    tokens = tokenize(body)
    args = _Args(lang, name, tokens, values=("owner", "due"))
    text = args.raw_rest(body).strip()
    if not text or "owner" not in args.flags or "due" not in args.flags:
        args.fail("followup.how")
    owner = user_ref(args.flags["owner"]) or args.flags["owner"]
    return c.FollowUpAdd(text=text, owner=owner, due=args.flags["due"], incident=number)


def _drill(lang: str, name: str, tail: str) -> c.Command:
    words = tail.split()
    if len(words) > 1:
        _Args(lang, name, []).fail("error.extra_words", words=tail)
    return c.Drill(scenario=words[0].lower() if words else None)


def _history(lang: str, name: str, tail: str) -> c.Command:
    if tail.strip():
        _Args(lang, name, []).fail("error.extra_words", words=tail.strip())
    return c.History()


def _snooze(lang: str, name: str, tail: str) -> c.Command:
    args = _Args(lang, name, tokenize(tail), values=("reason",))
    number = args.incident()
    words = [tok.text for tok in args.positional]
    if len(words) > 2 or "reason" not in args.flags:
        args.fail("snooze.how")
    durations = [w for w in words if re.fullmatch(r"(\d+\s*(w|d|h|min|m|s))+", w, re.I)]
    phases = [w for w in words if w not in durations]
    if len(durations) > 1 or len(phases) > 1:
        args.fail("snooze.how")
    phase, duration = (phases or [None])[0], (durations or ["30m"])[0]
    return c.Snooze(phase=phase, duration=duration, reason=args.flags["reason"], incident=number)


def _help(lang: str, name: str, tail: str) -> c.Command:
    words = tail.split()
    topic = words[0] if words else None
    if topic and topic.lower() in ALIASES:
        topic = ALIASES[topic.lower()].split(" ")[0]
    return c.Help(topic=topic)


_PARSERS = {
    "declare": _declare, "status": _simple(c.Status), "roles": _simple(c.Roles), "assign": _assign,
    "unassign": _unassign, "log": _log, "decision": _log, "tasks": _tasks, "done": _done, "phase": _phase,
    "close": _close, "help": _help, "answer": _answer, "questions": _simple(c.Questions),
    "clocks": _clocks, "facts": _facts, "affected": _affected, "notified": _notified,
    "summary": _simple(c.Summary), "report": _report, "followup": _followup, "followups": _simple(c.FollowUps),
    "drill": _drill, "history": _history, "snooze": _snooze,
    "draft": _draft, "drafts": _simple(c.Drafts), "approve": _approve, "clients": _clients, "letters": _letters,
}
