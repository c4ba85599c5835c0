"""The `breachbot` command: run the bot, the console, migrations, verify and export."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from bot.errors import ConfigError
from bot.incident.playbook import PlaybookError, load_playbook
from bot.law.regimes import RegimeError
from bot.settings import Settings
from bot.text.i18n import text as t
from bot.text.worded import said
from handlers import cli_firms
from handlers.cli_records import cmd_export, cmd_history, cmd_outbox, cmd_verify
from handlers.cli_records import settings_of as _settings
from storage.db import current_revision, head_revision, make_engine, upgrade


def lang_of(settings: Settings) -> str:
    """The deployment's language for the command line: the firm's (breachbot.toml), else BREACHBOT_LANG."""
    from handlers.doctor import language

    return language(settings)


def _lang(args: argparse.Namespace) -> str:
    """The command line's language even when the settings cannot be read (then BREACHBOT_LANG, else English)."""
    try:
        return lang_of(_settings(args))
    except Exception:  # the error itself is what gets reported
        return "zh" if os.environ.get("BREACHBOT_LANG", "").strip().lower().startswith("zh") else "en"


def _platforms(bots: list[Any], settings: Settings) -> str:
    lang = lang_of(settings)
    return ("、" if lang == "zh" else ", ").join(t(lang, f"platform_name.{b.chat.platform}") for b in bots)


def cmd_console(args: argparse.Namespace) -> int:
    from handlers.console.main import run_console

    return run_console(_settings(args), script=args.script, now=args.now, user=args.user)


def cmd_run(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if settings.platform == "console":
        from handlers.console.main import run_console

        return run_console(settings, script=None, now=None, user=getattr(args, "user", None))
    if settings.platform == "slack" and settings.slack_app_token and not settings.slack_oauth:
        return cmd_worker(args)  # Socket Mode: no public URL; the worker also sends reminders
    return cmd_serve(args)


def cmd_serve(args: argparse.Namespace) -> int:
    """Slack HTTP events and WeCom callbacks on $PORT, with /healthz, plus the alert scheduler."""
    from handlers.web import create_web_app, serve

    settings = _settings(args)
    engine = make_engine(settings.sqlalchemy_url)
    upgrade(engine)
    app, bots = create_web_app(settings, engine=engine)
    if not bots:
        # The console keeps its own process; serve still gives the incident pages of this database.
        print(t(lang_of(settings), "cli.serve_pages_only", port=settings.port), file=sys.stderr)
    else:
        print(t(lang_of(settings), "cli.serving", platforms=_platforms(bots, settings), port=settings.port),
              file=sys.stderr)
    try:
        _with_schedulers(bots, lambda: serve(app, port=settings.port), app.extensions["breachbot.liveness"])
    finally:
        if "breachbot.wecom" in app.extensions:
            from handlers.wecom.web import endpoint_of

            endpoint_of(app).worker.stop()
    return 0


def _with_schedulers(bots: list[Any], run: Any, liveness: Any = None) -> None:
    """Run `run()` with an alert scheduler per bot, stopping them whatever happens (their sweeps in /healthz);
    SIGTERM or Ctrl-C: nothing new is taken, the message in flight is finished, then it returns."""
    from bot.scheduler import AlertScheduler
    from handlers.shutdown import stop_on_sigterm

    schedulers = [AlertScheduler(bot) for bot in bots]
    if liveness is not None:
        liveness.schedulers = schedulers
    with stop_on_sigterm(bots):
        for scheduler in schedulers:
            scheduler.start()
        try:
            run()
        except (KeyboardInterrupt, SystemExit):
            for bot in bots:  # Ctrl-C too: finish the message in flight, start nothing new
                bot.stopping.set()
        finally:
            for scheduler in schedulers:
                scheduler.shutdown(wait=True)  # the running sweep finishes its row and stops


def cmd_worker(args: argparse.Namespace) -> int:
    """The scheduler (reminders, escalations, follow-ups) and, when configured, Slack Socket Mode."""
    import threading

    from handlers.liveness import Liveness, serve_health

    settings = _settings(args)
    engine = make_engine(settings.sqlalchemy_url)
    upgrade(engine)
    liveness = Liveness(engine)
    if settings.slack_bot_token and settings.slack_app_token and not settings.slack_oauth:
        from handlers.slack.socket import run_socket_mode

        if settings.health_port:
            serve_health(liveness, port=settings.health_port)
        run_socket_mode(settings, engine=engine, liveness=liveness)
        return 0
    bots = []
    if settings.slack_bot_token or settings.slack_oauth:  # several workspaces: each one's token from the store
        from handlers.slack.app import build_slack_app
        from handlers.web import slack_stores

        bots.append(build_slack_app(settings, engine=engine, stores=slack_stores(settings, engine))[1])
    if settings.platform == "wecom":
        from flask import Flask

        from handlers.wecom.web import register

        bots.append(register(Flask("breachbot-worker"), settings=settings, engine=engine))
    if not bots:
        print(t(lang_of(settings), "cli.worker_nothing"), file=sys.stderr)
        return 2
    print(t(lang_of(settings), "cli.worker_running", platforms=_platforms(bots, settings)), file=sys.stderr)
    liveness.platforms = [b.chat.platform for b in bots]
    if settings.health_port:  # only once there is something to report on (no stray server on a refusal)
        serve_health(liveness, port=settings.health_port)
    _with_schedulers(bots, threading.Event().wait, liveness)
    return 0


def _sqlite_file(url: str) -> Path | None:
    """The file of a file-backed SQLite URL (None for PostgreSQL or an in-memory database)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def cmd_db(args: argparse.Namespace) -> int:
    settings = _settings(args)
    lang, url = lang_of(settings), settings.sqlalchemy_url
    missing = _sqlite_file(url)
    if args.action == "current" and missing is not None and not missing.exists():
        # Looking must not create: connecting to SQLite would leave an empty file behind.
        print(t(lang, "cli.db_missing", url=url))
        return 0
    engine = make_engine(url)
    if args.action == "upgrade":
        upgrade(engine)
    current = current_revision(engine)
    head = head_revision()
    state = t(lang, "cli.db_up_to_date") if current == head else t(lang, "cli.db_behind", head=head)
    print(t(lang, "cli.db_state", url=engine.url.render_as_string(hide_password=True),
            revision=current or t(lang, "cli.db_no_revision"), state=state))
    return 0 if current == head or args.action == "current" else 1


def cmd_playbook(args: argparse.Namespace) -> int:
    try:
        playbook = load_playbook(Path(args.file))
    except PlaybookError as exc:
        print(exc.said(_lang(args)), file=sys.stderr)
        return 1
    tasks = sum(len(p.tasks) for p in playbook.phases)
    print(t(_lang(args), "cli.playbook_ok", file=args.file, phases=len(playbook.phases), tasks=tasks,
            roles=len(playbook.roles)))
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from handlers.doctor import diagnose, language, report

    settings = _settings(args)
    lang = language(settings)
    checks = diagnose(settings, probe_platforms=not args.offline)
    print(report(checks, lang))
    healthy = all(c.ok for c in checks)
    if getattr(args, "all", False) and all(c.ok for c in checks if c.name in ("database", "migrations")):
        rows = cli_firms.firm_rows(settings)
        print(cli_firms.listing(rows, lang))
        healthy = healthy and not any(f.problems for f in rows)
    return 0 if healthy else 1


def cmd_keygen(args: argparse.Namespace) -> int:
    from bot.statements.clients import Vault

    print(Vault.new_key())  # the key alone on stdout, for scripts
    print(t(_lang(args), "cli.keygen_keep"), file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The command line, one subcommand per job."""
    parser = argparse.ArgumentParser(prog="breachbot", description="Breach response in your firm's chat.")
    parser.add_argument("--db", help="database URL or a SQLite file path (default: DATABASE_URL, else sqlite:///breachbot.db); "
                                     "before or after the subcommand")
    sub = parser.add_subparsers(dest="command")

    run = sub.add_parser("run", help="start the bot on the platform your credentials point at (console if none)")
    run.add_argument("--user", default=None, help="console: who you are (default: asked; Enter takes the roster's first)")
    run.set_defaults(func=cmd_run)

    serve = sub.add_parser("serve", help="HTTP: Slack events, WeCom callbacks and /healthz on $PORT")
    serve.add_argument("--db", help="database URL", default=argparse.SUPPRESS)
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser("worker", help="the scheduler, and Slack Socket Mode when SLACK_APP_TOKEN is set")
    worker.add_argument("--db", help="database URL", default=argparse.SUPPRESS)
    worker.set_defaults(func=cmd_worker)

    console = sub.add_parser("console", help="the local workspace in this terminal")
    console.add_argument("--script", help="read lines from FILE ('-' for stdin) instead of a prompt")
    console.add_argument("--now", help="start the clock at this ISO time, e.g. 2026-11-28T10:05+08:00")
    console.add_argument("--user", default=None, help="who you are at the prompt (default: asked; Enter takes the "
                                                       "roster's first person)")
    console.add_argument("--db", help="database URL", default=argparse.SUPPRESS)
    console.add_argument("--lang", choices=("en", "zh"), help="workspace language")
    console.add_argument("--tz", help="workspace timezone, e.g. Asia/Shanghai")
    console.set_defaults(func=cmd_console)

    db = sub.add_parser("db", help="database schema")
    db.add_argument("action", choices=("upgrade", "current"))
    db.add_argument("--db", help="database URL", default=argparse.SUPPRESS)
    db.set_defaults(func=cmd_db)

    ver = sub.add_parser("verify", help="check an incident's timeline has not been altered")
    ver.add_argument("incident", help="BR-1")
    ver.add_argument("--workspace", help="workspace id when several share the database")
    ver.add_argument("--export", help="also check that this exported JSON matches the database")
    ver.add_argument("--upto", type=int, help="check events #1 to this one only (the last event a report includes)")
    ver.add_argument("--report", help="check the events a report (md, html, pdf or json) says it includes")
    ver.add_argument("--db", help="database URL", default=argparse.SUPPRESS)
    ver.set_defaults(func=cmd_verify)

    exp = sub.add_parser("export", help="print an incident as JSON or Markdown")
    exp.add_argument("incident", help="BR-1")
    exp.add_argument("--format", choices=("json", "md", "html", "pdf"), default="json")
    exp.add_argument("--lang", choices=("en", "zh"), help="report language (default: the workspace's)")
    exp.add_argument("--out", help="write to this file instead of standard output (needed for pdf)")
    exp.add_argument("--workspace", help="workspace id when several share the database")
    exp.add_argument("--db", help="database URL", default=argparse.SUPPRESS)
    exp.set_defaults(func=cmd_export)

    hist = sub.add_parser("history", help="past incidents and drills with their key times")
    hist.add_argument("--workspace", help="only this workspace id")
    hist.add_argument("--link", type=int, nargs="?", const=24, metavar="HOURS",
                      help="print a firm admin's link to the history page (valid 24 hours unless HOURS given)")
    hist.add_argument("--db", help="database URL", default=argparse.SUPPRESS)
    hist.set_defaults(func=cmd_history)

    doctor = sub.add_parser("doctor", help="check configuration, database, migrations, credentials, scheduler")
    doctor.add_argument("--db", help="database URL", default=argparse.SUPPRESS)
    doctor.add_argument("--offline", action="store_true", help="do not call Slack or WeCom")
    doctor.add_argument("--all", action="store_true", help="also every firm: its install, usage and health")
    doctor.set_defaults(func=cmd_doctor)

    out = sub.add_parser("outbox", help="messages not delivered yet or set aside, and why")
    out.add_argument("--retry", metavar="ID", help="try a set-aside message again (its #id, or 'all')")
    out.add_argument("--db", help="database URL", default=argparse.SUPPRESS)
    out.set_defaults(func=cmd_outbox)

    cli_firms.add_parser(sub)

    keygen = sub.add_parser("keygen", help="print a new key for BREACHBOT_DATA_KEY (client contacts)")
    keygen.set_defaults(func=cmd_keygen)

    pb = sub.add_parser("playbook", help="playbook tools")
    pb_sub = pb.add_subparsers(dest="action", required=True)
    check = pb_sub.add_parser("check", help="validate a playbook file")
    check.add_argument("file")
    check.set_defaults(func=cmd_playbook)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `breachbot` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        level = Settings().log_level.upper()
    except ValueError:  # a broken setting is reported by the command itself
        level = "INFO"
    logging.basicConfig(level=getattr(logging, level, logging.INFO),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    func = getattr(args, "func", cmd_run)
    try:
        return func(args)
    except (ConfigError, PlaybookError, RegimeError) as exc:
        lang = _lang(args)
        print(t(lang, "cli.error_line", error=said(exc, lang)), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
