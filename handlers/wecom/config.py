"""The WeCom part of Settings, checked once, and the defaults a WeCom workspace gets."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.errors import ConfigError
from bot.settings import Settings
from bot.text.worded import Listing, shown
from handlers.wecom.callback import AES_KEY_LENGTH

WECOM_LANG = "zh"
WECOM_TIMEZONE = "Asia/Shanghai"


@dataclass(frozen=True)
class WeComConfig:
    """Everything needed to talk to one WeCom self-built app."""

    corp_id: str
    agent_id: int
    secret: str
    token: str
    aes_key: str
    api_url: str
    admins: tuple[str, ...] = ()  # the corp's first admins (/breach config), from WECOM_CORPS

    @classmethod
    def from_settings(cls, settings: Settings) -> WeComConfig:
        """Read WECOM_*; a ConfigError names every variable that is missing or unusable."""
        values = {
            "WECOM_CORP_ID": settings.wecom_corp_id,
            "WECOM_AGENT_ID": settings.wecom_agent_id,
            "WECOM_SECRET": settings.wecom_secret.get_secret_value() if settings.wecom_secret else None,
            "WECOM_TOKEN": settings.wecom_token.get_secret_value() if settings.wecom_token else None,
            "WECOM_AES_KEY": settings.wecom_aes_key.get_secret_value() if settings.wecom_aes_key else None,
        }
        missing = [name for name, value in values.items() if not value]
        if missing:
            raise ConfigError("problem.wecom.missing", names=Listing(missing))
        agent = str(values["WECOM_AGENT_ID"]).strip()
        if not agent.isdecimal():
            raise ConfigError("problem.wecom.agent_id", value=shown(agent))
        aes_key = str(values["WECOM_AES_KEY"]).strip()
        if len(aes_key) != AES_KEY_LENGTH:
            raise ConfigError("problem.wecom.aes_key", length=AES_KEY_LENGTH, actual=len(aes_key))
        return cls(corp_id=str(values["WECOM_CORP_ID"]).strip(), agent_id=int(agent),
                   secret=str(values["WECOM_SECRET"]), token=str(values["WECOM_TOKEN"]), aes_key=aes_key,
                   api_url=settings.wecom_api_url)


CORP_KEYS = ("corp_id", "agent_id", "secret", "token", "aes_key")


def corp_configs(settings: Settings) -> list[WeComConfig]:
    """Every corp this deployment answers for: WECOM_* (the single-corp way) first, then each [corps.<name>] of
    the WECOM_CORPS file; a ConfigError names what is missing, unusable or given twice."""
    found: list[WeComConfig] = []
    if settings.wecom_corp_id or not settings.wecom_corps:
        found.append(WeComConfig.from_settings(settings))
    if settings.wecom_corps:
        found += _from_file(settings.wecom_corps, api_url=settings.wecom_api_url)
    ids = [c.corp_id for c in found]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        raise ConfigError("problem.wecom.twice", corps=Listing(twice))
    return found


def _from_file(path: Path, *, api_url: str) -> list[WeComConfig]:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError("problem.wecom.no_file", path=path) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError("problem.wecom.toml", path=path, why=exc) from None
    corps = raw.get("corps")
    if not isinstance(corps, dict) or not corps:
        raise ConfigError("problem.wecom.no_corps", path=path, keys=Listing(CORP_KEYS))
    return [_one(f"{path} [corps.{name}]", table, api_url) for name, table in corps.items()]


def _one(where: str, table: Any, api_url: str) -> WeComConfig:
    if not isinstance(table, dict):
        raise ConfigError("problem.wecom.table", where=where, keys=Listing(CORP_KEYS))
    missing = [key for key in CORP_KEYS if not str(table.get(key, "")).strip()]
    if missing:
        raise ConfigError("problem.wecom.corp_missing", where=where, names=Listing(missing))
    agent, aes_key, corp_id = str(table["agent_id"]).strip(), str(table["aes_key"]).strip(), str(table["corp_id"])
    if not agent.isdecimal():
        raise ConfigError("problem.wecom.corp_agent_id", where=where, value=shown(agent))
    if len(aes_key) != AES_KEY_LENGTH:
        raise ConfigError("problem.wecom.corp_aes_key", where=where, length=AES_KEY_LENGTH, actual=len(aes_key))
    if not corp_id.strip().isalnum():
        raise ConfigError("problem.wecom.corp_id", where=where, value=shown(corp_id))
    admins = table.get("admins", [])
    if not isinstance(admins, list) or not all(isinstance(a, str) and a.strip() for a in admins):
        raise ConfigError("problem.wecom.admins", where=where, value=shown(admins))
    return WeComConfig(corp_id=corp_id.strip(), agent_id=int(agent), secret=str(table["secret"]),
                       token=str(table["token"]), aes_key=aes_key, api_url=str(table.get("api_url") or api_url),
                       admins=tuple(a.strip() for a in admins))


def wecom_settings(settings: Settings) -> Settings:
    """Chinese and Asia/Shanghai unless BREACHBOT_LANG / BREACHBOT_TIMEZONE were set explicitly."""
    update: dict[str, str] = {}
    if "lang" not in settings.model_fields_set:
        update["lang"] = WECOM_LANG
    if "timezone" not in settings.model_fields_set:
        update["timezone"] = WECOM_TIMEZONE
    return settings.model_copy(update=update) if update else settings
