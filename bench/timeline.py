"""3. Timeline append rate on SQLite and PostgreSQL, through `bot.incidents.record` with the hash chain.

One committed transaction per event, as a `/breach log` command does: lock the incident row (PostgreSQL;
SQLite has no row locks), read the last event, hash, insert, commit. Three shapes:
- one incident, one writer;
- 50 incidents at once, one thread per incident;
- (correctness probe) one incident, 2 and then 8 writers at once: does the chain stay one, does anything fail?
Engines are the product's own (`storage.db.make_engine`: SQLite WAL with a 30 s busy timeout; PostgreSQL
with SQLAlchemy's default pool of 5 + 10 overflow). PostgreSQL runs in a throwaway schema, dropped after.
"""

from __future__ import annotations

import io
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlmodel import select

from bench.common import (
    Row,
    cli,
    loopback_only,
    median,
    ms,
    postgres_answers,
    postgres_engine,
    say,
    settings,
    sqlite_engine,
)
from bot.app import Breachbot, create_app
from bot.incident import incidents, timeline
from handlers.console.chat import ConsoleChat
from storage.models import Incident, TimelineEvent

TEXT = "Called the bank: accounts of 40 clients frozen; reference 2026-11-28/0042"


def make_bot(engine: Engine) -> Breachbot:
    """A bot on the console platform (no chat traffic is involved here)."""
    return create_app(settings(), chat=ConsoleChat(out=io.StringIO()), engine=engine)


def declare(bot: Breachbot, count: int) -> list[int]:
    """`count` incidents declared through the service (phases, deadlines, first timeline events)."""
    ids = []
    now = datetime.now(UTC)
    with bot.unit() as session:
        ws = incidents.workspace_for(session, platform="console", external_id="bench", lang="en", timezone="UTC")
        for i in range(count):
            made = incidents.declare(session, workspace=ws, playbook=bot.playbook, title=f"Bench incident {i}",
                                     severity="high", aware_at=now, clients=40, data=("payroll",), drill=False,
                                     actor="alice", room="general", roster={}, now=now)
            ids.append(made.incident.id)
    return ids


def append(bot: Breachbot, incident_id: int, actor: str) -> None:
    """One note in its own transaction, the way the log flow does it."""
    with bot.unit() as session:
        incident = incidents.lock(session, session.get(Incident, incident_id))
        incidents.record(session, incident=incident, text=TEXT, actor=actor, now=bot.now(), lang="en")


def writers(bot: Breachbot, targets: list[int], per_writer: int, limit_s: float) -> tuple[int, float, Counter[str]]:
    """One thread per target appending `per_writer` events (stopping at `limit_s`); (written, seconds, errors)."""
    written = [0] * len(targets)
    errors: Counter[str] = Counter()
    lock = threading.Lock()
    start = threading.Barrier(len(targets) + 1)
    stop_at = [0.0]  # set when every thread is ready

    def work(slot: int, incident_id: int) -> None:
        start.wait()
        for _ in range(per_writer):
            if time.monotonic() > stop_at[0]:
                return
            try:
                append(bot, incident_id, f"U0W{slot}")
                written[slot] += 1
            except Exception as exc:  # counted and shown: a failed append is a finding, not a crash
                detail = str(getattr(exc, "orig", None) or exc).splitlines()[0][:90]
                with lock:
                    errors[f"{type(exc).__name__}: {detail}"] += 1

    threads = [threading.Thread(target=work, args=(slot, iid), daemon=True) for slot, iid in enumerate(targets)]
    for thread in threads:
        thread.start()
    stop_at[0] = time.monotonic() + limit_s
    began = time.perf_counter()
    start.wait()
    for thread in threads:
        thread.join(limit_s + 120)
    return sum(written), time.perf_counter() - began, errors


def chain_ok(bot: Breachbot, ids: list[int]) -> tuple[bool, int]:
    """Whether every incident's chain verifies; and how many events they hold."""
    ok, total = True, 0
    with bot.unit() as session:
        for incident_id in ids:
            result = timeline.verify(session, session.get(Incident, incident_id))
            ok &= result.intact
            total += result.count
    return ok, total


def measure(name: str, engine_factory: Callable, quick: bool) -> list[Row]:
    single_n = 300 if quick else 1000
    per_incident = 20 if quick else 60
    rows: list[Row] = []
    with engine_factory() as engine:
        bot = make_bot(engine)
        ids = declare(bot, 51)
        append(bot, ids[0], "U0WARM")  # first statement compilation out of the timing

        durations: list[float] = []
        end = time.monotonic() + 15
        began = time.perf_counter()
        for _ in range(single_n):
            if time.monotonic() > end:
                break
            start = time.perf_counter()
            append(bot, ids[0], "U0ALICE")
            durations.append(time.perf_counter() - start)
        took = time.perf_counter() - began
        written = len(durations)
        rate = written / took
        early, late = median(durations[:100]), median(durations[-100:])
        say(f"  {name}: one incident, one writer: {written} events in {took:.2f} s = {rate:,.0f} events/s; "
            f"median append {ms(early)} for the first 100, {ms(late)} for the last 100 "
            f"({late / early:.1f}x as the timeline grew to {written + 10} events)")
        rows.append(Row(f"3. timeline append, {name}: 1 incident, 1 writer",
                        f"{rate:,.0f} events/s ({written} events); one append {ms(early)} at ~60 events, "
                        f"{ms(late)} at ~{written} events", "no target",
                        "info" if late < 1.5 * early else f"info; slower as the timeline grows ({late / early:.1f}×, see 4.)"))

        many = ids[1:51]
        written, took, errors = writers(bot, many, per_incident, limit_s=30)
        rate = written / took
        intact, _ = chain_ok(bot, many)
        say(f"  {name}: 50 incidents at once: {written} events in {took:.2f} s = {rate:,.0f} events/s; "
            f"chains {'intact' if intact else 'BROKEN'}{f', errors {dict(errors)}' if errors else ''}")
        rows.append(Row(f"3. timeline append, {name}: 50 incidents at once (50 threads)",
                        f"{rate:,.0f} events/s in total ({written} events)", "no target",
                        ("info" if intact else "**chain broken**") + (
                            f"; **{sum(errors.values())} failed**: {next(iter(errors))}" if errors else "")))

        probe = ids[0]
        written2, _, errors2 = writers(bot, [probe] * 2, 50, limit_s=20)
        say(f"  {name}: one incident, 2 writers at once: {written2}/100 appended, {sum(errors2.values())} failed")
        with bot.unit() as session:
            before = len(list(session.exec(select(TimelineEvent.id).where(TimelineEvent.incident_id == probe))))
        written, took, errors = writers(bot, [probe] * 8, 25, limit_s=20)
        intact, count = chain_ok(bot, [probe])
        lost = (before + written) - count
        say(f"  {name}: one incident, 8 writers at once: {written}/200 appended in {took:.2f} s, "
            f"{sum(errors.values())} failed, chain {'intact' if intact else 'BROKEN'}"
            f"{f', {lost} missing' if lost else ''}" + (f"; errors: {dict(errors)}" if errors else ""))
        rows.append(Row(f"3. timeline append, {name}: 1 incident, 8 writers at once (probe)",
                        f"{written}/200 appended, {sum(errors.values())} failed, chain "
                        f"{'intact' if intact else 'broken'}; with 2 writers {sum(errors2.values())}/100 failed",
                        "every append succeeds or waits", "ok" if not errors and intact
                        else f"**{sum(errors.values())} commands would fail**: {next(iter(errors), '')}"))
    return rows


def run(quick: bool = False) -> list[Row]:
    """Measure, print, and return the rows for RESULTS.md."""
    loopback_only()
    rows = measure("SQLite", lambda: sqlite_engine("bench-timeline-"), quick)
    why = postgres_answers()
    if why is None:
        rows += measure("PostgreSQL", postgres_engine, quick)
    else:
        say(f"  PostgreSQL skipped: {why}")
        rows.append(Row("3. timeline append, PostgreSQL", "skipped", "", f"no PostgreSQL: {why}"))
    return rows


def main() -> None:
    cli(run, __doc__ or "", "fewer events")


if __name__ == "__main__":
    main()
