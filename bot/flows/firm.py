"""/breach config (配置): a firm's own settings, kept in the database and set from chat by the firm's admins.

One deployment serves many firms; each firm's language, timezone, name and contact, firm profile, roster,
playbook, regimes and admins live in `FirmSettings` and win over breachbot.toml and the environment (the defaults)
for that firm only. Anyone may look (`/breach config`); only an admin may change (`/breach config lang zh`,
`/breach 配置 语言 中文`). Values may be typed in either language.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session, col, select

from bot.chat import Context, Mention, Message, Strong, Text
from bot.errors import UserError
from bot.flows import law, tenancy
from bot.flows.grammar.tokens import tokenize, user_ref
from bot.flows.port import Bot
from bot.incident import names
from bot.law.conditions import FIRM_PROFILES
from bot.outbox import Outbox
from bot.registry import command
from bot.settings import FIRM_TEXT_MAX
from bot.statements import keys
from bot.text.i18n import message
from bot.text.i18n import text as t
from bot.text.worded import said
from storage.models import FirmSettings, Incident, Workspace

KEYS = ("lang", "timezone", "name", "name_en", "contact", "profile", "holidays", "roster", "playbook", "regimes",
        "admins")
# The words a key is typed as, besides its English name and its Chinese name in the catalogue (config.keys.*).
KEY_WORDS = {"lang": ("language", "语言"), "timezone": ("tz", "时区"), "name": ("名称", "事务所名称", "公司名称"),
             "name_en": ("英文名称",), "contact": ("联系方式", "联系人"), "profile": ("类型", "机构类型"),
             "holidays": ("holiday", "节假日", "假日", "法定节假日"), "roster": ("名单", "值班名单"), "playbook": ("预案", "应急预案"),
             "regimes": ("regime", "法规", "法规文件", "监管规定"), "admins": ("admin", "管理员")}
RESET = {"default", "reset", "默认", "恢复默认"}
NONE = {"none", "无", "空"}
ADD = {"add", "plus", "加", "加上", "增加", "另加", "添加"}  # `/breach config holidays add 2026-12-24`: on top of the others
LANG_WORDS = {"en": {"en", "english", "英文", "英语"}, "zh": {"zh", "zh-cn", "chinese", "中文", "汉语", "简体中文"}}
# Timezones as people in a Chinese firm say them.
PLACES = {"北京": "Asia/Shanghai", "北京时间": "Asia/Shanghai", "上海": "Asia/Shanghai", "中国": "Asia/Shanghai",
          "香港": "Asia/Hong_Kong", "台北": "Asia/Taipei", "新加坡": "Asia/Singapore", "东京": "Asia/Tokyo",
          "伦敦": "Europe/London", "纽约": "America/New_York", "洛杉矶": "America/Los_Angeles",
          "协调世界时": "UTC", "世界时": "UTC"}
_LIST = re.compile(r"[\s,，、;；]+")


@dataclass(frozen=True)
class Config:
    """`/breach config`: show the firm's settings (no key), or set one (`key`, `value` as typed)."""

    key: str | None = None
    value: str = ""


def key_of(typed: str) -> str | None:
    """The setting a typed word names, in either language."""
    word = typed.strip().lower()
    for key in KEYS:
        if word in {key, key.replace("_", "-"), *KEY_WORDS[key], t("zh", f"config.keys.{key}"),
                    t("en", f"config.keys.{key}").lower()}:
            return key
    return None


def parse_config(lang: str, name: str, tail: str) -> Config:
    """`/breach config [<key> <value>]`."""
    tokens = tokenize(tail)
    if not tokens:
        return Config()
    key = key_of(tokens[0].word)
    if key is None:
        raise UserError(message(lang, "config.unknown_key", kind="error", typed=tokens[0].text[:40],
                                keys=t(lang, "config.list_sep").join(_key_name(lang, k) for k in KEYS)))
    return Config(key=key, value=tail[tokens[0].end:].strip())


def _key_name(lang: str, key: str) -> str:
    return t(lang, f"config.keys.{key}")


def admins(bot: Bot, values: dict[str, Any]) -> list[str]:
    """Who may change the firm's settings: as its admins set them, else breachbot.toml's [firm] admins."""
    return list(values.get("admins") or bot.default("firm").admins)  # type: ignore[attr-defined]


@command(Config, "config", parse=parse_config, zh=("配置", "设置"), group="team")
def config(bot: Bot, session: Session, ws: Workspace, context: Context, cmd: Config, out: Outbox) -> None:
    """Show the firm's settings, or (an admin) change one; a bad value is refused and nothing changes."""
    row = session.get(FirmSettings, ws.id)
    values = dict(row.values) if row is not None else {}
    if cmd.key is None:
        out.reply(show(bot, ws, values, session=session))
        return
    lang = ws.lang
    allowed = admins(bot, values)
    if context.user not in allowed:
        raise UserError(_refusal(lang, allowed, f"{ws.platform}:{ws.external_id}"))
    out.reply(change(bot, session, ws, key=cmd.key, raw=cmd.value, values=values, actor=context.user))
    if cmd.key == "holidays" and (moved := recount(bot, session, ws, out)) is not None:
        out.reply(moved)


def recount(bot: Bot, session: Session, ws: Workspace, out: Outbox) -> Message | None:
    """After the firm's holidays changed: its open incidents' clocks counted again at once (business-day deadlines
    move), each war room told what moved; returns what to tell whoever changed them (None: no open incident)."""
    moved: list[str] = []
    open_ = session.exec(select(Incident).where(Incident.workspace_id == ws.id, col(Incident.closed_at).is_(None))
                         .order_by(col(Incident.number))).all()
    if not open_:
        return None
    for incident in open_:
        changes = law.resync(bot, session, ws, incident, out)
        if changes:
            out.refresh.add(incident.id or 0)
            moved.append(t(ws.lang, "config.holidays_moved_one", id=f"BR-{incident.number}", count=len(changes),
                           clocks=t(ws.lang, "config.list_sep").join(c.clock_id for c in changes)))
    if not moved:
        return message(ws.lang, "config.holidays_moved_none")
    return message(ws.lang, "config.holidays_moved", moved=t(ws.lang, "config.holidays_sep").join(moved))


def change(bot: Bot, session: Session, ws: Workspace, *, key: str, raw: str, values: dict[str, Any],
           actor: str) -> Message:
    """Set one of a firm's settings from what was typed (`default` removes it); returns what to say, in the
    firm's language as it is now. UserError for a bad value, and nothing changes."""
    lang = ws.lang
    if raw.strip().lower() in RESET:
        if key in ("playbook", "regimes") and key in values:  # back to the default changes them too
            _no_open_incidents(session, ws, lang, f"config.{key}_open")
        values.pop(key, None)
    else:
        if not raw.strip():
            raise UserError(message(lang, "config.no_value", kind="error", key=_key_name(lang, key),
                                    usage=t(lang, f"config.usage.{key}")))
        values[key] = _read(bot, session, ws, key, raw, values, lang)
    set_values(session, ws, values, actor=actor, now=bot.now())
    defaults: Any = bot
    if key in ("lang", "timezone"):
        ws.lang, ws.timezone = tenancy.settled(session, ws, lang=defaults.default("lang"),
                                               timezone=defaults.default("timezone"))
        session.add(ws)
    new_lang = values.get("lang") or defaults.default("lang")
    shown = (_shown(new_lang, key, values[key], _roles(bot, new_lang), base=deployment_holidays(bot)) if key in values
             else t(new_lang, "config.default"))
    return message(new_lang, "config.set", key=_key_name(new_lang, key), value=shown)


def set_values(session: Session, ws: Workspace, values: dict[str, Any], *, actor: str, now: datetime) -> None:
    """Store a firm's settings (the whole set), who changed them and when."""
    row = session.get(FirmSettings, ws.id) or FirmSettings(workspace_id=ws.id or 0)
    row.values, row.updated_at, row.updated_by = dict(values), now, actor[:100]
    session.add(row)
    session.flush()


def _roles(bot: Bot, lang: str) -> dict[str, str]:
    return {key: name(lang) for key, name in bot.playbook.roles.items()}


def _refusal(lang: str, allowed: list[str], workspace: str) -> Message:
    if not allowed:
        return message(lang, "config.no_admins", kind="error", workspace=workspace)
    spans: list[Any] = []
    for person in allowed:
        spans += ([Text(", ")] if spans else []) + [Mention(person)]
    return message(lang, "config.not_admin", kind="error", who=tuple(spans))


def _read(bot: Bot, session: Session, ws: Workspace, key: str, raw: str, values: dict[str, Any], lang: str) -> Any:
    """The value to store for what was typed; UserError saying what to type instead."""
    value = raw.strip()
    bad = UserError(message(lang, "config.bad_value", kind="error", key=_key_name(lang, key), typed=value[:60],
                            usage=t(lang, f"config.usage.{key}")))
    if key == "lang":
        found = next((code for code, words in LANG_WORDS.items() if value.lower() in words), None)
        if found is None:
            raise bad
        return found
    if key == "timezone":
        zone = PLACES.get(value, value)
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise bad from None
        return zone
    if key in ("name", "name_en", "contact"):
        if len(value) > FIRM_TEXT_MAX or "\n" in value:
            raise bad
        return value
    if key == "profile":
        words = [w for w in _LIST.split(value) if w]
        if {w.lower() for w in words} <= NONE:
            return []
        flags = [_profile(w) for w in words]
        if None in flags:
            raise bad
        if len({f for f in flags if f and f.startswith("eu_")}) > 1:  # GDPR Art. 3: the firm stands one way only
            raise UserError(message(lang, "config.eu_one", kind="error", typed=value[:60]))
        return list(dict.fromkeys(f for f in flags if f))
    if key == "holidays":
        return _holidays(value, values.get("holidays"), bad)
    if key == "roster":
        return _roster(bot, value, values.get("roster"), lang, bad)
    if key == "playbook":
        return _playbook(bot, session, ws, value, lang, bad)
    if key == "regimes":
        return _regimes(bot, session, ws, value, lang, bad)
    people = [user_ref(w) for w in _LIST.split(value) if w]
    if not people or None in people:
        raise bad
    return list(dict.fromkeys(p for p in people if p))


def _profile(word: str) -> str | None:
    for flag in FIRM_PROFILES:
        if word.lower() == flag or word in (t("zh", f"regime_reason.firm_profile.{flag}"),
                                            t("en", f"regime_reason.firm_profile.{flag}")):
            return flag
    return None


def _holidays(value: str, current: Any, bad: UserError) -> list[str] | dict[str, list[str]]:
    """`2026-12-25,2027-01-01 …` the firm's holidays instead of the deployment's; `+2026-12-24 …` added to the
    holidays in force (the deployment's stay: `{"add": [...]}`); `none`: no holidays at all."""
    words = [w for w in _LIST.split(value) if w]
    if {w.lower() for w in words} <= NONE:
        return []
    adding = bool(words) and (words[0].lower() in ADD or any(w[:1] in "+＋" for w in words))
    words = [w.lstrip("+＋") for w in words if w.lower() not in ADD and w.lstrip("+＋")]
    try:
        days = [date.fromisoformat(w) for w in words if re.fullmatch(r"\d{4}-\d{2}-\d{2}", w)]
    except ValueError:
        raise bad from None
    if len(days) != len(words) or not days:
        raise bad
    if not adding:
        return [day.isoformat() for day in sorted(set(days))]
    if isinstance(current, list):  # added to the firm's own list, which stays instead of the deployment's
        return sorted({*current, *(day.isoformat() for day in days)})
    before = current.get("add", []) if isinstance(current, dict) else []
    return {"add": sorted({*before, *(day.isoformat() for day in days)})}


def _roster(bot: Bot, value: str, current: Any, lang: str, bad: UserError) -> dict[str, list[str]]:
    """`<role> @a @b` (or `<role> none`): that role's people; the other roles stay as they were."""
    role_word, _, rest = value.partition(" ")
    role = names.resolve("role", role_word.strip(), bot.playbook, lang, "error.unknown_role")
    roster = dict(current if isinstance(current, dict) else bot.default("firm").roster)  # type: ignore[attr-defined]
    words = [w for w in _LIST.split(rest) if w]
    if not words:
        raise bad
    if {w.lower() for w in words} <= NONE:
        roster[role] = []
        return roster
    people = [user_ref(w) for w in words]
    if None in people:
        raise bad
    roster[role] = list(dict.fromkeys(p for p in people if p))
    return roster


def _playbook(bot: Bot, session: Session, ws: Workspace, name: str, lang: str, bad: UserError) -> str:
    if tenancy.playbook_path(bot, name) is None:
        raise bad
    try:
        tenancy.firm_playbook(bot, name)
    except Exception as exc:
        raise UserError(message(lang, "config.playbook_broken", kind="error", name=name, why=said(exc, lang)[:300])) from None
    _no_open_incidents(session, ws, lang, "config.playbook_open")
    return name


def _regimes(bot: Bot, session: Session, ws: Workspace, name: str, lang: str, bad: UserError) -> str:
    """A regimes file over the deployment's, checked as BREACHBOT_REGIMES is (file, line, key and problem)."""
    name = name.removesuffix(".yaml")
    if tenancy.regimes_path(bot, name) is None:
        raise bad
    try:
        tenancy.firm_regimes(bot, name)
    except Exception as exc:
        raise UserError(message(lang, "config.regimes_broken", kind="error", name=name, why=said(exc, lang)[:600])) from None
    _no_open_incidents(session, ws, lang, "config.regimes_open")
    return name


def _no_open_incidents(session: Session, ws: Workspace, lang: str, key: str) -> None:
    open_ = session.exec(select(Incident.number).where(Incident.workspace_id == ws.id,
                                                       col(Incident.closed_at).is_(None))).all()
    if open_:
        raise UserError(message(lang, key, kind="error", ids=("、" if lang == "zh" else ", ").join(f"BR-{n}" for n in sorted(open_))))


def deployment_holidays(bot: Bot) -> list[str]:
    """The deployment's holidays ([holidays] in breachbot.toml) as ISO dates."""
    defaults: Any = bot
    return [day.isoformat() for day in defaults.default("firm").holidays]


def _person(person: str, names: dict[str, str]) -> str:
    """A person as the settings show them: their display name ([people]), else @id."""
    return names.get(person) or f"@{person}"


def _shown(lang: str, key: str, value: Any, roles: dict[str, str] | None = None, *,
           base: Sequence[str] = (), names: dict[str, str] | None = None) -> str:
    sep = t(lang, "config.list_sep")
    names = names or {}
    if key == "holidays":  # the firm's own, with what became of the deployment's
        if isinstance(value, dict):
            return t(lang, "config.holidays_both", days=sep.join(sorted({*base, *value.get("add", [])})),
                     own=sep.join(value.get("add", [])))
        days = sep.join(value) or t(lang, "config.none")
        return t(lang, "config.holidays_instead", days=days, base=sep.join(base)) if base and value != list(base) else days
    if key == "lang":
        return t(lang, f"config.langs.{value}")
    if key == "profile":
        return sep.join(t(lang, f"regime_reason.firm_profile.{f}") for f in value) or t(lang, "config.none")
    if key == "roster":
        return "; ".join(f"{(roles or {}).get(r, r)}: {sep.join(_person(p, names) for p in people) or t(lang, 'config.none')}"
                         for r, people in value.items()) or t(lang, "config.none")
    if key == "admins":
        return sep.join(_person(p, names) for p in value)
    return str(value)


def show(bot: Bot, ws: Workspace, values: dict[str, Any], *, session: Session | None = None) -> Message:
    """Every setting of the firm, each marked as set by its admins or the deployment's default; with `session`,
    also which data key seals the firm's client contacts, by its reference (`k12`), never the key itself."""
    lang = ws.lang
    firm = bot.firm
    current = {"lang": ws.lang, "timezone": ws.timezone, "name": firm.name, "name_en": firm.name_en,
               "contact": firm.contact, "profile": sorted(bot.firm_profile), "playbook": values.get("playbook", ""),
               "regimes": values.get("regimes", ""), "holidays": values.get("holidays", deployment_holidays(bot)),
               "roster": firm.roster, "admins": admins(bot, values)}
    lines: list[tuple[Any, ...]] = [(Strong(t(lang, "config.title")),)]
    for key in KEYS:
        value = current[key]
        shown = (_shown(lang, key, value, _roles(bot, lang), base=deployment_holidays(bot),
                        names=dict(bot.firm.people or {}))
                 if value or key == "holidays" else t(lang, "config.none"))
        if key == "playbook":
            shown = f"{bot.playbook.key} · {bot.playbook.name(lang)}"
        if key == "regimes" and not value:
            shown = t(lang, "config.default")
        source = t(lang, "config.set_here" if key in values else "config.from_default")
        lines.append((Text(f"{_key_name(lang, key)}: {shown} ({source})"),))
    if session is not None:
        data_key = keys.current(session, ws.id)
        lines.append((Text(t(lang, "config.data_key", ref=keys.ref(data_key), made=f"{data_key.created_at:%Y-%m-%d}")
                           if data_key is not None else t(lang, "config.data_key_none")),))
    lines.append((Text(t(lang, "config.how")),))
    return Message(lines=tuple(lines))
