"""`/breach declare <title> [--severity] [--aware] [--clients] [--data] [--drill] [--new]`: the title as typed, the
data categories as a list whose items may be quoted (`--data ssn,"bank account"`)."""

from __future__ import annotations

import re

from bot import commands as c
from bot.flows.grammar.tokens import Args, Token, flag_names, flag_of, list_items, tokenize
from bot.help import typed_word
from bot.text.facts import whole_number
from bot.text.i18n import text as t

_TIMES = ("aware", "at", "due", "determined", "assessed", "handled", "paid", "from", "to")


def declare(lang: str, name: str, tail: str) -> c.Command:
    tokens = tokenize(tail)
    args = Args(lang, name, tokens, values=("severity", "aware", "clients", "data"), switches=("drill", "new"),
                whens=_TIMES, source=tail)
    clients = None
    if "clients" in args.flags:
        raw = args.flags["clients"].replace(",", "").replace("_", "")
        clients = whole_number(raw)
        if clients is None:
            args.fail("error.clients_number", value=args.flags["clients"])
    # list separators only: a category may be words (`--data "payroll, tax id, bank account"`, `ssn,"bank account"`)
    data = tuple(d.lower() for d in list_items(args.flags.get("data", "")))
    _data_then_words(args, tokens, data)
    title = args.raw_rest(tail)
    if not title.strip():
        args.fail("error.title_empty")
    return c.Declare(title=title, severity=args.flags.get("severity"), aware=args.flags.get("aware"),
                     clients=clients, data=data, drill="drill" in args.switches, new="new" in args.switches)


def _data_then_words(args: Args, tokens: list[Token], data: tuple[str, ...]) -> None:
    """Refuse words right after a --data list when they may be its last category (`--data ssn,bank account`): part
    of the title, or of the category? Nothing is stored; the reply shows the quoted form."""
    at = next((i for i, tok in enumerate(tokens) if (found := flag_of(tok, {"data"})) and found[0] == "data"), None)
    if at is None or not data:
        return
    inline = flag_of(tokens[at], {"data"})[1]  # type: ignore[index]
    after = at + (1 if inline else 2)
    words = []
    for tok in tokens[after:]:
        if not any(tok is p for p in args.positional):
            break
        words.append(tok)
    before = any(p.start < tokens[at].start for p in args.positional)
    typed = inline or (tokens[at + 1].word if at + 1 < len(tokens) else "")
    if not words or not (before or re.search(r"[,，、;；]", typed)):
        return
    extra = " ".join(tok.text for tok in words)
    items = list(data[:-1]) + [f'"{data[-1]} {extra}"']
    flag = flag_names(args.lang, "data")
    title = t(args.lang, "parse.title_word")
    args.fail("parse.data_words", words=extra, flag=flag,
              command=f"/breach {typed_word(args.lang, args.name)} <{title}> {flag} {','.join(items)}")
