"""`breachbot config --workspace …` (one firm's settings; the operator names the first admin) and `breachbot firms`
(every firm, its install, usage and health)."""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Callable

from sqlmodel import col, select

from bot.app import create_app
from bot.errors import UserError
from bot.flows import delivering, firm, tenancy
from bot.incident import incidents
from bot.outbox import Outbox
from bot.settings import Settings
from bot.text.i18n import text as t
from handlers.cli_records import settings_of
from handlers.console.chat import ConsoleChat
from handlers.console.workspace import WORKSPACE_ID as CONSOLE
from handlers.doctor import language
from handlers.firms import Firm, firms, listing
from storage.db import make_engine, session_factory, transaction, upgrade
from storage.models import Workspace

PLATFORMS = ("slack", "wecom", "console")


def cmd_config(args: argparse.Namespace) -> int:
    """Show a firm's settings, or set one as the operator (no admin check: this is how the first admin is named)."""
    platform, _, external = (args.workspace or "").partition(":")
    settings = settings_of(args)
    lang = language(settings)
    if platform not in PLATFORMS or not external:
        print(t(lang, "cli.config_workspace_form", platforms=", ".join(PLATFORMS)), file=sys.stderr)
        return 2
    engine = make_engine(settings.sqlalchemy_url)
    upgrade(engine)
    if (refused := _unknown_firm(settings, args.workspace, platform, new=args.new, lang=lang)) is not None:
        print(refused, file=sys.stderr)
        return 2
    bot = create_app(settings, chat=ConsoleChat(out=io.StringIO()), engine=engine)
    if args.key is not None and firm.key_of(args.key) is None:
        print(t(lang, "cli.config_no_setting", key=args.key, keys=", ".join(firm.KEYS)), file=sys.stderr)
        return 2
    try:
        with tenancy.serving(bot, external, platform=platform), transaction(bot.sessions) as session:
            ws = incidents.workspace_for(session, platform=platform, external_id=external, lang=bot.lang,
                                         timezone=bot.timezone)
            # as a command in chat would find it: the firm's language and zone, else the deployment's as they are now
            ws.lang, ws.timezone = tenancy.settled(session, ws, lang=bot.default("lang"),
                                                   timezone=bot.default("timezone"))
            values = tenancy.stored(session, ws.id)
            if args.key is None:
                print(firm.show(bot, ws, values, session=session).plain_text())
                return 0
            key = firm.key_of(args.key) or ""
            said = [firm.change(bot, session, ws, key=key, raw=" ".join(_people(key, args.value)), values=values,
                                actor="breachbot config")]
            if key == "holidays":  # open incidents' business-day clocks move now; the running bot tells each war room
                out = Outbox()
                said += [moved] if (moved := firm.recount(bot, session, ws, out)) is not None else []
                delivering.enqueue(bot, session, out, now=bot.now(), platform=platform)
    except UserError as exc:  # rolled back: nothing changed
        print(exc.message.plain_text(), file=sys.stderr)
        return 1
    print("\n".join(m.plain_text() for m in said))
    return 0


def _unknown_firm(settings: Settings, workspace: str, platform: str, *, new: bool, lang: str) -> str | None:
    """Why a workspace id names no firm (a typo would make a firm nobody uses), with the firms there are; None when
    it is one: in the database, configured or installed, the local console (console:console), or a new Slack team or
    WeCom corp said to be new (--new)."""
    known = sorted({f.workspace for f in firm_rows(settings)} | {f"console:{CONSOLE}"})
    if workspace in known or new and platform != "console":
        return None
    key = "cli.config_unknown_console" if platform == "console" else "cli.config_unknown"
    return t(lang, key, workspace=workspace, known=("、" if lang == "zh" else ", ").join(known))


def _people(key: str, words: list[str]) -> list[str]:
    """On the command line people are their ids as they are (`admins U0123 U0456`); chat marks them with @."""
    first = 1 if key == "roster" else 0
    if key not in ("admins", "roster"):
        return words
    return words[:first] + [w if w.startswith("@") or w.lower() in firm.RESET | firm.NONE else f"@{w}"
                            for w in words[first:]]


def firm_rows(settings: Settings) -> list[Firm]:
    """Every firm of the deployment (the database of `settings`)."""
    from bot.clock import SystemClock

    engine = make_engine(settings.sqlalchemy_url)
    try:
        return firms(settings, engine, now=SystemClock().now())
    finally:
        engine.dispose()


def cmd_firms(args: argparse.Namespace) -> int:
    """List every firm; exit 1 when one of them needs fixing."""
    settings = settings_of(args)
    upgrade_engine = make_engine(settings.sqlalchemy_url)
    upgrade(upgrade_engine)
    upgrade_engine.dispose()
    rows = firm_rows(settings)
    print(listing(rows, language(settings)))  # in the deployment's language, as `doctor` speaks
    return 1 if any(f.problems for f in rows) else 0


def cmd_keys(args: argparse.Namespace) -> int:
    """List each firm's data key (its reference, never the key); `rotate` gives firms new keys."""
    from bot.clock import SystemClock
    from bot.statements import keys

    settings = settings_of(args)
    lang = language(settings)
    master = settings.data_key.get_secret_value() if settings.data_key else None
    if not master:
        print(t(lang, "cli.keys_no_master"), file=sys.stderr)
        return 2
    engine = make_engine(settings.sqlalchemy_url)
    upgrade(engine)
    try:
        with transaction(session_factory(engine)) as session:
            chosen = [ws for ws in session.exec(select(Workspace).order_by(col(Workspace.id)))
                      if args.all or f"{ws.platform}:{ws.external_id}" == args.workspace]
            if args.action == "rotate" and not chosen:
                print(t(lang, "cli.keys_no_firm", workspace=args.workspace) if args.workspace
                      else t(lang, "cli.keys_rotate_which"), file=sys.stderr)
                return 2
            for ws in chosen if args.action == "rotate" else []:
                done = keys.rotate(session, workspace_id=ws.id or 0, master=master, now=SystemClock().now())
                print(t(lang, "cli.keys_rotated", workspace=f"{ws.platform}:{ws.external_id}", key=done.key,
                        count=done.contacts))
            if args.action == "list":
                for ws in session.exec(select(Workspace).order_by(col(Workspace.platform), col(Workspace.external_id))):
                    key = keys.current(session, ws.id)
                    made = t(lang, "cli.keys_made", key=keys.ref(key), at=f"{key.created_at:%Y-%m-%d %H:%M}") if key \
                        else t(lang, "cli.keys_none")
                    print(t(lang, "cli.keys_line", workspace=f"{ws.platform}:{ws.external_id}", made=made))
    except UserError as exc:  # a key that BREACHBOT_DATA_KEY does not open: rolled back, nothing changed
        print(exc.message.plain_text() + t(lang, "cli.nothing_changed"), file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    return 0


def add_parser(command: Callable[..., argparse.ArgumentParser], h: Callable[[str], str],
               m: Callable[[str], str]) -> None:
    """`breachbot config --workspace <platform>:<id> [KEY VALUE…]`, `firms` and `keys`; `command` adds a
    subcommand, `h` gives a help text and `m` a value's placeholder in the deployment's language."""
    config = command("config", "config", cmd_config)
    config.add_argument("--workspace", required=True, metavar=m("workspace"), help=h("config_workspace"))
    config.add_argument("--new", action="store_true", help=h("config_new"))
    config.add_argument("key", nargs="?", metavar=m("key"), help=h("config_key"))
    config.add_argument("value", nargs="*", metavar=m("value"), help=h("config_value"))
    command("firms", "firms", cmd_firms)
    data_keys = command("keys", "keys", cmd_keys)
    data_keys.add_argument("action", nargs="?", choices=("list", "rotate"), default="list", help=h("keys_action"))
    chosen = data_keys.add_mutually_exclusive_group()
    chosen.add_argument("--workspace", metavar=m("workspace"), help=h("config_workspace"))
    chosen.add_argument("--all", action="store_true", help=h("keys_all"))
