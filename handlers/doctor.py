"""`breachbot doctor`: check configuration, database, migrations, platform credentials and the scheduler."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, col, select

from bot.incident.playbook import load_playbook
from bot.law.regimes import FIRM_PROFILES, load_regimes
from bot.settings import FIRM_TEXTS, Settings
from storage.db import current_revision, head_revision, make_engine
from storage.models import Alert

LATE = timedelta(minutes=5)


@dataclass
class Check:
    """One line of the doctor's answer."""

    name: str
    ok: bool
    detail: str
    fix: str = ""
    warn: bool = False  # works, but people will notice something: said with its fix, exit code unaffected


class Problem(Exception):
    """A failed check whose message is already what the person should read."""


def _try(name: str, fn: Callable[[], str], fix: str) -> Check:
    try:
        return Check(name, True, fn())
    except Problem as exc:
        return Check(name, False, str(exc), fix)
    except Exception as exc:  # the doctor reports every failure as a line, never a traceback
        return Check(name, False, f"{type(exc).__name__}: {exc}".splitlines()[0][:300], fix)


def diagnose(settings: Settings, *, probe_platforms: bool = True) -> list[Check]:
    """Every check, in the order a person would fix them."""
    checks: list[Check] = []

    def playbook() -> str:
        book = load_playbook(settings.playbook)
        return f"{settings.playbook}: {len(book.phases)} phases"

    def regimes() -> str:
        paths = settings.regime_files
        return f"{len(load_regimes(paths).regimes)} regimes"

    def firm() -> str:
        config = settings.firm()
        unknown = set(config.firm_profile) - set(FIRM_PROFILES)
        if unknown:
            raise Problem(f"unknown firm profile flags {sorted(unknown)}")
        people = sum(len(v) for v in config.roster.values())
        return f"{settings.config_file if settings.config_file.exists() else 'no breachbot.toml'}; roster of {people}"

    checks.append(_try("playbook", playbook, "run `breachbot playbook check FILE` and fix what it names"))
    checks.append(_try("regimes", regimes, "fix the regimes file named above (BREACHBOT_REGIMES)"))
    checks.append(_try("firm config", firm, "fix breachbot.toml or BREACHBOT_FIRM_PROFILE"))
    checks.append(_identity(settings))
    checks.append(_partners(settings))
    checks.append(_pdf_font(settings))
    checks.append(Check("data key", bool(settings.data_key),
                        "set" if settings.data_key else "BREACHBOT_DATA_KEY is not set (client import refused)",
                        "create one with `breachbot keygen` and set BREACHBOT_DATA_KEY"))

    engine = make_engine(settings.sqlalchemy_url)
    where = engine.url.render_as_string(hide_password=True)

    def database() -> str:
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        return where

    db = _try("database", database, "check DATABASE_URL and that the database is running")
    checks.append(db)
    if db.ok:
        def migrations() -> str:
            current, head = current_revision(engine), head_revision()
            if current != head:
                raise Problem(f"at {current or 'nothing'}, code needs {head}")
            return f"at {head}"

        checks.append(_try("migrations", migrations, "run `breachbot db upgrade`"))
    if db.ok and checks[-1].ok:

        def scheduler() -> str:
            now = datetime.now(UTC)
            with Session(engine) as session:
                late = session.exec(select(Alert).where(col(Alert.state) == "pending",
                                                        col(Alert.fire_at) < now - LATE)).all()
            if late:
                raise Problem(f"{len(late)} reminder(s) overdue by more than {LATE}: is a worker running?")
            return "no reminder is overdue"

        checks.append(_try("scheduler", scheduler, "start `breachbot worker` (or `breachbot serve`)"))
        checks.append(_outbox(engine))
    if probe_platforms:
        checks.extend(_platforms(settings))
        checks.append(_running(settings))
    engine.dispose()
    return checks


def _running(settings: Settings) -> Check:
    """What the running serve and worker say at /healthz on this machine: the scheduler's last sweep and
    the Socket Mode connection's last message (a warning when neither answers here)."""
    import json
    import urllib.request

    seen: list[str] = []
    trouble = False
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
        parts = [f"{name} :{port} {body.get('status', '?')}"]
        if (tick := (body.get("scheduler") or {}).get("last_tick_age_s")) is not None:
            parts.append(f"scheduler swept {tick:.0f}s ago")
        if socket := body.get("socket_mode"):
            parts.append(f"Socket Mode {'connected' if socket.get('connected') else 'NOT connected'}, last message "
                         f"{socket.get('last_message_age_s', 0):.0f}s ago, {socket.get('reconnects', 0)} reconnects")
        trouble = trouble or body.get("status") != "ok"
        seen.append(", ".join(parts))
    if not seen:
        return Check("liveness", True, f"no breachbot serve or worker answers /healthz on ports {settings.port} or "
                     f"{settings.health_port} here", "run this on the machine the bot runs on", warn=True)
    return Check("liveness", not trouble, "; ".join(seen), "see the process's log; restart it if it stays stalled")


def _outbox(engine: Any) -> Check:
    """A warning when messages wait or were set aside: people may be missing something."""
    from handlers.outbox import pending_and_dead

    with Session(engine) as session:
        waiting, dead = pending_and_dead(session)
    if not waiting and not dead:
        return Check("outbox", True, "every message was delivered")
    return Check("outbox", True, f"{waiting} message(s) waiting to be delivered, {dead} set aside",
                 "`breachbot outbox` lists them with the reason; fix it, then `breachbot outbox --retry all`",
                 warn=True)


def _pdf_font(settings: Settings) -> Check:
    """Whether Chinese PDF reports embed a font: without one, pdfium and many browsers show their text blank."""
    from bot.report.pdf import choose_font

    chosen = choose_font(settings.pdf_font)
    passed_over = "; ".join(chosen.problems)
    if chosen.path is None:
        return Check("pdf font", True, "no TrueType font with Chinese glyphs can be embedded: Chinese text in PDF "
                     "reports will show blank in pdfium, Chrome and many other viewers"
                     + (f" ({passed_over})" if passed_over else ""),
                     "reinstall breachbot's dependencies (justmytype-intl-cjk ships Noto Sans SC), or set "
                     "BREACHBOT_PDF_FONT to a .ttf/.ttc with Chinese glyphs", warn=True)
    if passed_over:
        return Check("pdf font", True, f"{chosen.path} is embedded; passed over: {passed_over}",
                     "fix or unset BREACHBOT_PDF_FONT", warn=True)
    return Check("pdf font", True, f"{chosen.path} (embedded in PDF reports)")


def _platforms(settings: Settings) -> list[Check]:
    checks = []
    if settings.slack_bot_token:
        def slack() -> str:
            from handlers.slack.chat import make_client

            answer = make_client(settings).auth_test()
            return f"team {answer.get('team')} as {answer.get('user')}"

        mode = "Socket Mode" if settings.slack_app_token else (
            "HTTP" if settings.slack_signing_secret else "no SLACK_APP_TOKEN or SLACK_SIGNING_SECRET")
        checks.append(_try(f"slack ({mode})", slack, "check SLACK_BOT_TOKEN and that the app is installed"))
        if checks[-1].ok:
            checks.append(_try("roster (slack)", lambda: _roster(settings, "slack"),
                               "list people by Slack member ID in breachbot.toml (profile → ⋮ → Copy member ID)"))
    if settings.wecom_corp_id:
        def wecom() -> str:
            from handlers.wecom.api import WeComClient
            from handlers.wecom.config import WeComConfig

            config = WeComConfig.from_settings(settings)

            client = WeComClient(config.corp_id, config.secret, api_url=config.api_url)
            client.fetch_access_token()
            return f"corp {config.corp_id}, agent {config.agent_id}: token fetched"

        checks.append(_try("wecom", wecom, "check WECOM_* and the app's trusted IP (errcode 60020)"))
        if checks[-1].ok:
            checks.append(_try("roster (wecom)", lambda: _roster(settings, "wecom"),
                               "list people by WeCom userid (通讯录 → 成员 → 账号) in breachbot.toml"))
    if not settings.slack_bot_token and not settings.wecom_corp_id:
        checks.append(Check("platform", True, "no Slack or WeCom credentials: the console workspace"))
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
    if bad:
        raise Problem("not active accounts: " + "; ".join(f"{person} ({why})" for person, why in bad.items()))
    return f"{sum(len(v) for v in firm.roster.values())} entries, all active accounts"


def _identity(settings: Settings) -> Check:
    """The firm as statements name it: [firm] name (name_en), contact, address; a missing one is a gap in every draft."""
    name, fix = "firm identity", "write name, name_en, contact and address under [firm] in breachbot.toml"
    try:
        config = settings.firm()
        raw = tomllib.loads(settings.config_file.read_text(encoding="utf-8")) if settings.config_file.exists() else {}
    except Exception as exc:  # the firm config check above already says what is wrong with the file
        return Check(name, False, str(exc).splitlines()[0][:300], fix)
    unknown = sorted(set(raw.get("firm", {})) - {"profile", "partners", "admins", *FIRM_TEXTS})
    if unknown:
        return Check(name, False, f"unknown [firm] keys {unknown}; known: {', '.join(FIRM_TEXTS)}, profile, partners, admins",
                     fix)
    lang = config.lang or settings.lang
    missing = [what for what, value in (("name", config.name_in(lang)), ("name_en", config.name_in("en")),
                                        ("contact", config.contact)) if not value]
    shown = " · ".join(v for v in (config.name, config.name_en, config.contact, config.address) if v) or "none"
    if missing:
        return Check(name, True, f"{shown}; not set: {', '.join(missing)} (statements carry a gap for each)", fix,
                     warn=True)
    return Check(name, True, shown)


def _partners(settings: Settings) -> Check:
    """[firm] partners: who management briefings reach; a partner listed by address needs the firm's mail server."""
    name = "partners"
    try:
        partners = settings.firm().partners
    except Exception as exc:  # the firm config check above already says what is wrong with the file
        return Check(name, False, str(exc).splitlines()[0][:300], "fix breachbot.toml")
    addresses = [p for p in partners if "@" in p]
    shown = f"{len(partners)} listed ({len(addresses)} by e-mail address)" if partners else "none listed"
    if addresses and not (settings.smtp_host and settings.mail_from):
        return Check(name, True, f"{shown}; e-mail is not set up, so {', '.join(addresses)} get no briefing",
                     "set BREACHBOT_SMTP_HOST and BREACHBOT_MAIL_FROM, or list them by their chat account", warn=True)
    return Check(name, True, shown)


def report(checks: list[Check]) -> str:
    """The checks as lines a person can act on."""
    out = []
    for check in checks:
        mark = "✗" if not check.ok else "⚠" if check.warn else "✓"
        out.append(f"{mark} {check.name}: {check.detail}"
                   + (f"\n    fix: {check.fix}" if not check.ok or check.warn else ""))
    return "\n".join(out)

