"""Engine, sessions and migrations. Nothing connects until a function here is called."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
WRITE_OPTION = "breachbot_write"

# Timeouts on PostgreSQL (seconds): nothing waits on the database for ever, a partition included.
CONNECT_TIMEOUT = 5  # a connection not made in 5 s fails (libpq's connect_timeout)
STATEMENT_TIMEOUT = 30  # a statement (lock waits included) running longer is cancelled by the server
IDLE_IN_TRANSACTION_TIMEOUT = 60  # a transaction left open (a dead process) is ended by the server
NETWORK_TIMEOUT = 10  # sent data not acknowledged in 10 s: the connection is dropped (tcp_user_timeout)
POOL_TIMEOUT = 10  # waiting for a free pooled connection
# A declare queues on its workspace's row for the next BR number; in a storm (50 at once on a loaded machine)
# the last one may wait longer than STATEMENT_TIMEOUT, and a refused declare is worse than a late one.
NUMBERING_WAIT = 180
POOL_SIZE, POOL_OVERFLOW = 5, 10
SQLITE_BUSY_TIMEOUT = 30  # SQLite: waiting for the write lock


def postgres_connect_args(extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """libpq settings for the timeouts above, merged with `extra` (its `options` kept and added to)."""
    args = dict(extra or {})
    server = (f"-c statement_timeout={STATEMENT_TIMEOUT * 1000} "
              f"-c idle_in_transaction_session_timeout={IDLE_IN_TRANSACTION_TIMEOUT * 1000}")
    args["options"] = f"{args['options']} {server}" if args.get("options") else server
    args.setdefault("connect_timeout", CONNECT_TIMEOUT)
    # A partition (packets dropped, no reset) is noticed within NETWORK_TIMEOUT instead of TCP's ~15 minutes.
    args.setdefault("keepalives", 1)
    args.setdefault("keepalives_idle", 5)
    args.setdefault("keepalives_interval", 2)
    args.setdefault("keepalives_count", 3)
    args.setdefault("tcp_user_timeout", NETWORK_TIMEOUT * 1000)
    return args


@contextmanager
def waiting_up_to(session: Session, seconds: float) -> Iterator[None]:
    """Statements in the block (lock waits included) may run `seconds` on PostgreSQL; then the usual limit."""
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:
        session.execute(text(f"SET LOCAL statement_timeout = {int(seconds * 1000)}"))
    try:
        yield
    finally:
        if postgres:
            session.execute(text(f"SET LOCAL statement_timeout = {int(STATEMENT_TIMEOUT * 1000)}"))


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url`; SQLite gets WAL, foreign keys and a busy timeout, PostgreSQL the timeouts above."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT},
                               **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy, not the driver, say when a transaction begins (see _begin_immediate).
            dbapi_conn.isolation_level = None
            cursor = dbapi_conn.cursor()
            if ":memory:" not in url and url not in ("sqlite://", "sqlite:///"):
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT * 1000}")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            # SQLite has no row locks: a unit of work that will write takes the write lock at its start, so
            # two commands on one incident queue instead of both reading the same last timeline event and one
            # failing at commit. Reads stay deferred and go on beside a writer (WAL).
            write = conn.get_execution_options().get(WRITE_OPTION)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

        return engine
    # libpq `options` in the URL (`?options=-csearch_path%3Dfirm`) are kept: connect_args would replace them.
    from_url = make_url(url).query.get("options")
    extra = dict(kwargs.get("connect_args") or {})
    if from_url:
        extra["options"] = " ".join(filter(None, [" ".join(from_url) if isinstance(from_url, tuple) else from_url,
                                                  extra.get("options")]))
    kwargs["connect_args"] = postgres_connect_args(extra)
    kwargs.setdefault("pool_timeout", POOL_TIMEOUT)
    kwargs.setdefault("pool_size", POOL_SIZE)
    kwargs.setdefault("max_overflow", POOL_OVERFLOW)
    return create_engine(url, pool_pre_ping=True, **kwargs)


def session_factory(engine: Engine, *, write: bool = True) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit; `write=False` for units that only read."""
    bind = engine.execution_options(**{WRITE_OPTION: True}) if write else engine
    return sessionmaker(bind, class_=Session, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit if the block succeeds, roll back everything if it raises."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config(engine: Engine) -> Config:
    """An Alembic config pointing at our migrations and this engine's database."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to `revision` (head by default)."""
    command.upgrade(alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty one."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str:
    """The newest migration shipped with this code."""
    head = ScriptDirectory.from_config(alembic_config(create_engine("sqlite://"))).get_current_head()
    assert head is not None
    return head
