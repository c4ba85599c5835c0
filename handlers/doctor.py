"""`breachbot doctor`: check configuration, database, migrations, platform credentials and the scheduler."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, col, select

from bot.incident.playbook import load_playbook
from bot.law.regimes import FIRM_PROFILES, load_regimes
from bot.settings import FIRM_TEXTS, FirmConfig, Settings
from bot.text.i18n import text as t
from bot.text.worded import Worded, said
from handlers import firms
from storage.db import current_revision, head_revision, make_engine
from storage.models import Alert

LATE = timedelta(minutes=5)


@dataclass
class Check:
    """One line of the doctor's answer."""

    name: str  # a stable name (`pdf font`); `label` is how it reads in the deployment's language
    ok: bool
    detail: str
    fix: str = ""
    warn: bool = False  # works, but people will notice something: said with its fix, exit code unaffected
    label: str = ""


class Problem(Exception):
    """A failed check whose message is already what the person should read."""


def language(settings: Settings) -> str:
    """The deployment's language, as the command line speaks it: the firm's (breachbot.toml), else BREACHBOT_LANG."""
    return settings.language()  # a broken breachbot.toml is reported by the checks themselves


def _label(lang: str, name: str, **values: Any) -> str:
    key = "slack" if name.startswith("slack (") else name.replace(" (", "_").rstrip(")").replace(" ", "_")
    return t(lang, f"doctor.name.{key}", **values)


def _check(lang: str, name: str, ok: bool, detail: str, fix: str = "", warn: bool = False, **values: Any) -> Check:
    return Check(name, ok, detail, fix, warn, _label(lang, name, **values))


def _try(name: str, fn: Callable[[], str], fix: str, lang: str = "en", **values: Any) -> Check:
    try:
        return _check(lang, name, True, fn(), **values)
    except Problem as exc:
        return _check(lang, name, False, str(exc), fix, **values)
    except Worded as exc:  # a configuration problem, said in the deployment's language
        return _check(lang, name, False, exc.said(lang).splitlines()[0][:300], fix, **values)
    except Exception as exc:  # the doctor reports every failure as a line, never a traceback
        return _check(lang, name, False, f"{type(exc).__name__}: {exc}".splitlines()[0][:300], fix, **values)


def diagnose(settings: Settings, *, probe_platforms: bool = True) -> list[Check]:
    """Every check, in the order a person would fix them, in the deployment's language."""
    checks: list[Check] = []
    lang = language(settings)

    def playbook() -> str:
        book = load_playbook(settings.playbook)
        return t(lang, "doctor.playbook", path=settings.playbook, count=len(book.phases))

    def regimes() -> str:
        paths = settings.regime_files
        return t(lang, "doctor.regimes", count=len(load_regimes(paths).regimes))

    def firm() -> str:
        config = settings.firm()
        unknown = set(config.firm_profile) - set(FIRM_PROFILES)
        if unknown:
            raise Problem(t(lang, "doctor.unknown_profile", flags=sorted(unknown)))
        people = sum(len(v) for v in config.roster.values())
        where = settings.config_file if settings.config_file.exists() else t(lang, "doctor.no_toml")
        roster = t(lang, "doctor.roster_none" if not people else "doctor.roster_one" if people == 1 else "doctor.roster_many",
                   count=people)
        return t(lang, "doctor.firm_config", file=where, roster=roster)

    checks.append(_try("playbook", playbook, t(lang, "doctor.playbook_fix"), lang))
    checks.append(_try("regimes", regimes, t(lang, "doctor.regimes_fix"), lang))
    checks.append(_try("firm config", firm, t(lang, "doctor.firm_config_fix"), lang))
    checks.append(_identity(settings, stored=_stored_firms(settings)))
    checks.append(_partners(settings))
    checks.append(holidays(settings, today=datetime.now(UTC).date()))
    checks.append(_pdf_font(settings))
    checks.append(_check(lang, "data key", bool(settings.data_key),
                         t(lang, "doctor.data_key_set" if settings.data_key else "doctor.data_key_missing"),
                         t(lang, "doctor.data_key_fix")))

    engine = make_engine(settings.sqlalchemy_url)
    where = engine.url.render_as_string(hide_password=True)

    def database() -> str:
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        return where

    db = _try("database", database, t(lang, "doctor.database_fix"), lang)
    checks.append(db)
    if db.ok:
        def migrations() -> str:
            current, head = current_revision(engine), head_revision()
            if current != head:
                raise Problem(t(lang, "doctor.migrations_behind", head=head, current=current) if current
                              else t(lang, "doctor.migrations_nothing", head=head))
            return t(lang, "doctor.migrations_at", head=head)

        checks.append(_try("migrations", migrations, t(lang, "doctor.migrations_fix"), lang))
    if db.ok and checks[-1].ok:

        def scheduler() -> str:
            now = datetime.now(UTC)
            with Session(engine) as session:
                late = session.exec(select(Alert).where(col(Alert.state) == "pending",
                                                        col(Alert.fire_at) < now - LATE)).all()
            if late:
                raise Problem(t(lang, "doctor.overdue_one" if len(late) == 1 else "doctor.overdue", count=len(late),
                                late=late_by(lang)))
            return t(lang, "doctor.no_overdue")

        checks.append(_try("scheduler", scheduler, t(lang, "doctor.scheduler_fix"), lang))
        checks.append(_outbox(engine, lang))
    if probe_platforms:
        checks.extend(_platforms(settings))
        if (running := _running(settings)) is not None:
            checks.append(running)
    engine.dispose()
    return checks


def late_by(lang: str) -> str:
    """How late a reminder may be before it counts as stuck, as the language says it."""
    from bot.text.times import format_duration

    return format_duration(LATE, lang)


def _running(settings: Settings) -> Check | None:
    """What the running serve and worker say at /healthz on this machine: the scheduler's last sweep and
    the Socket Mode connection's last message (a warning when neither answers here; nothing at all for the console
    alone, which runs inside `breachbot console` and serves no /healthz)."""
    import json
    import urllib.request

    seen: list[str] = []
    trouble = False
    lang = language(settings)
    for name, port in (("serve", settings.port), ("worker", settings.health_port)):
        if not port:
            continue
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:  # noqa: S310
                body = json.loads(answer.read())
        except urllib.error.HTTPError as exc:
            body = json.loads(exc.read() or b"{}")
        except (OSError, ValueError):
            continue
        parts = [t(lang, "doctor.running", name=name, port=port, status=body.get("status", "?"))]
        if (tick := (body.get("scheduler") or {}).get("last_tick_age_s")) is not None:
            parts.append(t(lang, "doctor.swept", tick=f"{tick:.0f}"))
        if socket := body.get("socket_mode"):
            parts.append(t(lang, "doctor.socket", state=t(lang, "doctor.connected" if socket.get("connected")
                                                          else "doctor.not_connected"),
                           age=f"{socket.get('last_message_age_s', 0):.0f}", reconnects=socket.get("reconnects", 0)))
        trouble = trouble or body.get("status") != "ok"
        seen.append(t(lang, "doctor.sep").join(parts))
    if not seen and not settings.slack_bot_token and not settings.wecom_corp_id:
        return None
    if not seen:
        return _check(lang, "liveness", True, t(lang, "doctor.running_nobody", port=settings.port,
                                                health=settings.health_port),
                      t(lang, "doctor.running_nobody_fix"), warn=True)
    return _check(lang, "liveness", not trouble, "; ".join(seen), t(lang, "doctor.running_fix"))


def _outbox(engine: Any, lang: str = "en") -> Check:
    """A warning when messages wait or were set aside: people may be missing something."""
    from handlers.outbox import pending_and_dead

    with Session(engine) as session:
        waiting, dead = pending_and_dead(session)
    if not waiting and not dead:
        return _check(lang, "outbox", True, t(lang, "doctor.delivered"))
    return _check(lang, "outbox", True, t(lang, "doctor.waiting_one" if waiting == 1 else "doctor.waiting",
                                          waiting=waiting, dead=dead),
                  t(lang, "doctor.outbox_fix"), warn=True)


def _pdf_font(settings: Settings) -> Check:
    """Whether Chinese PDF reports embed a font: without one, pdfium and many browsers show their text blank."""
    from bot.report.pdf import choose_font

    lang = language(settings)
    chosen = choose_font(settings.pdf_font)
    passed_over = "; ".join(chosen.problems)
    if chosen.path is None:
        return _check(lang, "pdf font", True, t(lang, "doctor.font_none")
                      + (t(lang, "doctor.font_passed", problems=passed_over) if passed_over else ""),
                      t(lang, "doctor.font_none_fix"), warn=True)
    if passed_over:
        return _check(lang, "pdf font", True, t(lang, "doctor.font_passed_over", path=chosen.path, problems=passed_over),
                      t(lang, "doctor.font_passed_fix"), warn=True)
    return _check(lang, "pdf font", True, t(lang, "doctor.font_ok", path=chosen.path))


def _platforms(settings: Settings) -> list[Check]:
    checks = []
    lang = language(settings)
    if settings.slack_bot_token:
        def slack() -> str:
            from handlers.slack.chat import make_client

            answer = make_client(settings).auth_test()
            return t(lang, "doctor.slack_ok", team=answer.get("team"), user=answer.get("user"))

        mode = "socket" if settings.slack_app_token else ("http" if settings.slack_signing_secret else "none")
        checks.append(_try(f"slack ({t('en', 'doctor.mode.' + mode)})", slack, t(lang, "doctor.slack_fix"), lang,
                           mode=t(lang, "doctor.mode." + mode)))
        if checks[-1].ok:
            checks.append(_try("roster (slack)", lambda: _roster(settings, "slack"),
                               t(lang, "doctor.roster_slack_fix"), lang))
    if settings.wecom_corp_id:
        def wecom() -> str:
            from handlers.wecom.api import WeComClient
            from handlers.wecom.config import WeComConfig

            config = WeComConfig.from_settings(settings)

            client = WeComClient(config.corp_id, config.secret, api_url=config.api_url)
            client.fetch_access_token()
            return t(lang, "doctor.wecom_ok", corp=config.corp_id, agent=config.agent_id)

        checks.append(_try("wecom", wecom, t(lang, "doctor.wecom_fix"), lang))
        if checks[-1].ok:
            checks.append(_try("roster (wecom)", lambda: _roster(settings, "wecom"),
                               t(lang, "doctor.roster_wecom_fix"), lang))
    if not settings.slack_bot_token and not settings.wecom_corp_id:
        checks.append(_check(lang, "platform", True, t(lang, "doctor.console")))
    return checks


def _roster(settings: Settings, platform: str) -> str:
    """Every roster entry is an active account (Slack users.info, WeCom user/get); names the bad ones."""
    from handlers.roster import bad_entries

    chat: Any
    if platform == "slack":
        from handlers.slack.chat import SlackChat, make_client

        chat = SlackChat(make_client(settings))
    else:
        from handlers.wecom.api import WeComClient
        from handlers.wecom.chat import WeComChat
        from handlers.wecom.config import WeComConfig

        config = WeComConfig.from_settings(settings)
        chat = WeComChat(WeComClient(config.corp_id, config.secret, api_url=config.api_url), agent_id=config.agent_id)
    firm = settings.firm()
    bad = bad_entries(chat, firm)
    lang = language(settings)
    if bad:
        raise Problem(t(lang, "doctor.roster_bad", people="; ".join(f"{person} ({why})" for person, why in bad.items())))
    return t(lang, "doctor.roster_ok", count=sum(len(v) for v in firm.roster.values()))


def _stored_firms(settings: Settings) -> dict[str, FirmConfig]:
    """The firms in the database with what their admins set (/breach config); none when it cannot be read (the
    database check below says why)."""
    url = settings.sqlalchemy_url
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return {}  # not made yet: the doctor does not make it here
    engine = make_engine(url)
    try:
        return firms.identities(settings, engine)
    except Exception:  # no database, no tables yet: the checks below say so
        return {}
    finally:
        engine.dispose()


def _identity(settings: Settings, *, stored: dict[str, FirmConfig] | None = None) -> Check:
    """The firm as statements name it: [firm] name (name_en), contact, address, or what a firm's admins set with
    /breach config (each firm in the database); a missing one is a gap in every draft."""
    lang = language(settings)
    name, fix = "firm identity", t(lang, "doctor.identity_fix")
    try:
        config = settings.firm()
        raw = tomllib.loads(settings.config_file.read_text(encoding="utf-8")) if settings.config_file.exists() else {}
    except Exception as exc:  # the firm config check above already says what is wrong with the file
        return _check(lang, name, False, str(said(exc, lang)).splitlines()[0][:300], fix)
    unknown = sorted(set(raw.get("firm", {})) - {"profile", "partners", "admins", *FIRM_TEXTS})
    if unknown:
        return _check(lang, name, False, t(lang, "doctor.identity_unknown", keys=unknown, known=t(lang, "doctor.sep").join(
            FIRM_TEXTS if lang == "en" else (f"`{k}`" for k in FIRM_TEXTS))), fix)
    said_of = [(_identity_said(lang, own), key) for key, own in (stored or {"": config}).items()]
    shown = t(lang, "doctor.sep").join(f"{key}{'：' if lang == 'zh' else ': '}{words}" if key else words for (words, _), key in said_of)
    if any(missing for (_, missing), _key in said_of):
        return _check(lang, name, True, shown, t(lang, "doctor.identity_fix_firm") if stored else fix, warn=True)
    return _check(lang, name, True, shown)


def _identity_said(lang: str, config: FirmConfig) -> tuple[str, bool]:
    """One firm's identity in words, and whether something is missing."""
    missing = [t(lang, f"doctor.identity_field.{what}") for what, value in (
        ("name", config.name_in(lang)), ("name_en", config.name_in("en")), ("contact", config.contact)) if not value]
    shown = " · ".join(dict.fromkeys(v for v in (config.name, config.name_en, config.contact, config.address) if v))
    if missing:
        return t(lang, "doctor.identity_missing" if shown else "doctor.identity_none", shown=shown,
                 missing=t(lang, "doctor.sep").join(missing)), True
    return shown, False


def _partners(settings: Settings) -> Check:
    """[firm] partners: who management briefings reach; a partner listed by address needs the firm's mail server."""
    name, lang = "partners", language(settings)
    try:
        partners = settings.firm().partners
    except Exception as exc:  # the firm config check above already says what is wrong with the file
        return _check(lang, name, False, str(said(exc, lang)).splitlines()[0][:300], t(lang, "doctor.partners_fix_file"))
    addresses = [p for p in partners if "@" in p]
    shown = (t(lang, "doctor.partners_listed", count=len(partners), mail=len(addresses)) if partners
             else t(lang, "doctor.partners_none"))
    if addresses and not (settings.smtp_host and settings.mail_from):
        return _check(lang, name, True, t(lang, "doctor.partners_no_mail", shown=shown,
                                          addresses=t(lang, "doctor.sep").join(addresses)),
                      t(lang, "doctor.partners_fix"), warn=True)
    return _check(lang, name, True, shown)


def holidays(settings: Settings, *, today: date) -> Check:
    """[holidays]: the deployment's holidays, which business-day deadlines skip; a warning when none lies ahead."""
    name, lang = "holidays", language(settings)
    try:
        days = settings.firm().holidays
    except Exception as exc:  # a date that is not one: the line says which entry, and the fix how to write one
        return _check(lang, name, False, str(said(exc, lang)).splitlines()[0][:300], t(lang, "doctor.holidays_fix"))
    if not days:
        return _check(lang, name, True, t(lang, "doctor.holidays_none"))
    coming = [day for day in days if day >= today]
    if not coming:
        return _check(lang, name, True, t(lang, "doctor.holidays_past", count=len(days), last=days[-1].isoformat()),
                      t(lang, "doctor.holidays_past_fix"), warn=True)
    return _check(lang, name, True, t(lang, "doctor.holidays_ok", count=len(days), first=days[0].isoformat(),
                                      last=days[-1].isoformat(), next=coming[0].isoformat()))


def report(checks: list[Check], lang: str = "en") -> str:
    """The checks as lines a person can act on."""
    out = []
    for check in checks:
        mark = "✗" if not check.ok else "⚠" if check.warn else "✓"
        out.append(t(lang, "doctor.line", mark=mark, name=check.label or check.name, detail=check.detail)
                   + ("\n" + t(lang, "doctor.fix", fix=check.fix) if not check.ok or check.warn else ""))
    return "\n".join(out)

