"""A firm's own holidays (/breach config holidays, zh 节假日): business-day deadlines skip them as they skip weekends
(9 V.S.A. §2435(b)(3)(A)(i): the Vermont AG within 14 business days), and open incidents' clocks move at once."""

from __future__ import annotations

from tests.conftest import joined, said
from tests.test_firm_config import admin_console, stored

# chat names the clock, never by its id
VT_AG = ("Vermont data breach notification (Vermont Attorney General, preliminary notice (the Department of Financial "
         "Regulation for firms it regulates))")


def test_a_firm_sets_its_holidays_and_the_vermont_ag_clock_moves(sqlite_engine):
    console = admin_console(sqlite_engine)  # Asia/Shanghai; aware Saturday 28 November 2026, 10:05
    said(console, "alice", "/breach declare Client bank accounts exposed --data bank_account,name", "general")
    sent = joined(console.say("erin", "/breach affected US-VT=12", "breach-1"))
    assert f"{VT_AG} now applies: due Thu 17 Dec 23:59" in sent  # 14 business days from Monday 30 November
    moved = joined(console.say("alice", "/breach config holidays 2026-12-02, 2026-12-01", "general"))
    assert "Settings: holidays is now 2026-12-01, 2026-12-02." in moved
    # two business days fewer in the count: Monday 21 December
    assert f"{VT_AG} moved from Thu 17 Dec 23:59: now due Mon 21 Dec 23:59" in moved
    assert stored(console)[0] == {"holidays": ["2026-12-01", "2026-12-02"]}
    assert "holidays: 2026-12-01, 2026-12-02 (set by the firm)" in said(console, "bob", "/breach config", "general")
    listing = joined(console.say("erin", "/breach clocks", "breach-1"))
    assert "us-vt-2435/ag · Vermont data breach notification" in listing and "due Mon 21 Dec 23:59" in listing
    back = joined(console.say("alice", "/breach config holidays none", "general"))
    assert f"{VT_AG} moved from Mon 21 Dec 23:59: now due Thu 17 Dec 23:59" in back
    assert stored(console)[0] == {"holidays": []}


def test_bad_holidays_are_refused_and_change_nothing(sqlite_engine):
    console = admin_console(sqlite_engine)
    said(console, "alice", "/breach config holidays 2026-12-25", "general")
    before = stored(console)
    assert said(console, "alice", "/breach config holidays 2026-13-01", "general") == (
        "holidays cannot be “2026-13-01”. Type: /breach config holidays <dates such as 2026-12-25,2027-01-01 (instead "
        "of the deployment's), +2026-12-24 (added to the holidays in force), or none: business-day deadlines skip "
        "them as they skip weekends>. Nothing was changed.")
    assert "cannot be “25 December”" in said(console, "alice", "/breach config holidays 25 December", "general")
    assert said(console, "bob", "/breach config holidays 2027-01-01", "general").startswith("Only the firm's admins")
    assert stored(console) == before
    said(console, "alice", "/breach config lang zh", "general")
    assert said(console, "alice", "/breach 配置 节假日 圣诞节", "general") == (
        "节假日不能是“圣诞节”。请输入：/breach 配置 节假日 <日期，如 2026-12-25,2027-01-01（取代系统统一设定的节假日）；"
        "+2026-12-24（加在现行节假日之上）；或 无：按工作日计算的时限与周末一样跳过这些日期>。没有做任何更改。")
    assert said(console, "alice", "/breach 配置 节假日 2027-01-01、2027-02-17", "general") == \
        "设置已更新：节假日 现在是 2027-01-01、2027-02-17。"
    assert stored(console)[0]["holidays"] == ["2027-01-01", "2027-02-17"]
