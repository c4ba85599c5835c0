"""`breachbot verify`, `export`, `history` and `outbox`: the record, read from the command line."""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session, select

from bot.errors import ConfigError
from bot.incident.playbook import load_playbook
from bot.incident.timeline import verify
from bot.law.regimes import load_regimes
from bot.report.export import as_dict, as_json
from bot.settings import Settings
from bot.text.i18n import text as t
from bot.text.worded import problems
from storage.db import make_engine, upgrade
from storage.models import Incident, Workspace


def settings_of(args: argparse.Namespace) -> Settings:
    """Settings from the environment, with --db, --lang and --tz applied; a setting that cannot be used is a
    ConfigError naming each variable and what to write instead."""
    overrides = {}
    if getattr(args, "db", None):
        overrides["database_url"] = args.db
    if getattr(args, "lang", None):
        overrides["lang"] = args.lang
    if getattr(args, "tz", None):
        overrides["timezone"] = args.tz
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError("problem.lines", lines=problems(exc)) from None


def spoken(settings: Settings, session: Session) -> str:
    """The language the command line answers in: the deployment's (breachbot.toml, BREACHBOT_LANG, --lang), else,
    when none is set, the one every workspace in the database speaks (a console run with --lang zh)."""
    if settings.language() != settings.lang or "lang" in settings.model_fields_set:
        return settings.language()
    langs = set(session.exec(select(Workspace.lang)))
    return langs.pop() if len(langs) == 1 else settings.language()


def _find(session: Session, ident: str, workspace: str | None, lang: str = "en") -> tuple[Incident, Workspace]:
    match = re.fullmatch(r"(?:BR-?)?(\d+)", ident.strip(), re.I)
    if not match:
        raise SystemExit(t(lang, "cli.not_an_id", value=ident))
    stmt = select(Incident, Workspace).join(Workspace).where(Incident.number == int(match[1]))
    if workspace:
        stmt = stmt.where(Workspace.external_id == workspace)
    rows = list(session.exec(stmt))
    if not rows:
        raise SystemExit(t(lang, "cli.no_incident", n=match[1]))
    if len(rows) > 1:
        names = ", ".join(f"{w.platform}:{w.external_id}" for _, w in rows)
        raise SystemExit(t(lang, "cli.several", n=match[1], names=names))
    return rows[0]


def cmd_outbox(args: argparse.Namespace) -> int:
    """List what the outbox holds (exit 1 when anything is set aside); --retry puts it back."""
    from handlers.outbox import listing, not_set_aside, retry

    settings = settings_of(args)
    engine = make_engine(settings.sqlalchemy_url)
    with Session(engine) as session:
        lang = spoken(settings, session)
        if args.retry:
            if args.retry != "all" and not args.retry.lstrip("#").isdigit():
                raise SystemExit(t(lang, "cli.bad_message_id", value=args.retry))
            if (why := not_set_aside(session, which=args.retry, lang=lang)) is not None:
                print(t(lang, why[0], **why[1]), file=sys.stderr)
                return 1
            print(t(lang, "cli.put_back", count=retry(session, which=args.retry)))
            return 0
        lines, set_aside = listing(session, lang=lang, tz=settings.timezone)
    print("\n".join(lines) if lines else t(lang, "cli.all_delivered"))
    return 1 if set_aside else 0


_STATED = re.compile(rb"breachbot-verify BR-(\d+) upto (\d+) ([0-9a-f]{64})")
_UPTO = re.compile(r"--upto (\d+)")
_HASH = re.compile(r"\b[0-9a-f]{64}\b")


def stated_head(body: bytes) -> tuple[int, str] | None:
    """(last event, its hash) as a report states them: the PDF's subject, the md/html text, or the JSON."""
    if found := _STATED.search(body):
        return int(found[2]), found[3].decode()
    text = body.decode("utf-8", errors="replace")
    if text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
            return max(int(e["seq"]) for e in data["timeline"]), str(data["head_hash"])
        except (ValueError, KeyError, TypeError):
            return None
    upto, digest = _UPTO.search(text), _HASH.search(text)
    return (int(upto[1]), digest[0]) if upto and digest else None


def cmd_verify(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    engine = make_engine(settings.sqlalchemy_url)
    with Session(engine) as session:
        lang = spoken(settings, session)
    from bot.incident.timeline import compare_export

    upto, claimed = args.upto, None
    if args.report:
        try:
            stated = stated_head(Path(args.report).read_bytes())
        except OSError as exc:
            print(t(lang, "cli.cannot_read_report", path=args.report, error=exc))
            return 2
        if stated is None:
            print(t(lang, "cli.no_head", path=args.report))
            return 2
        upto, claimed = stated
    if upto is not None and upto < 1:
        print(t(lang, "cli.upto"))
        return 2
    with Session(engine) as session:
        incident, ws = _find(session, args.incident, args.workspace, lang)
        lang = getattr(args, "lang", None) or ws.lang  # the incident's workspace speaks its own language
        result = verify(session, incident, upto=upto, lang=lang)
        differences: list[str] = []
        if args.export:
            try:
                exported = json.loads(Path(args.export).read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                print(t(lang, "cli.cannot_read_export", path=args.export, error=exc))
                return 2
            differences = compare_export(session, incident, exported, lang=lang)
    if not result.intact:
        print(t(lang, "cli.broken", n=incident.number, seq=result.bad_seq, problem=result.problem))
        return 1
    if upto is not None:
        print(t(lang, "cli.prefix_intact", n=incident.number, upto=upto, hash=result.head_hash))
        if claimed is not None:
            if claimed != result.head_hash:
                print(t(lang, "cli.report_differs", path=args.report, claimed=claimed, upto=upto))
                return 1
            print(t(lang, "cli.report_matches", path=args.report, upto=upto))
        return 0
    print(t(lang, "cli.intact", n=incident.number, count=result.count, hash=result.head_hash))
    if args.export:
        if differences:
            print(t(lang, "cli.export_differs", path=args.export))
            for line in differences[:20]:
                print(f"  {line}")
            return 1
        print(t(lang, "cli.export_matches", path=args.export))
    return 0


def _context(args: argparse.Namespace) -> tuple[Settings, Any, Any, Any]:
    settings = settings_of(args)
    engine = make_engine(settings.sqlalchemy_url)
    playbook = load_playbook(settings.playbook)
    regimes = load_regimes(settings.regime_files)
    return settings, engine, playbook, regimes


class _Owner:
    """What finding a firm's playbook needs: the settings."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings


def cmd_export(args: argparse.Namespace) -> int:
    from bot.clock import SystemClock
    from bot.flows import tenancy
    from bot.report import document
    from bot.report.events import roster_names

    settings, engine, playbook, regimes = _context(args)
    with Session(engine) as session:
        incident, ws = _find(session, args.incident, args.workspace, spoken(settings, session))
        # The firm as it set itself (/breach config): its name, playbook and profile over the deployment's.
        firm = tenancy.resolve(_Owner(settings), tenancy.stored(session, ws.id), firm=settings.firm(), lang=ws.lang,
                               timezone=ws.timezone, playbook=playbook,
                               firm_profile=frozenset(settings.firm().firm_profile), regimes=regimes)
        playbook, profile, regimes = firm.playbook, firm.firm_profile, firm.regimes
        now = SystemClock().now()
        if args.format == "json":
            data = as_dict(session, incident=incident, playbook=playbook, ws=ws, now=now, regimes=regimes,
                           firm_profile=profile, lang=args.lang)
            body = (as_json(data) + "\n").encode("utf-8")
        else:
            built = document.build(session, incident=incident, playbook=playbook, regimes=regimes, firm_profile=profile,
                                 ws=ws, lang=args.lang or ws.lang, now=now, firm_name=firm.firm.name_in(args.lang or ws.lang),
                                 name=roster_names(firm.firm.people))
            body = document.render(built, args.format, pdf_font=settings.pdf_font)
    if args.out:
        Path(args.out).write_bytes(body)
        print(t(args.lang or ws.lang, "cli.written", n=incident.number, path=args.out))
    elif args.format == "pdf":
        print(t(args.lang or ws.lang, "cli.pdf_binary"), file=sys.stderr)
        return 2
    else:
        sys.stdout.write(body.decode("utf-8"))
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    from bot.flows import tenancy
    from bot.flows.report import history_message

    settings = settings_of(args)
    engine = make_engine(settings.sqlalchemy_url)
    regimes = load_regimes(settings.regime_files)
    with Session(engine) as session:
        workspaces = list(session.exec(select(Workspace)))
        if args.workspace:
            workspaces = [w for w in workspaces if w.external_id == args.workspace]
        if not workspaces:
            print(t(settings.language(), "cli.no_incidents"))
        if args.link is not None:
            return _history_links(settings, engine, workspaces, hours=args.link)
        for ws in workspaces:
            if len(workspaces) > 1:
                print(f"[{ws.platform}:{ws.external_id}]")
            book = tenancy.regimes_of(_Owner(settings), tenancy.stored(session, ws.id), regimes)
            print(history_message(session, ws, regimes=book).plain_text())
    return 0


def _history_links(settings: Settings, engine: Any, workspaces: list[Workspace], *, hours: int) -> int:
    """A firm admin's link to each workspace's history page (`breachbot history --link [HOURS]`)."""
    from bot.clock import SystemClock
    from bot.flows.page import admin_link

    if not 1 <= hours <= 720:
        print("--link takes a number of hours from 1 to 720, e.g. --link 24", file=sys.stderr)
        return 2
    upgrade(engine)
    for ws in workspaces:
        url = admin_link(settings, engine=engine, workspace=ws, hours=hours, now=SystemClock().now())
        print(f"{ws.platform}:{ws.external_id} — {url} (valid {hours} h)" if len(workspaces) > 1 else url)
    return 0
