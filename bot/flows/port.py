"""The running bot as the flows see it: only what a flow uses, so flows never import bot/app.py."""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime
from typing import Protocol

from jinja2 import Environment
from sqlmodel import Session

from bot.chat import Chat, Context
from bot.incident.playbook import Playbook
from bot.law.regimes import RegimeBook
from bot.settings import FirmConfig, Settings
from storage.models import Workspace


class Bot(Protocol):
    """What a flow may ask of the bot running it (bot.app.Breachbot implements it)."""

    settings: Settings
    chat: Chat
    playbook: Playbook
    regimes: RegimeBook
    firm: FirmConfig
    firm_profile: frozenset[str]
    worker_id: str

    @property
    def templates(self) -> Environment:
        """The statement templates (built once per bot)."""
        ...

    def now(self) -> datetime:
        """The injected clock's time."""
        ...

    def unit(self, *, write: bool = True) -> AbstractContextManager[Session]:
        """One transaction."""
        ...

    def workspace(self, session: Session, context: Context) -> Workspace:
        """The workspace of an inbound event."""
        ...
