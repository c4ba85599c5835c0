"""Words of a /breach command: quoted phrases, flags, people, incident ids.

People type on phones and with Chinese input methods: full-width letters, digits and signs
(`ＢＲ－１`, `＠bob`, `CN＝1200`), ideographic spaces, and `--` turned into a dash (`—reason`). The
words that steer a command are read with full-width forms made plain; free text (notes, titles, reasons, lessons) is
kept exactly as typed.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

from bot.chat import Message, Text
from bot.errors import UserError
from bot.help import usage, usage_line
from bot.text.facts import narrow
from bot.text.i18n import catalogue
from bot.text.i18n import text as t
from bot.text.times import TooLong, parse_when

INCIDENT = re.compile(r"^(?:BR-?)(\d{1,9})$", re.I)
_SLACK_USER = re.compile(r"^<@([A-Z0-9]+)(?:\|[^>]*)?>$")
_QUOTES = {'"': '"', "'": "'", "“": "”", "‘": "’", "「": "」", "『": "』", "＂": "＂"}
QUOTES = _QUOTES  # opening quote → its partner
# Quotes that pair up around a whole value as phones and input methods write them (`"今早8点"`, `”是”`): (opening,
# closing) characters of each kind.
_QUOTE_PAIRS = (('"“”＂', '"”“＂'), ("'‘’", "'’‘"), ("「", "」"), ("『", "』"))
# `--` as autocorrect and input methods write it: an em or en dash, two of them, a horizontal bar.
_DASH_FLAG = re.compile(r"^(?:[—–―‒‐‑]{1,2})(?=[^\W\d_])([\w\-]+)(?:=(.*))?$", re.S)
_PLAIN_FLAG = re.compile(r"^--(?=.)([^=]*)(?:=(.*))?$", re.S)


def fold(text: str) -> str:
    """A steering word as meant: full-width forms made plain (NFKC of the full-width block only)."""
    return narrow(text)


@dataclass(frozen=True)
class Token:
    """A word or a quoted phrase, with where it sits in the original text."""

    text: str
    start: int
    end: int
    quoted: bool = False

    @property
    def word(self) -> str:
        """The word in plain form (`ＢＲ－１` → `BR-1`); quoted phrases stay as typed."""
        return self.text if self.quoted else fold(self.text)


def tokenize(text: str) -> list[Token]:
    """Split on white space (any: ideographic spaces too); a token that opens with a quote runs to its
    closing quote (or the end)."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        start = i
        closing = _QUOTES.get(text[i])
        end = text.find(closing, i + 1) if closing else -1
        if end != -1 and not (end + 1 < n and text[end + 1] in _LIST_MARKS):  # no partner: an apostrophe
            tokens.append(Token(text[i + 1:end], start, end + 1, quoted=True))
            i = end + 1
            continue
        i = _word_end(text, i)
        tokens.append(Token(text[start:i], start, i))
    return tokens


_LIST_MARKS = ",，、;；"


def _word_end(text: str, i: int) -> int:
    """Where an unquoted word ends: at white space, except inside a quoted item of a list (`ssn,"bank account"`,
    `"bank account",ssn`): a quote opens an item at the word's start or after a list mark, if it has a partner."""
    n, start = len(text), i
    while i < n and not text[i].isspace():
        closing = _QUOTES.get(text[i])
        if closing and (i == start or text[i - 1] in _LIST_MARKS) and (end := text.find(closing, i + 1)) != -1:
            i = end + 1
            continue
        i += 1
    return i


def list_items(value: str) -> list[str]:
    """A list typed after a flag (`ssn,"bank account",tax_id`, `银行账户、税号`) → its items, quotes removed; a list
    mark inside quotes belongs to the item."""
    items, current, i, n = [], "", 0, len(value)
    while i < n:
        closing = _QUOTES.get(value[i])
        if closing and not current.strip() and (end := value.find(closing, i + 1)) != -1:
            current += value[i + 1:end]
            i = end + 1
            continue
        if value[i] in _LIST_MARKS:
            items.append(current)
            current = ""
        else:
            current += value[i]
        i += 1
    items.append(current)
    return [item.strip() for item in items if item.strip()]


def unquote(text: str) -> str:
    """A value typed in quotes, as the bot's own hints show it (`"今早8点"`, `“staff_report”`, `「是」`) → the value;
    anything else as typed."""
    inner = text.strip()
    if len(inner) >= 2 and any(inner[0] in opening and inner[-1] in closing for opening, closing in _QUOTE_PAIRS):
        return inner[1:-1].strip()
    return text


_NAME = re.compile(r"^[\w.\-]{1,64}$")


def user_ref(raw: str) -> str | None:
    """A person named in a command: Slack's <@U123|name>, or @name (letters, digits, . _ -, at most 64)."""
    if match := _SLACK_USER.match(raw):
        return match[1]
    raw = fold(raw) if len(raw) <= 70 else raw
    if raw.startswith("@") and _NAME.match(raw[1:]):
        return raw[1:]
    return None


@cache
def _chinese_flags() -> dict[str, tuple[str, ...]]:
    """Chinese flag name → the flags it may mean (`原因` is --cause for close, --reason elsewhere)."""
    found: dict[str, tuple[str, ...]] = {}
    for key, names in catalogue("zh").items():
        if key.startswith("flag_names."):
            for zh_name in names.split("/"):
                found[zh_name.strip()] = found.get(zh_name.strip(), ()) + (key.removeprefix("flag_names."),)
    return found


def flag_key(name: str, accepted: set[str] | frozenset[str] = frozenset()) -> str:
    """A flag as typed (`severity`, `key-safe`, `严重程度`) → its key (`severity`, `key_safe`)."""
    meant = _chinese_flags().get(name.strip())
    if meant:
        return next((m for m in meant if m in accepted), meant[0])
    return name.lower().replace("-", "_")


def flag_names(lang: str, flag: str) -> str:
    """How a flag is shown in a language: `--severity`, or `--严重程度` in Chinese."""
    if lang == "zh" and (names := catalogue("zh").get(f"flag_names.{flag}")):
        return "--" + names.split("/")[0]
    return "--" + flag.replace("_", "-")


def _flag_words(flag: str) -> list[str]:
    """Every name of a flag, folded: its key, with dashes, and each Chinese name."""
    zh = catalogue("zh").get(f"flag_names.{flag}", "")
    return [flag.casefold(), flag.replace("_", "-").casefold(), *(n.strip() for n in zh.split("/") if n.strip())]


@cache
def _synonyms(flag: str) -> frozenset[str]:
    """Other words for a flag (`flag_synonyms.` of both catalogues), folded."""
    return frozenset(fold(n).strip().casefold() for lang in ("en", "zh")
                     for n in catalogue(lang).get(f"flag_synonyms.{flag}", "").split("/") if n.strip())


def meant_flags(typed: str, accepted: frozenset[str], lang: str, usage_text: str = "") -> list[str]:
    """The flags of a command a wrong one most likely meant, as the command's usage shows them: `--开始` →
    `--开始时间`, `--时间` → every time flag, `--severty` → `--severity`; none when nothing is close."""
    word = fold(typed).lstrip("-—–―‒‐‑").split("=")[0].strip().casefold()
    if not word:
        return []
    names = {name: flag for flag in sorted(accepted) for name in _flag_words(flag)}
    # a word people use for the flag (--start for --from, --channel for --via) in either language
    found = [flag for flag in sorted(accepted) if word in _synonyms(flag)]
    found = found or [flag for name, flag in names.items()
             if len(word) >= 2 and (name.startswith(word) or word.startswith(name) and len(name) >= 2
                                    or not word.isascii() and name.endswith(word))]
    if not found:
        alike = [name for name in names if abs(len(name) - len(word)) <= max(1, len(word) // 3)]  # a typo, not a word
        close = difflib.get_close_matches(word, alike, n=2, cutoff=0.6 if word.isascii() else 0.5)
        found = [names[c] for c in close]
    shown: list[str] = []
    for flag in dict.fromkeys(found):
        said = flag_names(lang, flag)
        if lang == "zh":  # the name the usage line uses (`--结束时间` in facts, `--收件人` in send)
            said = next((f"--{n}" for n in _flag_words(flag)[2:] if f"--{n} " in usage_text + " "
                         or f"--{n}]" in usage_text), said)
        shown.append(said)
    return sorted(shown, key=lambda said: usage_text.find(said + " ") % (len(usage_text) + 1))


def flag_of(token: Token, accepted: set[str] | frozenset[str]) -> tuple[str, str | None] | None:
    """(flag, inline value) when a token is a flag: `--name` (English or Chinese: `--严重程度`), or `—name` /
    `——name` for a flag this command takes (a dash before any other word is just a dash)."""
    if token.quoted:
        return None
    word = token.word
    if match := _PLAIN_FLAG.match(word):
        return flag_key(match[1], accepted), match[2]
    if (match := _DASH_FLAG.match(word)) and (name := flag_key(match[1], accepted)) in accepted:
        return name, match[2]
    return None


def dashed_flag(token: Token, accepted: set[str] | frozenset[str]) -> bool:
    """Whether a word written with a dash (`——客户`, `—严重`, `—owner`) is a flag this command does not take: a flag's
    name (any command's, English or Chinese) or the start of one this command takes (two Chinese or three letters)."""
    match = None if token.quoted else _DASH_FLAG.match(token.word)
    if match is None:
        return False
    name = match[1].casefold()
    known = {key.removeprefix("flag_names.") for key in catalogue("zh") if key.startswith("flag_names.")}
    if name in _chinese_flags() or name.replace("-", "_") in known:
        return True
    return len(name) >= (3 if name.isascii() else 2) and any(
        word.startswith(name) for flag in accepted for word in _flag_words(flag))


_NOW = datetime(2026, 1, 1, tzinfo=UTC)


def reads_as_time(words: str) -> bool:
    """Whether words are a time the bot can read (its syntax only; which moment depends on the clock)."""
    try:
        parse_when(words, now=_NOW, tz="UTC")
    except TooLong:
        return True
    except ValueError:
        return False
    return True


class Args:
    """Flags and positionals of one subcommand, checked against what it accepts.

    `texts` are free-text flags: their value runs to the next flag, as typed (`--reason scope known`).
    `whens` are time flags: they take as many words as read as one time (`--aware yesterday 11pm`).
    A subcommand with no words of its own (`positional=False`) lets every flag run to the next one.
    """

    def __init__(self, lang: str, name: str, tokens: list[Token], *, values: tuple[str, ...] = (),
                 switches: tuple[str, ...] = (), texts: tuple[str, ...] = (), whens: tuple[str, ...] = (),
                 source: str = "", positional: bool = True) -> None:
        self.lang, self.name = lang, name
        self.flags: dict[str, str] = {}
        self.order: list[str] = []
        self.switches: set[str] = set()
        self.positional: list[Token] = []
        self._all, self._source = tokens, source
        accepted = frozenset(values) | frozenset(switches)
        i = 0
        while i < len(tokens):
            token = tokens[i]
            found = flag_of(token, accepted)
            if found is None and dashed_flag(token, accepted):  # `——客户 30`: a flag meant, not words of the text
                self.unknown_flag(token.text, accepted)
            if found is None:
                self.positional.append(token)
                i += 1
                continue
            flag, inline = found
            if flag in switches:
                self.switches.add(flag)
                i += 1
                continue
            shown = flag_names(self.lang, flag)
            if flag not in values:
                self.unknown_flag(token.text, accepted)
            if flag in self.flags:
                self.fail("error.flag_twice", flag=shown)
            run: list[Token] = []
            for following in tokens[i + 1:]:
                if flag_of(following, accepted) is not None:
                    break
                run.append(following)
            greedy = flag in texts or not positional
            if inline:
                take = len(run) if greedy else 0
                self.flags[flag] = self._value([token], flag in texts, inline=inline, more=run[:take])
            elif not run:
                self.fail("error.flag_value", flag=shown)
            else:
                take = len(run) if greedy else (_time_run(run) if flag in whens else 1)
                self.flags[flag] = self._value(run[:take], flag in texts)
            self.order.append(flag)
            i += 1 + take

    def _value(self, run: list[Token], as_typed: bool, *, inline: str | None = None,
               more: list[Token] | None = None) -> str:
        """A flag's value: one word in plain form, or several words (free text: exactly as typed)."""
        if inline is not None:
            head = inline if as_typed else fold(inline)
            if not more:
                return head
            tail = (self._source[run[0].end:more[-1].end] if self._source and as_typed
                    else " " + " ".join(tok.word for tok in more))
            return head + tail
        if len(run) == 1:
            return run[0].text if as_typed else run[0].word
        if as_typed and self._source:
            return self._source[run[0].start:run[-1].end]
        return " ".join(tok.text if as_typed else tok.word for tok in run)

    def unknown_flag(self, typed: str, accepted: frozenset[str]) -> None:
        """Refuse a flag this command does not take, with the ones it may have meant as its usage shows them."""
        said = t(self.lang, "error.unknown_flag", flag=typed)
        if meant := meant_flags(typed, accepted, self.lang, usage_line(self.lang, self.name)):
            said += t(self.lang, "names.did_you_mean", suggestion=("、" if self.lang == "zh" else ", ").join(meant))
        raise UserError(Message(lines=((Text(said),),) + usage(self.lang, self.name).lines, kind="error"))

    def fail(self, key: str, **values: object) -> None:
        raise UserError(Message(lines=((Text(t(self.lang, key, **values)),),) + usage(self.lang, self.name).lines,
                                kind="error"))

    def incident(self, *, bare: bool = False) -> int | None:
        """Take a leading or closing BR-n, if the person named one (`bare`: a lone number is an incident too)."""
        if self.positional and (match := INCIDENT.match(self.positional[0].word)):
            self.positional.pop(0)
            return int(match[1])
        if len(self.positional) > 1 and (match := INCIDENT.match(self.positional[-1].word)):
            self.positional.pop()  # `下一阶段 BR-1`, `已通知 1、2 BR-1`
            return int(match[1])
        if bare and len(self.positional) == 1 and re.fullmatch(r"\d{1,9}", self.positional[0].word):
            return int(self.positional.pop(0).word)
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


def _time_run(run: list[Token]) -> int:
    """How many of the words after a time flag make up the time: `2h ago`, `yesterday 11pm`, `next friday`."""
    best = 1
    for size in range(2, min(len(run), 4) + 1):
        if any(tok.quoted for tok in run[:size]):
            break
        if reads_as_time(" ".join(tok.word for tok in run[:size])):
            best = size
    return best


def leading_incident(tail: str) -> tuple[int | None, str]:
    """A leading BR-n (full-width too) and the text after it exactly as typed; else (None, tail)."""
    stripped = tail.lstrip()
    first = re.match(r"\S{1,24}", stripped)
    if first is None:
        return None, tail
    word = first[0]
    for size in range(len(word), 1, -1):
        match = INCIDENT.match(fold(word[:size]))
        boundary = size == len(word) or not re.match(r"\w", fold(word[size]))
        if match and boundary:
            return int(match[1]), stripped[size:].lstrip()
    return None, tail


__all__ = ["INCIDENT", "Args", "Token", "flag_key", "flag_names", "flag_of", "fold", "leading_incident", "list_items",
           "tokenize",
           "unquote", "user_ref"]
