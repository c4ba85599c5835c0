"""One parser per /breach subcommand: the words after the subcommand become its command object."""

from __future__ import annotations

import re
from collections.abc import Callable

from bot import commands as c
from bot.facts import whole_number
from bot.i18n import text as t
from handlers.tokens import ALIASES, INCIDENT, Args, tokenize, user_ref


def _free_text(lang: str, name: str, tail: str) -> tuple[int | None, str]:
    """A leading BR-n and then the text exactly as typed (notes keep their punctuation)."""
    match = re.match(r"^(BR-?\d{1,9})\b\s*", tail, re.I)
    if match:
        number = INCIDENT.match(match[1])
        assert number
        return int(number[1]), tail[match.end():]
    return None, tail


def _declare(lang: str, name: str, tail: str) -> c.Command:
    tokens = tokenize(tail)
    args = Args(lang, name, tokens, values=("severity", "aware", "clients", "data"), switches=("drill",))
    clients = None
    if "clients" in args.flags:
        raw = args.flags["clients"].replace(",", "").replace("_", "")
        clients = whole_number(raw)
        if clients is None:
            args.fail("error.clients_number", value=args.flags["clients"])
    data = tuple(d.strip().lower() for d in re.split(r"[,，\s]+", args.flags.get("data", "")) if d.strip())
    title = args.raw_rest(tail)
    if not title.strip():
        args.fail("error.title_empty")
    return c.Declare(title=title, severity=args.flags.get("severity"), aware=args.flags.get("aware"),
                     clients=clients, data=data, drill="drill" in args.switches)


def _simple(kind: type) -> object:
    def parse_it(lang: str, name: str, tail: str) -> c.Command:
        args = Args(lang, name, tokenize(tail))
        number = args.incident()
        if args.positional:
            args.fail("error.extra_words", words=args.rest())
        return kind(incident=number)

    return parse_it


def _tasks(lang: str, name: str, tail: str) -> c.Command:
    args = Args(lang, name, tokenize(tail))
    number = args.incident()
    words = [tok.text.lower() for tok in args.positional]
    if words not in ([], ["all"], ["全部"]):
        args.fail("error.extra_words", words=args.rest())
    return c.Tasks(all=bool(words), incident=number)


def _assign(lang: str, name: str, tail: str) -> c.Command:
    args = Args(lang, name, tokenize(tail))
    number = args.incident()
    users = [u for tok in args.positional if (u := user_ref(tok.text))]
    others = [tok.text for tok in args.positional if not user_ref(tok.text)]
    if len(users) != 1:
        args.fail("error.assign_who")
    if len(others) != 1:
        args.fail("error.assign_role")
    return c.Assign(user=users[0], role=others[0].lower(), incident=number)


def _unassign(lang: str, name: str, tail: str) -> c.Command:
    args = Args(lang, name, tokenize(tail))
    number = args.incident()
    if len(args.positional) != 1:
        args.fail("error.assign_role")
    return c.Unassign(role=args.positional[0].text.lower(), incident=number)


def _log(lang: str, name: str, tail: str) -> c.Command:
    number, body = _free_text(lang, name, tail)
    if not body.strip():
        Args(lang, name, []).fail("error.text_empty", what=t(lang, "word.decision" if name == "decision" else "word.note"))
    return c.Log(text=body, incident=number, decision=name == "decision")


def _done(lang: str, name: str, tail: str) -> c.Command:
    number, body = _free_text(lang, name, tail)
    task, _, note = body.strip().partition(" ")
    if not task:
        Args(lang, name, []).fail("error.task_missing")
    return c.Done(task=task, note=note.strip(), incident=number)


def _phase(lang: str, name: str, tail: str) -> c.Command:
    args = Args(lang, name, tokenize(tail), values=("reason",))
    number = args.incident()
    if len(args.positional) != 1:
        args.fail("error.phase_target")
    target = args.positional[0].text.lower()
    return c.Phase(target="next" if target in ("next", "下一", "下一阶段") else target,
                   reason=args.flags.get("reason", ""), incident=number)


def _close(lang: str, name: str, tail: str) -> c.Command:
    args = Args(lang, name, tokenize(tail), values=("cause", "lessons"))
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
        Args(lang, name, []).fail("error.answer_missing")
    return c.Answer(question=question, value=value.strip(), incident=number)


def _clocks(lang: str, name: str, tail: str) -> c.Command:
    args = Args(lang, name, tokenize(tail), switches=("all",))
    number = args.incident()
    words = [tok.text.lower() for tok in args.positional]
    if words not in ([], ["all"]):
        args.fail("error.extra_words", words=args.rest())
    return c.Clocks(all="all" in args.switches or words == ["all"], incident=number)


_FACT_FLAGS = ("data", "encrypted", "key_safe", "crime", "ransom", "contained", "press", "determined", "assessed",
               "handled", "cac_level")


def _facts(lang: str, name: str, tail: str) -> c.Command:
    tokens = tokenize(tail)
    args = Args(lang, name, tokens, values=_FACT_FLAGS)
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
        Args(lang, name, []).fail("facts.affected_missing")
    return c.Affected(counts=body, incident=number)


def _notified(lang: str, name: str, tail: str) -> c.Command:
    args = Args(lang, name, tokenize(tail), values=("at", "ref"))
    number = args.incident()
    if len(args.positional) != 1:
        args.fail("clocks.notified_missing")
    return c.Notified(regime=args.positional[0].text, at=args.flags.get("at"), reference=args.flags.get("ref", ""),
                      incident=number)


_DRAFT_ID = re.compile(r"^D-?(\d{1,6})$", re.I)


def _draft_number(args: Args, raw: str) -> int:
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
        args = Args(lang, name, [])
        draft = _draft_number(args, target.strip())
        if verb == "show":
            return c.DraftShow(number=draft, incident=number)
        if not text.strip():
            args.fail("draft.edit_how", id=f"D-{draft}")
        return c.DraftEdit(number=draft, text=text, incident=number)
    args = Args(lang, name, tokenize(body), values=("lang", "regime", "variant"))
    if len(args.positional) != 1:
        args.fail("draft.kind_needed")
    return c.DraftNew(kind=args.positional[0].text.lower(), lang=args.flags.get("lang"),
                      regime=args.flags.get("regime"), variant=args.flags.get("variant", "individual").lower(),
                      incident=number)


def _approve(lang: str, name: str, tail: str) -> c.Command:
    args = Args(lang, name, tokenize(tail))
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
        args = Args(lang, name, tokenize(rest), values=("via", "at"))
        who = args.raw_rest(rest).strip()
        if not who or "via" not in args.flags:
            args.fail("clients.notified_how")
        return c.ClientsNotified(who=who, via=args.flags["via"], at=args.flags.get("at"), incident=number)
    Args(lang, name, []).fail("error.extra_words", words=body.strip())
    raise AssertionError("unreachable")


def _letters(lang: str, name: str, tail: str) -> c.Command:
    args = Args(lang, name, tokenize(tail))
    number = args.incident()
    if not args.positional:
        args.fail("draft.id_needed", value="-")
    return c.Letters(numbers=tuple(_draft_number(args, tok.text) for tok in args.positional), incident=number)


def _report(lang: str, name: str, tail: str) -> c.Command:
    args = Args(lang, name, tokenize(tail), values=("format", "lang"))
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
            Args(lang, name, []).fail("followup.id_needed", value=rest.strip() or "-")
        assert match
        return c.FollowUpDone(number=int(match[1]), incident=number)
    tokens = tokenize(body)
    args = Args(lang, name, tokens, values=("owner", "due"))
    text = args.raw_rest(body).strip()
    if not text or "owner" not in args.flags or "due" not in args.flags:
        args.fail("followup.how")
    owner = user_ref(args.flags["owner"]) or args.flags["owner"]
    return c.FollowUpAdd(text=text, owner=owner, due=args.flags["due"], incident=number)


def _drill(lang: str, name: str, tail: str) -> c.Command:
    words = tail.split()
    if len(words) > 1:
        Args(lang, name, []).fail("error.extra_words", words=tail)
    return c.Drill(scenario=words[0].lower() if words else None)


def _history(lang: str, name: str, tail: str) -> c.Command:
    if tail.strip():
        Args(lang, name, []).fail("error.extra_words", words=tail.strip())
    return c.History()


def _snooze(lang: str, name: str, tail: str) -> c.Command:
    args = Args(lang, name, tokenize(tail), values=("reason",))
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


PARSERS: dict[str, Callable[[str, str, str], c.Command]] = {
    "declare": _declare, "status": _simple(c.Status), "roles": _simple(c.Roles), "assign": _assign,
    "unassign": _unassign, "log": _log, "decision": _log, "tasks": _tasks, "done": _done, "phase": _phase,
    "close": _close, "help": _help, "answer": _answer, "questions": _simple(c.Questions),
    "clocks": _clocks, "facts": _facts, "affected": _affected, "notified": _notified,
    "summary": _simple(c.Summary), "report": _report, "followup": _followup, "followups": _simple(c.FollowUps),
    "drill": _drill, "history": _history, "snooze": _snooze,
    "draft": _draft, "drafts": _simple(c.Drafts), "approve": _approve, "clients": _clients, "letters": _letters,
}
