"""7. Delivery under faults: duplicates when workers are killed with -9 while they send, and the time to
recover after a 60 s Slack outage.

Kill -9: six incidents are declared on Slack (the fake Web API, each call answered after 30 ms); their
reminders, escalations, questions and role prompts fall due over the hours that follow. Worker processes
(tests/worker_process.py --serve --slack: the product's scheduler, outbox and Slack client, on PostgreSQL
when it answers, else SQLite) are started one after another, each killed with SIGKILL at a random moment
(after it has had 1 to 6 messages accepted, plus 0–30 ms: before, during or after a call) while it sends;
each next worker runs 10 minutes later on the bot's clock, so what a killed worker held (a 2-minute
lease) is taken over and more alerts are due. A last worker finishes the queue. Every
message Slack accepted is then counted: a war-room message twice under the same outbox key (message
metadata), or a direct message twice with the same text to the same person, is a duplicate.

Outage: three incidents on Slack (fake Web API, SQLite, the bot's virtual clock). Slack answers every call
with 503 for 60 s; meanwhile a note is logged in each war room every 5 s (36 messages). Then Slack is back.
Measured on the bot's clock, as the outbox schedules its retries: from Slack's return to the first and to
the last of those messages delivered, and whether each war room got them in the order typed; once with
nobody typing after Slack is back (the retries' backoff alone), once with a note logged in each war room
5 s after (something new for a war room tries what waits there at once).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from bench.common import (
    REPO,
    Row,
    cli,
    loopback_only,
    postgres_answers,
    postgres_engine,
    say,
    sqlite_engine,
    start_fake,
    verdict,
    workdir,
)
from bench.declare import slow_down
from storage.models import Alert, OutboundMessage
from tests.conftest import START
from tests.slack.conftest import USERS, make_slack

ALICE, BOB = USERS["alice"], USERS["bob"]
OUTAGE = timedelta(seconds=60)
INCIDENTS = 6
STEP = timedelta(minutes=10)  # each next worker runs this much later on the bot's clock


# -- kill -9 -------------------------------------------------------------------------------------------
def _spawn(engine: Any, fake: Any, moment: Any, out: Path, *extra: str) -> subprocess.Popen:
    url = engine.url.render_as_string(hide_password=False)
    schema = engine.dialect.name == "postgresql" and _schema(engine) or "-"
    return subprocess.Popen([sys.executable, "-m", "tests.worker_process", url, schema, moment.isoformat(), str(out),
                             "--slack", fake.api_url, *extra], cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _schema(engine: Any) -> str:
    with engine.connect() as conn:
        return str(conn.exec_driver_sql("select current_schema()").scalar())


def _undelivered(engine: Any, due: Any = None) -> int:
    """Messages waiting in the outbox, and (with `due`) alerts due by then not yet sent."""
    with Session(engine) as session:
        waiting = len(session.exec(select(OutboundMessage.id).where(
            col(OutboundMessage.state).in_(("pending", "sending")))).all())
        if due is not None:
            waiting += len(session.exec(select(Alert.id).where(Alert.fire_at <= due, col(Alert.state).in_(
                ("pending", "claimed", "queued")))).all())
    return waiting


def run_kills(engine: Any, kills: int, scratch: Path) -> dict[str, Any]:
    """Declare, then kill `kills` workers with -9 while they send; count what Slack got twice."""
    fake = start_fake()
    try:
        slack = make_slack(engine, fake, roster={"executive": [BOB]})
        for n in range(INCIDENTS):
            slack.slash(ALICE, f"declare Drill {n} payroll export leaked")
        base = len(fake.messages)
        slow_down(fake, 0.03)
        rng = random.Random(7)
        killed = 0
        moment = START + timedelta(hours=1)
        for n in range(kills):
            out = scratch / f"w{n}.jsonl"
            worker = _spawn(engine, fake, moment + STEP * n, out, "--serve", "0")
            end = time.monotonic() + 60
            before, wanted = len(fake.messages), rng.randint(1, 6)
            while len(fake.messages) - before < wanted and _undelivered(engine, due=moment + STEP * n) \
                    and worker.poll() is None and time.monotonic() < end:
                time.sleep(0.005)
            time.sleep(rng.uniform(0, 0.03))  # anywhere in a send: before, during, after Slack took it
            worker.send_signal(signal.SIGKILL)
            worker.wait(30)
            killed += 1
        last = _spawn(engine, fake, moment + STEP * kills, scratch / "last.jsonl")
        last.wait(300)
        left = _undelivered(engine)
        messages = list(fake.messages.items())[base:]
    finally:
        fake.stop()
    keyed: dict[str, int] = {}
    direct: dict[tuple[str, str], int] = {}
    for (channel, _), msg in messages:
        key = ((msg.get("metadata") or {}).get("event_payload") or {}).get("key")
        if key:
            keyed[key] = keyed.get(key, 0) + 1
        elif channel.startswith("U"):
            direct[(channel, msg["text"])] = direct.get((channel, msg["text"]), 0) + 1
    return {"killed": killed, "messages": len(messages), "room_dups": sum(c - 1 for c in keyed.values()),
            "room": len(keyed), "dm_dups": sum(c - 1 for c in direct.values()), "dm": len(direct), "left": left}


# -- a 60 s outage -------------------------------------------------------------------------------------
def run_outage(engine: Any, typed_after: timedelta | None = None) -> dict[str, Any]:
    """Slack down 60 s while notes are logged; when is everything delivered after it is back, in order?
    With `typed_after`, someone logs a note in each war room that long after Slack is back."""
    fake = start_fake()
    try:
        slack = make_slack(engine, fake)
        rooms = []
        for n in range(3):
            slack.slash(ALICE, f"declare Outage drill {n}")
            rooms.append(fake.channel_named(f"breach-{n + 1}-").id)
        down_at = slack.clock.now() + timedelta(minutes=1)
        slack.bot.advance(down_at)
        up_at = down_at + OUTAGE
        answer = fake.answer

        def outage(method: str, params: dict[str, Any], **kw: Any) -> Any:
            if down_at <= slack.clock.now() < up_at:
                return 503, {"ok": False, "error": "service_unavailable"}, {}
            return answer(method, params, **kw)

        fake.answer = outage
        typed = 0
        for k in range(12):
            slack.bot.advance(down_at + timedelta(seconds=5 * k))
            for room in rooms:
                slack.slash(ALICE, f"log outage note {k:02d}", channel=room)
                typed += 1
        if typed_after is not None:
            slack.bot.advance(up_at + typed_after)
            for room in rooms:
                slack.slash(ALICE, "log Slack is back", channel=room)
        slack.bot.advance(up_at + timedelta(minutes=30))
        with Session(engine) as session:
            notes = [r for r in session.exec(select(OutboundMessage).where(
                OutboundMessage.created_at >= down_at, OutboundMessage.created_at < up_at, OutboundMessage.op == "post"))
                if "Noted by" in str(r.payload)]
        sent = [r.sent_at for r in notes if r.sent_at is not None]
        in_order = True
        for room in rooms:  # "📝 Noted by … in the BR-n timeline (#k)": k grows in the order typed
            seen = [int(m["text"].rsplit("(#", 1)[1].split(")")[0]) for (c, _), m in sorted(fake.messages.items())
                    if c == room and m["text"].startswith("📝 Noted by")]
            in_order = in_order and seen == sorted(seen) and len(seen) >= 12
    finally:
        fake.stop()
    return {"typed": typed, "delivered": len(sent), "first": min(sent) - up_at if sent else None,
            "last": max(sent) - up_at if sent else None, "in_order": in_order}


def run(quick: bool = False) -> list[Row]:
    """Measure, print, and return the rows for RESULTS.md."""
    loopback_only()
    rows: list[Row] = []
    kills = 10 if quick else 50
    why = postgres_answers()
    label = "PostgreSQL" if why is None else "SQLite"
    with workdir("bench-kills-") as scratch, (postgres_engine() if why is None else sqlite_engine("bench-kills-")) \
            as engine:
        got = run_kills(engine, kills, scratch)
    rate = (got["room_dups"] + got["dm_dups"]) / max(1, got["messages"] - got["room_dups"] - got["dm_dups"])
    say(f"  {got['killed']} workers killed with -9 ({label}): {got['messages']} messages Slack accepted; "
        f"war room: {got['room']} keys, {got['room_dups']} twice; DMs: {got['dm']}, {got['dm_dups']} twice; "
        f"{got['left']} left undelivered")
    rows.append(Row(f"7. kill -9 while sending: {got['killed']} workers killed ({label}, Slack fake at 30 ms a call)",
                    f"{got['messages']} messages; duplicates: war room {got['room_dups']} of {got['room']}, DMs "
                    f"{got['dm_dups']} of {got['dm']} ({rate:.2%}); {got['left']} left undelivered",
                    "< 0.1% duplicates, nothing lost", verdict(rate < 0.001 and got["left"] == 0)))
    for typed_after, how in ((None, "nobody types after it: the backoff alone"),
                             (timedelta(seconds=5), "a note typed in each war room 5 s after it")):
        with sqlite_engine("bench-outage-") as engine:
            out = run_outage(engine, typed_after)
        first = out["first"].total_seconds() if out["first"] is not None else float("nan")
        last = out["last"].total_seconds() if out["last"] is not None else float("nan")
        say(f"  60 s outage, {how}: {out['delivered']}/{out['typed']} notes delivered; first {first:.0f} s and last "
            f"{last:.0f} s after Slack was back; in order: {out['in_order']}")
        rows.append(Row(f"7. recovery after a 60 s Slack outage, {how} (bot's clock; 36 notes typed during it in "
                        "3 war rooms)", f"first delivered {first:.0f} s, last {last:.0f} s after Slack was back; "
                        f"{out['delivered']}/{out['typed']} delivered, order per war room "
                        f"{'kept' if out['in_order'] else 'BROKEN'}", "all delivered, in order",
                        verdict(out["delivered"] == out["typed"] and out["in_order"])))
    return rows


def main() -> None:
    cli(run, __doc__ or "", "10 workers killed instead of 50")


if __name__ == "__main__":
    main()
