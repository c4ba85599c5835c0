"""The schema comes from migrations: they match the models, and upgrading keeps what is stored."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from storage.db import current_revision, head_revision, upgrade
from storage.models import SQLModel
from tests.conftest import make_console


def test_migrations_match_the_models(engine):
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == [], "models changed without a migration: run alembic revision --autogenerate"


def test_upgrade_is_idempotent_and_keeps_data(engine):
    console = make_console(engine)
    console.say("alice", "/breach declare Payroll export leaked")
    console.say("alice", "/breach log Found it", "breach-1")
    assert current_revision(engine) == head_revision()
    upgrade(engine)  # a second upgrade (a deploy's release step) changes nothing
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM incident")).scalar_one() == 1
        assert conn.execute(text("SELECT count(*) FROM timelineevent WHERE kind = 'note'")).scalar_one() == 1
    tables = set(inspect(engine).get_table_names())
    assert {"incident", "timelineevent", "alert", "deadline", "client", "draft", "followup"} <= tables
