"""Fixtures: a database per test on SQLite and (when it answers) PostgreSQL, and a console bot."""

from __future__ import annotations

import atexit
import functools
import io
import logging
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from bot.app import create_app
from bot.clock import VirtualClock
from bot.settings import FirmConfig, Settings
from handlers.console.chat import ConsoleChat
from handlers.console.workspace import ConsoleWorkspace
from storage.db import make_engine, upgrade

PG_URL = os.environ.get("BREACHBOT_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
REQUIRE_PG = os.environ.get("BREACHBOT_REQUIRE_POSTGRES") == "1"
START = datetime(2026, 11, 28, 10, 5, tzinfo=ZoneInfo("Asia/Shanghai"))
CHROMIUM = os.environ.get("BREACHBOT_CHROMIUM", "/usr/bin/chromium")
REQUIRE_CHROMIUM = os.environ.get("BREACHBOT_REQUIRE_CHROMIUM") == "1"
_pg_state: dict[str, object] = {}
# `make test` runs the suite twice: in parallel (pytest-xdist), then these modules and tests alone with `-m serial`. They
# time themselves against the wall clock (the Slack 3-second ack, a partition's recovery, a render budget) or
# start processes of their own that race each other; sharing two cores with the parallel workers would make
# them measure the machine's load instead of the bot.
SERIAL = {
    "tests/test_deploys.py", "tests/test_processes.py", "tests/test_concurrent_declare.py", "tests/test_sending.py",
    "tests/test_hostile_render.py::test_a_long_time_phrase_is_refused_quickly", "tests/test_page_browser.py",
    "tests/test_times.py::test_reading_stays_bounded",
    "tests/slack/test_forms.py", "tests/slack/test_http.py", "tests/slack/test_partition.py",
    "tests/slack/test_no_call_in_transaction.py", "tests/wecom/test_two_processes.py",
    "tests/test_firms_processes.py",
}
SECOND_RUN = os.environ.get("BREACHBOT_SECOND_RUN") == "1"


def _pg_url() -> str:
    return PG_URL.replace("postgresql://", "postgresql+psycopg://", 1) if PG_URL.startswith("postgresql://") else PG_URL


def postgres_available() -> bool:
    """Ask once whether PostgreSQL answers."""
    if "ok" not in _pg_state:
        try:
            engine = create_engine(_pg_url(), connect_args={"connect_timeout": 3})
            with engine.connect() as conn:
                conn.execute(text("select 1"))
            engine.dispose()
            _pg_state["ok"] = True
        except Exception as exc:  # any failure to connect means: skip, and say why once
            _pg_state["ok"] = False
            _pg_state["why"] = str(exc).splitlines()[0]
    return bool(_pg_state["ok"])


def chromium_available() -> bool:
    """Whether the system Chromium (Debian's `chromium`) is there for the browser tests."""
    return os.access(CHROMIUM, os.X_OK)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the tests of the SERIAL modules `serial` (see SERIAL)."""
    root = Path(str(config.rootpath))
    for item in items:
        module = Path(str(item.path)).relative_to(root).as_posix()
        if module in SERIAL or f"{module}::{item.originalname}" in SERIAL:
            item.add_marker(pytest.mark.serial)


def pytest_report_header(config: pytest.Config) -> list[str]:
    if SECOND_RUN:  # the first run said it already
        return []
    if postgres_available():
        lines = [f"PostgreSQL: storage tests also run on {PG_URL}"]
    elif REQUIRE_PG:
        lines = [f"PostgreSQL REQUIRED but not answering at {PG_URL}"]
    else:
        lines = [f"PostgreSQL not answering at {PG_URL}: its storage tests are SKIPPED (set BREACHBOT_TEST_DATABASE_URL)"]
    if not chromium_available():
        lines.append(f"Chromium {'REQUIRED but ' if REQUIRE_CHROMIUM else ''}not found at {CHROMIUM}: "
                     "browser tests of the incident page are " + ("FAILING" if REQUIRE_CHROMIUM else "SKIPPED"))
    return lines


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if SECOND_RUN:
        return
    if not postgres_available() and not REQUIRE_PG:
        terminalreporter.write_line(
            f"NOTE: PostgreSQL storage tests were skipped: nothing answers at {PG_URL}", yellow=True)
    if not chromium_available() and not REQUIRE_CHROMIUM:
        terminalreporter.write_line(
            f"NOTE: browser tests of the incident page were skipped: no Chromium at {CHROMIUM} "
            "(apt-get install chromium)", yellow=True)


@functools.cache
def _migrated_template() -> Path:
    """One SQLite file migrated to head per test process (the migrations are tested on their own)."""
    folder = Path(tempfile.mkdtemp(prefix="breachbot-template-"))
    atexit.register(shutil.rmtree, folder, True)
    eng = make_engine(f"sqlite:///{folder / 'template.db'}")
    upgrade(eng)
    eng.dispose()  # the last connection's close checkpoints the WAL into the file
    return folder / "template.db"


def migrated_sqlite(path: Path) -> Engine:
    """An engine on a new SQLite file at `path` at the head revision: a copy of the migrated template (migrating
    each test's database took about a third of a short test's time)."""
    shutil.copyfile(_migrated_template(), path)
    return make_engine(f"sqlite:///{path}")


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path) -> Iterator[Engine]:
    """A migrated, empty database: a SQLite file, or a fresh schema in the test PostgreSQL."""
    if request.param == "sqlite":
        eng = migrated_sqlite(tmp_path / "test.db")
        yield eng
        eng.dispose()
        return
    if not postgres_available():
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL is required in CI but does not answer: {_pg_state.get('why')}")
        pytest.skip("PostgreSQL not available")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(_pg_url())
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    # Every connection of the test is named after its schema, so the teardown can end the ones a test left
    # behind (a thread still retrying, a session cut off by a partition) instead of waiting on their locks.
    eng = make_engine(_pg_url(), connect_args={"options": f"-csearch_path={schema}", "application_name": schema})
    eng._breachbot_schema = schema  # type: ignore[attr-defined]  # child processes need it
    upgrade(eng)
    yield eng
    eng.dispose()
    drop_schema(admin, schema)
    admin.dispose()


def drop_schema(admin: Engine, schema: str) -> None:
    """Drop a test's schema, first ending every connection still using it; a lock wait is retried."""
    for attempt in range(5):
        with admin.begin() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE application_name = :name AND pid <> pg_backend_pid()"), {"name": schema})
        try:
            with admin.begin() as conn:
                conn.execute(text("SET LOCAL lock_timeout = '10s'"))
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            return
        except OperationalError:
            if attempt == 4:
                raise


@pytest.fixture
def sqlite_engine(tmp_path) -> Iterator[Engine]:
    """A migrated SQLite database only (for tests that are not about storage)."""
    eng = migrated_sqlite(tmp_path / "unit.db")
    yield eng
    eng.dispose()


TEST_DATA_KEY = "x7cYt1r4dTtXnBQvHqUQ8cR0Zp8D2xjv9uF0h3YQm1c="


def make_settings(**overrides: object) -> Settings:
    """Settings for tests: nothing read from the environment or a .env file."""
    base = {"lang": "en", "timezone": "Asia/Shanghai", "config_file": "/nonexistent/breachbot.toml",
            "data_key": TEST_DATA_KEY, "firm_name": "Lotus & Co. Accountants", "firm_contact": "privacy@lotus.example"}
    base.update(overrides)
    return Settings(_env_file=None, **base)  # type: ignore[arg-type]


@functools.cache
def _uploads_root() -> Path:
    root = Path(tempfile.mkdtemp(prefix="bb-files-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    return root


def make_console(engine: Engine, *, roster: dict | None = None, lang: str = "en", start: datetime = START,
                 timezone: str = "Asia/Shanghai", people: dict | None = None) -> ConsoleWorkspace:
    """A console workspace on `engine` with a virtual clock, printing into a buffer (`people`: breachbot.toml's
    [people], who may be given roles besides the roster on a console)."""
    # Created only when something is uploaded (most tests upload nothing); removed when the run ends.
    chat = ConsoleChat(out=io.StringIO(), uploads=_uploads_root() / uuid.uuid4().hex[:12])
    clock = VirtualClock(start)
    settings = make_settings(lang=lang, timezone=timezone)
    bot = create_app(settings, chat=chat, clock=clock, engine=engine)
    bot.firm = FirmConfig(roster=roster or {}, people=people or {})
    return ConsoleWorkspace(bot=bot, chat=chat, clock=clock)


@pytest.fixture
def console(engine: Engine) -> ConsoleWorkspace:
    """The bot on the console platform, on SQLite and PostgreSQL."""
    return make_console(engine)


@pytest.fixture
def quick(sqlite_engine: Engine) -> ConsoleWorkspace:
    """The bot on the console platform, SQLite only."""
    return make_console(sqlite_engine)


def texts(sent: list) -> list[str]:
    """What people saw, as text."""
    return [s.text for s in sent if s.op in ("post", "reply", "direct")]


def joined(sent: list) -> str:
    """Everything people saw, one string."""
    return "\n".join(texts(sent))


def said(console: ConsoleWorkspace, user: str, text: str, room: str = "breach-1") -> str:
    """What people saw after `user` typed `text` in `room` (the first war room unless told), one string."""
    return joined(console.say(user, text, room))


@pytest.fixture
def quiet(caplog: pytest.LogCaptureFixture) -> None:
    """Keep the bot's error log (one traceback per failing example) out of a property's report."""
    caplog.set_level(logging.CRITICAL, logger="breachbot")
