"""The WeCom part of Settings, checked once, and the defaults a WeCom workspace gets."""

from __future__ import annotations

from dataclasses import dataclass

from bot.errors import ConfigError
from bot.settings import Settings
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
            raise ConfigError(f"WeCom needs {', '.join(missing)} (from the self-built app's page in the WeCom "
                              "admin console)")
        agent = str(values["WECOM_AGENT_ID"]).strip()
        if not agent.isdecimal():
            raise ConfigError(f"WECOM_AGENT_ID is the app's numeric AgentId, not {agent!r}")
        aes_key = str(values["WECOM_AES_KEY"]).strip()
        if len(aes_key) != AES_KEY_LENGTH:
            raise ConfigError(f"WECOM_AES_KEY is the {AES_KEY_LENGTH}-character EncodingAESKey, "
                              f"not {len(aes_key)} characters")
        return cls(corp_id=str(values["WECOM_CORP_ID"]).strip(), agent_id=int(agent),
                   secret=str(values["WECOM_SECRET"]), token=str(values["WECOM_TOKEN"]), aes_key=aes_key,
                   api_url=settings.wecom_api_url)


def wecom_settings(settings: Settings) -> Settings:
    """Chinese and Asia/Shanghai unless BREACHBOT_LANG / BREACHBOT_TIMEZONE were set explicitly."""
    update: dict[str, str] = {}
    if "lang" not in settings.model_fields_set:
        update["lang"] = WECOM_LANG
    if "timezone" not in settings.model_fields_set:
        update["timezone"] = WECOM_TIMEZONE
    return settings.model_copy(update=update) if update else settings
