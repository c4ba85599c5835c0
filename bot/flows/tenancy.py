"""Many firms on one deployment: which workspace a platform call is for, and a workspace that removed the app.

Every platform call the bot makes outside an inbound event (the outbox, alerts, a send's progress) is made
`for_incident`, so a platform that serves several workspaces (Slack installed through OAuth) uses the
credentials of that incident's workspace, never another firm's.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, func, select

from bot import delivery
from bot.chat import acting_for
from bot.flows.port import Bot
from bot.incident import incidents, timeline
from bot.incident.playbook import Playbook, load_playbook
from bot.law.regimes import RegimeBook, load_regimes
from bot.settings import PACKAGE_PLAYBOOKS, FirmConfig
from bot.text.i18n import text as t
from storage.models import Alert, FirmSettings, Incident, OutboundMessage, TimelineEvent, Workspace

log = logging.getLogger("breachbot")

STOPPED = "stopped"  # an alert of a workspace the app was removed from: kept, not sent
REMOVED_REASONS = ("app_uninstalled", "tokens_revoked")


def workspace_of(session: Session, incident_id: int | None) -> str | None:
    """The platform's id of the workspace an incident belongs to (None for no incident)."""
    if incident_id is None:
        return None
    incident = session.get(Incident, incident_id)
    ws = session.get(Workspace, incident.workspace_id) if incident is not None else None
    return ws.external_id if ws is not None else None


@contextmanager
def for_incident(bot: Bot, incident_id: int | None, *, fallback: str | None = None) -> Iterator[None]:
    """Platform calls inside are made for the incident's workspace (`fallback` when there is no incident), and
    the bot speaks as that firm (its language, timezone, roster, playbook: `serving`)."""
    with bot.unit(write=False) as session:
        workspace = workspace_of(session, incident_id) or fallback
    with serving(bot, workspace):
        yield


# -- each firm's own settings ----------------------------------------------------------------------------
@dataclass(frozen=True)
class FirmView:
    """The deployment's settings as one firm sees them: what its admins set (FirmSettings) over the defaults."""

    firm: FirmConfig
    lang: str
    timezone: str
    playbook: Playbook
    firm_profile: frozenset[str]
    regimes: RegimeBook


class _Loading:
    """A firm's view, read from the database the first time something asks (a Slack ack never does)."""

    def __init__(self, bot: Bot, workspace: str, platform: str | None = None) -> None:
        self.bot, self.workspace, self.platform = bot, workspace, platform or bot.chat.platform
        self._view: FirmView | None = None

    def get(self) -> FirmView:
        if self._view is None:  # two threads may both read it: the same answer, no harm
            self._view = view(self.bot, _read_values(self.bot, self.workspace, self.platform))
        return self._view


_VIEW: ContextVar[tuple[int, _Loading] | None] = ContextVar("breachbot_firm_view", default=None)
_SCOPED = ("firm", "lang", "timezone", "playbook", "firm_profile", "regimes")


class FirmScoped:
    """`firm`, `lang`, `timezone`, `playbook`, `firm_profile` and `regimes` of the firm being served (inside `serving`),
    else the deployment's (breachbot.toml, the environment); assigning sets the deployment's."""

    def _scoped(self, name: str) -> Any:
        view = _VIEW.get()
        if view is not None and view[0] == id(self):
            return getattr(view[1].get(), name)
        return self.__dict__[f"_default_{name}"]

    def default(self, name: str) -> Any:
        """The deployment's own value of a scoped setting (whatever firm is served)."""
        return self.__dict__[f"_default_{name}"]


def _scoped_property(name: str) -> property:
    return property(lambda self: self._scoped(name),
                    lambda self, value: self.__dict__.__setitem__(f"_default_{name}", value),
                    doc=f"The served firm's {name}, else the deployment's.")


for _name in _SCOPED:
    setattr(FirmScoped, _name, _scoped_property(_name))


def stored(session: Session, workspace_id: int | None) -> dict[str, Any]:
    """What a firm's admins set (empty when nothing is)."""
    row = session.get(FirmSettings, workspace_id) if workspace_id is not None else None
    return dict(row.values) if row is not None else {}


def settled(session: Session, ws: Workspace, *, lang: str, timezone: str) -> tuple[str, str]:
    """A workspace's language and timezone: what its admins set wins over the deployment's."""
    values = stored(session, ws.id)
    return values.get("lang") or lang, values.get("timezone") or timezone


def playbook_path(bot: Any, name: str) -> Path | None:
    """Where the playbook called `name` lives: next to the deployment's playbook, or among the packaged ones."""
    for folder in (Path(bot.settings.playbook).parent, PACKAGE_PLAYBOOKS):
        path = folder / f"{name}.yaml"
        if name and "/" not in name and "\\" not in name and not name.startswith(".") and path.is_file():
            return path
    return None


def firm_playbook(bot: Any, name: str) -> Playbook:
    """A firm's playbook override, loaded once per file version (`bot`: anything with `settings`)."""
    path = playbook_path(bot, name)
    if path is None:
        raise FileNotFoundError(name)
    return load_playbook(path)


def regimes_path(bot: Any, name: str) -> Path | None:
    """Where the regimes file called `name` lives: next to BREACHBOT_REGIMES or the deployment's playbook, or
    among the packaged files."""
    folders = [*([Path(bot.settings.regimes_file).parent] if bot.settings.regimes_file else []),
               Path(bot.settings.playbook).parent, PACKAGE_PLAYBOOKS]
    for folder in folders:
        path = folder / f"{name.removesuffix('.yaml')}.yaml"
        if name and "/" not in name and "\\" not in name and not name.startswith(".") and path.is_file():
            return path
    return None


def firm_regimes(bot: Any, name: str) -> RegimeBook:
    """The deployment's regimes with a firm's file over them (by key, as BREACHBOT_REGIMES is over the packaged
    ones), loaded once per file version; RegimeError names the file, line and problem."""
    path = regimes_path(bot, name)
    if path is None:
        raise FileNotFoundError(name)
    paths = (*bot.settings.regime_files, path)
    return load_regimes(list(paths))


def regimes_of(owner: Any, values: dict[str, Any], default: RegimeBook) -> RegimeBook:
    """The regimes a firm set (`regimes`), else `default`; a file removed or broken since it was set gives the
    default, and the log says so."""
    if not values.get("regimes"):
        return default
    try:
        return firm_regimes(owner, values["regimes"])
    except Exception:
        log.exception("regimes %r set for a firm cannot be loaded; using the default", values["regimes"])
        return default


def view(bot: Bot, values: dict[str, Any]) -> FirmView:
    """The firm's view of the settings from what its admins set."""
    scoped: Any = bot
    return resolve(bot, values, firm=scoped.default("firm"), lang=scoped.default("lang"),
                   timezone=scoped.default("timezone"), playbook=scoped.default("playbook"),
                   firm_profile=scoped.default("firm_profile"), regimes=scoped.default("regimes"))


def own_firm(firm: FirmConfig, values: dict[str, Any]) -> FirmConfig:
    """The deployment's firm config with what a firm's admins set over it: name, contact, roster, profile, admins."""
    update: dict[str, Any] = {k: values[k] for k in ("name", "name_en", "contact") if values.get(k)}
    if values.get("name") and not values.get("name_en"):  # the firm's own name in every language, not the default's
        update["name_en"] = values["name"]
    if "roster" in values:
        update["roster"] = {role: list(people) for role, people in values["roster"].items() if people}
    if "profile" in values:
        update["firm_profile"] = list(values["profile"])
    if values.get("admins"):
        update["admins"] = list(values["admins"])
    return firm.model_copy(update=update) if update else firm


def resolve(owner: Any, values: dict[str, Any], *, firm: FirmConfig, lang: str, timezone: str, playbook: Playbook,
            firm_profile: frozenset[str], regimes: RegimeBook) -> FirmView:
    """What a firm's admins set over the deployment's values (`owner`: anything with `settings`, for playbooks);
    the regimes carry the deployment's holidays (`firm.holidays`, [holidays] in breachbot.toml)."""
    deployment = firm
    firm = own_firm(firm, values)
    if values.get("playbook"):
        try:
            playbook = firm_playbook(owner, values["playbook"])
        except Exception:  # removed or broken since it was set: the deployment's, and say so in the log
            log.exception("playbook %r set for a firm cannot be loaded; using the default", values["playbook"])
    book = regimes_of(owner, values, regimes)
    if book.holidays != frozenset(deployment.holidays):  # the deployment's holidays go with whichever regimes
        book = replace(book, holidays=frozenset(deployment.holidays))
    return FirmView(firm=firm, lang=values.get("lang") or lang, timezone=values.get("timezone") or timezone,
                    playbook=playbook, regimes=book,
                    firm_profile=frozenset(firm.firm_profile) if "profile" in values else firm_profile)


def _read_values(bot: Bot, workspace: str, platform: str) -> dict[str, Any]:
    try:
        with bot.unit(write=False) as session:
            ws = _find(session, platform, workspace)
            return stored(session, ws.id) if ws is not None else {}
    except Exception:  # the database is down: what runs inside fails and says so; the defaults meanwhile
        log.exception("settings of %s workspace %s could not be read", platform, workspace)
        return {}


@contextmanager
def serving(bot: Bot, workspace: str | None, *, lazy: bool = False, platform: str | None = None) -> Iterator[None]:
    """Inside, the bot works for one firm: its settings, and its credentials on the platform. `lazy`: read the
    settings only when something asks for them (a platform's middleware, which must answer at once); `platform`:
    a workspace of another platform than the bot's own (the command line's)."""
    if workspace is None:
        yield
        return
    loading = _Loading(bot, workspace, platform)
    if not lazy:
        loading.get()
    token = _VIEW.set((id(bot), loading))
    try:
        with acting_for(workspace):
            yield
    finally:
        _VIEW.reset(token)


def _find(session: Session, platform: str, external_id: str) -> Workspace | None:
    return session.exec(select(Workspace).where(Workspace.platform == platform,
                                                Workspace.external_id == external_id)).first()


def removed(bot: Bot, *, platform: str, workspace: str, why: str) -> int:
    """The app was uninstalled from a workspace, or its tokens revoked: its alerts stop, what waits in the outbox
    is set aside, and each open incident's timeline records it. Returns how many alerts stopped."""
    now = bot.now()
    with bot.unit() as session:
        ws = _find(session, platform, workspace)
        if ws is None:
            return 0
        ws.removed_at, ws.removed_why = now, why[:40]
        session.add(ws)
        ids = list(session.exec(select(Incident.id).where(Incident.workspace_id == ws.id)))
        if not ids:
            return 0
        stopped = session.execute(update(Alert).where(col(Alert.incident_id).in_(ids),
                                                      col(Alert.state).in_(("pending", "claimed")))
                                  .values(state=STOPPED)).rowcount or 0
        session.execute(update(OutboundMessage).where(col(OutboundMessage.incident_id).in_(ids),
                                                      col(OutboundMessage.state).in_(delivery.UNDELIVERED))
                        .values(state=delivery.DEAD, dead_at=now, reason=why[:100]))
        for incident in session.exec(select(Incident).where(col(Incident.id).in_(ids),
                                                            col(Incident.closed_at).is_(None))):
            timeline.append(session, incident=incident, actor="breachbot", kind="app_removed", now=now,
                            text=t(ws.lang, "install.removed", why=why), data={"why": why, "alerts": stopped})
    log.warning("%s workspace %s removed the app (%s): %d alerts stopped", platform, workspace, why, stopped)
    return stopped


def first_admin(bot: Bot, *, platform: str, workspace: str, user: str | list[str] | None) -> bool:
    """Whoever installed the app (or the corp's configured admins) are the firm's first admins (/breach config),
    unless it has admins already."""
    users = [u for u in ([user] if isinstance(user, str) else user or []) if u]
    if not users:
        return False
    defaults: Any = bot
    with bot.unit() as session:
        ws = incidents.workspace_for(session, platform=platform, external_id=workspace,
                                     lang=defaults.default("lang"), timezone=defaults.default("timezone"))
        values = stored(session, ws.id)
        if values.get("admins"):
            return False
        row = session.get(FirmSettings, ws.id) or FirmSettings(workspace_id=ws.id or 0)
        row.values, row.updated_at, row.updated_by = {**values, "admins": users}, bot.now(), users[0][:100]
        session.add(row)
    return True


def installed(bot: Bot, *, platform: str, workspace: str) -> int:
    """The app is (again) in a workspace: alerts stopped by its removal are due again. Returns how many."""
    with bot.unit() as session:
        ws = _find(session, platform, workspace)
        if ws is None or ws.removed_at is None:
            return 0
        ws.removed_at, ws.removed_why = None, ""
        session.add(ws)
        ids = list(session.exec(select(Incident.id).where(Incident.workspace_id == ws.id)))
        resumed = session.execute(update(Alert).where(col(Alert.incident_id).in_(ids), col(Alert.state) == STOPPED)
                                  .values(state="pending", claimed_by=None, lease_until=None)).rowcount or 0
        for incident in session.exec(select(Incident).where(col(Incident.id).in_(ids),
                                                            col(Incident.closed_at).is_(None))):
            timeline.append(session, incident=incident, actor="breachbot", kind="app_installed", now=bot.now(),
                            text=t(ws.lang, "install.back"))
    return resumed


def keep_clock(session: Session, *, platform: str, workspace: str, at: datetime, lang: str, timezone: str) -> None:
    """Keep the time a console skipped to (`~ +20h`), so the next run on this database goes on from it."""
    ws = incidents.workspace_for(session, platform=platform, external_id=workspace, lang=lang, timezone=timezone)
    if ws.clock_at is None or at > ws.clock_at:
        ws.clock_at = at
        session.add(ws)


def last_recorded(session: Session, *, platform: str, workspace: str) -> datetime | None:
    """The latest moment the database holds for a workspace: the time its console last skipped to, an event, an
    alert sent, a message written."""
    ws = session.exec(select(Workspace).where(Workspace.platform == platform,
                                              Workspace.external_id == workspace)).first()
    if ws is None:
        return None
    ids = select(Incident.id).where(Incident.workspace_id == ws.id)
    moments = [session.exec(select(func.max(column)).where(col(owner).in_(ids))).one()
               for column, owner in ((TimelineEvent.recorded_at, TimelineEvent.incident_id),
                                     (TimelineEvent.at, TimelineEvent.incident_id),
                                     (Alert.sent_at, Alert.incident_id),
                                     (OutboundMessage.created_at, OutboundMessage.incident_id))]
    found = [m if m.tzinfo else m.replace(tzinfo=UTC) for m in [*moments, ws.clock_at] if m is not None]
    return max(found) if found else None
