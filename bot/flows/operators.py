"""/breach firms (所有事务所): every firm the deployment serves, its install, usage and health, for the deployment's
operators only (BREACHBOT_OPERATORS) — the same rows as `breachbot firms`, said in the asker's language.

What the rows hold is computed where the platforms' configuration is known (handlers/firms.py) and handed to
the bot as `deployment_firms`; this module holds the row and says it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.chat import Context, Message, Strong, Text
from bot.errors import UserError
from bot.flows.port import Bot
from bot.incident import wording
from bot.outbox import Outbox
from bot.registry import command
from bot.text.i18n import message
from bot.text.i18n import text as t
from bot.text.worded import said as worded
from storage.models import Workspace

Said = tuple[str, dict[str, Any]]  # a catalogue key under firms. and its values


@dataclass
class Firm:
    """One firm as the operator sees it."""

    workspace: str  # platform:id
    name: str = ""
    lang: str = ""
    timezone: str = ""
    installed: Said = ("install.none", {})
    incidents: int = 0
    open: int = 0
    drills: int = 0
    last_activity: datetime | None = None
    admins: list[str] = field(default_factory=list)
    admins_default: bool = True  # the deployment's admins (breachbot.toml), not the firm's own (/breach config)
    data_key: str = ""  # the reference of the firm's data key (k12), never the key
    issues: list[tuple[str, Said]] = field(default_factory=list)  # ("problem" | "note", what)

    def problem(self, key: str, **values: Any) -> None:
        """Something that needs fixing (`breachbot doctor --all` fails on it)."""
        self.issues.append(("problem", (key, values)))

    def note(self, key: str, **values: Any) -> None:
        """Worth knowing, nothing broken."""
        self.issues.append(("note", (key, values)))

    @property
    def install(self) -> str:
        """How the deployment reaches the firm, in English."""
        return _say("en", self.installed)

    @property
    def problems(self) -> list[str]:
        """What needs fixing, in English."""
        return [_say("en", what) for kind, what in self.issues if kind == "problem"]

    @property
    def notes(self) -> list[str]:
        """What is worth knowing, in English."""
        return [_say("en", what) for kind, what in self.issues if kind == "note"]


def _say(lang: str, said: Said) -> str:
    key, values = said
    return t(lang, f"firms.{key}", **{name: worded(value, lang) for name, value in values.items()})


def listing(rows: list[Firm], lang: str = "en") -> str:
    """The firms as lines an operator reads."""
    if not rows:
        return t(lang, "firms.none")
    out = [t(lang, "firms.count", count=len(rows))]
    for f in rows:
        kinds = {kind for kind, _ in f.issues}
        mark = "✗" if "problem" in kinds else "⚠" if kinds else "✓"
        last = f"{f.last_activity:%Y-%m-%d %H:%M} UTC" if f.last_activity else t(lang, "firms.never")
        spoken = (f.lang if lang == "en" else wording.name(lang, "lang", f.lang)) if f.lang else "-"
        out.append(f"{mark} {f.workspace}  {f.name or t(lang, 'firms.no_name')}  {spoken} {f.timezone or ''}"
                   .rstrip())
        out.append(t(lang, "firms.install_line", install=_say(lang, f.installed)))
        out.append(t(lang, "firms.usage_line", incidents=f.incidents, open=f.open, drills=f.drills, last=last,
                     admins=("、" if lang == "zh" else ", ").join(f.admins) + (
                         (" " if f.admins and lang == "en" else "") + t(lang, "firms.default_admins")
                         if f.admins_default else ""),
                     key=f.data_key or t(lang, "firms.no_key")))
        out += [t(lang, f"firms.{kind}_line", text=_say(lang, what)) for kind, what in f.issues]
    return "\n".join(out)


def operator(bot: Bot, context: Context) -> bool:
    """Whether the person is one of the deployment's operators (BREACHBOT_OPERATORS: platform:workspace:user)."""
    return f"{context.platform}:{context.workspace}:{context.user}" in bot.settings.operator_ids


@dataclass(frozen=True)
class Firms:
    """`/breach firms`: every firm of the deployment (operators only)."""


def parse_firms(lang: str, name: str, tail: str) -> Firms:
    """`/breach firms`, nothing after it."""
    if tail.strip():
        raise UserError(message(lang, "firms.no_arguments", kind="error", typed=tail.strip()[:40]))
    return Firms()


@command(Firms, "firms", parse=parse_firms, zh=("所有事务所", "事务所列表"), group="after")
def firms(bot: Bot, session: Session, ws: Workspace, context: Context, cmd: Firms, out: Outbox) -> None:
    """List every firm with its install, usage and health, to an operator only; anyone else is told who may."""
    lang = ws.lang
    if not operator(bot, context):
        raise UserError(message(lang, "firms.not_operator", kind="error",
                                you=f"{context.platform}:{context.workspace}:{context.user}"))
    rows: Callable[[datetime], list[Firm]] | None = getattr(bot, "deployment_firms", None)
    if rows is None:  # a bot built without the deployment's view (a test, a one-off command)
        raise UserError(message(lang, "firms.unavailable", kind="error"))
    text = listing(rows(bot.now()), lang).splitlines()
    out.reply(Message(lines=((Strong(text[0]),), *((Text(line),) for line in text[1:]))))
