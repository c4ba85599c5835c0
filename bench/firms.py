"""8. Many firms on one deployment: 50 firms (Slack teams), 2 web and 2 worker processes on one PostgreSQL.

Two web processes (bench/firms_web.py: the product's Slack HTTP mode served by waitress, as `breachbot serve`
does, with its own engine and caches) sit behind a round-robin "load balancer" (the load generator sends each
command to the next one). 50 firms (teams T001…T050 on one fake Slack Web API, one bot token) type signed
/breach commands — per firm, declares (each with its own war room) and log lines — 8 at a time. Each ack's
time (the HTTP answer Slack waits for, at most 3 s) is measured. Then two worker processes
(tests/worker_process.py: the product's scheduler, outbox and Slack client) run side by side at each step of a
virtual day on the bot's clock (every hour; --quick: 10 firms, one round at the day's end), each sending what
is due and exiting; the web processes may still be delivering what the commands started when they begin.
Every alert due in the day must go out exactly once: none left unsent (pending, claimed or in the outbox),
none delivered twice (two Slack messages carrying the same outbox key, war-room posts and direct messages
alike). Needs PostgreSQL (BREACHBOT_BENCH_DATABASE_URL or BREACHBOT_TEST_DATABASE_URL).

Each firm installs the app first through Bolt's OAuth flow, as an admin would: /slack/install on one web
process, Slack's approval (the fake's oauth.v2.access trades the code for the team's own bot token,
xoxb-T001…), the redirect back through the balancer (the next web process: the OAuth state is in the
database). Each team has its own #general and its own people; the fake Slack refuses a call whose token is
not the workspace's of the channel or person it names (channel_not_found, user_not_found, invalid_auth), and
every such refusal fails the run: every Web API call, from web and worker processes alike, must carry the
token of the firm it is about. Not modelled: WeCom corps (tests/wecom/test_corps.py).
"""

from __future__ import annotations

import http.client
import os
import re
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from sqlalchemy import func
from sqlmodel import Session, col, select

from bench.common import (
    CLIENT_ID,
    CLIENT_SECRET,
    REPO,
    Row,
    cli,
    loopback_only,
    ms,
    percentile,
    postgres_answers,
    postgres_engine,
    say,
    sign,
    start_fake,
    verdict,
    workdir,
)
from storage.models import Alert, Incident, OutboundMessage
from tests.conftest import START

ACK_LIMIT = 3.0  # Slack's: an ack later than this is a failed command for the person who typed it
TITLE = "8. Many firms: 50 firms, 2 web + 2 worker processes, PostgreSQL"


def _url(engine: Any) -> str:
    """The engine's database as another process is told it: the schema in the URL's libpq options."""
    with engine.connect() as conn:
        schema = str(conn.exec_driver_sql("select current_schema()").scalar())
    url = engine.url.set(query={"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO)}


def _webs(url: str, api_url: str, scratch: Path, count: int = 2) -> tuple[list[subprocess.Popen], list[int]]:
    procs, ports = [], []
    for n in range(count):
        port_file = scratch / f"web{n}.port"
        procs.append(subprocess.Popen([sys.executable, "-m", "bench.firms_web", url, api_url, str(port_file)],
                                      cwd=REPO, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        end = time.monotonic() + 60
        while not port_file.exists() and time.monotonic() < end and procs[-1].poll() is None:
            time.sleep(0.05)
        if not port_file.exists():
            raise RuntimeError(f"web process {n} did not start")
        ports.append(int(port_file.read_text(encoding="utf-8")))
    return procs, ports


def _team(fake: Any, f: int) -> str:
    """Firm f's workspace: its own #general and people (alice, bob) that only its token may name."""
    team = f"T{f:03d}"
    people = {name: f"U{f:03d}{name.upper()}" for name in ("alice", "bob")}
    for name, user in people.items():
        fake.add_member(user, name, team=team)
    fake.add_channel(_general(team), "general", members=tuple(people.values()), team=team)
    return team


def _general(team: str) -> str:
    return f"C{team}GENERAL"


def _get(port: int, path: str, cookie: str = "") -> tuple[int, str, str]:
    """A browser's GET: status, body, the cookie it was given."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        response = conn.getresponse()
        body = response.read().decode("utf-8", "replace")
        given = "; ".join(c.split(";", 1)[0] for c in response.headers.get_all("Set-Cookie") or [])
        return response.status, body, given
    finally:
        conn.close()


def _install(fake: Any, team: str, ports: list[int], n: int) -> None:
    """An admin of `team` clicks Add to Slack on one web process, approves in Slack, and comes back on the
    redirect through the balancer (the other web process): the team's own bot token is stored."""
    status, page, cookie = _get(ports[n % 2], "/slack/install")
    found = re.search(r"state=([^&\"]+)", page)
    if status != 200 or found is None:
        raise RuntimeError(f"{team}: /slack/install answered {status}")
    fake.arrange_install(f"code-{team}", team=team, name=f"Firm {team}", token=f"xoxb-{team}")
    status, page, _ = _get(ports[(n + 1) % 2], f"/slack/oauth_redirect?code=code-{team}&state={found[1]}", cookie)
    if status != 200:
        raise RuntimeError(f"{team}: the OAuth redirect answered {status}: {page[:200]}")


def _body(fake: Any, team: str, user: str, text: str, n: int) -> str:
    return urlencode({"token": "legacy", "team_id": team, "team_domain": team.lower(), "channel_id": _general(team),
                      "channel_name": "general", "user_id": user, "user_name": "alice", "command": "/breach",
                      "text": text, "api_app_id": "A0BREACH", "is_enterprise_install": "false",
                      "response_url": fake.response_url(f"firms{n}"), "trigger_id": fake.issue_trigger(f"t.f{n}")},
                     quote_via=quote)


def _ack(port: int, body: str) -> tuple[float, int]:
    """One signed command to one web process: how long until its answer, and the HTTP status."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {**sign(body), "Content-Type": "application/x-www-form-urlencoded"}
    start = time.perf_counter()
    try:
        conn.request("POST", "/slack/events", body=body.encode(), headers=headers)
        response = conn.getresponse()
        response.read()
        return time.perf_counter() - start, response.status
    finally:
        conn.close()


def _commands(fake: Any, firms: int, per_firm: int, declares: int) -> list[tuple[str, str]]:
    """(team, body) in the order typed: each firm's declares first, then its log lines, firms interleaved."""
    out: list[tuple[str, str]] = []
    n = 0
    for step in range(per_firm):
        for f in range(1, firms + 1):
            team, alice = f"T{f:03d}", f"U{f:03d}ALICE"
            n += 1
            text = (f"declare Firm {f:03d} leak {step + 1}" if step < declares
                    else f"log BR-{1 + step % declares} firm {f:03d} note {step}")
            out.append((team, _body(fake, team, alice, text, n)))
    return out


def _settle(engine: Any, incidents: int, limit_s: float = 120) -> None:
    """Wait for the web processes' listeners (after the ack) to record every incident. What they still deliver
    (rooms, invites, posts) the workers may take over from then on: delivery is shared between processes."""
    end = time.monotonic() + limit_s
    while time.monotonic() < end:
        with Session(engine) as s:
            if s.exec(select(func.count()).select_from(Incident)).one() >= incidents:
                return
        time.sleep(0.1)


def _workers(url: str, api_url: str, moment: Any, scratch: Path) -> None:
    procs = [subprocess.Popen([sys.executable, "-m", "tests.worker_process", url, "-", moment.isoformat(),
                               str(scratch / f"w{n}.jsonl"), "--slack", api_url,
                               "--oauth", f"{CLIENT_ID}:{CLIENT_SECRET}"], cwd=REPO, env=_env(),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for n in range(2)]
    for proc in procs:
        proc.wait(600)


def run_firms(engine: Any, *, firms: int, per_firm: int, declares: int, step: timedelta) -> dict[str, Any]:
    fake = start_fake()
    fake.client_id, fake.client_secret = CLIENT_ID, CLIENT_SECRET
    webs: list[subprocess.Popen] = []
    try:
        with workdir("bench-firms-") as scratch:
            url = _url(engine)
            webs, ports = _webs(url, fake.api_url, scratch)
            teams = [_team(fake, f) for f in range(1, firms + 1)]
            began = time.monotonic()
            for n, team in enumerate(teams):
                _install(fake, team, ports, n)
            say(f"  {len(teams)} firms installed through OAuth in {time.monotonic() - began:.1f} s")
            commands = _commands(fake, firms, per_firm, declares)
            began = time.monotonic()
            with ThreadPoolExecutor(8) as pool:
                acks = list(pool.map(lambda item: _ack(ports[item[0] % 2], item[1][1]), enumerate(commands)))
            typed_s = time.monotonic() - began
            _settle(engine, firms * declares)
            settled_s = time.monotonic() - began - typed_s
            say(f"  typed in {typed_s:.1f} s, settled {settled_s:.1f} s later")
            base = len(fake.messages)
            moment, end = START + step, START + timedelta(days=1)
            rounds = 0
            while moment <= end:
                t0 = time.monotonic()
                _workers(url, fake.api_url, moment, scratch)
                say(f"  worker round at {moment:%H:%M}: {time.monotonic() - t0:.1f} s")
                moment += step
                rounds += 1
            with Session(engine) as s:
                alerts = Counter(s.exec(select(Alert.state).where(Alert.fire_at <= end)).all())
                undelivered = s.exec(select(func.count()).select_from(OutboundMessage).where(
                    col(OutboundMessage.state).in_(("pending", "sending")))).one()
                incidents = s.exec(select(func.count()).select_from(Incident)).one()
                teams = len(set(s.exec(select(Incident.workspace_id)).all()))
            messages = list(fake.messages.values())
            refused = Counter(error for _, error, _ in fake.refusals)
            tokens = Counter(c.token for c in fake.calls if c.method != "oauth.v2.access")
    finally:
        for web in webs:
            web.kill()
            web.wait(10)
        fake.stop()
    keys = Counter(((m.get("metadata") or {}).get("event_payload") or {}).get("key") for m in messages)
    keys.pop(None, None)
    return {"commands": len(commands), "acks": [a for a, _ in acks], "bad": sum(1 for _, s in acks if s != 200),
            "typed_s": typed_s, "alerts": alerts, "undelivered": undelivered, "incidents": incidents,
            "teams": teams, "rounds": rounds, "after_commands": len(messages) - base,
            "keyed": len(keys), "twice": sum(c - 1 for c in keys.values()), "refused": refused,
            "tokens": len(set(tokens) - {None}), "untokened": tokens.get(None, 0) + tokens.get(fake.bot_token, 0)}


def run(quick: bool = False) -> list[Row]:
    """Measure, print, and return the rows for RESULTS.md."""
    loopback_only()
    why = postgres_answers()
    if why is not None:
        say(f"  PostgreSQL does not answer ({why}): not run")
        return [Row(TITLE, "not run: PostgreSQL does not answer", "", "**not measured**")]
    firms, per_firm, declares = (10, 2, 1) if quick else (50, 10, 7)
    step = timedelta(hours=24 if quick else 1)
    with postgres_engine() as engine:
        r = run_firms(engine, firms=firms, per_firm=per_firm, declares=declares, step=step)
    acks = r["acks"]
    sent, left = r["alerts"].get("sent", 0), sum(n for s, n in r["alerts"].items() if s in ("pending", "claimed"))
    say(f"  {r['commands']} commands from {r['teams']} firms ({r['incidents']} incidents) in {r['typed_s']:.1f} s; "
        f"ack p50 {ms(percentile(acks, 50))}, p99 {ms(percentile(acks, 99))}, max {ms(max(acks))}; "
        f"{r['bad']} not 200")
    say(f"  alerts due in the day: {dict(r['alerts'])}; {r['rounds']} worker rounds × 2 processes; "
        f"{r['keyed']} keyed Slack messages, {r['twice']} twice; {r['undelivered']} left in the outbox")
    say(f"  Web API calls with {r['tokens']} firms' own tokens; refused across workspaces: {dict(r['refused'])}; "
        f"{r['untokened']} without a firm's token")
    late = sum(1 for a in acks if a >= ACK_LIMIT)
    return [
        Row(f"{TITLE}: acks", f"{r['commands']} commands from {r['teams']} firms: p50 {ms(percentile(acks, 50))}, "
            f"p99 {ms(percentile(acks, 99))}, max {ms(max(acks))}", "every ack < 3 s (Slack's limit)",
            verdict(late == 0 and r["bad"] == 0, f"{late} at 3 s or more, {r['bad']} not 200")),
        Row(f"{TITLE}: alerts", f"{sent} alerts of {r['incidents']} incidents sent over a virtual day "
            f"({r['rounds']} rounds of 2 workers); {r['keyed']} Slack messages by outbox key",
            "each exactly once: none twice, none left",
            verdict(r["twice"] == 0 and left == 0 and r["undelivered"] == 0,
                    f"{r['twice']} twice, {left} alerts and {r['undelivered']} messages left")),
        Row(f"{TITLE}: tokens", f"{r['teams']} firms installed through OAuth; Web API calls made with "
            f"{r['tokens']} firms' own bot tokens; refused by Slack across workspaces: "
            f"{sum(r['refused'].values())} {dict(r['refused']) or ''}".rstrip(),
            "every call with its own firm's token, none refused",
            verdict(not r["refused"] and r["untokened"] == 0 and r["tokens"] == r["teams"],
                    f"{sum(r['refused'].values())} refused, {r['untokened']} without a firm's token")),
    ]


def main() -> None:
    cli(run, __doc__ or "", "10 firms × 2 commands, one worker round at the day's end (under a minute)")


if __name__ == "__main__":
    main()
