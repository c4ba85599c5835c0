"""4. Report generation for an incident with 10,000 timeline events and 5,000 clients.

The incident is declared and worked through the bot's own commands (console platform, SQLite), its 5,000
clients imported through `bot.clients.import_csv` (contacts sealed with a test Fernet key), and the
timeline filled up to 10,000 events (notes, decisions, captured messages, reminders) with a correct hash
chain. Each format is then built and rendered (`bot.report.build` + `render`) in a fresh process: the
first run (cold: templates compiled, modules imported), a second (warm), the growth of the process's
high-water RSS over both, and a third under tracemalloc for the peak of Python allocations.
"""

from __future__ import annotations

import csv
import io
import json
import random
import subprocess
import sys
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert
from sqlmodel import select

from bench.common import (
    DATA_KEY,
    REPO,
    Row,
    cli,
    loopback_only,
    median,
    ms,
    peak_rss_mb,
    reset_peak_rss,
    rss_mb,
    say,
    settings,
    verdict,
    workdir,
)
from bot.app import Breachbot, create_app
from bot.chat import Context
from bot.clock import VirtualClock
from bot.incident import timeline
from bot.report import document
from bot.statements import clients
from handlers.console.chat import ConsoleChat
from handlers.router import parse
from storage.db import make_engine, upgrade
from storage.models import Incident, TimelineEvent, Workspace

START = datetime(2026, 11, 28, 2, 5, tzinfo=UTC)
TARGET_S = 2.0
TARGET_MB = 300.0
RESIDENCES = ["CN"] * 6 + ["US-CA", "US-NY", "EU", "UK", "HK", "SG"]
DATA = ["bank_account,tax_id", "payroll,national_id", "tax_id", "ledgers,financial_statements", "bank_account"]
COMMANDS = [
    "affected CN=3000 US-CA=400 US-NY=300 EU=500 UK=200 HK=300 SG=300",
    "facts --encrypted no --crime yes",
    "assign @bob it_security",
    "assign @erin legal",
    "assign @frank executive",
    "decision Take the file server offline and preserve a disk image before anything else",
    "done 1",
    "done 2",
    "log The share link was created on 2026-11-20 by an account of the payroll team",
    "phase next --reason \"Evidence preserved; moving on to scope\"",
]


def console_bot(engine: Engine, now: datetime) -> Breachbot:
    bot = create_app(settings(), chat=ConsoleChat(out=io.StringIO()), clock=VirtualClock(now), engine=engine)
    return bot


def client_csv(count: int) -> bytes:
    """A register of `count` clients as the firm would export it."""
    rng = random.Random(10)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["name", "type", "contact", "language", "residence", "data", "notice_hours"])
    for i in range(count):
        company = i % 4 == 0
        name = f"Client {i:05d} {'Holdings Ltd' if company else 'Zhang Wei'}"
        writer.writerow([name, "company" if company else "individual", f"client{i}@example.com, +86 138 0000 {i:04d}",
                         "zh" if i % 3 else "en", rng.choice(RESIDENCES), rng.choice(DATA),
                         "48" if i % 20 == 0 else ""])
    return out.getvalue().encode("utf-8")


def fill_timeline(engine: Engine, incident: Incident, up_to: int) -> int:
    """Add events until the incident has `up_to`, chained exactly as timeline.append would; returns how many."""
    rng = random.Random(4)
    factory = console_bot(engine, START).sessions
    with factory() as session:
        last = session.exec(select(TimelineEvent).where(TimelineEvent.incident_id == incident.id)
                            .order_by(TimelineEvent.seq.desc()).limit(1)).one()
    seq, prev, at = last.seq, last.hash, last.at
    ref = timeline.incident_ref(incident)
    kinds = ["note"] * 70 + ["decision"] * 15 + ["captured"] * 10 + ["escalated"] * 3 + ["clock_reminder"] * 2
    added, batch = 0, []
    while seq < up_to:
        seq += 1
        at += timedelta(seconds=rng.randint(5, 120))
        kind = rng.choice(kinds)
        text = (f"Event {seq}: " + rng.choice([
            "Called the bank; accounts of the affected clients flagged for monitoring.",
            "客户来电询问其银行账户信息是否泄露，已按口径答复。",
            "Firewall logs exported for 2026-11-20..2026-11-27 and hashed (sha256 recorded in evidence).",
            "Counsel reviewed the draft notice to the CAC; two changes requested.",
        ]))
        data: dict[str, Any] = {"source": f"C0WAR1:{1795000000 + seq}.000100"} if kind == "captured" else {}
        actor = rng.choice(["U0ALICE", "U0BOB", "U0ERIN", "U0FRANK", "breachbot"])
        digest = timeline.event_hash(incident_ref=ref, seq=seq, at=at, actor=actor, kind=kind, text=text,
                                     data=data, prev_hash=prev)
        batch.append({"incident_id": incident.id, "seq": seq, "at": at, "recorded_at": at, "actor": actor,
                      "kind": kind, "text": text, "data": data, "prev_hash": prev, "hash": digest})
        prev = digest
        added += 1
        if len(batch) == 1000:
            with factory.begin() as session:
                session.execute(insert(TimelineEvent), batch)
            batch = []
    if batch:
        with factory.begin() as session:
            session.execute(insert(TimelineEvent), batch)
    return added


def build_incident(db: Path, events: int, client_count: int) -> tuple[int, dict[str, float]]:
    """The big incident; returns its id and how long the set-up steps took."""
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    bot = console_bot(engine, START)
    context = Context(workspace="console", user="alice", room="general")
    took: dict[str, float] = {}
    bot.handle(context, parse("declare Payroll and tax files of 5,000 clients found on a public share "
                              "--severity critical --clients 5000 --data payroll,bank_account,tax_id"))
    with bot.unit() as session:
        incident = session.exec(select(Incident)).one()
    room = Context(workspace="console", user="alice", room=incident.war_room or "general")
    for text in COMMANDS:
        bot.clock.advance(timedelta(minutes=7))  # type: ignore[attr-defined]
        bot.handle(room, parse(text))
    start = time.perf_counter()
    with bot.unit() as session:
        incident = session.get(Incident, incident.id)
        result = clients.import_csv(session, incident=incident, raw=client_csv(client_count),
                                    vault=clients.Vault(DATA_KEY), actor="alice", now=bot.now(), lang="en")
        assert result.imported == client_count, result.problems[:3]
    took["import_csv"] = time.perf_counter() - start
    bot.clock.advance(timedelta(hours=30))  # type: ignore[attr-defined]
    with bot.unit() as session:
        incident = session.get(Incident, incident.id)
        clients.mark_notified(session, incident=incident, who="all", via="email", at=bot.now(), actor="U0LIAISON",
                              now=bot.now(), lang="en")
    start = time.perf_counter()
    fill_timeline(engine, incident, events)
    took["fill"] = time.perf_counter() - start
    with bot.unit() as session:
        check = timeline.verify(session, session.get(Incident, incident.id))
    assert check.intact and check.count == events, check
    engine.dispose()
    return incident.id, took


def append_cost(db: Path, incident_id: int, count: int = 20) -> float:
    """The median time of one `/breach log`-style append to the big timeline."""
    from bench.timeline import append

    engine = make_engine(f"sqlite:///{db}")
    bot = console_bot(engine, START + timedelta(days=20))
    durations = []
    for _ in range(count):
        start = time.perf_counter()
        append(bot, incident_id, "U0ALICE")
        durations.append(time.perf_counter() - start)
    engine.dispose()
    return median(durations)


# -- one format, in a fresh process ------------------------------------------------------------------------
def child(db: str, fmt: str, incident_id: int, runs: int) -> dict[str, Any]:
    """Build and render one format: cold, warm, RSS growth, tracemalloc peak."""
    engine = make_engine(f"sqlite:///{db}")
    bot = console_bot(engine, START + timedelta(days=20))

    def once() -> tuple[float, float, int]:
        with bot.unit() as session:
            incident = session.get(Incident, incident_id)
            ws = session.get(Workspace, incident.workspace_id)
            start = time.perf_counter()
            data = document.build(session, incident=incident, playbook=bot.playbook, regimes=bot.regimes,
                                firm_profile=bot.firm_profile, ws=ws, lang="en", now=bot.now(),
                                firm_name=bot.settings.identity(bot.firm).name_in("en"))
            built = time.perf_counter()
            body = document.render(data, fmt, pdf_font=None)
            return built - start, time.perf_counter() - built, len(body)

    with bot.unit() as session:  # connect and load the playbook before the baseline
        session.get(Incident, incident_id)
    base = rss_mb()
    reset_peak_rss()
    cold = once()
    warm = once() if runs > 1 else cold
    grew = peak_rss_mb() - base
    tracemalloc.start()
    once()
    peak = tracemalloc.get_traced_memory()[1] / 1024 / 1024
    tracemalloc.stop()
    return {"cold_build": cold[0], "cold_render": cold[1], "warm_build": warm[0], "warm_render": warm[1],
            "bytes": warm[2], "rss_growth_mb": grew, "traced_peak_mb": peak}


def measure_format(db: Path, fmt: str, incident_id: int, runs: int, timeout: float) -> dict[str, Any] | str:
    try:
        done = subprocess.run([sys.executable, "-m", "bench.report_gen", "--child", str(db), fmt, str(incident_id),
                               str(runs)], cwd=REPO, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return f"did not finish in {timeout:.0f} s"
    if done.returncode != 0:
        return "failed: " + (done.stderr.strip().splitlines() or ["?"])[-1]
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(quick: bool = False) -> list[Row]:
    """Measure, print, and return the rows for RESULTS.md."""
    loopback_only()
    events = 2000 if quick else 10_000
    client_count = 1000 if quick else 5000
    rows: list[Row] = []
    with workdir("bench-report-") as folder:
        db = folder / "report.db"
        incident_id, took = build_incident(db, events, client_count)
        say(f"  set-up: {client_count} clients imported in {took['import_csv']:.1f} s; "
            f"timeline filled to {events} events in {took['fill']:.1f} s")
        for fmt in ("md", "html", "pdf"):
            got = measure_format(db, fmt, incident_id, runs=2, timeout=300)
            if isinstance(got, str):
                say(f"  {fmt}: {got}")
                rows.append(Row(f"4. report {fmt.upper()}", got, "", "**failed**"))
                continue
            warm = got["warm_build"] + got["warm_render"]
            cold = got["cold_build"] + got["cold_render"]
            memory = max(got["rss_growth_mb"], got["traced_peak_mb"])
            say(f"  {fmt}: warm {warm:.2f} s (build {got['warm_build']:.2f} s + render {got['warm_render']:.2f} s), "
                f"cold {cold:.2f} s; {got['bytes'] / 1024:,.0f} KiB; RSS high-water +{got['rss_growth_mb']:.0f} MB, "
                f"tracemalloc peak {got['traced_peak_mb']:.0f} MB")
            figure = (f"{warm:.2f} s warm (build {got['warm_build']:.2f} + render {got['warm_render']:.2f}), "
                      f"{cold:.2f} s cold; RSS +{got['rss_growth_mb']:.0f} MB, traced peak "
                      f"{got['traced_peak_mb']:.0f} MB; {got['bytes'] / 1024:,.0f} KiB")
            label = f"4. report {fmt.upper()} ({events:,} events, {client_count:,} clients)"
            if fmt == "pdf":
                rows.append(Row(label, figure, "information only", "info"))
            else:
                ok = cold < TARGET_S and memory < TARGET_MB
                rows.append(Row(label, figure, "< 2 s and < 300 MB",
                                verdict(ok, f"{cold / TARGET_S:.2f}× of 2 s (cold), {memory / TARGET_MB:.2f}× of 300 MB")))
        cost = append_cost(db, incident_id)
        say(f"  one more /breach log on this {events:,}-event timeline: {ms(cost)} (median of 20)")
        rows.append(Row(f"4. one append to the {events:,}-event timeline", f"{ms(cost)} median",
                        "no target (1–2 ms on a short timeline, see 3.)", "**slow**: grows with the timeline" if cost > 0.02 else "info"))
    return rows


def main() -> None:
    if len(sys.argv) == 6 and sys.argv[1] == "--child":  # one format, measured in a fresh process
        db, fmt, incident_id, runs = sys.argv[2:]
        print(json.dumps(child(db, fmt, int(incident_id), int(runs))))
        return
    cli(run, __doc__ or "", "2,000 events and 1,000 clients")


if __name__ == "__main__":
    main()
