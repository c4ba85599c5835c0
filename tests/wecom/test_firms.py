"""`breachbot firms` and `breachbot doctor --all`: every firm, its install, usage and health (two WeCom corps)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine

from bot.settings import FirmConfig
from handlers.cli import main
from handlers.firms import firms, listing
from tests.conftest import make_settings
from tests.wecom.conftest import AES_KEY, AGENT_ID, CORP_ID, SECRET, TOKEN
from tests.wecom.test_corps import AGENT_B, CORP_B, corps_file, two_corps  # noqa: F401 - the fixture


def test_every_firm_with_its_install_usage_and_health(two_corps, tmp_path: Path, capsys):  # noqa: F811
    a, b = two_corps
    bot = a.side.bot
    bot.firm = FirmConfig(admins=["zhangsan"])
    a.post(f"/wecom/callback/{CORP_ID}", "zhangsan", "配置 名称 甲所")
    a.post(f"/wecom/callback/{CORP_ID}", "zhangsan", "宣布 甲所工资表泄露")
    b.post(f"/wecom/callback/{CORP_B}", "lisi", "宣布 乙所演练 --演练")
    settings = make_settings(wecom_corp_id=CORP_ID, wecom_agent_id=str(AGENT_ID), wecom_secret=SECRET,
                             wecom_token=TOKEN, wecom_aes_key=AES_KEY, wecom_corps=corps_file(tmp_path))

    rows = {f.workspace: f for f in firms(settings, bot.engine, now=bot.now())}
    firm_a, firm_b = rows[f"wecom:{CORP_ID}"], rows[f"wecom:{CORP_B}"]
    assert list(rows) == sorted([f"wecom:{CORP_ID}", f"wecom:{CORP_B}"])
    assert (firm_a.name, firm_a.lang, firm_a.incidents, firm_a.open, firm_a.drills) == ("甲所", "zh", 1, 1, 0)
    # a firm that set no name of its own is named as its statements name it: the deployment's [firm] name
    assert (firm_b.name, firm_b.incidents, firm_b.open, firm_b.drills) == (settings.firm().name_in(firm_b.lang), 0, 1, 1)
    assert firm_b.name
    assert firm_a.install == f"WeCom app {AGENT_ID} at /wecom/callback/{CORP_ID}"
    assert firm_b.install == f"WeCom app {AGENT_B} at /wecom/callback/{CORP_B}"
    assert firm_a.problems == [] and firm_b.problems == [] and firm_a.last_activity == bot.now()
    assert f"no admins: `breachbot config --workspace wecom:{CORP_B} admins <user>`" in firm_b.notes

    # Two hours on and no worker ran: each firm's overdue reminders are its own problem.
    later = firms(settings, bot.engine, now=bot.now() + timedelta(hours=2))
    assert all("10 reminders overdue by more than 5m: is a worker running?" in f.problems[0] for f in later)
    text = listing(later)
    assert text.startswith("2 firms:\n✗ wecom:")
    assert "    usage: incidents 1 (1 open), drills 0; last activity" in text

    # Corp B taken out of the configuration: its firm is listed as unreachable.
    only_a = make_settings(wecom_corp_id=CORP_ID, wecom_agent_id=str(AGENT_ID), wecom_secret=SECRET,
                           wecom_token=TOKEN, wecom_aes_key=AES_KEY)
    gone = {f.workspace: f for f in firms(only_a, bot.engine, now=bot.now())}[f"wecom:{CORP_B}"]
    assert gone.install == "none"
    assert gone.problems == ["no wecom install or configuration: the bot cannot reach it"]


def cli_url(engine: Engine) -> str:
    """The test database as the command line is told it: on PostgreSQL the test's own schema in the URL's
    libpq options (`?options=-csearch_path=…`), which the engine keeps."""
    url = engine.url
    if engine.dialect.name == "postgresql":
        url = url.set(query={"options": f"-csearch_path={engine._breachbot_schema}"})  # type: ignore[attr-defined]
    return url.render_as_string(hide_password=False)


def test_the_command_line_lists_firms_and_doctor_all_fails_on_one_unreachable(two_corps, capsys):  # noqa: F811
    a, b = two_corps
    a.post(f"/wecom/callback/{CORP_ID}", "zhangsan", "配置")
    b.post(f"/wecom/callback/{CORP_B}", "lisi", "宣布 乙所演练 --演练")
    # This environment configures no WeCom corp: both firms are in the database, neither can be reached.
    url = cli_url(a.side.bot.engine)
    assert main(["--db", url, "firms"]) == 1
    listed = capsys.readouterr().out
    assert listed.startswith("2 firms:") and "乙所" not in listed and "problem: no wecom install" in listed
    assert "usage: incidents 0 (1 open), drills 1" in listed
    assert main(["--db", url, "doctor", "--offline", "--all"]) == 1
    assert "2 firms:" in capsys.readouterr().out
