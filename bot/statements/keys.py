"""One data key per firm: each firm's client contacts are sealed under its own key, so one firm's key never
opens another firm's contacts.

A firm's key is made the first time it imports clients and kept in `firm_key`, wrapped (Fernet) under the
deployment's key, BREACHBOT_DATA_KEY: the database alone opens nothing. BREACHBOT_DATA_KEY may name several
keys, comma-separated: the first wraps, any of them unwraps, which is how the deployment's key is rotated
(`rotate` rewraps under the first). Contacts stored before firms had keys were sealed under the deployment's
key itself: the firm's vault still opens them, and `rotate` moves them under the firm's key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete
from sqlmodel import Session, col, select

from bot.statements.clients import Vault
from storage.firm_tables import FirmKey
from storage.models import Client, Incident, Workspace


@dataclass(frozen=True)
class Rotation:
    """What a rotation did: the firm's new key and how many contacts were sealed again under it."""

    key: str
    contacts: int


def ref(key: FirmKey) -> str:
    """How people name a firm's key (`k12`): never the key itself."""
    return f"k{key.id}"


def current(session: Session, workspace_id: int | None) -> FirmKey | None:
    """The key that seals a firm's new contacts (None before its first import)."""
    return session.exec(select(FirmKey).where(FirmKey.workspace_id == workspace_id)
                        .order_by(col(FirmKey.id).desc())).first()


def _lang(session: Session, workspace_id: int | None) -> str:
    """The firm's language, for what a key that opens nothing says."""
    ws = session.get(Workspace, workspace_id) if workspace_id is not None else None
    return ws.lang if ws is not None else "en"


def firm_vault(session: Session, *, workspace_id: int | None, master: str | None,
               now: datetime | None = None) -> Vault:
    """The vault of one firm: its own keys (the newest seals), then the deployment's, which opens only contacts
    stored before firms had keys. With `now`, a firm without a key gets one. Not ready without BREACHBOT_DATA_KEY."""
    lang = _lang(session, workspace_id)
    deployment = Vault(master, lang)
    if not deployment.ready():
        return Vault(None, lang)
    keys = _firm_keys(session, workspace_id, deployment)
    if not keys and now is not None and workspace_id is not None:
        keys = [Vault.new_key()]
        session.add(FirmKey(workspace_id=workspace_id, wrapped=deployment.seal(keys[0]), created_at=now))
        session.flush()
    return Vault(keys + _keys(master), lang)


def rotate(session: Session, *, workspace_id: int, master: str | None, now: datetime) -> Rotation:
    """A new key for the firm, wrapped under the deployment's first key; every contact of the firm sealed again
    under it and the firm's older keys dropped, in one transaction."""
    lang = _lang(session, workspace_id)
    deployment = Vault(master, lang)
    old = _firm_keys(session, workspace_id, deployment)
    fresh = Vault.new_key()
    key = FirmKey(workspace_id=workspace_id, wrapped=deployment.seal(fresh), created_at=now)
    session.add(key)
    session.flush()
    both = Vault([fresh, *old, *_keys(master)], lang)
    count = 0
    for client in session.exec(select(Client).join(Incident, col(Client.incident_id) == col(Incident.id))
                               .where(Incident.workspace_id == workspace_id)):
        client.contact_encrypted = both.reseal(client.contact_encrypted)
        session.add(client)
        count += 1
    session.execute(delete(FirmKey).where(col(FirmKey.workspace_id) == workspace_id, col(FirmKey.id) != key.id))
    return Rotation(key=ref(key), contacts=count)


def _firm_keys(session: Session, workspace_id: int | None, deployment: Vault) -> list[str]:
    """The firm's own keys, unwrapped, newest first."""
    rows = session.exec(select(FirmKey).where(FirmKey.workspace_id == workspace_id).order_by(col(FirmKey.id).desc()))
    return [deployment.open(r.wrapped) for r in rows]


def _keys(master: str | None) -> list[str]:
    return [k.strip() for k in (master or "").split(",") if k.strip()]
