"""What every WeCom process on one database shares (the WeCom adapter itself never touches storage): the
per-person pace of app messages (`DatabasePace`, table `wecom_sent`) and the new groups owed a fresh status
(`StatusDue`, table `wecom_room_due`). handlers/wecom/web.py gives them to the chat adapter.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, delete, func, text
from sqlmodel import Session, col, select

from handlers.wecom.pacing import PER_HOUR, PER_MINUTE, Pace
from storage.wecom_tables import WeComRoomDue, WeComSent


class DatabasePace(Pace):
    """The same count, kept in the database for every process on it (see the module's docstring)."""

    def __init__(self, engine: Engine, *, per_minute: int = PER_MINUTE, per_hour: int = PER_HOUR) -> None:
        super().__init__(per_minute=per_minute, per_hour=per_hour)
        self.engine = engine

    def take(self, users: list[str], count: int, now: datetime) -> None:
        """As Pace.take, counting what every process sent (nothing stored when it raises)."""
        people = sorted(set(users))
        horizon = now - self.limits[-1][0]
        with Session(self.engine) as session:
            if self.engine.dialect.name == "postgresql":  # one sender per person at a time, in a fixed order
                for person in people:
                    session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
                                    {"key": f"wecom_pace:{person}"})
            mine = [WeComSent(person=person, sent_at=now, count=count) for person in people]
            session.add_all(mine)
            session.flush()  # written first: on SQLite this takes the one write lock before anything is read
            session.execute(delete(WeComSent).where(col(WeComSent.person).in_(people),
                                                    col(WeComSent.sent_at) <= horizon))
            rows = session.exec(select(WeComSent.person, WeComSent.sent_at, func.sum(WeComSent.count))
                                .where(col(WeComSent.person).in_(people), col(WeComSent.sent_at) > horizon,
                                       col(WeComSent.id).not_in([row.id for row in mine]))
                                .group_by(col(WeComSent.person), col(WeComSent.sent_at))).all()
            sent: dict[str, list[datetime]] = {person: [] for person in people}
            for person, at, n in rows:
                sent[person] += [at] * int(n)
            wait = max((self.wait(times, count, now) for times in sent.values()), default=0.0)
            if wait > 0:
                session.rollback()
                self.check(wait)
            session.commit()


class StatusDue:
    """War rooms owed a fresh status since they became app chats, in the database: one process makes the group,
    any process may refresh the status next, and exactly one shows it (claiming the row deletes it)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def mark(self, chat_id: str, now: datetime) -> None:
        """The room just became a group: its next status is shown."""
        with Session(self.engine) as session:
            if session.get(WeComRoomDue, chat_id) is None:
                session.add(WeComRoomDue(chat_id=chat_id, made_at=now))
                try:
                    session.commit()
                except Exception:  # another process marked it at the same moment: marked either way
                    session.rollback()

    def claim(self, chat_id: str) -> bool:
        """True for the one caller that takes the room's owed status (the row is gone after)."""
        with Session(self.engine) as session:
            taken = session.execute(delete(WeComRoomDue).where(col(WeComRoomDue.chat_id) == chat_id)).rowcount
            session.commit()
        return bool(taken)
