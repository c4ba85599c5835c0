"""Each firm's own data key: client contacts are encrypted under it, and it is kept wrapped by the deployment's
key (BREACHBOT_DATA_KEY), so one firm's key never opens another firm's contacts."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from storage.models import _when


class FirmKey(SQLModel, table=True):
    """One data key of a firm (a workspace), wrapped (Fernet) under the deployment's key; the newest seals,
    every one the firm holds opens (a rotation re-encrypts the contacts and drops the older ones)."""

    __tablename__ = "firm_key"

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    wrapped: str = Field(max_length=500)
    created_at: datetime = _when()
