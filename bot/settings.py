"""Settings: one typed object built once from the environment (or `.env`) and passed down."""

from __future__ import annotations

import re
import tomllib
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.errors import ConfigError
from bot.text.worded import Listing, Worded, problems, shown

PACKAGE_PLAYBOOKS = Path(__file__).resolve().parent.parent / "playbooks"
DEFAULT_PLAYBOOK = PACKAGE_PLAYBOOKS / "breach-default.yaml"
DEFAULT_REGIMES = PACKAGE_PLAYBOOKS / "regimes.yaml"
LANGS = ("en", "zh")


def _env(*names: str) -> AliasChoices:
    return AliasChoices(*names)


class FirmConfig(BaseModel):
    """What a firm writes in `breachbot.toml`: who is on the roster, its language and timezone, and who the
    firm is (`[firm] name`, `name_en`, `contact`, `address`; BREACHBOT_FIRM_NAME / _CONTACT override them)."""

    roster: dict[str, list[str]] = Field(default_factory=dict)
    lang: str | None = None
    timezone: str | None = None
    firm_profile: list[str] = Field(default_factory=list)
    people: dict[str, str] = Field(default_factory=dict)  # [people] id = "display name" (陈晓), for the console
    name: str = ""
    name_en: str = ""
    contact: str = ""
    address: str = ""
    partners: list[str] = Field(default_factory=list)  # [firm] partners: briefed when management is told
    admins: list[str] = Field(default_factory=list)  # [firm] admins: who may change the settings from chat
    # [holidays]: the deployment's holidays, local dates business-day deadlines skip for every firm that does not
    # set its own (/breach config holidays)
    holidays: list[date] = Field(default_factory=list)

    def listed(self) -> list[str]:
        """Everyone the firm lists (the roster first, then [people]), each once; empty when it lists nobody."""
        return list(dict.fromkeys([p for members in self.roster.values() for p in members] + list(self.people)))

    def first_person(self) -> str | None:
        """The roster's first person (the lead's first, else whoever is listed first)."""
        for role in ("lead", *self.roster):
            if self.roster.get(role):
                return self.roster[role][0]
        return next(iter(self.people), None)

    def name_in(self, lang: str) -> str:
        """The firm's name for text in `lang`: `name_en` in English when given, else `name`; empty when unset
        (statements then carry a gap, never a placeholder name)."""
        return (self.name_en or self.name) if lang == "en" else (self.name or self.name_en)


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
    firm_name: str = Field("", validation_alias=_env("BREACHBOT_FIRM_NAME"))
    firm_contact: str = Field("", validation_alias=_env("BREACHBOT_FIRM_CONTACT"))
    templates_dir: Path | None = Field(None, validation_alias=_env("BREACHBOT_TEMPLATES"))
    data_key: SecretStr | None = Field(None, validation_alias=_env("BREACHBOT_DATA_KEY"))
    pdf_font: Path | None = Field(None, validation_alias=_env("BREACHBOT_PDF_FONT"))
    files_dir: Path = Field(Path("breachbot-files"), validation_alias=_env("BREACHBOT_FILES"))
    log_level: str = Field("INFO", validation_alias=_env("BREACHBOT_LOG_LEVEL"))
    # Who runs the deployment (/breach firms): comma-separated platform:workspace:user, e.g. slack:T0123:U0456.
    operators: str = Field("", validation_alias=_env("BREACHBOT_OPERATORS"))

    slack_bot_token: SecretStr | None = Field(None, validation_alias=_env("SLACK_BOT_TOKEN"))
    slack_app_token: SecretStr | None = Field(None, validation_alias=_env("SLACK_APP_TOKEN"))
    slack_signing_secret: SecretStr | None = Field(
        None, validation_alias=_env("SLACK_SIGNING_SECRET")
    )
    slack_api_url: str = Field("https://slack.com/api/", validation_alias=_env("SLACK_API_URL"))
    # Distribution to several workspaces (OAuth, /slack/install): each workspace's bot token is stored at install.
    slack_client_id: str | None = Field(None, validation_alias=_env("SLACK_CLIENT_ID"))
    slack_client_secret: SecretStr | None = Field(None, validation_alias=_env("SLACK_CLIENT_SECRET"))
    slack_authorize_url: str = Field("https://slack.com/oauth/v2/authorize",
                                     validation_alias=_env("SLACK_AUTHORIZE_URL"))

    wecom_corp_id: str | None = Field(None, validation_alias=_env("WECOM_CORP_ID"))
    wecom_agent_id: str | None = Field(None, validation_alias=_env("WECOM_AGENT_ID"))
    wecom_secret: SecretStr | None = Field(None, validation_alias=_env("WECOM_SECRET"))
    wecom_token: SecretStr | None = Field(None, validation_alias=_env("WECOM_TOKEN"))
    wecom_aes_key: SecretStr | None = Field(None, validation_alias=_env("WECOM_AES_KEY"))
    wecom_token_cache: str | None = Field(None, validation_alias=_env("WECOM_TOKEN_CACHE"))
    # Several corps on one deployment: a TOML file with one [corps.<name>] table per corp (README, "Several
    # WeCom corps"); each answers at /wecom/callback/<corp_id>.
    wecom_corps: Path | None = Field(None, validation_alias=_env("WECOM_CORPS"))
    wecom_api_url: str = Field(
        "https://qyapi.weixin.qq.com/cgi-bin/", validation_alias=_env("WECOM_API_URL")
    )

    port: int = Field(3000, validation_alias=_env("PORT"))
    health_port: int = Field(3001, validation_alias=_env("BREACHBOT_HEALTH_PORT"))
    socket_silence: float = Field(120.0, validation_alias=_env("BREACHBOT_SOCKET_SILENCE"))
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
            raise Worded("problem.settings.security", value=shown(value))
        return value

    @field_validator("lang")
    @classmethod
    def _known_lang(cls, value: str) -> str:
        value = value.lower().replace("-cn", "").replace("_cn", "")
        if value not in LANGS:
            raise Worded("problem.settings.lang", choices=Listing(LANGS), value=shown(value))
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise Worded("problem.settings.timezone", value=shown(value)) from exc
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
    def operator_ids(self) -> frozenset[str]:
        """The deployment's operators as platform:workspace:user (userids are unique only within a workspace)."""
        return frozenset(o.strip() for o in self.operators.split(",") if o.strip().count(":") >= 2)

    @property
    def slack_oauth(self) -> bool:
        """Whether Slack is distributed to several workspaces (SLACK_CLIENT_ID and SLACK_CLIENT_SECRET set)."""
        return bool(self.slack_client_id and self.slack_client_secret)

    @property
    def platform(self) -> str:
        """Which platform the credentials point at: slack, wecom or console."""
        if self.slack_bot_token and (self.slack_app_token or self.slack_signing_secret):
            return "slack"
        if self.slack_oauth and self.slack_signing_secret:
            return "slack"
        if self.wecom_corp_id and self.wecom_secret and self.wecom_token and self.wecom_aes_key:
            return "wecom"
        if self.wecom_corps:
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
                raise ConfigError("problem.settings.toml", path=path, why=exc) from exc
            workspace = raw.get("workspace", {})
            firm = raw.get("firm", {})
            try:
                config = FirmConfig(
                    roster={k: _as_list(v) for k, v in raw.get("roster", {}).items()},
                    lang=workspace.get("lang"),
                    timezone=workspace.get("timezone"),
                    firm_profile=_as_list(firm.get("profile", [])),
                    people={str(k): _as_text(v, f"[people] {k}") for k, v in raw.get("people", {}).items()},
                    partners=_as_list(firm.get("partners", [])),
                    admins=_as_list(firm.get("admins", [])),
                    holidays=_holidays(raw.get("holidays", {})),
                    **{k: _as_text(firm[k], f"[firm] {k}") for k in FIRM_TEXTS if k in firm},
                )
            except ValidationError as exc:
                raise ConfigError("problem.in_file", path=path, problem=problems(exc)) from exc
            except (ValueError, TypeError) as exc:
                raise ConfigError("problem.in_file", path=path, problem=exc) from exc
        if self.firm_profile:
            config.firm_profile = [p.strip() for p in self.firm_profile.split(",") if p.strip()]
        return self.identity(config)

    def language(self) -> str:
        """The deployment's language: the firm's (breachbot.toml), else BREACHBOT_LANG (also when breachbot.toml
        cannot be read: what is wrong with it is said in that language)."""
        try:
            return self.firm().lang or self.lang
        except ConfigError:
            return self.lang

    def identity(self, firm: FirmConfig) -> FirmConfig:
        """The firm as statements name it: `breachbot.toml`'s [firm], with BREACHBOT_FIRM_NAME / _CONTACT over it."""
        update: dict[str, str] = {}
        if self.firm_name.strip():  # the environment speaks for every language
            update |= {"name": self.firm_name.strip(), "name_en": self.firm_name.strip()}
        if self.firm_contact.strip():
            update["contact"] = self.firm_contact.strip()
        return firm.model_copy(update=update) if update else firm


FIRM_TEXTS = ("name", "name_en", "contact", "address")
FIRM_TEXT_MAX = 200


def _as_text(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > FIRM_TEXT_MAX or "\n" in value:
        raise ConfigError("problem.settings.firm_text", where=where, max=FIRM_TEXT_MAX, value=shown(value))
    return value.strip()


def _holidays(table: object) -> list[date]:
    """`[holidays]`: each entry a name and a date or a list of dates (`christmas = 2026-12-25`,
    `spring_festival = [2027-02-06, 2027-02-07]`; TOML dates or "2026-12-25"), sorted, each once; ValueError says
    which entry is not a date."""
    if not isinstance(table, dict):
        raise Worded("problem.settings.holidays_table")
    days: set[date] = set()
    for name, value in table.items():
        for day in value if isinstance(value, list) else [value]:
            if isinstance(day, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", day.strip()):
                try:
                    day = date.fromisoformat(day.strip())
                except ValueError:
                    pass
            if not isinstance(day, date) or isinstance(day, datetime):
                raise Worded("problem.settings.holiday", name=name, value=shown(day))
            days.add(day)
    return sorted(days)


def _as_list(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise ConfigError("problem.settings.names", value=shown(value))
