"""The two kinds of error: the person's mistake, shown as-is, and ours, shown with an id."""

from __future__ import annotations

import secrets

from bot.chat import Message


class UserError(Exception):
    """A problem the person can fix; its message is shown to them unchanged."""

    def __init__(self, message: str | Message) -> None:
        self.message = message if isinstance(message, Message) else Message.plain(message)
        super().__init__(self.message.plain_text())


class ConfigError(Exception):
    """Configuration (settings, playbook, roster) that cannot be used; says what to fix."""


def new_error_id() -> str:
    """A short id that ties what the person sees to the log line."""
    return secrets.token_hex(3)
