"""`breachbot firms` and `breachbot doctor --all`: every firm the deployment serves, its install, usage and health.

A firm is a workspace: a Slack team (installed through /slack/install, or the one of SLACK_BOT_TOKEN), a WeCom corp
(WECOM_CORP_ID, WECOM_CORPS) or the local console. Firms installed or configured but not used yet are listed too.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from bot import delivery
from bot.errors import ConfigError
from bot.flows import tenancy
from bot.flows.operators import Firm, Said, listing
from bot.settings import FirmConfig, Settings
from bot.statements import keys
from storage.models import Alert, FirmSettings, Incident, OutboundMessage, TimelineEvent, Workspace

LATE = timedelta(minutes=5)


def firms(settings: Settings, engine: Engine, *, now: datetime) -> list[Firm]:
    """Every firm in the database or configured, in the order platform, id."""
    installs = _installs(settings, engine)
    found: dict[str, Firm] = {}
    deployment = settings.firm()
    with Session(engine) as session:
        for ws in session.exec(select(Workspace).order_by(col(Workspace.platform), col(Workspace.external_id))):
            key = f"{ws.platform}:{ws.external_id}"
            values = _values(session, ws.id)
            own = tenancy.own_firm(deployment, values)  # what its admins set (/breach config) over breachbot.toml
            firm = found[key] = Firm(workspace=key, name=own.name_in(ws.lang) or ws.name, lang=ws.lang,
                                     timezone=ws.timezone, admins=list(own.admins),
                                     admins_default=not values.get("admins"))
            _usage(session, ws, firm, now=now)
            data_key = keys.current(session, ws.id)
            firm.data_key = keys.ref(data_key) if data_key else ""
            firm.installed = installs.pop(key, None) or _missing(ws, settings, firm)
            if ws.removed_at is not None:
                firm.installed = ("install.removed", {"at": f"{ws.removed_at:%Y-%m-%d %H:%M}", "why": ws.removed_why})
    for key, install in installs.items():  # installed or configured, nothing typed yet
        found[key] = Firm(workspace=key, installed=install, admins=list(deployment.admins))
        found[key].note("note.unused")
    for firm in found.values():
        if not firm.admins and not firm.workspace.startswith("console:"):
            firm.note("note.no_admins", workspace=firm.workspace)
    return sorted(found.values(), key=lambda f: f.workspace)


def identities(settings: Settings, engine: Engine) -> dict[str, FirmConfig]:
    """Each firm the database holds as its statements name it: what its admins set (/breach config) over
    breachbot.toml; empty when the database holds no firm (or has no tables yet)."""
    deployment = settings.firm()
    with Session(engine) as session:
        return {f"{ws.platform}:{ws.external_id}": tenancy.own_firm(deployment, _values(session, ws.id))
                for ws in session.exec(select(Workspace).order_by(col(Workspace.platform), col(Workspace.external_id)))}


def _values(session: Session, workspace_id: int | None) -> dict[str, Any]:
    row = session.get(FirmSettings, workspace_id)
    return dict(row.values) if row is not None else {}


def _usage(session: Session, ws: Workspace, firm: Firm, *, now: datetime) -> None:
    """Incidents, drills, the last thing recorded, and what is late or stuck."""
    incidents = session.exec(select(Incident).where(Incident.workspace_id == ws.id)).all()
    ids = [i.id for i in incidents]
    firm.incidents = sum(1 for i in incidents if not i.drill)
    firm.drills = sum(1 for i in incidents if i.drill)
    firm.open = sum(1 for i in incidents if i.closed_at is None)
    if not ids:
        return
    firm.last_activity = session.exec(select(func.max(TimelineEvent.at)).where(
        col(TimelineEvent.incident_id).in_(ids))).one()
    alerts = Counter(session.exec(select(Alert.state).where(
        col(Alert.incident_id).in_(ids), col(Alert.state) == "pending", col(Alert.fire_at) < now - LATE)).all())
    if alerts["pending"]:
        firm.problem("problem.overdue", count=alerts["pending"], late=LATE)
    states = Counter(session.exec(select(OutboundMessage.state).where(
        col(OutboundMessage.incident_id).in_(ids),
        col(OutboundMessage.state).in_((*delivery.UNDELIVERED, delivery.DEAD)))).all())
    if states[delivery.DEAD] and ws.removed_at is None:
        firm.problem("problem.set_aside", count=states[delivery.DEAD])
    waiting = sum(n for state, n in states.items() if state != delivery.DEAD)
    if waiting:
        firm.note("note.waiting", count=waiting)


def _installs(settings: Settings, engine: Engine) -> dict[str, Said]:
    """platform:id → how the deployment reaches that firm (an install, a configured corp)."""
    found: dict[str, Said] = {}
    if settings.slack_oauth:
        from sqlmodel import SQLModel

        from storage.slack_tables import INSTALLATIONS

        table = SQLModel.metadata.tables[INSTALLATIONS]
        with engine.connect() as conn:
            for row in conn.execute(table.select().order_by(table.c.installed_at)):
                if row.team_id:
                    found[f"slack:{row.team_id}"] = ("install.slack", {
                        "at": f"{row.installed_at:%Y-%m-%d %H:%M}", "by": row.user_id,
                        "team": row.team_name or row.team_id})
    if settings.wecom_corp_id or settings.wecom_corps:
        from handlers.wecom.config import corp_configs

        try:
            for corp in corp_configs(settings):
                found[f"wecom:{corp.corp_id}"] = ("install.wecom", {"agent": corp.agent_id, "corp": corp.corp_id})
        except ConfigError as exc:
            found["wecom:?"] = ("install.wecom_broken", {"why": exc})  # said in the listing's language
    return found


def _missing(ws: Workspace, settings: Settings, firm: Firm) -> Said:
    """How a firm with no install of its own is reached (or that it no longer is)."""
    if ws.platform == "console":
        return ("install.console", {})
    if ws.platform == "slack" and settings.slack_bot_token and not settings.slack_oauth:
        return ("install.slack_token", {})
    firm.problem("problem.unreachable", platform=ws.platform)
    return ("install.none", {})


def attach(bot: Any, settings: Settings) -> None:
    """Give a running bot the deployment's view of its firms (/breach firms, for its operators)."""
    bot.deployment_firms = lambda now: firms(settings, bot.engine, now=now)


__all__ = ["Firm", "attach", "firms", "listing"]
