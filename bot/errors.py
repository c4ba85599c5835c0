"""The two kinds of error: the person's mistake, shown as-is, and ours, shown with an id."""

from __future__ import annotations

import secrets

from bot.chat import Line, Message
from bot.text.i18n import line
from bot.text.worded import Worded


class UserError(Exception):
    """A problem the person can fix; its message is shown to them unchanged."""

    def __init__(self, message: str | Message) -> None:
        self.message = message if isinstance(message, Message) else Message.plain(message)
        super().__init__(self.message.plain_text())


class WhichIncident(UserError):
    """Several open incidents could be meant: the answer lists them and shows the command typed naming one."""

    # Commands that take nothing after the incident id, so their example ends there.
    BARE = frozenset({"status", "roles", "questions", "summary", "drafts", "followups", "tasks", "clocks", "clients",
                      "report"})

    def __init__(self, *, lang: str, listing: tuple[Line, ...], example: str) -> None:
        self.lang, self.listing, self.example = lang, listing, example
        super().__init__(self.naming("status"))

    def naming(self, command: str) -> Message:
        """The list, headed by an example of `command` with the incident named (`/breach log BR-2 …`)."""
        tail = "" if command in self.BARE else " …"
        header = line(self.lang, "error.which_incident", example=f"/breach {command} {self.example}{tail}")
        return Message(lines=(header, *self.listing), kind="error")


class ConfigError(Worded):
    """Configuration (settings, playbook, roster, platform credentials) that cannot be used; says what to fix, in
    any language (`said(lang)`: a catalogue key under `problem.` and its values)."""


def new_error_id() -> str:
    """A short id that ties what the person sees to the log line."""
    return secrets.token_hex(3)
