"""`breachbot console`: wire the console platform to the bot and read lines."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from bot.app import create_app
from bot.settings import Settings
from bot.text.i18n import text as t
from bot.text.times import zone_label
from bot.text.worded import said as worded
from handlers.console.chat import ConsoleChat
from handlers.console.restore import last_recorded
from handlers.console.workspace import ConsoleWorkspace, ScriptError, clock_for
from handlers.firms import attach as attach_firms


def build_console(settings: Settings, *, now: str | None, interactive: bool, user: str | None = None,
                  out: object = None) -> ConsoleWorkspace:
    """A console workspace on the configured store, schema upgraded first."""
    chat = ConsoleChat(out=out or sys.stdout, uploads=settings.files_dir)  # type: ignore[arg-type]
    clock = clock_for(now, interactive=interactive)
    bot = create_app(settings, chat=chat, clock=clock, migrate=True)
    attach_firms(bot, settings)
    resumed = None
    if now is None and (last := last_recorded(bot)) is not None and last > clock.now():
        clock.set(last)  # a restart never goes back before what an earlier run (that skipped time) recorded
        resumed = last
    # set before the rooms are rebuilt: the pinned status is rendered at the console's time, never the wall clock's
    workspace = ConsoleWorkspace(bot=bot, chat=chat, clock=clock, user=user or bot.firm.first_person() or "alice")
    workspace.resumed = resumed
    return workspace


def resumed_line(workspace: ConsoleWorkspace) -> str | None:
    """The one line saying the clock goes on from an earlier run's time (None when it did not have to)."""
    if workspace.resumed is None:
        return None
    zone = workspace.bot.timezone
    return t(workspace.bot.lang, "console.resumed",
             at=f"{workspace.resumed.astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M} {zone_label(zone, workspace.resumed)}")


def roster_people(workspace: ConsoleWorkspace) -> list[str]:
    """Everyone the firm lists (roster first, then [people]), each once; empty when there is no roster."""
    return workspace.roster_people()


def known_person(workspace: ConsoleWorkspace, typed: str) -> str | None:
    """The person a name, display name or roster number stands for (None: not on the roster)."""
    return workspace.known_person(typed)


def unknown_person(workspace: ConsoleWorkspace, typed: str) -> str:
    """The line for a name not on the roster, listing the names to choose from."""
    return workspace.unknown_person(typed)


def ask_who(workspace: ConsoleWorkspace, *, read: Callable[[str], str] = input, out: TextIO = sys.stdout) -> str:
    """Ask once who is at the keyboard: a number from the roster, a name or display name; Enter takes the first.
    A name not on the roster is refused with the names to choose from, and asked again."""
    lang = workspace.bot.lang
    people = roster_people(workspace)
    if not people:
        return workspace.user
    out.write(t(lang, "console.who") + "\n")
    for number, person in enumerate(people, start=1):
        out.write(f"  {number}. {workspace.shown(person)}" + (f" ({person})" if person in workspace.bot.firm.people
                                                               else "") + "\n")
    while True:
        try:
            typed = read(t(lang, "console.who_prompt", first=workspace.shown(people[0]))).strip()
        except EOFError:
            typed = ""
        if not typed:
            return people[0]
        if (found := known_person(workspace, typed)) is not None:
            return found
        out.write(unknown_person(workspace, typed) + "\n")


def banner(workspace: ConsoleWorkspace, settings: Settings) -> str:
    """What the interactive console says first, in the workspace's language, its zone as `UTC+8` (never CST)."""
    lang = workspace.bot.lang
    where = settings.database_url or "SQLite: ./breachbot.db"
    label = zone_label(workspace.bot.timezone, workspace.clock.now())
    zone = (workspace.bot.timezone if label == workspace.bot.timezone  # UTC, said once (not "UTC (UTC)")
            else f"{workspace.bot.timezone}（{label}）" if lang == "zh" else f"{workspace.bot.timezone} ({label})")
    return t(lang, "console.banner", where=where, user=workspace.shown(workspace.user), zone=zone,
             room=workspace.room_of(workspace.user)) + "\n" + t(lang, "console.keys")


def log_to_file(settings: Settings) -> Path:
    """The console is a conversation: log lines (APScheduler's, the bot's) go to <files>/console.log, never
    between the messages on the terminal."""
    path = Path(settings.files_dir) / "console.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    for handler in list(root.handlers):
        if type(handler) is logging.StreamHandler:  # basicConfig's terminal handler (not a file, not pytest's)
            root.removeHandler(handler)
    kept = logging.FileHandler(path, encoding="utf-8")
    kept.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(kept)
    return path


def run_console(settings: Settings, *, script: str | None, now: str | None, user: str | None) -> int:
    """Run a script (exit code says whether every line was read) or an interactive prompt."""
    try:
        workspace = build_console(settings, now=now, interactive=script is None, user=user)
    except ValueError as exc:  # configuration that cannot be used, said in the deployment's language
        lang = settings.language()
        print(t(lang, "cli.error_line", error=worded(exc, lang)), file=sys.stderr)
        return 2
    if user is not None and known_person(workspace, user) is None:
        print(unknown_person(workspace, user), file=sys.stderr)
        return 2
    if script is not None:
        if (said := resumed_line(workspace)) is not None:
            print(said, file=sys.stderr)  # the transcript on stdout stays what the script made
        lines = sys.stdin if script == "-" else Path(script).read_text(encoding="utf-8").splitlines()
        return workspace.run_script(lines, out=sys.stdout)
    from bot.scheduler import AlertScheduler

    if user is None and sys.stdin.isatty():  # piped lines are commands, never taken as a name
        workspace.user = ask_who(workspace)
    workspace.land(workspace.user)  # in the war room of their one open incident, if they have one
    log_to_file(settings)
    scheduler = AlertScheduler(workspace.bot)
    scheduler.start()
    print(banner(workspace, settings))
    if (said := resumed_line(workspace)) is not None:
        print(said)
    try:
        while True:
            try:
                raw = input(workspace.prompt())
            except EOFError:
                print()
                break
            try:
                if not workspace.line(raw, out=sys.stdout, interactive=True):
                    break
            except ScriptError as exc:
                print(exc)
    except KeyboardInterrupt:
        print()
    finally:
        scheduler.shutdown()
    return 0
