"""Words of a /breach command: quoted phrases, flags, people, incident ids."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.chat import Message, Text
from bot.errors import UserError
from bot.help import usage
from bot.i18n import text as t

# Chinese (and a few English) words for subcommands; an alias may carry its first argument.
ALIASES = {
    "宣布": "declare", "状态": "status", "角色": "roles", "指派": "assign", "记录": "log", "决定": "decision",
    "稍后提醒": "snooze", "总结": "summary", "报告": "report", "跟进": "followup", "演练": "drill", "历史": "history", "起草": "draft", "草稿": "drafts", "批准": "approve", "客户": "clients", "信函": "letters", "时限": "clocks", "事实": "facts", "影响": "affected", "已通报": "notified", "回答": "answer", "问题": "questions", "任务": "tasks", "完成": "done", "阶段": "phase", "下一阶段": "phase next", "结案": "close", "帮助": "help",
    "?": "help", "decide": "decision", "note": "log",
}
INCIDENT = re.compile(r"^(?:BR-?)(\d{1,9})$", re.I)
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


_NAME = re.compile(r"^[\w.\-]{1,64}$")


def user_ref(raw: str) -> str | None:
    """A person named in a command: Slack's <@U123|name>, or @name (letters, digits, . _ -, at most 64)."""
    if match := _SLACK_USER.match(raw):
        return match[1]
    if raw.startswith("@") and _NAME.match(raw[1:]):
        return raw[1:]
    return None


class Args:
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
        if self.positional and (match := INCIDENT.match(self.positional[0].text)):
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
