"""5. The scheduler at scale: 1,000 open incidents with 15 clocks each (10 phase deadlines from the playbook
and 5 legal clocks: PIPL ×2, DSL, NDSMR, IRS), about 30,000 pending alerts, on SQLite.

- Start: `AlertScheduler.start()` = `rebuild()` from the database plus APScheduler taking in the jobs;
  time and resident memory it adds.
- Rebuild on a running scheduler: every command's `Breachbot.deliver()` calls it (on_schedule_change), so
  its cost is paid per command in any process that runs the scheduler (`breachbot serve`, `worker`, Socket Mode).
- Lateness: a BackgroundScheduler and an OffsetClock set so that the phase-1 reminders of 200 incidents
  (one every 10 ms) fall due a few seconds after start; (actual send − fire_at) for each, p50/p99.
- A `/breach log` (console platform) with that scheduler attached, and with it shut down.
Incidents are declared through the service (`bot.incidents.declare`, `bot.clocks.sync`), not the chat flow.
"""

from __future__ import annotations

import io
import re
import threading
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import col, func, select

from bench.common import (
    Row,
    cli,
    loopback_only,
    median,
    ms,
    peak_rss_mb,
    percentile,
    reset_peak_rss,
    rss_mb,
    say,
    settings,
    sqlite_engine,
    verdict,
)
from bot.app import Breachbot, create_app
from bot.chat import Context, Message, MessageRef
from bot.clock import OffsetClock
from bot.commands import Log
from bot.incident import deadlines, incidents
from bot.law import clocks
from bot.scheduler import AlertScheduler
from handlers.console.chat import ConsoleChat
from storage.models import Alert, Incident

BASE = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)  # bot time when the first hot incident became aware
SPACING = timedelta(milliseconds=10)
FACTS = {"affected": {"CN": 1200}}
PROFILE = frozenset({"us_tax_preparer"})
TARGET_REBUILD = 5.0
TARGET_P99 = 2.0
_REF = re.compile(r"BR-(\d+)")


class RecordingChat(ConsoleChat):
    """The console platform, noting when each message really went out (wall clock)."""

    def __init__(self) -> None:
        super().__init__(out=io.StringIO())
        self.stamps: list[tuple[datetime, str]] = []
        self._stamp_lock = threading.Lock()

    def _stamp(self, message: Message) -> None:
        with self._stamp_lock:
            self.stamps.append((datetime.now(UTC), message.plain_text()))

    def post(self, *, room: str, message: Message) -> MessageRef:
        self._stamp(message)
        self.rooms.setdefault(room, {"members": set(), "topic": "", "private": True, "pins": []})
        return super().post(room=room, message=message)

    def direct(self, *, user: str, message: Message) -> MessageRef:
        self._stamp(message)
        return super().direct(user=user, message=message)


def make_bot(engine: Engine, clock: OffsetClock, chat: ConsoleChat | None = None) -> Breachbot:
    bot = create_app(settings(timezone="UTC"), chat=chat or RecordingChat(), clock=clock, engine=engine)
    bot.firm_profile = PROFILE
    return bot


def populate(engine: Engine, count: int, hot: int, base: datetime = BASE) -> None:
    """`count` incidents; the first `hot` became aware 10 ms apart from `base`, the rest hours later, 1 s apart."""
    bot = make_bot(engine, OffsetClock())
    done = 0
    while done < count:
        with bot.unit() as session:
            ws = incidents.workspace_for(session, platform="console", external_id="bench", lang="en", timezone="UTC")
            for i in range(done, min(count, done + 50)):
                aware = base + i * SPACING if i < hot else base + timedelta(hours=3, seconds=i)
                made = incidents.declare(session, workspace=ws, playbook=bot.playbook, title=f"Leak {i}",
                                         severity="high", aware_at=aware, clients=40,
                                         data=("bank_account", "tax_id"), drill=False, actor="alice",
                                         room="general", roster={}, now=aware)
                incident = made.incident
                incident.facts = {**incident.facts, **FACTS}
                incident.war_room = f"breach-{incident.number}"
                session.add(incident)
                clocks.sync(session, incident=incident, book=bot.regimes, firm_profile=PROFILE, now=aware)
        done = min(count, done + 50)


def bulk_alerts(engine: Engine, count: int, *, clocks_each: int = 15, base: datetime) -> int:
    """Fast set-up for what only the rebuild reads: `count` open incidents, each with `clocks_each` deadlines
    and a reminder plus an escalation per deadline, inserted directly (all after `base`). Returns alerts made."""
    from sqlalchemy import insert

    from storage.models import Deadline

    bot = make_bot(engine, OffsetClock())
    with bot.unit() as session:
        ws = incidents.workspace_for(session, platform="console", external_id="bulk", lang="en", timezone="UTC")
        first = ws.last_number + 1
        ws.last_number += count
        session.add(ws)
        session.flush()
        session.execute(insert(Incident), [
            {"workspace_id": ws.id, "number": first + i, "title": f"Bulk {i}", "severity": "high", "status": "open",
             "drill": False, "playbook": "breach-default", "aware_at": base, "declared_at": base,
             "declared_by": "alice", "declared_in": "general", "war_room": f"bulk-{first + i}",
             "current_phase": bot.playbook.phases[0].key, "facts": {}} for i in range(count)])
        ids = list(session.exec(select(Incident.id).where(Incident.workspace_id == ws.id)))
        session.execute(insert(Deadline), [
            {"incident_id": iid, "kind": "regime", "ref": f"bulk/{k}", "due_at": base + timedelta(hours=k + 1),
             "meta": {}} for iid in ids for k in range(clocks_each)])
        deadlines_made = session.exec(select(Deadline.id, Deadline.incident_id, Deadline.due_at)
                                      .where(col(Deadline.incident_id).in_(ids))).all()
        rows = []
        for deadline_id, incident_id, due in deadlines_made:
            rows.append({"incident_id": incident_id, "deadline_id": deadline_id, "kind": deadlines.REMINDER,
                         "fire_at": due - timedelta(minutes=30), "state": deadlines.PENDING, "attempts": 0})
            rows.append({"incident_id": incident_id, "deadline_id": deadline_id, "kind": deadlines.ESCALATION,
                         "fire_at": due, "state": deadlines.PENDING, "attempts": 0})
        session.execute(insert(Alert), rows)
    return len(rows)


def pending_alerts(engine: Engine) -> int:
    """How many alerts wait to be sent, across every incident."""
    with make_bot(engine, OffsetClock()).unit() as session:
        return session.exec(select(func.count()).select_from(Alert).where(Alert.state == deadlines.PENDING)).one()


def counts(bot: Breachbot) -> tuple[int, int]:
    from storage.models import Deadline

    with bot.unit() as session:
        return (session.exec(select(func.count()).select_from(Deadline)).one(),
                session.exec(select(func.count()).select_from(Alert).where(Alert.state == deadlines.PENDING)).one())


def hot_batch(bot: Breachbot, hot: int) -> dict[int, datetime]:
    """The first `hot` pending alerts by fire time: incident number → fire_at (bot time)."""
    with bot.unit() as session:
        rows = session.exec(select(Alert, Incident).join(Incident, col(Incident.id) == col(Alert.incident_id))
                            .where(Alert.state == deadlines.PENDING).order_by(col(Alert.fire_at)).limit(hot + 1)).all()
    batch = {incident.number: alert.fire_at for alert, incident in rows[:hot]}
    assert len(batch) == hot, "the hot alerts are not one per incident"
    gap = rows[hot][0].fire_at - rows[hot - 1][0].fire_at
    assert gap > timedelta(minutes=5), f"the next alert after the batch is only {gap} later"
    return batch


def run(quick: bool = False) -> list[Row]:
    """Measure, print, and return the rows for RESULTS.md."""
    loopback_only()
    count, hot = (200, 100) if quick else (1000, 200)
    rows: list[Row] = []
    with sqlite_engine("bench-scheduler-") as engine:
        started = time.perf_counter()
        populate(engine, count, hot)
        probe = make_bot(engine, OffsetClock())
        n_deadlines, n_alerts = counts(probe)
        say(f"  set-up: {count} incidents, {n_deadlines} deadlines ({n_deadlines / count:.0f} each), "
            f"{n_alerts} pending alerts, in {time.perf_counter() - started:.0f} s")
        batch = hot_batch(probe, hot)
        first = min(batch.values())

        # -- start: rebuild + APScheduler taking the jobs in (nothing falls due: the clock is an hour early)
        bot = make_bot(engine, OffsetClock(first - timedelta(hours=1) - datetime.now(UTC)))
        alerts = AlertScheduler(bot)
        rss_before = rss_mb()
        reset_peak_rss()
        began = time.perf_counter()
        alerts.rebuild()
        rebuilt = time.perf_counter() - began
        alerts.scheduler.start(paused=True)
        start_s = time.perf_counter() - began
        armed = len(alerts.scheduler.get_jobs())
        rss_after, high_after = rss_mb(), peak_rss_mb()
        alerts.scheduler.resume()
        began = time.perf_counter()
        alerts.rebuild()
        running_rebuild = time.perf_counter() - began
        again = len(alerts.scheduler.get_jobs())
        alerts.shutdown()
        say(f"  start: rebuild {ms(rebuilt)} + scheduler start {ms(start_s - rebuilt)} = {ms(start_s)} for "
            f"{n_alerts:,} pending alerts ({armed:,} APScheduler job(s)); RSS +{rss_after - rss_before:.0f} MB after, high-water +{high_after - rss_before:.0f} MB")
        say(f"  rebuild on the running scheduler (every command triggers one): {ms(running_rebuild)} ({again:,} job(s))")
        rows.append(Row(f"5. scheduler start with {count:,} incidents × {n_deadlines // count} clocks "
                        f"({n_alerts:,} pending alerts)", f"{ms(start_s)} (rebuild {ms(rebuilt)}, {armed:,} job(s)); "
                        f"RSS +{rss_after - rss_before:.0f} MB kept, +{high_after - rss_before:.0f} MB at the peak",
                        "< 5 s", verdict(start_s < TARGET_REBUILD, f"{start_s / TARGET_REBUILD:.2f}× of 5 s")))
        rows.append(Row("5. rebuild on a running scheduler (after every command)", ms(running_rebuild),
                        "no target; paid per command", "**costly**: paid by every command" if running_rebuild > 0.5 else "info"))

        # -- lateness: the hot batch falls due `lead` seconds after start
        lead = max(3.0, 1.5 * start_s + 2.0)
        chat = RecordingChat()
        offset = first - (datetime.now(UTC) + timedelta(seconds=lead))
        bot = make_bot(engine, OffsetClock(offset), chat)
        alerts = AlertScheduler(bot)
        began = time.perf_counter()
        alerts.start()
        say(f"  lateness run: started in {time.perf_counter() - began:.2f} s; {hot} reminders fall due from "
            f"{lead:.1f} s after start, one every {ms(SPACING.total_seconds())}")
        span = (max(batch.values()) - first).total_seconds()
        end = time.monotonic() + lead + span + 30
        while time.monotonic() < end:
            seen = {int(m[1]) for _, text in list(chat.stamps) if (m := _REF.search(text))}
            if set(batch) <= seen:
                break
            time.sleep(0.1)

        # The cost of a command while this scheduler runs (deliver → rebuild), before shutting down.
        context = Context(workspace="bench", user="alice", room="breach-1")
        durations_on = []
        for _ in range(3):
            began = time.perf_counter()
            bot.handle(context, Log(text="Bank confirmed the freeze", incident=1))
            durations_on.append(time.perf_counter() - began)
        alerts.shutdown()
        durations_off = []
        for _ in range(3):
            began = time.perf_counter()
            bot.handle(context, Log(text="Bank confirmed the freeze", incident=1))
            durations_off.append(time.perf_counter() - began)

        late: dict[int, float] = {}
        for when, text in chat.stamps:
            found = _REF.search(text)
            if found and int(found[1]) in batch and int(found[1]) not in late:
                late[int(found[1])] = (when - (batch[int(found[1])] - offset)).total_seconds()
        lateness = list(late.values())
        missing = len(batch) - len(late)
        if lateness:
            say(f"  lateness of {len(lateness)}/{hot} reminders: p50 {ms(percentile(lateness, 50))}, "
                f"p99 {ms(percentile(lateness, 99))}, max {ms(max(lateness))}, min {ms(min(lateness))}"
                f"{f'; {missing} never sent' if missing else ''}")
            p99 = percentile(lateness, 99)
            rows.append(Row(f"5. reminder lateness, {hot} falling due within {span:.1f} s (send − fire_at)",
                            f"p50 {ms(percentile(lateness, 50))}, p99 {ms(p99)}, max {ms(max(lateness))}"
                            f"{f'; {missing} not sent' if missing else ''}", "p99 < 2 s",
                            verdict(p99 < TARGET_P99 and not missing, f"{p99 / TARGET_P99:.2f}× of 2 s")))
        else:
            rows.append(Row("5. reminder lateness", "no reminder went out", "p99 < 2 s", "**NOT met**"))
        say(f"  one /breach log with the scheduler attached: {ms(median(durations_on))} median; "
            f"without: {ms(median(durations_off))}")
        rows.append(Row(f"5. one /breach log with {n_alerts:,} pending alerts: scheduler attached / not",
                        f"{ms(median(durations_on))} / {ms(median(durations_off))}",
                        "no target", "**costly**: paid by every command" if median(durations_on) > 0.5 else "info"))
    return rows


def main() -> None:
    cli(run, __doc__ or "", "200 incidents, 100 reminders in the batch")


if __name__ == "__main__":
    main()
