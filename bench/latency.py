"""1. Command latency through the real Bolt HTTP stack: signed requests over loopback HTTP, keep-alive.

Apps are served side by side with waitress (as `breachbot serve` does, 8 threads) on 127.0.0.1, each driven
by a separate client process (its own GIL) over one keep-alive connection:
- ours: handlers.slack.web.register (the product's Flask + Bolt app) on SQLite, Web API = the local fake;
- bare: a Bolt app whose listeners only ack, with the same process_before_response as ours (the floor);
- for information: bare Bolt with the other process_before_response, and ours built that way (an experiment).
Closed loop: one request at a time; after each of ours the benchmark waits until its lazy work is done, so
every request meets an idle bot, and the time until the person sees the answer is measured too. Then a burst
(information): requests back to back, the lazy work piling up. Last, ours with its AlertScheduler running
over 1,000 more incidents × 15 clocks, as `breachbot serve` runs it: lazy work per command, acks in a burst.
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask, Response, request
from slack_bolt import Ack, App
from slack_bolt.adapter.flask import SlackRequestHandler
from slack_sdk import WebClient

from bench.common import (
    BOT_TOKEN,
    GENERAL,
    SECRET,
    CountingExecutor,
    Row,
    Served,
    cli,
    loopback_only,
    median,
    ms,
    percentile,
    say,
    serve,
    slack_settings,
    sqlite_engine,
    start_fake,
    time_fake,
    verdict,
)
from bench.http_client import PATH, Bodies, Client

VISIBLE = {"chat.postMessage", "chat.postEphemeral", "chat.update"}  # what a person sees (and response_url)
TARGET_RATIO = 1.3
TARGET_P99 = 0.100


# -- the apps -------------------------------------------------------------------------------------------
def bare_app(api_url: str, *, process_before_response: bool = False,
             lazy_noop: bool = False) -> tuple[Flask, CountingExecutor]:
    """A Bolt app whose only listeners ack (and, if asked, start a lazy listener that does nothing), mounted
    like ours."""
    executor = CountingExecutor()
    bolt = App(name="bare", client=WebClient(token=BOT_TOKEN, base_url=api_url), signing_secret=SECRET,
               process_before_response=process_before_response, listener_executor=executor)

    def ack_only(ack: Ack) -> None:
        ack()

    def nothing() -> None:
        pass

    if lazy_noop:
        bolt.command("/breach")(ack=ack_only, lazy=[nothing])
        bolt.action(re.compile(".*"))(ack=ack_only, lazy=[nothing])
    else:
        bolt.command("/breach")(ack_only)
        bolt.action(re.compile(".*"))(ack_only)
    handler = SlackRequestHandler(bolt)
    flask = Flask("bare")

    def events() -> Response:
        return handler.handle(request)

    flask.add_url_rule(PATH, endpoint="events", view_func=events, methods=["POST"])
    return flask, executor


def our_app(api_url: str, engine: Any) -> tuple[Flask, CountingExecutor, Any]:
    """The product's HTTP mode (handlers.slack.web.register), with Bolt's default-sized pool, counted."""
    from handlers.slack.web import register

    executor = CountingExecutor()
    flask = Flask("breachbot")
    bot = register(flask, settings=slack_settings(api_url), engine=engine, listener_executor=executor)
    return flask, executor, bot


@contextmanager
def process_before_response_set_to(value: bool) -> Iterator[None]:
    """An experiment, not the product: build our app with Bolt's process_before_response forced to `value`
    (True: acks run inline on the HTTP thread, lazy listeners still go to the pool; False: acks also go to
    the pool and the HTTP thread polls for them every 10 ms). Only for the duration of the block."""
    import handlers.slack.app as slack_app

    original = slack_app.App

    def patched(*args: Any, **kwargs: Any) -> App:
        kwargs["process_before_response"] = value
        return original(*args, **kwargs)

    slack_app.App = patched  # type: ignore[misc]
    try:
        yield
    finally:
        slack_app.App = original  # type: ignore[misc]


def pbr(flask: Flask) -> bool:
    """Whether the Bolt app mounted on `flask` runs with process_before_response."""
    return bool(flask.extensions["breachbot.slack"].process_before_response)


# -- requests -----------------------------------------------------------------------------------------
def first_visible(fake: Any, after: float, calls_from: int, responses_from: int) -> float | None:
    """When the first thing a person sees reached Slack after `after` (monotonic), if anything did."""
    moments = [t for t, call in zip(fake.calls.times[calls_from:], fake.calls[calls_from:], strict=False)
               if call.method in VISIBLE and t >= after]
    moments += [t for t in fake.responses.times[responses_from:] if t >= after]
    return min(moments) if moments else None


def closed_loop(client: Client, bodies: list[str], executor: CountingExecutor, fake: Any,
                wait_s: float = 10.0) -> dict[str, list[float]]:
    """One request at a time; after each, wait until the app's listeners are done (bounded)."""
    acks, answers, done, bad = [], [], [], 0
    for body in bodies:
        calls_from, responses_from = len(fake.calls), len(fake.responses)
        result = client.one(body)
        if result["status"] != 200:
            bad += 1
        acks.append(result["lat"])
        if executor.wait_quiet(wait_s):
            done.append(executor.quiet_at - result["t0"])
        seen = first_visible(fake, result["t0"], calls_from, responses_from)
        if seen is not None:
            answers.append(seen - result["t0"])
    return {"ack": acks, "answer": answers, "done": done, "bad": [bad]}


def forget(fake: Any, room: str) -> None:
    """Keep the fake Slack's records bounded between chunks (only the war room's pinned status is needed later),
    so the process heap, and the garbage collector's pauses, are the bot's and not the test double's."""
    keep = set(fake.channels[room].pins)
    for key in [k for k in fake.messages if k[1] not in keep]:
        del fake.messages[key]
    for record in (fake.calls, fake.responses):
        with record._lock:
            list.clear(record)
            record.times.clear()


def summary(values: list[float]) -> str:
    if not values:
        return "—"
    return f"median {ms(median(values))}, p99 {ms(percentile(values, 99))}, max {ms(max(values))}"


# -- the benchmark --------------------------------------------------------------------------------------
def run(quick: bool = False) -> list[Row]:
    """Measure, print, and return the rows for RESULTS.md."""
    loopback_only()
    n = 200 if quick else 1000
    burst_n = 100 if quick else 300
    rows: list[Row] = []
    fake = start_fake()
    time_fake(fake)
    servers: list[Served] = []
    clients: list[Client] = []
    try:
        with sqlite_engine("bench-latency-") as engine:
            ours_flask, ours_pool, bot = our_app(fake.api_url, engine)
            mode = pbr(ours_flask)
            # The floor: bare Bolt configured as ours is, so the ratio is what our code adds, not Bolt's mode.
            bare_flask, bare_pool = bare_app(fake.api_url, process_before_response=mode)
            other_flask, other_pool = bare_app(fake.api_url, process_before_response=not mode)
            lazy_flask, lazy_pool = bare_app(fake.api_url, process_before_response=mode, lazy_noop=True)
            with process_before_response_set_to(not mode):
                alt_flask, alt_pool, alt_bot = our_app(fake.api_url, engine)
            assert pbr(alt_flask) is not mode, "the experiment did not apply"
            say(f"  ours runs with process_before_response={mode}; the floor is bare Bolt with the same; "
                f"process_before_response={not mode} is shown for information")
            ours, bare, other, alt = serve(ours_flask), serve(bare_flask), serve(other_flask), serve(alt_flask)
            bare_lazy = serve(lazy_flask)
            servers += [ours, bare, other, alt, bare_lazy]
            ours_client, bare_client, other_client, alt_client = Client(ours, SECRET), Client(bare, SECRET), Client(other, SECRET), Client(alt, SECRET)
            lazy_client = Client(bare_lazy, SECRET)
            clients += [ours_client, bare_client, other_client, alt_client, lazy_client]
            make = Bodies(fake)

            # An incident with its war room, so the commands act on something real.
            declared = ours_client.one(make.slash("declare Payroll export found on a public file share "
                                                  "--severity high --clients 40 --data payroll,bank_account",
                                                  GENERAL))
            assert declared["status"] == 200, declared
            assert ours_pool.wait_quiet(30), "declare did not finish"
            room = fake.channel_named("breach-1").id
            prompt_ts = next(ts for (channel, ts), msg in fake.messages.items() if channel == room and any(
                e.get("action_id", "").startswith("task_done") for b in msg.get("blocks", []) for e in b.get("elements", [])))
            task_values = [f"1:{p}.{i}" for p, phase in enumerate(bot.playbook.phases, start=1)
                           for i in range(1, len(phase.tasks) + 1)]
            say(f"  {len(task_values)} tasks in the playbook: the first {len(task_values)} task_done clicks "
                f"complete one each, later ones are answered 'already done'")
            for warm in range(20):  # connections, caches, first-request imports
                bare_client.one(make.slash("status", room))
                other_client.one(make.slash("status", room))
                lazy_client.one(make.slash("status", room))
                alt_client.one(make.slash("status", room))
                alt_pool.wait_quiet(10)
                ours_client.one(make.slash("status" if warm % 2 else "log warm-up", room))
                ours_pool.wait_quiet(10)

            commands = {
                "/breach status": lambda: make.slash("status", room),
                "/breach log": lambda: make.slash("log Called the bank: accounts for 40 clients frozen", room),
                "button task_done": lambda: make.button("task_done", task_values[next(clicks) % len(task_values)],
                                                        room, prompt_ts),
            }
            clicks = itertools.count()
            say(f"  closed loop, {n} requests per command and app, interleaved in chunks of 100")
            for name, body in commands.items():
                mine: dict[str, list[float]] = {"ack": [], "answer": [], "done": [], "bad": []}
                floor: dict[str, list[float]] = {"ack": [], "bad": []}
                started = time.monotonic()
                for chunk in range(0, n, 100):
                    size = min(100, n - chunk)
                    forget(fake, room)
                    got = closed_loop(bare_client, [body() for _ in range(size)], bare_pool, fake)
                    floor["ack"] += got["ack"]
                    floor["bad"] += got["bad"]
                    got = closed_loop(ours_client, [body() for _ in range(size)], ours_pool, fake)
                    for key in mine:
                        mine[key] += got[key]
                took = time.monotonic() - started
                ratio = median(mine["ack"]) / median(floor["ack"])
                p99 = percentile(mine["ack"], 99)
                say(f"  {name}: ours ack {summary(mine['ack'])}; bare ack {summary(floor['ack'])}; "
                    f"median ratio {ratio:.2f}x; non-200: ours {sum(mine['bad'])}, bare {sum(floor['bad'])} "
                    f"({took:.0f} s)")
                say(f"      answer seen by the person: {summary(mine['answer'])} "
                    f"({len(mine['answer'])}/{len(mine['ack'])} answered); lazy work done: {summary(mine['done'])}")
                rows.append(Row(f"1. {name}: ack latency, median (n={n})",
                                f"{ms(median(mine['ack']))} (bare Bolt, same mode: {ms(median(floor['ack']))})",
                                f"≤ {TARGET_RATIO}× bare", verdict(ratio <= TARGET_RATIO, f"{ratio:.2f}×")))
                rows.append(Row(f"1. {name}: ack latency, p99", ms(p99), "< 100 ms",
                                verdict(p99 < TARGET_P99, f"{p99 / TARGET_P99:.2f}× of target")))
                rows.append(Row(f"1. {name}: answer seen, median / p99 (info)",
                                f"{ms(median(mine['answer']))} / {ms(percentile(mine['answer'], 99))}"
                                if mine["answer"] else "—", "no target (comes after the ack)", "info"))

            lazy_run = closed_loop(lazy_client, [make.slash("status", room) for _ in range(n)], lazy_pool, fake)
            say(f"  bare Bolt, same mode, ack plus a lazy listener that does nothing: ack {summary(lazy_run['ack'])}")
            rows.append(Row(f"1. bare Bolt, same mode, ack + a lazy listener doing nothing: ack median / p99 "
                            f"(info, n={n})", f"{ms(median(lazy_run['ack']))} / {ms(percentile(lazy_run['ack'], 99))}",
                            "what Bolt's lazy-listener machinery alone adds to the floor", "info"))
            other_run = closed_loop(other_client, [make.slash("status", room) for _ in range(n)], other_pool, fake)
            say(f"  bare Bolt with process_before_response={not mode}: ack {summary(other_run['ack'])}")
            rows.append(Row(f"1. bare Bolt with process_before_response={not mode}, ack median / p99 (info, n={n})",
                            f"{ms(median(other_run['ack']))} / {ms(percentile(other_run['ack'], 99))}",
                            "False: the ack runs in the listener pool and the HTTP thread polls for it every 10 ms",
                            "info"))
            alt_run = closed_loop(alt_client, [make.slash("status", room) for _ in range(n)], alt_pool, fake)
            say(f"  ours built with process_before_response={not mode} (experiment): /breach status ack "
                f"{summary(alt_run['ack'])}; answer seen {summary(alt_run['answer'])}")
            rows.append(Row(f"1. experiment: ours with process_before_response={not mode}, /breach status ack "
                            f"median / p99 (n={n})",
                            f"{ms(median(alt_run['ack']))} / {ms(percentile(alt_run['ack'], 99))}",
                            f"ours as built (={mode}) is above", "info"))

            # Burst: no waiting for the lazy work; acks share Bolt's 5-thread pool with it.
            say(f"  burst: {burst_n} /breach log back to back, no waiting (stops after 20 s)")
            forget(fake, room)
            floor_burst = bare_client.burst([make.slash("log burst", room) for _ in range(burst_n)], 20)
            started = time.monotonic()
            burst = ours_client.burst([make.slash("log burst", room) for _ in range(burst_n)], 20)
            sent_for = time.monotonic() - started
            drained = ours_pool.wait_quiet(180)
            drain_s = time.monotonic() - started
            lat = [r["lat"] for r in burst]
            bad = sum(1 for r in burst if r["status"] != 200)
            say(f"  burst ours: {len(burst)} sent in {sent_for:.1f} s, ack {summary(lat)}, non-200 {bad}; "
                f"lazy work {'drained' if drained else 'NOT drained'} after {drain_s:.1f} s; "
                f"bare: ack {summary([r['lat'] for r in floor_burst])}")
            rows.append(Row(f"1. burst of {len(burst)} /breach log back to back: ours ack median / p99 / max (info)",
                            f"{ms(median(lat))} / {ms(percentile(lat, 99))} / {ms(max(lat))}; non-200: {bad}; "
                            f"answers all out after {drain_s:.1f} s",
                            f"bare Bolt {ms(median([r['lat'] for r in floor_burst]))} / "
                            f"{ms(percentile([r['lat'] for r in floor_burst], 99))}",
                            verdict(percentile(lat, 99) < TARGET_P99, "p99 vs 100 ms")))

            rows += with_scheduler(quick, engine, [("ours", bot, ours_client, ours_pool),
                                                   (f"experiment: ours with process_before_response={not mode}",
                                                    alt_bot, alt_client, alt_pool)], make, room)
    finally:
        for client in clients:
            client.close()
        for served in servers:
            served.stop()
        fake.stop()
    return rows


def with_scheduler(quick: bool, engine: Any, apps: list[tuple[str, Any, Client, CountingExecutor]], make: Bodies,
                   room: str) -> list[Row]:
    """What `breachbot serve` runs: the same app with its AlertScheduler, over many pending alerts."""
    from bench.scheduler import bulk_alerts, pending_alerts
    from bot.scheduler import AlertScheduler

    count = 200 if quick else 1000
    bulk_alerts(engine, count, base=datetime.now(UTC) + timedelta(days=1))  # 15 clocks each; nothing falls due
    rows: list[Row] = []
    for name, bot, client, pool in apps:
        alerts = AlertScheduler(bot)
        started = time.perf_counter()
        alerts.start()
        armed = pending_alerts(engine)
        say(f"  {name} with its scheduler ({count} more incidents, {armed:,} pending alerts; started in "
            f"{time.perf_counter() - started:.1f} s):")
        try:
            loop = closed_loop(client, [make.slash("log Bank confirmed the freeze", room) for _ in range(3)], pool,
                               make.fake, wait_s=60)
            say(f"    closed loop, 3 /breach log: ack {summary(loop['ack'])}; lazy work done {summary(loop['done'])}")
            burst = client.burst([make.slash("log burst", room) for _ in range(10)], 60)
            lat = [r["lat"] for r in burst]
            bad = sum(1 for r in burst if r["status"] != 200)
            drained = pool.wait_quiet(120)
            say(f"    burst of {len(burst)} /breach log back to back: ack {summary(lat)}; non-200 {bad}; "
                f"acks in order: {', '.join(ms(v) for v in lat)}; lazy work {'drained' if drained else 'NOT drained'}")
        finally:
            alerts.shutdown()
        if name == "ours":
            rows.append(Row(f"1. /breach log, scheduler running over {armed:,} pending alerts: lazy work per command",
                            f"{ms(median(loop['done']))} median (ack {ms(median(loop['ack']))})", "no target",
                            "**costly**: over 0.5 s per command" if median(loop["done"]) > 0.5 else "info"))
        rows.append(Row(f"1. {name}, scheduler running, burst of {len(burst)} /breach log: ack median / p99 / max",
                        f"{ms(median(lat))} / {ms(percentile(lat, 99))} / {ms(max(lat))}; non-200: {bad}",
                        "p99 < 100 ms", verdict(percentile(lat, 99) < TARGET_P99 and not bad,
                                                f"{percentile(lat, 99) / TARGET_P99:.1f}× of target")))
    return rows


def main() -> None:
    cli(run, __doc__ or "", "200 requests per command instead of 1,000")


if __name__ == "__main__":
    main()
