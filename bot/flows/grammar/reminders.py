"""`/breach snooze [phase] [delay] <why …>` (or `--reason "<why>"`): which phase's reminder, how long, why."""

from __future__ import annotations

from bot import commands as c
from bot.flows.grammar.tokens import Args, tokenize
from bot.text.times import is_duration


def snooze(lang: str, name: str, tail: str) -> c.Command:
    args = Args(lang, name, tokenize(tail), values=("reason",), texts=("reason",), source=tail)
    number = args.incident()
    words = [tok.word for tok in args.positional]
    if "reason" not in args.flags:
        return _snooze_typed(args, words, number)
    if len(words) > 2:
        args.fail("snooze.how")
    durations = [w for w in words if is_duration(w)]
    phases = [w for w in words if w not in durations]
    if len(durations) > 1 or len(phases) > 1:
        args.fail("snooze.how")
    phase, duration = (phases or [None])[0], (durations or ["30m"])[0]
    return c.Snooze(phase=phase, duration=duration, reason=args.flags["reason"], incident=number)


def _snooze_typed(args: Args, words: list[str], number: int | None) -> c.Command:
    """`snooze [phase] [delay] <why …>`: the words after the phase and the delay are the reason, as
    `done 3 <note>` takes its note; a phase is a number, or a word followed by a delay."""
    at = 0
    phase = duration = None
    if words and not is_duration(words[0]) and (words[0].isdigit() or (len(words) > 1 and is_duration(words[1]))):
        phase, at = words[0], 1
    if at < len(words) and is_duration(words[at]):
        duration, at = words[at], at + 1
    reason = " ".join(words[at:]).strip()
    if not reason:
        args.fail("snooze.how")
    return c.Snooze(phase=phase, duration=duration or "30m", reason=reason, incident=number)
