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
from handlers.cli_parser import parser_class
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
        return _env_lang()


def _env_lang() -> str:
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
    bots = worker_bots(settings, engine)
    if not bots:
        print(t(lang_of(settings), "cli.worker_nothing"), file=sys.stderr)
        return 2
    print(t(lang_of(settings), "cli.worker_running", platforms=_platforms(bots, settings)), file=sys.stderr)
    liveness.platforms = [b.chat.platform for b in bots]
    if settings.health_port:  # only once there is something to report on (no stray server on a refusal)
        serve_health(liveness, port=settings.health_port)
    _with_schedulers(bots, threading.Event().wait, liveness)
    return 0


def worker_bots(settings: Settings, engine: Any, clock: Any = None) -> list[Any]:
    """The bots a worker runs alerts for: every platform `serve` answers (Slack, one token or several workspaces;
    WeCom, one corp or several), so a deployment serving Slack firms and WeCom corps reminds them all."""
    from handlers.web import serves_slack, serves_wecom

    bots = []
    if serves_slack(settings, signed=False):  # several workspaces: each one's token from the store
        from handlers.slack.app import build_slack_app
        from handlers.web import slack_stores

        bots.append(build_slack_app(settings, engine=engine, clock=clock, stores=slack_stores(settings, engine))[1])
    if serves_wecom(settings):
        from flask import Flask

        from handlers.wecom.web import register

        bots.append(register(Flask("breachbot-worker"), settings=settings, engine=engine, clock=clock))
    return bots


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


def build_parser(lang: str = "en") -> argparse.ArgumentParser:
    """The command line, one subcommand per job, its help in `lang` (the deployment's)."""
    def h(key: str) -> str:
        return t(lang, f"cli_help.{key}")

    def m(key: str) -> str:  # what stands for a value in the usage line
        return t(lang, f"cli_help.metavar.{key}")

    parser = parser_class(lang)(prog="breachbot", description=h("description"))
    parser.add_argument("--db", metavar=m("db"), help=h("db"))
    sub = parser.add_subparsers(dest="command", title=h("commands"), metavar=h("command"))

    def command(name: str, key: str, func: Any, *, db: bool = True) -> argparse.ArgumentParser:
        found = sub.add_parser(name, help=h(key), description=h(key))
        if func is not None:
            found.set_defaults(func=func)
        if db:
            found.add_argument("--db", metavar=m("db"), help=h("db_url"), default=argparse.SUPPRESS)
        return found

    run = command("run", "run", cmd_run, db=False)
    run.add_argument("--user", default=None, metavar=m("user"), help=h("run_user"))
    command("serve", "serve", cmd_serve)
    command("worker", "worker", cmd_worker)

    console = command("console", "console", cmd_console)
    console.add_argument("--script", metavar=m("file"), help=h("console_script"))
    console.add_argument("--now", metavar=m("time"), help=h("console_now"))
    console.add_argument("--user", default=None, metavar=m("user"), help=h("console_user"))
    console.add_argument("--lang", choices=("en", "zh"), help=h("console_lang"))
    console.add_argument("--tz", metavar=m("zone"), help=h("console_tz"))

    command("db", "db_cmd", cmd_db).add_argument("action", choices=("upgrade", "current"), help=h("db_action"))

    ver = command("verify", "verify", cmd_verify)
    ver.add_argument("incident", metavar=m("incident"), help=h("incident"))
    ver.add_argument("--workspace", metavar=m("workspace"), help=h("workspace"))
    ver.add_argument("--export", metavar=m("file"), help=h("verify_export"))
    ver.add_argument("--upto", type=int, metavar=m("number"), help=h("verify_upto"))
    ver.add_argument("--report", metavar=m("file"), help=h("verify_report"))

    exp = command("export", "export", cmd_export)
    exp.add_argument("incident", metavar=m("incident"), help=h("incident"))
    exp.add_argument("--format", choices=("json", "md", "html", "pdf"), default="json", help=h("export_format"))
    exp.add_argument("--lang", choices=("en", "zh"), help=h("export_lang"))
    exp.add_argument("--out", metavar=m("file"), help=h("export_out"))
    exp.add_argument("--workspace", metavar=m("workspace"), help=h("workspace"))

    hist = command("history", "history", cmd_history)
    hist.add_argument("--workspace", metavar=m("workspace"), help=h("history_workspace"))
    hist.add_argument("--link", type=int, nargs="?", const=24, metavar=m("hours"), help=h("history_link"))

    doctor = command("doctor", "doctor", cmd_doctor)
    doctor.add_argument("--offline", action="store_true", help=h("doctor_offline"))
    doctor.add_argument("--all", action="store_true", help=h("doctor_all"))

    command("outbox", "outbox", cmd_outbox).add_argument("--retry", metavar=m("message"), help=h("outbox_retry"))
    cli_firms.add_parser(command, h, m)
    command("keygen", "keygen", cmd_keygen, db=False)

    pb_sub = command("playbook", "playbook", None, db=False).add_subparsers(
        dest="action", required=True, title=h("commands"), metavar=h("command"))
    check = pb_sub.add_parser("check", help=h("playbook_check"), description=h("playbook_check"))
    check.add_argument("file", metavar=m("file"), help=h("playbook_file"))
    check.set_defaults(func=cmd_playbook)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `breachbot` console script."""
    try:
        settings = Settings()
        level, lang = settings.log_level.upper(), settings.language()
    except ValueError:  # a broken setting is reported by the command itself
        level, lang = "INFO", _env_lang()
    args = build_parser(lang).parse_args(argv)
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
