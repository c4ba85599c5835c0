"""Configuration the command line cannot use is said in the deployment's language, with what to write instead
(#18): settings from the environment, breachbot.toml, the playbook and regimes files, Slack's and WeCom's settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from bot.errors import ConfigError
from handlers.cli import main
from handlers.slack.app import build_slack_app
from handlers.slack.socket import _app_token
from handlers.slack.web import register
from handlers.wecom.config import WeComConfig, corp_configs
from tests.conftest import make_settings
from tests.test_regimes_file import MINIMAL

ROOT = Path(__file__).resolve().parent.parent
CLEAR = (
    "SLACK_BOT_TOKEN",
    "SLACK_APP_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_CLIENT_ID",
    "WECOM_CORP_ID",
    "WECOM_CORPS",
    "DATABASE_URL",
    "BREACHBOT_PLAYBOOK",
    "BREACHBOT_REGIMES",
    "BREACHBOT_TIMEZONE",
)


@pytest.fixture
def deployment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A deployment in `lang` with nothing else set; returns a function that sets it up and names the database."""
    for name in CLEAR:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BREACHBOT_CONFIG", str(tmp_path / "breachbot.toml"))

    def setup(lang: str, **env: str) -> str:
        monkeypatch.setenv("BREACHBOT_LANG", lang)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return f"sqlite:///{tmp_path / 'b.db'}"

    return setup


SETTINGS = {
    "zh": "breachbot：BREACHBOT_TIMEZONE：「Mars/Nowhere」 不是时区名：请写 Asia/Shanghai 这样的时区名\n"
    "BREACHBOT_SMTP_PORT：应为整数（只写数字），而不是 「abc」\n",
    "en": "breachbot: BREACHBOT_TIMEZONE: 'Mars/Nowhere' is not a timezone name: write one such as Asia/Shanghai\n"
    "BREACHBOT_SMTP_PORT: must be a whole number (digits only), not 'abc'\n",
}
NOW = {
    "zh": "breachbot：--now 需要带时区偏移的日期和时间，如 2026-11-28T10:05+08:00，而不是 「2026-11-28T10:05」\n",
    "en": "breachbot: --now needs a date and time with its offset, such as 2026-11-28T10:05+08:00, not "
    "'2026-11-28T10:05'\n",
}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_settings_from_the_environment_say_each_variable_and_what_to_write(lang, deployment, capsys):
    url = deployment(lang, BREACHBOT_TIMEZONE="Mars/Nowhere", BREACHBOT_SMTP_PORT="abc")
    assert main(["db", "current", "--db", url]) == 2
    assert capsys.readouterr().err == SETTINGS[lang]
    url = deployment(lang, BREACHBOT_TIMEZONE="Asia/Shanghai", BREACHBOT_SMTP_PORT="587")
    assert main(["console", "--script", "-", "--now", "2026-11-28T10:05", "--db", url]) == 2
    assert capsys.readouterr().err == NOW[lang]


TOML = {
    "zh": "breachbot：{path}：[firm] name 应为一行文字（1–200 个字符），而不是 「」：请把本所的 [firm] name 写在一行内\n",
    "en": "breachbot: {path}: [firm] name must be one line of text (1-200 characters), not '': write the firm's "
    "[firm] name on one line\n",
}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_broken_breachbot_toml_is_said_in_the_deployments_language(lang, deployment, tmp_path, capsys):
    url = deployment(lang)
    (tmp_path / "breachbot.toml").write_text(
        '[workspace]\nlang = "zh"\n[firm]\nname = ""\n', encoding="utf-8"
    )
    assert main(["console", "--script", "-", "--db", url]) == 2
    assert capsys.readouterr().err == TOML[lang].format(path=tmp_path / "breachbot.toml")


PLAYBOOK = {
    "zh": [
        "：phases.1.due：应为时长（如 15m、8h 或 30d），而不是 「soon」",
        "：phases.1（investigation）：owner 「hacker」 不是角色：请写 lead、it_security、legal、",
        "：bogus：此处不接受这个键：请删除它或改正拼写",
    ],
    "en": [
        ": phases.1.due: must be a duration such as 15m, 8h or 30d, not 'soon'",
        ": phases.1 (investigation): owner 'hacker' is not a role: write one of lead, it_security, legal, ",
        ": bogus: not a key this place takes: remove it or correct its spelling",
    ],
}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_playbook_check_says_each_problem_and_what_to_write(lang, deployment, tmp_path, capsys):
    deployment(lang)
    text = (ROOT / "playbooks" / "breach-default.yaml").read_text(encoding="utf-8")
    broken = tmp_path / "firm.yaml"
    broken.write_text(
        text.replace("key: breach-default", "key: breach-default\nbogus: 1", 1).replace(
            "due: 8h", "due: soon", 1
        ),
        encoding="utf-8",
    )
    assert main(["playbook", "check", str(broken)]) == 1
    err = capsys.readouterr().err
    assert all(part in err for part in PLAYBOOK[lang][::2]), err
    broken.write_text(
        text.replace("owner: it_security\n    due: 8h", "owner: hacker\n    due: 8h", 1), encoding="utf-8"
    )
    assert main(["playbook", "check", str(broken)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{broken}:") and PLAYBOOK[lang][1] in err


REGIMES = {
    "zh": "breachbot：{path}:11：法规 「test-regime」：clocks.0.deadline：应为时长（如 90m、4h、30d 或 14bd），"
    "而不是 「soon」\n",
    "en": "breachbot: {path}:11: regime 'test-regime': clocks.0.deadline: must be a duration such as 90m, 4h, 30d "
    "or 14bd, not 'soon'\n",
}
CONDITION = {
    "zh": "：clocks.0.when：affected：未知的居住地代码 「US-ZZ」：请写 CN、EU、UK、",
    "en": ": clocks.0.when: affected: unknown residence code 'US-ZZ': write one of CN, EU, UK, ",
}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_broken_regimes_file_stops_the_bot_with_the_reason_in_its_language(
    lang, deployment, tmp_path, capsys
):
    broken = tmp_path / "firm-regimes.yaml"
    broken.write_text(MINIMAL.replace("deadline: 72h", "deadline: soon"), encoding="utf-8")
    url = deployment(lang, BREACHBOT_REGIMES=str(broken))
    assert main(["console", "--script", "-", "--db", url]) == 2
    assert capsys.readouterr().err == REGIMES[lang].format(path=broken)
    broken.write_text(MINIMAL.replace("in: [EU]", "in: [US-ZZ]"), encoding="utf-8")
    assert main(["console", "--script", "-", "--db", url]) == 2
    assert CONDITION[lang] in capsys.readouterr().err


WECOM = {
    "zh": "breachbot：WECOM_CORPS：{path} 不存在：请创建该文件或改正路径\n",
    "en": "breachbot: WECOM_CORPS: {path} does not exist: write the file or correct the path\n",
}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_wecom_settings_say_what_to_copy_from_where(lang, deployment, tmp_path, capsys):
    url = deployment(lang, WECOM_CORPS=str(tmp_path / "corps.toml"))
    assert main(["serve", "--db", url]) == 2
    assert capsys.readouterr().err == WECOM[lang].format(path=tmp_path / "corps.toml")
    with pytest.raises(ConfigError) as raised:
        WeComConfig.from_settings(make_settings(wecom_corp_id="ww1", wecom_secret="s", wecom_agent_id="bot"))
    said = raised.value.said(lang)
    assert (
        said
        == {
            "zh": "企业微信需要 WECOM_TOKEN、WECOM_AES_KEY（见企业微信管理后台中自建应用的页面）",
            "en": "WeCom needs WECOM_TOKEN, WECOM_AES_KEY (from the self-built app's page in the WeCom admin "
            "console)",
        }[lang]
    )
    (tmp_path / "corps.toml").write_text(
        '[corps.branch]\ncorp_id = "ww2"\nagent_id = "x"\nsecret = "s"\ntoken = "t"\naes_key = "k"\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as raised:
        corp_configs(make_settings(wecom_corps=tmp_path / "corps.toml"))
    assert (
        raised.value.said(lang)
        == {
            "zh": f"{tmp_path / 'corps.toml'} [corps.branch] 的 agent_id 是应用的数字 AgentId，而不是 「x」：请从应用页面复制 AgentId",
            "en": f"{tmp_path / 'corps.toml'} [corps.branch] agent_id is the app's numeric AgentId, not 'x': copy the AgentId "
            "from the app's page",
        }[lang]
    )


def test_slack_settings_say_what_to_copy_from_where_in_both_languages(sqlite_engine):
    with pytest.raises(ConfigError) as no_secret:
        register(Flask("t"), settings=make_settings(slack_bot_token="xoxb-1"), engine=sqlite_engine)
    with pytest.raises(ConfigError) as no_app_token:
        _app_token(make_settings())
    with pytest.raises(ConfigError) as no_bot_token:
        build_slack_app(make_settings(), engine=sqlite_engine)
    assert no_secret.value.said("zh").startswith(
        "未设置 SLACK_SIGNING_SECRET：请从 Slack 应用的 Basic Information 页面复制"
    )
    assert str(no_secret.value).startswith("SLACK_SIGNING_SECRET is not set: copy the Signing Secret from")
    assert no_app_token.value.said("zh").startswith(
        "未设置 SLACK_APP_TOKEN：请在 Slack 应用的 Basic Information 页面创建"
    )
    assert str(no_app_token.value).startswith(
        "SLACK_APP_TOKEN is not set: create an App-Level Token (xapp-…)"
    )
    assert no_bot_token.value.said("zh").startswith(
        "未设置 SLACK_BOT_TOKEN：请从 Slack 应用复制 Bot User OAuth Token"
    )
    assert str(no_bot_token.value).startswith(
        "SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token (xoxb-…)"
    )
