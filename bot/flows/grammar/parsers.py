"""One parser per /breach subcommand: the words after the subcommand become its command object.

Each is named by the command declaration that uses it (`@command(..., parse=parsers.assign)`)."""

from __future__ import annotations

import re
from collections.abc import Callable

from bot import commands as c
from bot.flows.grammar.tasks import done_words
from bot.flows.grammar.tokens import Args, fold, leading_incident, tokenize, user_ref
from bot.help import subcommand
from bot.text.facts import whole_number
from bot.text.i18n import text as t
from bot.text.times import is_duration

_TIMES = ("aware", "at", "due", "determined", "assessed", "handled", "from", "to")
_NEXT = ("next", "下一", "下一阶段")


def _free_text(lang: str, name: str, tail: str) -> tuple[int | None, str]:
    """A leading BR-n and then the text exactly as typed (notes keep their punctuation)."""
    return leading_incident(tail)


def _split(body: str) -> tuple[str, str]:
    """The first word (in plain form) and the rest as typed, split at any white space."""
    head, *rest = body.strip().split(None, 1)
    return fold(head), rest[0] if rest else ""


def declare(lang: str, name: str, tail: str) -> c.Command:
    tokens = tokenize(tail)
    args = Args(lang, name, tokens, values=("severity", "aware", "clients", "data"), switches=("drill",),
                whens=_TIMES, source=tail)
    clients = None
    if "clients" in args.flags:
        raw = args.flags["clients"].replace(",", "").replace("_", "")
        clients = whole_number(raw)
        if clients is None:
            args.fail("error.clients_number", value=args.flags["clients"])
    data = tuple(d.strip().lower() for d in re.split(r"[,，、;；\s]+", args.flags.get("data", "")) if d.strip())
    title = args.raw_rest(tail)
    if not title.strip():
        args.fail("error.title_empty")
    return c.Declare(title=title, severity=args.flags.get("severity"), aware=args.flags.get("aware"),
                     clients=clients, data=data, drill="drill" in args.switches)


def simple(kind: type) -> Callable[[str, str, str], c.Command]:
    def parse_it(lang: str, name: str, tail: str) -> c.Command:
        args = Args(lang, name, tokenize(tail))
        number = args.incident(bare=True)
        if args.positional:
            args.fail("error.extra_words", words=args.rest())
        return kind(incident=number)

    return parse_it


def tasks(lang: str, name: str, tail: str) -> c.Command:
    args = Args(lang, name, tokenize(tail))
    number = args.incident()
    words = [tok.word.lower() for tok in args.positional]
    if words not in ([], ["all"], ["全部"]):
        args.fail("error.extra_words", words=args.rest())
    return c.Tasks(all=bool(words), incident=number)


def assign(lang: str, name: str, tail: str) -> c.Command:
    args = Args(lang, name, tokenize(tail))
    number = args.incident()
    users = [u for tok in args.positional if (u := user_ref(tok.text))]
    others = [tok.word for tok in args.positional if not user_ref(tok.text)]
    if len(users) != 1:
        args.fail("error.assign_who")
    if not others:
        args.fail("error.assign_role")
    return c.Assign(user=users[0], role=" ".join(others).lower(), incident=number)


def unassign(lang: str, name: str, tail: str) -> c.Command:
    args = Args(lang, name, tokenize(tail))
    number = args.incident()
    if not args.positional:
        args.fail("error.assign_role")
    return c.Unassign(role=" ".join(tok.word for tok in args.positional).lower(), incident=number)


def log(lang: str, name: str, tail: str) -> c.Command:
    number, body = _free_text(lang, name, tail)
    if not body.strip():
        Args(lang, name, []).fail("error.text_empty", what=t(lang, "word.decision" if name == "decision" else "word.note"))
    return c.Log(text=body, incident=number, decision=name == "decision")


def done(lang: str, name: str, tail: str) -> c.Command:
    number, body = _free_text(lang, name, tail)
    args = Args(lang, name, [])
    if not body.strip():
        args.fail("error.task_missing")
    tasks, note, problem = done_words(body)
    if problem:
        args.fail("parse.done_ambiguous", **problem)
    return c.Done(task=tasks[0], note=note, incident=number, also=tuple(tasks[1:]))


def phase(lang: str, name: str, tail: str) -> c.Command:
    args = Args(lang, name, tokenize(tail), values=("reason",), texts=("reason",), source=tail)
    number = args.incident()
    if not args.positional:
        args.fail("error.phase_target")
    first = args.positional[0].word.lower()
    if first in _NEXT and len(args.positional) > 1 and "reason" not in args.flags:
        words = args.raw_rest(tail)[len(args.positional[0].text):].strip()
        args.fail("parse.phase_reason", words=words, command=f'/breach phase next --reason "{words}"')
    target = " ".join(tok.word for tok in args.positional).lower()  # a key, a number or a title
    return c.Phase(target="next" if target in _NEXT else target, reason=args.flags.get("reason", ""),
                   incident=number)


def close(lang: str, name: str, tail: str) -> c.Command:
    # Lessons are free text: unquoted words run to the next flag. Nothing else takes words, so
    # `--cause staff error` is read whole too.
    args = Args(lang, name, tokenize(tail), values=("cause", "lessons"), switches=("confirm",), texts=("lessons",),
                source=tail, positional=False)
    number = args.incident()
    if args.positional:
        args.fail("error.extra_words", words=args.rest())
    if "cause" not in args.flags or "lessons" not in args.flags:
        args.fail("error.close_flags")
    return c.Close(cause=args.flags["cause"].lower(), lessons=args.flags["lessons"], incident=number,
                   confirm="confirm" in args.switches)


def answer(lang: str, name: str, tail: str) -> c.Command:
    number, body = _free_text(lang, name, tail)
    if not body.strip():
        Args(lang, name, []).fail("error.answer_missing")
    question, value = _split(body)
    return c.Answer(question=question, value=value.strip(), incident=number)


def clocks(lang: str, name: str, tail: str) -> c.Command:
    args = Args(lang, name, tokenize(tail), switches=("all",))
    number = args.incident()
    words = [tok.word.lower() for tok in args.positional]
    if words not in ([], ["all"], ["全部"]):
        args.fail("error.extra_words", words=args.rest())
    return c.Clocks(all="all" in args.switches or bool(words), incident=number)


_FACT_FLAGS = ("data", "encrypted", "key_safe", "crime", "ransom", "contained", "press", "determined", "assessed",
               "handled", "cac_level", "from", "to", "systems")


def facts(lang: str, name: str, tail: str) -> c.Command:
    args = Args(lang, name, tokenize(tail), values=_FACT_FLAGS, whens=_TIMES, source=tail, positional=False)
    number = args.incident()
    if args.positional:
        args.fail("error.extra_words", words=args.rest())
    if not args.flags:
        args.fail("facts.nothing")
    return c.Facts(changes=tuple((flag, args.flags[flag]) for flag in args.order), incident=number)


def affected(lang: str, name: str, tail: str) -> c.Command:
    number, body = _free_text(lang, name, tail)
    if not body.strip():
        Args(lang, name, []).fail("facts.affected_missing")
    return c.Affected(counts=body, incident=number)


def notified(lang: str, name: str, tail: str) -> c.Command:
    args = Args(lang, name, tokenize(tail), values=("at", "ref"), texts=("ref",), whens=_TIMES, source=tail)
    number = args.incident()
    if len(args.positional) != 1:
        args.fail("clocks.notified_missing")
    return c.Notified(regime=args.positional[0].word, at=args.flags.get("at"), reference=args.flags.get("ref", ""),
                      incident=number)


_DRAFT_ID = re.compile(r"^(?:D-?)?(\d{1,6})$", re.I)


def _draft_number(args: Args, raw: str) -> int:
    match = _DRAFT_ID.match(fold(raw).strip())
    if not match:
        args.fail("draft.id_needed", value=raw)
    assert match
    return int(match[1])


def draft(lang: str, name: str, tail: str) -> c.Command:
    number, body = _free_text(lang, name, tail)
    head, rest = (re.split(r"\s", body.strip(), maxsplit=1) + [""])[:2]
    verb = fold(head).lower()
    if verb in ("edit", "show", "修改", "编辑", "查看", "显示"):
        match = re.match(r"\s*(\S*)[ \t\u3000]*\n?(.*)", rest, re.S)
        assert match
        target, text = match[1], match[2]
        args = Args(lang, name, [])
        draft = _draft_number(args, target.strip())
        if verb in ("show", "查看", "显示"):
            return c.DraftShow(number=draft, incident=number)
        if not text.strip():
            args.fail("draft.edit_how", id=f"D-{draft}")
        return c.DraftEdit(number=draft, text=text, incident=number)
    args = Args(lang, name, tokenize(body), values=("lang", "regime", "variant"))
    if not args.positional:
        args.fail("draft.kind_needed")
    return c.DraftNew(kind=" ".join(tok.word for tok in args.positional).lower(), lang=args.flags.get("lang"),
                      regime=args.flags.get("regime"), variant=args.flags.get("variant", "individual").lower(),
                      incident=number)


def approve(lang: str, name: str, tail: str) -> c.Command:
    args = Args(lang, name, tokenize(tail))
    number = args.incident()
    if not args.positional:
        return c.Approve(number=None, incident=number)
    if len(args.positional) != 1:
        args.fail("draft.id_needed", value=args.rest())
    return c.Approve(number=_draft_number(args, args.positional[0].text), incident=number)


def clients(lang: str, name: str, tail: str) -> c.Command:
    number, body = _free_text(lang, name, tail)
    if not body.strip():
        return c.ClientsShow(incident=number)
    verb, rest = _split(body)
    if verb.lower() in ("import", "导入"):
        return c.ClientsImport(source=rest.strip(), incident=number)
    if verb.lower() in ("notified", "已通知"):
        args = Args(lang, name, tokenize(rest), values=("via", "at"), whens=_TIMES, source=rest)
        who = args.raw_rest(rest).strip()
        if not who or "via" not in args.flags:
            args.fail("clients.notified_how")
        return c.ClientsNotified(who=who, via=args.flags["via"], at=args.flags.get("at"), incident=number)
    Args(lang, name, []).fail("error.extra_words", words=body.strip())
    raise AssertionError("unreachable")


def letters(lang: str, name: str, tail: str) -> c.Command:
    args = Args(lang, name, tokenize(tail))
    number = args.incident()
    if not args.positional:
        args.fail("draft.id_needed", value="-")
    ids = [part for tok in args.positional for part in re.split(r"[,、;]+", tok.word) if part]  # D-1,D-2 or D-1 D-2
    return c.Letters(numbers=tuple(_draft_number(args, raw) for raw in ids), incident=number)


_SEND_VERBS = {"stop": "stop", "停止": "stop", "list": "list", "status": "list", "列表": "list", "check": "check",
               "检查": "check", "退信": "check"}


def send(lang: str, name: str, tail: str) -> c.Command:
    args = Args(lang, name, tokenize(tail), values=("to", "test_to"), switches=("confirm",), source=tail)
    number = args.incident()
    words = [tok.word for tok in args.positional]
    if not words:
        if args.flags or args.switches:
            args.fail("send.which")
        return c.Send(action="list", incident=number)
    verb = _SEND_VERBS.get(fold(words[0]).lower())
    if verb is not None:
        if len(words) > 1 or args.flags or args.switches:
            args.fail("error.extra_words", words=" ".join(words[1:]) or args.rest())
        return c.Send(action=verb, incident=number)
    ids = [part for word in words for part in re.split(r"[,、;]+", word) if part]
    return c.Send(numbers=tuple(_draft_number(args, raw) for raw in ids), to=args.flags.get("to", "all"),
                  test_to=args.flags.get("test_to"), confirm="confirm" in args.switches, incident=number)


def report(lang: str, name: str, tail: str) -> c.Command:
    args = Args(lang, name, tokenize(tail), values=("format", "lang"), positional=False)
    number = args.incident()
    if args.positional:
        args.fail("error.extra_words", words=args.rest())
    return c.Report(format=args.flags.get("format", "md").lower(), lang=args.flags.get("lang"), incident=number)


_FOLLOWUP_ID = re.compile(r"^F-?(\d{1,6})$", re.I)


def followup(lang: str, name: str, tail: str) -> c.Command:
    number, body = _free_text(lang, name, tail)
    verb, rest = _split(body) if body.strip() else ("", "")
    if verb.lower() in ("done", "完成"):
        match = _FOLLOWUP_ID.match(fold(rest).strip())
        if not match:
            Args(lang, name, []).fail("followup.id_needed", value=rest.strip() or "-")
        assert match
        return c.FollowUpDone(number=int(match[1]), incident=number)
    args = Args(lang, name, tokenize(body), values=("owner", "due"), whens=_TIMES, source=body)
    text = args.raw_rest(body).strip()
    if not text or "owner" not in args.flags or "due" not in args.flags:
        args.fail("followup.how")
    owner = user_ref(args.flags["owner"]) or args.flags["owner"]
    return c.FollowUpAdd(text=text, owner=owner, due=args.flags["due"], incident=number)


def drill(lang: str, name: str, tail: str) -> c.Command:
    words = tail.split()
    if len(words) > 1:
        Args(lang, name, []).fail("error.extra_words", words=tail)
    return c.Drill(scenario=fold(words[0]).lower() if words else None)


def history(lang: str, name: str, tail: str) -> c.Command:
    if tail.strip():
        Args(lang, name, []).fail("error.extra_words", words=tail.strip())
    return c.History()


def snooze(lang: str, name: str, tail: str) -> c.Command:
    args = Args(lang, name, tokenize(tail), values=("reason",), texts=("reason",), source=tail)
    number = args.incident()
    words = [tok.word for tok in args.positional]
    if len(words) > 2 or "reason" not in args.flags:
        args.fail("snooze.how")
    durations = [w for w in words if is_duration(w)]
    phases = [w for w in words if w not in durations]
    if len(durations) > 1 or len(phases) > 1:
        args.fail("snooze.how")
    phase, duration = (phases or [None])[0], (durations or ["30m"])[0]
    return c.Snooze(phase=phase, duration=duration, reason=args.flags["reason"], incident=number)


def help(lang: str, name: str, tail: str) -> c.Command:
    words = tail.split()
    topic = words[0] if words else None
    return c.Help(topic=(subcommand(topic) or topic) if topic else None)


# Subcommands that take nothing but an incident number.
status = simple(c.Status)
roles = simple(c.Roles)
questions = simple(c.Questions)
summary = simple(c.Summary)
followups = simple(c.FollowUps)
drafts = simple(c.Drafts)
