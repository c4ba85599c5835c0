"""`breachbot console`: wire the console platform to the bot and read lines."""

from __future__ import annotations

import sys
from pathlib import Path

from bot.app import create_app
from bot.settings import Settings
from handlers.console.chat import ConsoleChat
from handlers.console.workspace import ConsoleWorkspace, ScriptError, clock_for


def build_console(settings: Settings, *, now: str | None, interactive: bool, user: str = "alice",
                  out: object = None) -> ConsoleWorkspace:
    """A console workspace on the configured store, schema upgraded first."""
    chat = ConsoleChat(out=out or sys.stdout, uploads=settings.files_dir)  # type: ignore[arg-type]
    clock = clock_for(now, interactive=interactive)
    bot = create_app(settings, chat=chat, clock=clock, migrate=True)
    return ConsoleWorkspace(bot=bot, chat=chat, clock=clock, user=user)


def run_console(settings: Settings, *, script: str | None, now: str | None, user: str) -> int:
    """Run a script (exit code says whether every line was read) or an interactive prompt."""
    try:
        workspace = build_console(settings, now=now, interactive=script is None, user=user)
    except ValueError as exc:
        print(f"breachbot: {exc}", file=sys.stderr)
        return 2
    if script is not None:
        lines = sys.stdin if script == "-" else Path(script).read_text(encoding="utf-8").splitlines()
        return workspace.run_script(lines, out=sys.stdout)
    from bot.scheduler import AlertScheduler

    scheduler = AlertScheduler(workspace.bot)
    scheduler.start()
    where = settings.database_url or "SQLite: ./breachbot.db"
    print(f"breachbot — local workspace ({where}). Type /breach help. You are {user} in #general.")
    print("Console: :as NAME switches person, :room #NAME switches room, :rooms, ~ +2h skips time, :quit.")
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
