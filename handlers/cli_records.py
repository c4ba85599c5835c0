"""`breachbot verify`, `export`, `history` and `outbox`: the record, read from the command line."""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from bot.incident.playbook import load_playbook
from bot.incident.timeline import verify
from bot.law.regimes import load_regimes
from bot.report.export import as_dict, as_json
from bot.settings import Settings
from storage.db import make_engine, upgrade
from storage.models import Incident, Workspace


def settings_of(args: argparse.Namespace) -> Settings:
    """Settings from the environment, with --db, --lang and --tz applied."""
    overrides = {}
    if getattr(args, "db", None):
        overrides["database_url"] = args.db
    if getattr(args, "lang", None):
        overrides["lang"] = args.lang
    if getattr(args, "tz", None):
        overrides["timezone"] = args.tz
    return Settings(**overrides)


def _find(session: Session, ident: str, workspace: str | None) -> tuple[Incident, Workspace]:
    match = re.fullmatch(r"(?:BR-?)?(\d+)", ident.strip(), re.I)
    if not match:
        raise SystemExit(f"{ident!r} is not an incident id; use BR-1")
    stmt = select(Incident, Workspace).join(Workspace).where(Incident.number == int(match[1]))
    if workspace:
        stmt = stmt.where(Workspace.external_id == workspace)
    rows = list(session.exec(stmt))
    if not rows:
        raise SystemExit(f"No incident BR-{match[1]} in this database.")
    if len(rows) > 1:
        names = ", ".join(f"{w.platform}:{w.external_id}" for _, w in rows)
        raise SystemExit(f"BR-{match[1]} exists in several workspaces ({names}); add --workspace ID.")
    return rows[0]


def cmd_outbox(args: argparse.Namespace) -> int:
    """List what the outbox holds (exit 1 when anything is set aside); --retry puts it back."""
    from handlers.outbox import listing, retry

    engine = make_engine(settings_of(args).sqlalchemy_url)
    with Session(engine) as session:
        if args.retry:
            if args.retry != "all" and not args.retry.lstrip("#").isdigit():
                raise SystemExit(f"{args.retry!r} is not a message id; use the #id `breachbot outbox` shows, or all")
            print(f"{retry(session, which=args.retry)} message(s) put back; the running bot tries them next.")
            return 0
        lines = listing(session)
    print("\n".join(lines) if lines else "Everything was delivered.")
    return 1 if any("SET ASIDE" in line for line in lines) else 0


def cmd_verify(args: argparse.Namespace) -> int:
    engine = make_engine(settings_of(args).sqlalchemy_url)
    from bot.incident.timeline import compare_export

    with Session(engine) as session:
        incident, _ = _find(session, args.incident, args.workspace)
        result = verify(session, incident)
        differences: list[str] = []
        if args.export:
            try:
                exported = json.loads(Path(args.export).read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                print(f"cannot read the export {args.export}: {exc}")
                return 2
            differences = compare_export(session, incident, exported)
    if not result.intact:
        print(f"BR-{incident.number}: timeline BROKEN at event #{result.bad_seq}: {result.problem}")
        return 1
    print(f"BR-{incident.number}: timeline intact ({result.count} events, head {result.head_hash})")
    if args.export:
        if differences:
            print(f"{args.export} does NOT match the database:")
            for line in differences[:20]:
                print(f"  {line}")
            return 1
        print(f"{args.export} matches the database")
    return 0


def _context(args: argparse.Namespace) -> tuple[Settings, Any, Any, Any]:
    settings = settings_of(args)
    engine = make_engine(settings.sqlalchemy_url)
    playbook = load_playbook(settings.playbook)
    regimes = load_regimes(settings.regime_files)
    return settings, engine, playbook, regimes


def cmd_export(args: argparse.Namespace) -> int:
    from bot.clock import SystemClock
    from bot.report import document

    settings, engine, playbook, regimes = _context(args)
    profile = frozenset(settings.firm().firm_profile)
    with Session(engine) as session:
        incident, ws = _find(session, args.incident, args.workspace)
        now = SystemClock().now()
        if args.format == "json":
            data = as_dict(session, incident=incident, playbook=playbook, ws=ws, now=now, regimes=regimes,
                           firm_profile=profile, lang=args.lang)
            body = (as_json(data) + "\n").encode("utf-8")
        else:
            built = document.build(session, incident=incident, playbook=playbook, regimes=regimes, firm_profile=profile,
                                 ws=ws, lang=args.lang or ws.lang, now=now, firm_name=settings.firm_name)
            body = document.render(built, args.format, pdf_font=settings.pdf_font)
    if args.out:
        Path(args.out).write_bytes(body)
        print(f"BR-{incident.number} written to {args.out}")
    elif args.format == "pdf":
        print("PDF is binary: add --out FILE", file=sys.stderr)
        return 2
    else:
        sys.stdout.write(body.decode("utf-8"))
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    from bot.flows.report import history_message

    settings = settings_of(args)
    engine = make_engine(settings.sqlalchemy_url)
    with Session(engine) as session:
        workspaces = list(session.exec(select(Workspace)))
        if args.workspace:
            workspaces = [w for w in workspaces if w.external_id == args.workspace]
        if not workspaces:
            print("No incidents yet.")
        if args.link is not None:
            return _history_links(settings, engine, workspaces, hours=args.link)
        for ws in workspaces:
            if len(workspaces) > 1:
                print(f"[{ws.platform}:{ws.external_id}]")
            print(history_message(session, ws).plain_text())
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
