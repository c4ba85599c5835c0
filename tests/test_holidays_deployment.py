"""The deployment's holidays ([holidays] in breachbot.toml): business-day deadlines skip them for every firm that sets
none of its own; a firm's /breach config holidays replaces them (dates) or adds to them (+dates); `breachbot doctor`
checks them; and the operator's `breachbot config --workspace … holidays` moves open clocks at once. The clock used
throughout: 9 V.S.A. §2435(b)(3)(A)(i), the Vermont Attorney General within 14 business days."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session, select

from bot.app import create_app
from bot.clock import SystemClock
from bot.settings import FirmConfig, Settings
from handlers.console.chat import ConsoleChat
from handlers.doctor import holidays
from storage.models import Deadline
from tests.conftest import joined, said
from tests.test_firm_config import admin_console, stored

DECLARE = (
    "/breach declare Client bank accounts exposed --data bank_account,name"  # aware Sat 28 Nov 2026, 10:05
)
TOML = '[firm]\nadmins = ["alice"]\n\n[holidays]\nnational_days = [2026-12-01, "2026-12-02"]\nchristmas = 2026-12-25\n'

# chat names the clock, never by its id
VT_AG = ("Vermont data breach notification (Vermont Attorney General, preliminary notice (the Department of Financial "
         "Regulation for firms it regulates))")


def test_breachbot_toml_holidays_are_read_and_doctor_checks_them(tmp_path, sqlite_engine):
    config = tmp_path / "breachbot.toml"
    config.write_text(TOML, encoding="utf-8")
    settings = Settings(config_file=config)
    assert settings.firm().holidays == [date(2026, 12, 1), date(2026, 12, 2), date(2026, 12, 25)]
    bot = create_app(settings, chat=ConsoleChat(out=io.StringIO()), engine=sqlite_engine)
    assert bot.regimes.holidays == {date(2026, 12, 1), date(2026, 12, 2), date(2026, 12, 25)}
    check = holidays(settings, today=date(2026, 11, 28))
    assert (check.ok, check.warn) == (True, False)
    assert check.detail == (
        "3 under `[holidays]`, 2026-12-01 to 2026-12-25; the next 2026-12-01 (a firm may replace "
        "them or add its own: `/breach config holidays`)"
    )
    past = holidays(Settings(config_file=config, lang="zh"), today=date(2027, 1, 4))
    assert (
        past.ok
        and past.warn
        and past.detail
        == ("`[holidays]` 中的 3 天都已过去（最后一天 2026-12-25）：今后按工作日计算的时限只跳过周六和周日")
    )
    config.write_text('[holidays]\nchristmas = "25 December"\n', encoding="utf-8")
    bad = holidays(Settings(config_file=config), today=date(2026, 11, 28))
    assert not bad.ok and "[holidays] christmas: '25 December' is not a date" in bad.detail
    assert bad.fix.startswith("write each holiday under `[holidays]` in breachbot.toml as a name and a date")
    config.write_text("[holidays]\nlunch = [2026-12-24T12:00:00]\n", encoding="utf-8")
    assert (
        "[holidays] lunch: datetime.datetime(2026, 12, 24, 12, 0) is not a date"
        in holidays(Settings(config_file=config), today=date(2026, 11, 28)).detail
    )
    config.write_text('[workspace]\nlang = "en"\n', encoding="utf-8")
    assert holidays(Settings(config_file=config), today=date(2026, 11, 28)).detail.startswith(
        "none under `[holidays]`: business-day deadlines skip Saturdays and Sundays only"
    )


def test_a_firm_replaces_or_adds_to_the_deployments_holidays(sqlite_engine):
    console = admin_console(sqlite_engine, holidays=[date(2026, 12, 1), date(2026, 12, 2)])
    said(console, "alice", DECLARE, "general")
    # 14 business days from Monday 30 November, 1 and 2 December skipped: Monday 21 December
    assert f"{VT_AG} now applies: due Mon 21 Dec 23:59" in said(console, "erin", "/breach affected US-VT=12")
    assert "holidays: 2026-12-01, 2026-12-02 (default)" in said(console, "bob", "/breach config", "general")
    added = said(console, "alice", "/breach config holidays +2026-12-03", "general")
    assert (
        "Settings: holidays is now 2026-12-01, 2026-12-02, 2026-12-03 (the deployment's, and the firm's own "
        "2026-12-03)."
    ) in added
    assert f"{VT_AG} moved from Mon 21 Dec 23:59: now due Tue 22 Dec 23:59" in added
    assert (
        "Business-day deadlines counted again with these holidays: BR-1, 1 moved (us-vt-2435/ag). Each war room "
        "is told what moved."
    ) in added
    assert stored(console)[0] == {"holidays": {"add": ["2026-12-03"]}}
    instead = said(console, "alice", "/breach config holidays 2026-12-03", "general")
    assert "holidays is now 2026-12-03 (instead of the deployment's 2026-12-01, 2026-12-02)." in instead
    assert "moved from Tue 22 Dec 23:59: now due Fri 18 Dec 23:59" in instead
    said(console, "alice", "/breach config holidays +2026-12-04", "general")  # added to the firm's own list
    assert stored(console)[0] == {"holidays": ["2026-12-03", "2026-12-04"]}
    back = said(console, "alice", "/breach config holidays default", "general")  # two days off either way
    assert back.endswith(
        "No open incident's deadline moved (none is counted in business days across these dates)."
    )
    assert "holidays: 2026-12-01, 2026-12-02 (default)" in said(console, "bob", "/breach config", "general")
    assert "now due Thu 17 Dec 23:59" in said(console, "alice", "/breach config holidays none", "general")
    said(console, "alice", "/breach config lang zh", "general")
    said(console, "alice", "/breach 配置 节假日 默认", "general")
    zh = said(console, "alice", "/breach 配置 节假日 加 2026-12-03", "general")
    assert (
        "设置已更新：节假日 现在是 2026-12-01、2026-12-02、2026-12-03（系统统一设定的节假日，另加本所的 2026-12-03）。"
        in zh
    )
    assert (
        "已按新的节假日重新计算按工作日计的时限：BR-1 有 1 项变动（us-vt-2435/ag）。各作战室会收到变动通知。"
        in zh
    )


def test_the_operator_changes_holidays_and_the_war_room_is_told_what_moved(
    sqlite_engine, monkeypatch, capsys
):
    from handlers.cli import main

    console = admin_console(sqlite_engine)
    said(console, "alice", DECLARE, "general")
    assert f"{VT_AG} now applies: due Thu 17 Dec 23:59" in said(console, "erin", "/breach affected US-VT=12")
    later = console.clock.advance(timedelta(hours=2))
    # the command line runs at the console's virtual time, with the deployment's settings
    monkeypatch.setattr(SystemClock, "now", lambda self: later)
    monkeypatch.setenv("BREACHBOT_TIMEZONE", "Asia/Shanghai")
    argv = ["--db", str(sqlite_engine.url), "config", "--workspace", "console:console"]
    assert main([*argv, "holidays", "2026-12-01"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "Settings: holidays is now 2026-12-01.",
        "Business-day deadlines counted again with these holidays: BR-1, 1 moved (us-vt-2435/ag). Each war room is "
        "told what moved.",
    ]
    with Session(sqlite_engine) as s:  # moved in the database at once, not at the incident's next fact change
        row = s.exec(select(Deadline).where(Deadline.ref == "us-vt-2435/ag")).one()
        assert row.due_at.replace(tzinfo=UTC) == datetime(
            2026, 12, 18, 15, 59, 59, tzinfo=UTC
        )  # Fri 23:59 Shanghai
    told = joined(console.advance(later))  # the running bot sends what the command line queued
    assert f"{VT_AG} moved from Thu 17 Dec 23:59: now due Fri 18 Dec 23:59" in told
    assert main([*argv, "holidays", "2026-12-32"]) == 1  # refused, nothing moves
    assert "holidays cannot be “2026-12-32”" in capsys.readouterr().err
    assert main([*argv, "holidays", "default"]) == 0
    assert "now due Thu 17 Dec 23:59" in joined(console.advance(later))
    capsys.readouterr()
    monkeypatch.setenv(
        "BREACHBOT_LANG", "zh"
    )  # the deployment now speaks Chinese, and the firm set no language:
    assert (
        main([*argv, "holidays", "2026-12-01"]) == 0
    )  # every line in Chinese, as a command in chat would be
    assert capsys.readouterr().out.splitlines() == [
        "设置已更新：节假日 现在是 2026-12-01。",
        "已按新的节假日重新计算按工作日计的时限：BR-1 有 1 项变动（us-vt-2435/ag）。各作战室会收到变动通知。",
    ]


def test_a_restart_with_changed_holidays_moves_open_clocks_and_the_timeline_records_it(sqlite_engine):
    from bot.scheduler import AlertScheduler
    from storage.models import TimelineEvent
    from tests.conftest import make_console

    console = admin_console(sqlite_engine)  # no holidays in breachbot.toml
    said(console, "alice", DECLARE, "general")
    assert f"{VT_AG} now applies: due Thu 17 Dec 23:59" in said(console, "erin", "/breach affected US-VT=12")
    # breachbot.toml gets [holidays] 1 and 2 December; the bot restarts on the same database, and nothing else
    # happens to the incident: its clock moves at the start (9 V.S.A. §2435(b)(3)(A)(i): 14 business days)
    again = make_console(sqlite_engine, start=console.clock.now())
    again.bot.firm = FirmConfig(admins=["alice"], holidays=[date(2026, 12, 1), date(2026, 12, 2)])
    scheduler = AlertScheduler(again.bot)
    scheduler.start(paused=True)
    scheduler.shutdown()
    with Session(sqlite_engine) as s:
        row = s.exec(select(Deadline).where(Deadline.ref == "us-vt-2435/ag")).one()
        assert row.due_at.replace(tzinfo=UTC) == datetime(2026, 12, 21, 15, 59, 59, tzinfo=UTC)  # Mon 23:59 Shanghai
        recorded = s.exec(select(TimelineEvent).where(TimelineEvent.kind == "clocks_changed")).all()[-1]
        assert recorded.data["changes"] == [{"clock": "us-vt-2435/ag", "change": "moved",
                                             "due_at": "2026-12-21T15:59:59+00:00",
                                             "before": "2026-12-17T15:59:59+00:00"}]
    told = joined(again.chat.sent)
    assert "The holidays in force changed since these clocks were counted ([holidays] in breachbot.toml" in told
    assert f"{VT_AG} moved from Thu 17 Dec 23:59: now due Mon 21 Dec 23:59" in told
    # a second start with the same holidays counts nothing again and says nothing
    before = len(again.chat.sent)
    second = AlertScheduler(again.bot)
    second.start(paused=True)
    second.shutdown()
    assert len(again.chat.sent) == before
