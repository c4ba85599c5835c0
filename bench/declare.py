"""2. `/breach declare` end to end: signed slash command over loopback HTTP → war room, invites, pin, status,
deadlines stored, against the fake Web API (zero latency). Counts the Web API calls one declare makes.

Same stack as bench.latency (waitress + the product's Flask/Bolt app on SQLite). "End to end" runs from
the moment the request is sent until Bolt's listener pool is idle again (everything the declare does,
including the answers). The firm has a roster: IT security, legal and an executive sponsor besides the
declarer, so four people are invited and each told their role.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from sqlmodel import Session, func, select

from bench.common import (
    GENERAL,
    SECRET,
    USERS,
    Row,
    cli,
    loopback_only,
    median,
    ms,
    percentile,
    say,
    serve,
    sqlite_engine,
    start_fake,
    time_fake,
)
from bench.http_client import Bodies, Client
from bench.latency import our_app
from bot.settings import FirmConfig
from storage.models import Alert, Deadline, Incident

ROSTER = {"it_security": [USERS["bob"]], "legal": [USERS["erin"]], "executive": [USERS["frank"]]}
TITLE = "Payroll export for 40 clients found on a public file share"

# Why each call is made (bot/flows/incident.py declare plans them; bot/flows/delivering.py carries them out after
# the commit, lane by lane, one after another: the room, the invites, the status, its pin, the topic, the posts).
WHY = {
    "conversations.create": "the private war room breach-<n>-<slug> (needed)",
    "conversations.setTopic": "the room topic: BR-n, severity, phase, due time (needed once)",
    "conversations.invite": "declarer and roster into the room, one call per person: each is its own outbox step, "
                            "so one bad id cannot keep the others out",
    "chat.postMessage": "3 in the war room: status (then pinned), phase-1 prompt with task buttons, phase 1's "
                        "questions in one post; 4 DMs, one per role holder, the declarer included",
    "pins.add": "pin the living status message (needed)",
    "conversations.open": "a DM channel before each role DM (not remembered between declares)",
    "chat.update": "status refresh (re-render of the pinned status)",
    "response_url": "the public announcement in the channel the declare was typed in (webhook, not Web API)",
}
SLOW_CALL = 0.05  # seconds per Web API call in the "real network" variant: a modest RTT plus a new TLS handshake


def slow_down(fake: Any, seconds: float) -> None:
    """Make the fake answer every Web API call after `seconds` (slack_sdk opens a new connection per call)."""
    answer = fake.answer

    def delayed(method: str, params: dict[str, Any], **kw: Any) -> Any:
        time.sleep(seconds)
        return answer(method, params, **kw)

    fake.answer = delayed


def run(quick: bool = False) -> list[Row]:
    """Measure, print, and return the rows for RESULTS.md."""
    loopback_only()
    n = 10 if quick else 30
    fake = start_fake()
    time_fake(fake)
    rows: list[Row] = []
    try:
        with sqlite_engine("bench-declare-") as engine:
            flask, pool, bot = our_app(fake.api_url, engine)
            bot.firm = FirmConfig(roster=ROSTER)
            served = serve(flask)
            client = Client(served, SECRET)
            make = Bodies(fake)
            try:
                client.one(make.slash("status", GENERAL))  # warm the connection and the first-request imports
                pool.wait_quiet(10)
                times: list[float] = []
                acks: list[float] = []
                per_declare: list[Counter[str]] = []
                orders: list[list[str]] = []
                for i in range(n):
                    calls_from, responses_from = len(fake.calls), len(fake.responses)
                    result = client.one(make.slash(f"declare {TITLE} {i} --severity high --clients 40 "
                                                   f"--data payroll,bank_account", GENERAL))
                    assert result["status"] == 200
                    assert pool.wait_quiet(30), "a declare did not finish in 30 s"
                    times.append(pool.quiet_at - result["t0"])
                    acks.append(result["lat"])
                    methods = [c.method for c in fake.calls[calls_from:]]
                    counts = Counter(methods)
                    counts["response_url"] = len(fake.responses) - responses_from
                    per_declare.append(counts)
                    orders.append([f"{c.method}({c.params.get('channel', c.params.get('users', ''))}: "
                                   f"{str(c.params.get('text', ''))[:50]!r})" if c.method == "chat.postMessage"
                                   else c.method for c in fake.calls[calls_from:]])
                    time.sleep(0.01)
                slow_down(fake, SLOW_CALL)
                slow: list[float] = []
                for i in range(3 if quick else 5):
                    result = client.one(make.slash(f"declare {TITLE} slow {i} --severity high", GENERAL))
                    assert pool.wait_quiet(60), "a declare did not finish in 60 s"
                    slow.append(pool.quiet_at - result["t0"])
            finally:
                client.close()
                served.stop()
            with Session(engine) as session:
                incidents = session.exec(select(func.count()).select_from(Incident)).one()
                deadlines = session.exec(select(func.count()).select_from(Deadline)).one()
                alerts = session.exec(select(func.count()).select_from(Alert)).one()
    finally:
        fake.stop()

    n_slow = len(slow)
    assert incidents == n + n_slow, f"{incidents} incidents for {n + n_slow} declares"
    last = per_declare[-1]
    web_api = sum(v for k, v in last.items() if k != "response_url")
    same = all(c == last for c in per_declare)
    say(f"  {n} declares, each end to end: {ms(median(times))} median, {ms(percentile(times, 90))} p90, "
        f"{ms(max(times))} max; ack {ms(median(acks))} median")
    say(f"  stored per incident: {deadlines // incidents} deadlines, {alerts // incidents} alerts")
    say(f"  with {ms(SLOW_CALL)} per Web API call: {ms(median(slow))} median end to end ({n_slow} declares)")
    say(f"  Web API calls per declare: {web_api} (+{last['response_url']} response_url)"
        f"{'' if same else ' (varies between declares!)'}")
    for method, count in sorted(last.items(), key=lambda kv: -kv[1]):
        say(f"    {count:3d} × {method:24s} {WHY.get(method, '?')}")
    say("  in order:")
    for call in orders[-1]:
        say(f"    {call}")
    breakdown = ", ".join(f"{m} {c}" for m, c in sorted(last.items(), key=lambda kv: -kv[1]) if m != "response_url")
    rows.append(Row(f"2. /breach declare end to end, median (n={n}, fake Web API, SQLite)",
                    f"{ms(median(times))} (p90 {ms(percentile(times, 90))}); ack {ms(median(acks))}",
                    "no target; Slack's 3 s applies to the ack", "info"))
    rows.append(Row("2. /breach declare: Web API calls (roster of 4: lead, IT security, legal, executive)",
                    f"{web_api} calls: {breakdown}; + {last['response_url']} response_url",
                    "fewer is better; no target set",
                    (f"info: {last['conversations.open']} conversations.open avoidable (post to the user id), "
                     if last["conversations.open"] else "info: DMs go straight to the user id; ")
                    + "phase 1's questions are one post; the declarer's own role DM is avoidable too"))
    rows.append(Row(f"2. /breach declare with {ms(SLOW_CALL)} per Web API call (info, n={n_slow})",
                    f"{ms(median(slow))} median end to end",
                    f"≈ {web_api} sequential calls × {ms(SLOW_CALL)}", "info"))
    return rows


def calls_table(counts: dict[str, Any]) -> str:
    """The call list as Markdown (for the README section)."""
    return "\n".join(f"| {m} | {c} | {WHY.get(m, '')} |" for m, c in counts.items())


def main() -> None:
    cli(run, __doc__ or "", "10 declares instead of 30")


if __name__ == "__main__":
    main()
