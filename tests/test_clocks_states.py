"""More US states in the war room (#21 item 2): a console scenario with Delaware, Vermont, Louisiana and Puerto Rico."""

from __future__ import annotations

from datetime import timedelta

from tests.conftest import START, joined
from tests.test_clocks import shanghai_firm


def test_delaware_louisiana_vermont_and_puerto_rico_clocks_in_the_console(sqlite_engine):
    console = shanghai_firm(sqlite_engine)
    sent = joined(console.say("erin", "/breach affected US-DE=600 US-LA=7 US-PR=3 US-VT=12", "breach-1"))
    # 9 V.S.A. §2435(b)(1): 45 days after discovery, to the end of the local day (Asia/Shanghai workspace)
    assert "Vermont data breach notification (Vermont residents) now applies: due Tue 12 Jan 23:59" in sent
    # 10 L.P.R.A. §4052: the Department of Consumer Affairs within 10 days of detection
    assert "Puerto Rico data breach notification (Puerto Rico Department of Consumer Affairs (DACO)) now applies: due Tue 08 Dec 23:59" in sent
    # La. R.S. 51:3074(E) 60 days; the AG 10 days after the residents' notice (until it is sent: after its deadline)
    assert "Louisiana data breach notification (Louisiana residents) now applies: due Wed 27 Jan 23:59" in sent and "Louisiana data breach notification (Louisiana Attorney General, Consumer Protection Section) now applies: due Sat 06 Feb 23:59" in sent
    listing = joined(console.say("erin", "/breach clocks", "breach-1"))
    # 6 Del. C. §12B-102(c): counted from the determination, which is not recorded yet
    assert "us-de-12b-102/residents · Delaware data breach notification → Delaware residents · waiting" in listing
    assert "record when the firm determined that a breach occurred" in listing
    assert "us-de-12b-102/ag · Delaware data breach notification → Delaware Attorney General · waiting" in listing
    assert "6 Del. C. §12B-102(d)" in listing and "checked against 6 Del. C. §§12B-101 and 12B-102" in listing
    assert "⚠️ US-DE" not in listing and "⚠️ US-LA" not in listing  # modelled now, no "not modelled" line
    console.advance(START + timedelta(hours=2))
    moved = joined(console.say("erin", '/breach facts --determined "today 11:00"', "breach-1"))
    assert "Delaware data breach notification (Delaware residents) now applies: due Wed 27 Jan 23:59" in moved
    told = joined(console.say("erin", "/breach notified us-la-51-3074/residents --ref mail-1", "breach-1"))
    assert "Louisiana data breach notification (Louisiana Attorney General, Consumer Protection Section) moved from Sat 06 Feb 23:59: now due Tue 08 Dec 23:59" in told
    zh = joined(console.say("erin", "/breach notified 特拉华 居民 --ref mail-2", "breach-1"))
    assert "Delaware data breach notification (Delaware residents)" in zh and "Delaware Attorney General" not in zh
