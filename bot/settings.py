"""Settings: one typed object built once from the environment (or `.env`) and passed down."""

from __future__ import annotations

import tomllib
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.errors import ConfigError

PACKAGE_PLAYBOOKS = Path(__file__).resolve().parent.parent / "playbooks"
DEFAULT_PLAYBOOK = PACKAGE_PLAYBOOKS / "breach-default.yaml"
DEFAULT_REGIMES = PACKAGE_PLAYBOOKS / "regimes.yaml"
LANGS = ("en", "zh")


def _env(*names: str) -> AliasChoices:
    return AliasChoices(*names)


class FirmConfig(BaseModel):
    """What a firm writes in `breachbot.toml`: who is on the roster, its language and timezone."""

    roster: dict[str, list[str]] = Field(default_factory=dict)
    lang: str | None = None
    timezone: str | None = None
    firm_profile: list[str] = Field(default_factory=list)


class Settings(BaseSettings):
    """Everything the bot can be told from outside. Secrets stay `SecretStr`."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True, case_sensitive=True)

    database_url: str | None = Field(None, validation_alias=_env("DATABASE_URL"))
    lang: str = Field("en", validation_alias=_env("BREACHBOT_LANG"))
    timezone: str = Field("UTC", validation_alias=_env("BREACHBOT_TIMEZONE"))
    playbook: Path = Field(DEFAULT_PLAYBOOK, validation_alias=_env("BREACHBOT_PLAYBOOK"))
    regimes_file: Path | None = Field(None, validation_alias=_env("BREACHBOT_REGIMES"))
    config_file: Path = Field(Path("breachbot.toml"), validation_alias=_env("BREACHBOT_CONFIG"))
    firm_profile: str = Field("", validation_alias=_env("BREACHBOT_FIRM_PROFILE"))
    firm_name: str = Field("The firm", validation_alias=_env("BREACHBOT_FIRM_NAME"))
    firm_contact: str = Field("", validation_alias=_env("BREACHBOT_FIRM_CONTACT"))
    templates_dir: Path | None = Field(None, validation_alias=_env("BREACHBOT_TEMPLATES"))
    data_key: SecretStr | None = Field(None, validation_alias=_env("BREACHBOT_DATA_KEY"))
    pdf_font: Path | None = Field(None, validation_alias=_env("BREACHBOT_PDF_FONT"))
    files_dir: Path = Field(Path("breachbot-files"), validation_alias=_env("BREACHBOT_FILES"))
    log_level: str = Field("INFO", validation_alias=_env("BREACHBOT_LOG_LEVEL"))

    slack_bot_token: SecretStr | None = Field(None, validation_alias=_env("SLACK_BOT_TOKEN"))
    slack_app_token: SecretStr | None = Field(None, validation_alias=_env("SLACK_APP_TOKEN"))
    slack_signing_secret: SecretStr | None = Field(
        None, validation_alias=_env("SLACK_SIGNING_SECRET")
    )
    slack_api_url: str = Field("https://slack.com/api/", validation_alias=_env("SLACK_API_URL"))

    wecom_corp_id: str | None = Field(None, validation_alias=_env("WECOM_CORP_ID"))
    wecom_agent_id: str | None = Field(None, validation_alias=_env("WECOM_AGENT_ID"))
    wecom_secret: SecretStr | None = Field(None, validation_alias=_env("WECOM_SECRET"))
    wecom_token: SecretStr | None = Field(None, validation_alias=_env("WECOM_TOKEN"))
    wecom_aes_key: SecretStr | None = Field(None, validation_alias=_env("WECOM_AES_KEY"))
    wecom_token_cache: str | None = Field(None, validation_alias=_env("WECOM_TOKEN_CACHE"))
    wecom_api_url: str = Field(
        "https://qyapi.weixin.qq.com/cgi-bin/", validation_alias=_env("WECOM_API_URL")
    )

    port: int = Field(3000, validation_alias=_env("PORT"))
    public_url: str | None = Field(None, validation_alias=_env("BREACHBOT_PUBLIC_URL"))

    # Notices the bot sends (`/breach send`): the firm's mail server, bounce mailbox and SMS provider.
    smtp_host: str | None = Field(None, validation_alias=_env("BREACHBOT_SMTP_HOST"))
    smtp_port: int = Field(587, validation_alias=_env("BREACHBOT_SMTP_PORT"))
    smtp_security: str = Field("starttls", validation_alias=_env("BREACHBOT_SMTP_SECURITY"))
    smtp_user: str | None = Field(None, validation_alias=_env("BREACHBOT_SMTP_USER"))
    smtp_password: SecretStr | None = Field(None, validation_alias=_env("BREACHBOT_SMTP_PASSWORD"))
    mail_from: str | None = Field(None, validation_alias=_env("BREACHBOT_MAIL_FROM"))
    mail_reply_to: str | None = Field(None, validation_alias=_env("BREACHBOT_MAIL_REPLY_TO"))
    mail_ca_file: str | None = Field(None, validation_alias=_env("BREACHBOT_MAIL_CA_FILE"))
    mail_pdf: bool = Field(False, validation_alias=_env("BREACHBOT_MAIL_PDF"))
    send_per_minute: int = Field(60, ge=1, le=10000, validation_alias=_env("BREACHBOT_SEND_PER_MINUTE"))
    imap_host: str | None = Field(None, validation_alias=_env("BREACHBOT_IMAP_HOST"))
    imap_port: int = Field(993, validation_alias=_env("BREACHBOT_IMAP_PORT"))
    imap_security: str = Field("ssl", validation_alias=_env("BREACHBOT_IMAP_SECURITY"))
    imap_user: str | None = Field(None, validation_alias=_env("BREACHBOT_IMAP_USER"))
    imap_password: SecretStr | None = Field(None, validation_alias=_env("BREACHBOT_IMAP_PASSWORD"))
    imap_folder: str = Field("INBOX", validation_alias=_env("BREACHBOT_IMAP_FOLDER"))
    sms_access_key_id: str | None = Field(None, validation_alias=_env("ALIYUN_SMS_ACCESS_KEY_ID"))
    sms_access_key_secret: SecretStr | None = Field(None, validation_alias=_env("ALIYUN_SMS_ACCESS_KEY_SECRET"))
    sms_sign_name: str = Field("", validation_alias=_env("ALIYUN_SMS_SIGN_NAME"))
    sms_template_zh: str = Field("", validation_alias=_env("ALIYUN_SMS_TEMPLATE_ZH"))
    sms_template_en: str = Field("", validation_alias=_env("ALIYUN_SMS_TEMPLATE_EN"))
    sms_api_url: str = Field("https://dysmsapi.aliyuncs.com/", validation_alias=_env("ALIYUN_SMS_API_URL"))

    @field_validator("smtp_security", "imap_security")
    @classmethod
    def _known_security(cls, value: str) -> str:
        value = value.lower()
        if value not in ("starttls", "ssl", "none"):
            raise ValueError(f"security must be starttls, ssl or none, not {value!r}")
        return value

    @field_validator("lang")
    @classmethod
    def _known_lang(cls, value: str) -> str:
        value = value.lower().replace("-cn", "").replace("_cn", "")
        if value not in LANGS:
            raise ValueError(f"BREACHBOT_LANG must be one of {', '.join(LANGS)}, not {value!r}")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"BREACHBOT_TIMEZONE {value!r} is not a timezone name such as Asia/Shanghai") from exc
        return value

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL in SQLAlchemy's dialect form (psycopg 3 for PostgreSQL)."""
        url = self.database_url or "sqlite:///breachbot.db"
        if "://" not in url:  # a file path (`--db /tmp/drill.db`): a SQLite database there
            return f"sqlite:///{url}"
        for prefix in ("postgres://", "postgresql://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix):]
        return url

    @property
    def regime_files(self) -> list[Path]:
        """The regimes to load: the packaged ones, then the firm's overrides (BREACHBOT_REGIMES)."""
        return [DEFAULT_REGIMES] + ([self.regimes_file] if self.regimes_file else [])

    @property
    def page_base(self) -> str:
        """Where people reach `breachbot serve` (incident page links start with it), without a trailing slash."""
        return (self.public_url or f"http://localhost:{self.port}").rstrip("/")

    @property
    def platform(self) -> str:
        """Which platform the credentials point at: slack, wecom or console."""
        if self.slack_bot_token and (self.slack_app_token or self.slack_signing_secret):
            return "slack"
        if self.wecom_corp_id and self.wecom_secret and self.wecom_token and self.wecom_aes_key:
            return "wecom"
        return "console"

    def firm(self) -> FirmConfig:
        """Read `breachbot.toml` if it exists; a broken file is a ConfigError naming it."""
        config = FirmConfig()
        path = self.config_file
        if path.exists():
            try:
                raw = tomllib.loads(path.read_text(encoding="utf-8"))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise ConfigError(f"{path}: not valid TOML ({exc})") from exc
            workspace = raw.get("workspace", {})
            try:
                config = FirmConfig(
                    roster={k: _as_list(v) for k, v in raw.get("roster", {}).items()},
                    lang=workspace.get("lang"),
                    timezone=workspace.get("timezone"),
                    firm_profile=_as_list(raw.get("firm", {}).get("profile", [])),
                )
            except (ValueError, TypeError) as exc:
                raise ConfigError(f"{path}: {exc}") from exc
        if self.firm_profile:
            config.firm_profile = [p.strip() for p in self.firm_profile.split(",") if p.strip()]
        return config


def _as_list(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise ConfigError(f"expected a name or a list of names, got {value!r}")
