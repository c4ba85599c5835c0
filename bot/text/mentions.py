"""People named inside free text: `<@id|label>` (how a platform hands over a mention it recognised) becomes
the person's display name in the text, with the ids kept beside it.

A note reading "called <@U0BOB|bob> about the share" is stored as "called @Bob about the share" with
`mentions: [{"user": "U0BOB", "name": "Bob"}]`: the timeline, the report and every export read the name,
never markup, and a platform that can mention people (Slack) shows the name as a live mention again.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from bot.chat import Line, Mention, Text

# With its label: a platform adapter hands over a mention it recognised as `<@id|label>`, while text a
# person typed that merely looks like one (`<@U1>`) is left as typed.
_MARKUP = re.compile(r"<@([A-Za-z0-9][\w.\-]{0,63})\|([^<>]{0,100})>")
NAME_MAX = 80


def named(text: str, name_of: Callable[[str], str]) -> str:
    """Each `<@id|label>` with the person's display name as its label (`name_of` may call the platform:
    run this before the transaction)."""
    def swap(match: re.Match[str]) -> str:
        name = " ".join((name_of(match[1]) or match[2] or match[1]).replace("<", "").replace(">", "")
                        .replace("|", "").split())[:NAME_MAX]
        return f"<@{match[1]}|{name or match[1]}>"
    return _MARKUP.sub(swap, text)


def resolve(text: str) -> tuple[str, list[tuple[str, str]]]:
    """The text with each mention as `@Name`, and the people named (id and name, first mention first)."""
    people: dict[str, str] = {}

    def swap(match: re.Match[str]) -> str:
        name = match[2] or match[1]
        people.setdefault(match[1], name)
        return f"@{name}"
    return _MARKUP.sub(swap, text), list(people.items())


def stored(mentioned: tuple[tuple[str, str], ...] | list[tuple[str, str]]) -> list[dict[str, str]]:
    """The people named, as kept beside the text in the timeline."""
    return [{"user": user, "name": name} for user, name in mentioned]



def spans(text: str, mentioned: list[dict[str, str]]) -> Line:
    """Stored text as a line where each `@Name` of a mentioned person is a Mention of them again."""
    names = {f"@{m['name']}": m["user"] for m in mentioned if m.get("name") and m.get("user")}
    if not names:
        return (Text(text),)
    pattern = re.compile("|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)))
    out: list[Text | Mention] = []
    last = 0
    for match in pattern.finditer(text):
        if match.start() > last:
            out.append(Text(text[last:match.start()]))
        out.append(Mention(names[match[0]]))
        last = match.end()
    if last < len(text):
        out.append(Text(text[last:]))
    return tuple(out)


def by_name(typed: str, *, people: dict[str, str], roster: list[str], name_of: Callable[[str], str]) -> str | None:
    """The id of the person typed by their name (`@陈晓`) rather than their id: a name the firm's
    `[people]` gives, else a roster member's name on the platform (WeCom's address book). None if
    nobody, or more than one person, goes by it."""
    name = typed.strip().lstrip("@＠").strip()
    if not name:
        return None
    found = {user for user, shown in people.items() if shown == name}
    if not found:
        found = {user for user in dict.fromkeys(roster) if user != name and name_of(user) == name}
    return found.pop() if len(found) == 1 else None
