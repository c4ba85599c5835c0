"""The states added for #21 in the war room: /breach affected with residents of Pennsylvania, Michigan, North
Carolina, Virginia and Minnesota starts their clocks with the due times the statutes give (the firm's target where
they say "without unreasonable delay"), in English and in Chinese."""

from __future__ import annotations

from bot.law.clocks import clock_name
from tests.conftest import joined, make_console
from tests.test_clocks import shanghai_firm


def test_new_states_start_their_clocks_in_the_console(sqlite_engine):
    console = shanghai_firm(sqlite_engine)  # aware Saturday 28 November 2026, 10:05 Shanghai time
    sent = joined(console.say("erin", "/breach affected US-PA=600 US-MI=20 US-NC=4 US-VA=1200 US-MN=501", "breach-1"))
    # "without unreasonable delay": the firm's 72-hour target from awareness
    for clock in ("us-pa-2303/residents", "us-pa-2303/ag", "us-pa-2303/cra", "us-mi-445-72/residents",
                  "us-nc-75-65/residents", "us-nc-75-65/ag", "us-va-18-2-186-6/residents", "us-va-18-2-186-6/ag",
                  "us-va-18-2-186-6/cra", "us-mn-325e-61/residents"):
        assert f"{clock_name(console.bot.regimes, clock, 'en')} now applies: due Tue 01 Dec 10:05, in 3d" in sent, clock
    # Minn. Stat. §325E.61 subd. 2: the agencies within 48 hours when more than 500
    assert "Minnesota data breach notification (Nationwide consumer reporting agencies) now applies: due Mon 30 Nov 10:05, in 2d" in sent
    # below their thresholds: Michigan's agencies (1,000), North Carolina's (1,000)
    assert "us-mi-445-72/cra" not in sent and "us-nc-75-65/cra" not in sent
    listing = joined(console.say("erin", "/breach clocks", "breach-1"))
    assert "us-pa-2303/ag · Pennsylvania data breach notification → Pennsylvania Office of Attorney General" in listing
    assert "73 P.S. §2303(c.1)" in listing and "⚠️ US-PA" not in listing
    decided = joined(console.say("erin", '/breach noharm us-mi-445-72 --reason "the laptop was recovered sealed"',
                                 "breach-1"))
    assert "Michigan data breach notification (Michigan residents) no longer applies" in decided
    after = joined(console.say("erin", "/breach clocks", "breach-1"))
    assert ("us-mi-445-72/residents · Michigan data breach notification → Michigan residents · closed by a no-harm "
            "decision · closed by the no-harm decision recorded by erin: the laptop was recovered sealed") in after


def test_new_states_in_a_chinese_workspace(sqlite_engine):
    console = make_console(sqlite_engine, roster={"legal": ["erin"]}, lang="zh")
    console.say("alice", "/breach 宣布 客户税号泄露 --数据 tax_id", None)
    sent = joined(console.say("erin", "/breach 影响 宾夕法尼亚州=501 北卡=3 佐治亚=7", "breach-1"))
    assert "宾夕法尼亚州数据泄露通知（宾夕法尼亚州总检察长办公室）" in sent and "北卡罗来纳州数据泄露通知（北卡罗来纳州总检察长消费者保护司）" in sent
    listing = joined(console.say("erin", "/breach 时限", "breach-1"))
    assert "宾夕法尼亚州总检察长办公室" in listing and "北卡罗来纳州总检察长消费者保护司" in listing
    # Georgia's law binds information brokers only: a visible line with the reason, no clock
    assert "⚠️ 佐治亚州（7 人）：尚未建模" in listing and "信息经纪商" in listing
    told = joined(console.say("erin", "/breach 已通报 宾州 居民 --编号 mail-1", "breach-1"))
    assert "宾夕法尼亚州数据泄露通知（宾夕法尼亚州居民）" in told


def test_oklahoma_and_utah_attorney_general_clocks_in_the_console(sqlite_engine):
    console = shanghai_firm(sqlite_engine)  # aware Saturday 28 November 2026, 10:05 Shanghai time
    sent = joined(console.say("erin", "/breach affected US-OK=500 US-UT=600 US-SC=1001", "breach-1"))
    # 24 O.S. §163 (S.B. 626): 60 days after the residents are told; until then counted from their target (1 Dec)
    assert "Oklahoma data breach notification (Oklahoma Attorney General) now applies: due Sat 30 Jan 23:59" in sent
    # Utah Code §13-44-202: the AG and the Utah Cyber Center at 500 or more; S.C. §39-1-90: the Department above 1,000
    assert "Utah data breach notification (Utah Office of the Attorney General and the Utah Cyber Center) now applies: due Tue 01 Dec 10:05" in sent and "South Carolina data breach notification (South Carolina Department of Consumer Affairs (Consumer Protection Division) and the nationwide consumer reporting agencies) now applies: due Tue 01 Dec 10:05" in sent
    assert "us-ut-13-44-202/cra" not in sent  # 1,000 or more
    told = joined(console.say("erin", "/breach notified us-ok-24-163/residents --ref mail-1", "breach-1"))
    assert "Oklahoma data breach notification (Oklahoma Attorney General) moved from Sat 30 Jan 23:59: now due Wed 27 Jan 23:59" in told


def test_north_dakota_nebraska_and_alaska_in_a_chinese_workspace(sqlite_engine):
    console = make_console(sqlite_engine, roster={"legal": ["erin"]}, lang="zh")
    console.say("alice", "/breach 宣布 客户出生日期泄露 --数据 date_of_birth", None)
    sent = joined(console.say("erin", "/breach 影响 北达科他州=251 内布拉斯加州=2 阿拉斯加州=4", "breach-1"))
    # N.D.C.C. §51-30-01: a date of birth with a name is personal information; §51-30-02: the AG above 250
    assert "北达科他州数据泄露通知（北达科他州居民）" in sent and "北达科他州数据泄露通知（北达科他州总检察长（以邮件或电子邮件））" in sent
    assert "内布拉斯加州数据泄露通知" not in sent and "阿拉斯加州数据泄露通知" not in sent  # their lists do not name a date of birth
    console.say("erin", "/breach 事实 --数据 tax_id", "breach-1")
    listing = joined(console.say("erin", "/breach 时限", "breach-1"))
    assert "内布拉斯加州总检察长" in listing and "阿拉斯加州居民" in listing
    decided = joined(console.say("erin", '/breach 无害认定 阿拉斯加 --理由 "笔记本已密封找回"', "breach-1"))
    assert "阿拉斯加州数据泄露通知（阿拉斯加州总检察长（无害认定的书面通知））" in decided  # Alaska Stat. §45.48.010(c): written notice to the AG opens


def test_an_owner_clock_whose_statute_was_not_read_says_so_in_the_listing(sqlite_engine):
    # KRS §365.732: Kentucky's notice to the owning client is known from summaries only; the listing must not claim
    # "no number in the law" for it, while Pennsylvania's (§2303(c), "upon discovery") may
    console = shanghai_firm(sqlite_engine)
    console.say("erin", "/breach facts --on-behalf yes", "breach-1")
    console.say("erin", "/breach affected US-KY=3 US-PA=3", "breach-1")
    listing = joined(console.say("erin", "/breach clocks", "breach-1")).splitlines()
    kentucky = next(line for line in listing if line.startswith("us-ky-365-732/owner ·"))
    assert kentucky.endswith("(the law's timing not read: the firm's own target; confirm with counsel)")
    pennsylvania = next(line for line in listing if line.startswith("us-pa-2303/owner ·"))
    assert pennsylvania.endswith("(no number in the law: the firm's own target)")
