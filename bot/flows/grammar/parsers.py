"""One parser per /breach subcommand: the words after the subcommand become its command object.

Each is named by the command declaration that uses it (`@command(..., parse=parsers.assign)`)."""

from __future__ import annotations

import re
from collections.abc import Callable

from bot import commands as c
from bot.flows.grammar.declaring import declare  # noqa: F401  (the command table names parsers.declare)
from bot.flows.grammar.reminders import snooze  # noqa: F401  (the command table names parsers.snooze)
from bot.flows.grammar.tasks import done_words
from bot.flows.grammar.tokens import (
    INCIDENT,
    Args,
    fold,
    leading_incident,
    list_items,
    tokenize,
    unquote,
    user_ref,
)
from bot.help import subcommand
from bot.text.facts import whole_number
from bot.text.i18n import text as t

_TIMES = ("aware", "at", "due", "determined", "assessed", "handled", "paid", "from", "to")
_NEXT = ("next", "下一", "下一阶段")


def _free_text(lang: str, name: str, tail: str) -> tuple[int | None, str]:
    """A leading BR-n and then the text exactly as typed (notes keep their punctuation)."""
    return leading_incident(tail)


def _split(body: str) -> tuple[str, str]:
    """The first word (in plain form) and the rest as typed, split at any white space."""
    head, *rest = body.strip().split(None, 1)
    return fold(head), rest[0] if rest else ""


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
    tasks, note = done_words(body)
    return c.Done(task=tasks[0], note=note, incident=number, also=tuple(tasks[1:]))


def phase(lang: str, name: str, tail: str) -> c.Command:
    args = Args(lang, name, tokenize(tail), values=("reason",), texts=("reason",), source=tail)
    number = args.incident()
    if not args.positional:
        args.fail("error.phase_target")
    first = args.positional[0].word.lower()
    if first in _NEXT and len(args.positional) > 1 and "reason" not in args.flags:
        words = args.raw_rest(tail)[len(args.positional[0].text):].strip()
        command = "/breach 下一阶段 --理由" if lang == "zh" else "/breach phase next --reason"
        args.fail("parse.phase_reason", words=words, command=f'{command} "{words}"')
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
    if "lessons" not in args.flags:  # the cause may be the one already recorded (the cause question)
        args.fail("error.close_flags")
    return c.Close(cause=args.flags.get("cause", "").lower(), lessons=args.flags["lessons"], incident=number,
                   confirm="confirm" in args.switches)


def answer(lang: str, name: str, tail: str) -> c.Command:
    number, body = _free_text(lang, name, tail)
    if not body.strip():
        Args(lang, name, []).fail("error.answer_missing")
    question, value = _split(body)
    return c.Answer(question=unquote(question), value=unquote(value.strip()), incident=number)


def clocks(lang: str, name: str, tail: str) -> c.Command:
    args = Args(lang, name, tokenize(tail), switches=("all",))
    number = args.incident()
    words = [tok.word.lower() for tok in args.positional]
    if words not in ([], ["all"], ["全部"]):
        args.fail("error.extra_words", words=args.rest())
    return c.Clocks(all="all" in args.switches or bool(words), incident=number)


_FACT_FLAGS = ("data", "encrypted", "key_safe", "crime", "ransom", "contained", "press", "on_behalf", "determined", "assessed",
               "handled", "paid", "cac_level", "from", "to", "systems", "measures")


def facts(lang: str, name: str, tail: str) -> c.Command:
    args = Args(lang, name, tokenize(tail), values=_FACT_FLAGS, whens=_TIMES, source=tail, positional=False)
    number = args.incident()
    if args.positional:
        args.fail("error.extra_words", words=args.rest())
    # no flags: the facts recorded so far are shown (bot.flows.law.facts)
    # a quoted category in the list (`--data ssn,"bank account"`) is one item, its quotes not part of it
    return c.Facts(changes=tuple((flag, ",".join(list_items(args.flags[flag])) if flag == "data" else args.flags[flag])
                                 for flag in args.order), incident=number)


def affected(lang: str, name: str, tail: str) -> c.Command:
    number, body = _free_text(lang, name, tail)
    if not body.strip():
        Args(lang, name, []).fail("facts.affected_missing")
    return c.Affected(counts=body, incident=number)


def notified(lang: str, name: str, tail: str) -> c.Command:
    args = Args(lang, name, tokenize(tail), values=("at", "ref"), texts=("ref",), whens=_TIMES, source=tail)
    number = args.incident()
    if len(args.positional) not in (1, 2):  # a regime, or a regime and for whom (个保法 个人)
        args.fail("clocks.notified_missing")
    return c.Notified(regime=" ".join(tok.word for tok in args.positional), at=args.flags.get("at"), reference=args.flags.get("ref", ""),
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
    number = args.incident() if number is None else number  # `draft regulator BR-1` names it after the kind too
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
    # Several at once: `D-1 D-2 D-3`, `D-1,D-2` or `D-1、D-2` (all or none).
    named = [part for tok in args.positional for part in re.split(r"[,，、]+", tok.text) if part]
    numbers = list(dict.fromkeys(_draft_number(args, part) for part in named))
    return c.Approve(number=numbers[0], incident=number, more=tuple(numbers[1:]))


def clients(lang: str, name: str, tail: str) -> c.Command:
    number, body = _free_text(lang, name, tail)
    if not body.strip():
        return c.ClientsShow(incident=number)
    verb, rest = _split(body)
    if verb.lower() in ("import", "导入"):
        first, *after = rest.split(None, 1) or [""]
        named, left = leading_incident(first)  # `客户 导入 BR-1` names the incident after the verb, as typed
        if number is None and named is not None and not left:
            number, rest = named, after[0] if after else ""
        return c.ClientsImport(source=unquote(rest.strip()), incident=number)
    if (shown := _register_view(body)) is not None:
        untold, fragment, page = shown
        named = [(w, found) for w in fragment.split() if (found := INCIDENT.match(fold(w)))]
        if len(named) == 1 and number is None:  # `客户 未通知 BR-1`: the incident, not a name to look for
            number = int(named[0][1][1])
            fragment = " ".join(w for w in fragment.split() if w != named[0][0])
        return c.ClientsShow(incident=number, untold=untold, fragment=fragment, page=page)
    if verb.lower() in ("notified", "已通知"):
        args = Args(lang, name, tokenize(rest), values=("via", "at"), whens=_TIMES, source=rest)
        number = args.incident() or number  # `已通知 BR-1 1、2` or `已通知 1、2 BR-1` names the incident too
        who = args.raw_rest(rest).strip()
        if not who or "via" not in args.flags:
            args.fail("clients.notified_how")
        return c.ClientsNotified(who=who, via=args.flags["via"], at=args.flags.get("at"), incident=number)
    if verb.lower() in _COMPENSATE + _FEEDBACK:
        return _client_care(lang, name, verb.lower(), rest, number)
    Args(lang, name, []).fail("error.extra_words", words=body.strip())
    raise AssertionError("unreachable")


_COMPENSATE = ("compensate", "compensation", "赔偿")
_FEEDBACK = ("feedback", "反馈")


def _client_care(lang: str, name: str, verb: str, rest: str, number: int | None) -> c.Command:
    """`compensate <client> <amount> [note]` / `feedback <client> <score 1-5> [comment]`; a quoted name may
    have spaces (`"Acme Trading Ltd" ¥5,000`)."""
    rest = rest.strip()
    quoted = re.match(r'^["“”\'‘’](.+?)["“”\'‘’]\s*(.*)$', rest, re.S)
    who, tail = (quoted[1], quoted[2]) if quoted else ((rest.split(None, 1) + [""])[:2] if rest else ("", ""))
    value, *more = tail.split(None, 1) if tail.strip() else [""]
    if not who or not value:
        Args(lang, name, []).fail("clients.compensate_how" if verb in _COMPENSATE else "clients.feedback_how")
    if verb in _COMPENSATE:
        return c.ClientsCompensate(who=who, amount=value, note=more[0] if more else "", incident=number)
    return c.ClientsFeedback(who=who, score=value, comment=more[0] if more else "", incident=number)


_UNTOLD = ("未通知", "尚未通知", "not-notified", "not_notified", "untold")
_PAGE = re.compile(r"^(?:第\s*(\d{1,4})\s*页|(?:page|p)\s*(\d{1,4})|(\d{1,4})\s*页)$", re.I)


def _register_view(body: str) -> tuple[bool, str, int] | None:
    """`未通知`, `第2页`, `page 2`, a name fragment (`明星`), or these together; None for a sub-word (import …)."""
    words = body.split()
    if words and words[0].lower() in ("import", "导入", "notified", "已通知", *_COMPENSATE, *_FEEDBACK):
        return None
    untold, page, rest = False, 1, []
    joined = " ".join(words)
    for match in re.finditer(r"第\s*\d{1,4}\s*页|(?:page|p)\s+\d{1,4}", joined, re.I):
        found = _PAGE.match(match[0])
        page = int(next(g for g in found.groups() if g)) if found else page
    joined = re.sub(r"第\s*\d{1,4}\s*页|(?:page|p)\s+\d{1,4}", " ", joined, flags=re.I)
    for word in joined.split():
        if word.lower() in _UNTOLD:
            untold = True
        else:
            rest.append(word)
    return untold, " ".join(rest), max(page, 1)


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
    if verb.lower() in ("done", "完成", "已完成"):
        # the follow-up's id, and the incident's anywhere around it: `完成 F-1`, `完成 BR-1 F-1`, `完成 F-1 BR-1`
        words = fold(rest).split()
        named = [int(found[1]) for w in words if (found := INCIDENT.match(w))]
        ids = [found for w in words if not INCIDENT.match(w) and (found := _FOLLOWUP_ID.match(w))]
        if len(ids) != 1 or len(named) > 1 or len(ids) + len(named) != len(words):
            Args(lang, name, []).fail("followup.id_needed", value=rest.strip() or "-")
        return c.FollowUpDone(number=int(ids[0][1]), incident=named[0] if named else number)
    args = Args(lang, name, tokenize(body), values=("owner", "due"), whens=_TIMES, source=body)
    text = args.raw_rest(body).strip()
    if not text or "owner" not in args.flags or "due" not in args.flags:
        args.fail("followup.how")
    owner = user_ref(args.flags["owner"]) or args.flags["owner"]
    return c.FollowUpAdd(text=text, owner=owner, due=args.flags["due"], incident=number)


def drill(lang: str, name: str, tail: str) -> c.Command:
    typed = " ".join(unquote(tail).split())  # a scenario's name may be words (`public share`)
    return c.Drill(scenario=fold(typed) if typed else None)


def history(lang: str, name: str, tail: str) -> c.Command:
    """`/breach history` or `/breach history link [hours]` (历史 链接 [小时])."""
    words = tail.split()
    if not words:
        return c.History()
    if words[0].lower() not in ("link", "链接") or len(words) > 2:
        Args(lang, name, []).fail("error.extra_words", words=tail.strip())
    typed = words[1] if len(words) == 2 else "24"
    hours = whole_number(typed.lower().removesuffix("h").removesuffix("小时"))
    if hours is None or not 1 <= hours <= 720:
        Args(lang, name, []).fail("history.bad_link_hours", value=typed)
    return c.History(link_hours=hours)


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
