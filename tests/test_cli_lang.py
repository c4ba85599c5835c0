"""The rest of the command line in the deployment's language (#18): `db current` / `db upgrade`, `playbook check`,
`keygen`'s advice, the start-up line of `serve` and `worker`, the `breachbot: <error>` line and a contact no key
opens, in Chinese for a zh deployment (BREACHBOT_LANG=zh or breachbot.toml's lang) and in English otherwise;
what scripts read (the key on stdout) stays as it was."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from bot.errors import UserError
from bot.settings import DEFAULT_PLAYBOOK
from bot.statements.clients import Vault
from handlers.cli import main
from tests.conftest import TEST_DATA_KEY
from tests.test_zh_cli import chinese

SAID = {
    "zh": {"missing": "数据库 {url} 尚不存在；请用以下命令创建：breachbot db upgrade",
           "current": "数据库 {url} 的迁移版本为 ", "up": "：已是最新", "playbook": "：正确 —— 10 个阶段、",
           "keygen": "请把它设为 BREACHBOT_DATA_KEY", "worker": "breachbot worker：未设置 Slack 或企业微信凭据",
           "serve": "breachbot serve：未设置 Slack", "error": "breachbot：", "key": "无法用当前的 BREACHBOT_DATA_KEY"},
    "en": {"missing": "database {url} does not exist yet; create it with: breachbot db upgrade",
           "current": "database {url} at revision ", "up": ": up to date", "playbook": ": ok — 10 phases, ",
           "keygen": "Set it as BREACHBOT_DATA_KEY", "worker": "breachbot worker: no Slack or WeCom credentials",
           "serve": "breachbot serve: no Slack", "error": "breachbot: ", "key": "A client contact cannot be decrypted"},
}


@pytest.fixture
def deployment(tmp_path, monkeypatch):
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_CLIENT_ID", "WECOM_CORP_ID", "WECOM_CORPS",
                 "DATABASE_URL", "BREACHBOT_LANG", "BREACHBOT_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("lang, how", [("zh", "env"), ("zh", "toml"), ("en", "env")])
def test_db_playbook_keygen_and_worker_speak_the_deployment_language(deployment, capsys, monkeypatch, lang, how):
    if how == "env":
        monkeypatch.setenv("BREACHBOT_LANG", lang)
    else:
        (deployment / "breachbot.toml").write_text(f'[workspace]\nlang = "{lang}"\n', encoding="utf-8")
    words = SAID[lang]
    url = f"sqlite:///{deployment / 'firm.db'}"
    assert main(["--db", url, "db", "current"]) == 0
    out = capsys.readouterr().out
    assert out.strip() == words["missing"].format(url=url), out
    assert main(["--db", url, "db", "upgrade"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(words["current"].format(url=url)) and out.rstrip().endswith(words["up"]), out
    assert main(["playbook", "check", str(DEFAULT_PLAYBOOK)]) == 0
    out = capsys.readouterr().out
    assert words["playbook"] in out, out
    assert main(["keygen"]) == 0
    captured = capsys.readouterr()
    Fernet(captured.out.strip().encode())  # stdout is the key alone, as scripts read it
    assert captured.err.startswith(words["keygen"]), captured.err
    assert main(["--db", url, "worker"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(words["worker"]), err
    if lang == "zh":
        assert chinese(out) == [] and chinese(err.replace("breachbot worker", "").replace("Slack", "")) == [], err


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_serve_says_what_it_serves_in_the_deployment_language(deployment, capsys, monkeypatch, lang):
    import handlers.web

    monkeypatch.setenv("BREACHBOT_LANG", lang)
    served: list[int] = []
    monkeypatch.setattr(handlers.web, "serve", lambda app, port: served.append(port))
    assert main(["--db", f"sqlite:///{deployment / 'firm.db'}", "serve"]) == 0
    err = capsys.readouterr().err
    assert err.startswith(SAID[lang]["serve"]) and served, err


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_error_line_is_in_the_deployment_language(deployment, capsys, monkeypatch, lang):
    monkeypatch.setenv("BREACHBOT_LANG", lang)
    monkeypatch.setenv("BREACHBOT_FIRM_PROFILE", "no_such_flag")
    script = deployment / "s.breach"
    script.write_text("alice #general> /breach status\n", encoding="utf-8")
    assert main(["--db", f"sqlite:///{deployment / 'firm.db'}", "console", "--script", str(script)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(SAID[lang]["error"]) and "no_such_flag" in err, err


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_contact_no_key_opens_is_said_in_the_firm_language(lang):
    sealed = Vault(Fernet.generate_key().decode()).seal("a@b.example")
    with pytest.raises(UserError) as refused:
        Vault(TEST_DATA_KEY, lang).open(sealed)
    assert str(refused.value).startswith(SAID[lang]["key"]), str(refused.value)


@pytest.mark.parametrize("lang, unset, none", [
    ("zh", "未设置 BREACHBOT_DATA_KEY：无法解开任何事务所的数据密钥", "console:console  数据密钥：尚未生成"),
    ("en", "BREACHBOT_DATA_KEY is not set: no firm key can be unwrapped", "console:console  data key: none yet"),
])
def test_keys_speaks_the_deployment_language(deployment, capsys, monkeypatch, lang, unset, none):
    from storage.db import make_engine, upgrade
    from tests.conftest import make_console

    monkeypatch.setenv("BREACHBOT_LANG", lang)
    monkeypatch.delenv("BREACHBOT_DATA_KEY", raising=False)
    url = f"sqlite:///{deployment / 'firm.db'}"
    engine = make_engine(url)
    upgrade(engine)
    make_console(engine, lang=lang).say("alice", "/breach help", "general")  # the console firm, no key yet
    assert main(["--db", url, "keys"]) == 2
    assert capsys.readouterr().err.startswith(unset)
    monkeypatch.setenv("BREACHBOT_DATA_KEY", TEST_DATA_KEY)
    assert main(["--db", url, "keys"]) == 0
    assert capsys.readouterr().out.strip() == none
