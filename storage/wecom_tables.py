"""WeCom's per-person pace, shared by every process on the database: what was sent to whom and when."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from storage.models import _when


class WeComSent(SQLModel, table=True):
    """`count` app messages sent to one person (`corp:userid`) at `sent_at`, by whichever process sent them:
    WeCom drops what goes past 30 a minute or 1,000 an hour to one person, counted over all of them."""

    __tablename__ = "wecom_sent"

    id: int | None = Field(default=None, primary_key=True)
    person: str = Field(max_length=200, index=True)
    sent_at: datetime = _when()
    count: int = 1


class WeComRoomDue(SQLModel, table=True):
    """A war room that just became an app chat, its fresh status not yet shown: whichever process refreshes the
    status next (the one that made the group, another `serve`, or a worker) claims this row and shows it, once."""

    __tablename__ = "wecom_room_due"

    chat_id: str = Field(primary_key=True, max_length=64)
    made_at: datetime = _when()
