"""The legal notification clocks: which apply to an incident and when each is due (the file format: test_regimes_file)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.law.reasons import render
from bot.law.regimes import (
    DATA_CATEGORIES,
    RESIDENCES,
    IncidentFacts,
    evaluate,
    load_regimes,
)

DEFAULT = Path(__file__).resolve().parents[1] / "playbooks" / "regimes.yaml"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday, no daylight-saving change nearby
H, D = timedelta(hours=1), timedelta(days=1)
DET = T0 + 2 * D  # when the firm determined that a breach occurred, in cases that record it
ASSESSED = T0 + 5 * D


def end(start: datetime, days: int, tz: str = "UTC") -> datetime:
    """The end (23:59:59 local) of the `days`-th calendar day after `start`'s local day: where the law's days end."""
    zone = ZoneInfo(tz)
    return datetime.combine(start.astimezone(zone).date() + timedelta(days=days), time(23, 59, 59),
                            tzinfo=zone).astimezone(UTC)


# clocks that recur across cases, with their due times for an incident aware at T0
CN_BASE = {  # mainland-China residents always bring these four, due at the firm's own 24 h target
    "cn-pipl-57/authority": T0 + 24 * H, "cn-pipl-57/individuals": T0 + 24 * H,
    "cn-dsl-29/report": T0 + 24 * H, "cn-ndsmr-11/notice": T0 + 24 * H,
}
FTC = {"us-ftc-safeguards/ftc": end(T0, 30)}
CA = {"us-ca-1798-82/residents": end(T0, 30)}
NY = {"us-ny-899aa/residents": end(T0, 30), "us-ny-899aa/state": end(T0, 30)}
EU = {"eu-gdpr-33/authorities": T0 + 72 * H, "eu-gdpr-34/individuals": T0 + 72 * H}
JP = {"jp-appi-26/preliminary": T0 + 3 * D, "jp-appi-26/final": end(T0, 30), "jp-appi-26/individuals": T0 + 3 * D}


@pytest.fixture(scope="module")
def book():
    return load_regimes([DEFAULT])


def facts(affected: dict[str, int] | None = None, data: tuple[str, ...] = ("name", "bank_account"),
          **kwargs) -> IncidentFacts:
    kwargs.setdefault("aware_at", T0)
    kwargs.setdefault("encrypted", False)
    return IncidentFacts(affected=affected or {}, data_categories=frozenset(data), **kwargs)


def applicable(book, incident: IncidentFacts) -> dict[str, datetime | None]:
    return {r.clock_id: r.due_at for r in evaluate(book, incident) if r.applies}


def result(book, incident: IncidentFacts, clock_id: str):
    return next(r for r in evaluate(book, incident) if r.clock_id == clock_id)


def why(book, incident: IncidentFacts, clock_id: str, lang: str = "en") -> str:
    """Why a clock applies or not, in words."""
    return render(result(book, incident, clock_id).reason, lang)


CASES = [
    pytest.param(facts(), {}, id="nobody-affected"),
    # FTC Safeguards: at least 500 US consumers, counting every US-* code and US
    pytest.param(facts({"US": 499}), {}, id="ftc-499-consumers"),
    pytest.param(facts({"US": 500}), FTC, id="ftc-exactly-500"),
    pytest.param(facts({"US": 300, "US-NY": 200}), {**FTC, **NY}, id="ftc-sums-all-us-codes"),
    # California: residents 30 days from discovery; AG 15 days after that when more than 500
    pytest.param(facts({"US-CA": 500}), {**CA, **FTC}, id="ca-500-no-ag"),
    pytest.param(facts({"US-CA": 501}), {**CA, "us-ca-1798-82/ag": end(T0, 45), **FTC}, id="ca-501-ag"),
    # Texas counts from determination; AG when at least 250 Texans
    pytest.param(facts({"US-TX": 249}, determined_at=DET), {"us-tx-521/individuals": end(DET, 60)}, id="tx-249"),
    pytest.param(facts({"US-TX": 250}, determined_at=DET),
                 {"us-tx-521/individuals": end(DET, 60), "us-tx-521/ag": end(DET, 30)}, id="tx-250-ag"),
    pytest.param(facts({"US-TX": 300}), {"us-tx-521/individuals": None, "us-tx-521/ag": None},
                 id="tx-determination-not-recorded"),
    # Florida: AG when at least 500 Floridians (500 also crosses the FTC line)
    pytest.param(facts({"US-FL": 499}, determined_at=DET), {"us-fl-501-171/individuals": end(T0, 30)}, id="fl-499"),
    pytest.param(facts({"US-FL": 500}, determined_at=DET),
                 {"us-fl-501-171/individuals": end(T0, 30), "us-fl-501-171/ag": end(T0, 30), **FTC},
                 id="fl-500-ag-and-ftc"),
    # New York: consumer reporting agencies when more than 5,000
    pytest.param(facts({"US-NY": 5000}), {**NY, **FTC}, id="ny-5000-no-cra"),
    pytest.param(facts({"US-NY": 5001}), {**NY, "us-ny-899aa/cra": end(T0, 30), **FTC}, id="ny-5001-cra"),
    # encryption: key safe takes out state laws and GDPR Art. 34, never GDPR Art. 33 or PIPL
    pytest.param(facts({"US-CA": 40, "EU": 10}, encrypted=True, key_safe=True),
                 {"eu-gdpr-33/authorities": T0 + 72 * H}, id="encrypted-key-safe"),
    pytest.param(facts({"US-CA": 40, "EU": 10}, encrypted=True, key_safe=False), {**EU, **CA}, id="encrypted-key-stolen"),
    pytest.param(facts({"US-CA": 40, "EU": 10}, encrypted=None), {**EU, **CA}, id="encryption-unknown"),
    pytest.param(facts({"US-CA": 40, "EU": 10}, encrypted=True, key_safe=None), {**EU, **CA},
                 id="encrypted-key-safety-unknown"),
    pytest.param(facts({"CN": 10}, encrypted=True, key_safe=True), CN_BASE, id="encryption-does-not-exempt-pipl"),
    # an awareness time in the past gives due times in the past, not clamped to now
    pytest.param(facts({"EU": 3}, aware_at=datetime(2025, 1, 10, 9, 0, tzinfo=UTC)), {
        "eu-gdpr-33/authorities": datetime(2025, 1, 13, 9, 0, tzinfo=UTC),
        "eu-gdpr-34/individuals": datetime(2025, 1, 13, 9, 0, tzinfo=UTC),
    }, id="aware-in-the-past"),
    pytest.param(facts({"EU": 3}, aware_at=datetime(2026, 3, 2, 17, 0, tzinfo=ZoneInfo("Asia/Shanghai"))), EU,
                 id="aware-given-in-shanghai-time"),
    pytest.param(facts({"EU": 5}, data=("name", "contact")), {"eu-gdpr-33/authorities": T0 + 72 * H},
                 id="gdpr-names-only-no-art34"),
    pytest.param(facts({"UK": 5}), {"uk-gdpr-33/ico": T0 + 72 * H, "uk-gdpr-34/individuals": T0 + 72 * H},
                 id="uk-bank-accounts"),
    # China: CAC report from 1,000,000 people or a level set by hand; final report once handling ends
    pytest.param(facts({"CN": 999_999}), CN_BASE, id="cac-999999"),
    pytest.param(facts({"CN": 1_000_000}),
                 {**CN_BASE, "cn-cac-report/first": T0 + 4 * H, "cn-cac-report/final": None}, id="cac-1000000"),
    pytest.param(facts({"CN": 1_000_000}, firm_profile=frozenset({"cii_operator"})),
                 {**CN_BASE, "cn-cac-report/first": T0 + 1 * H, "cn-cac-report/final": None}, id="cac-cii-operator-1h"),
    pytest.param(facts({"CN": 1_000_000}, firm_profile=frozenset({"central_organ"})),
                 {**CN_BASE, "cn-cac-report/first": T0 + 2 * H, "cn-cac-report/final": None}, id="cac-central-organ-2h"),
    pytest.param(facts({"CN": 1_000_000}, firm_profile=frozenset({"central_organ", "cii_operator"})),
                 {**CN_BASE, "cn-cac-report/first": T0 + 1 * H, "cn-cac-report/final": None},
                 id="cac-cii-and-central-strictest"),
    pytest.param(facts({"CN": 100}, cac_level="relatively_major"),
                 {**CN_BASE, "cn-cac-report/first": T0 + 4 * H, "cn-cac-report/final": None}, id="cac-level-set-by-hand"),
    pytest.param(facts({"CN": 100}, cac_level="general"), CN_BASE, id="cac-level-general"),
    pytest.param(facts({"CN": 2_000_000}, handling_ended_at=end(T0, 10)),
                 {**CN_BASE, "cn-cac-report/first": T0 + 4 * H, "cn-cac-report/final": end(T0, 40)},
                 id="cac-final-after-handling-ends"),
    pytest.param(facts({"CN": 1200, "US-CA": 40}, data=("name", "contact", "bank_account")), {**CN_BASE, **CA},
                 id="shanghai-firm"),
    pytest.param(facts({"CN": 10}, crime_suspected=True), {**CN_BASE, "cn-police/report": T0 + 24 * H},
                 id="crime-suspected-police"),
    pytest.param(facts({"EU": 1}, crime_suspected=True), EU, id="crime-suspected-no-cn-residents"),
    # firm profile flags
    pytest.param(facts(firm_profile=frozenset({"nydfs_covered"}), determined_at=DET),
                 {"us-nydfs-500-17/incident": DET + 72 * H}, id="nydfs-covered"),
    # 23 NYCRR 500.17(c): 24 h from the extortion payment for the notice, 30 days for the written reasons
    pytest.param(facts(firm_profile=frozenset({"nydfs_covered"}), determined_at=DET, ransom_paid=True,
                       ransom_paid_at=DET + 5 * H),
                 {"us-nydfs-500-17/incident": DET + 72 * H, "us-nydfs-500-17/extortion": DET + 29 * H,
                  "us-nydfs-500-17/extortion-reasons": end(DET + 5 * H, 30)}, id="nydfs-500-17-c-ransom-paid"),
    pytest.param(facts(firm_profile=frozenset({"nydfs_covered"}), determined_at=DET, ransom_paid=True),
                 {"us-nydfs-500-17/incident": DET + 72 * H, "us-nydfs-500-17/extortion": None,
                  "us-nydfs-500-17/extortion-reasons": None}, id="nydfs-500-17-c-payment-time-unknown"),
    pytest.param(facts(firm_profile=frozenset({"nydfs_covered"}), determined_at=DET, ransom_paid=False),
                 {"us-nydfs-500-17/incident": DET + 72 * H}, id="nydfs-500-17-c-no-payment"),
    pytest.param(facts({"US": 10}, data=("name", "tax_id"), firm_profile=frozenset({"us_tax_preparer"})),
                 # IRS Tax Tip 2021-145: the Stakeholder Liaison, the FBI or Secret Service, local police and the
                 # states where returns are prepared, each "immediately" (the firm's 24 h target)
                 {f"us-irs-taxpro/{c}": T0 + 24 * H for c in ("report", "federal", "states", "police")},
                 id="us-tax-preparer"),
    pytest.param(facts({"US": 10}, data=("name", "contact"), firm_profile=frozenset({"us_tax_preparer"})), {},
                 id="us-tax-preparer-contacts-only"),
    # Asia-Pacific and Canada
    pytest.param(facts({"SG": 10}, data=("name",)), {"sg-pdpa-26d/assess": end(T0, 30)}, id="sg-names-only"),
    pytest.param(facts({"SG": 500}, data=("name",)), {"sg-pdpa-26d/assess": end(T0, 30), "sg-pdpa-26d/pdpc": None},
                 id="sg-500-not-assessed"),
    pytest.param(facts({"SG": 10}, assessed_at=ASSESSED), {
        "sg-pdpa-26d/assess": end(T0, 30),
        "sg-pdpa-26d/pdpc": end(ASSESSED, 3),
        "sg-pdpa-26d/individuals": ASSESSED + 3 * D,
    }, id="sg-bank-assessed"),
    pytest.param(facts({"AU": 3}, data=("name", "tax_id"), assessed_at=ASSESSED),
                 {"au-ndb/assess": end(T0, 30), "au-ndb/notify": ASSESSED + 72 * H}, id="au-tfn-assessed"),
    pytest.param(facts({"JP": 5}, data=("name", "card")), JP, id="jp-card"),
    pytest.param(facts({"JP": 5}, data=("name",), crime_suspected=True), {**JP, "jp-appi-26/final": end(T0, 60)},
                 id="jp-malicious-60d"),
    pytest.param(facts({"JP": 1000}, data=("name",)), {}, id="jp-1000-names"),
    pytest.param(facts({"JP": 1001}, data=("name",)), JP, id="jp-1001-names"),
    pytest.param(facts({"JP": 5}, data=("card",), encrypted=True, key_safe=True), {}, id="jp-encrypted-key-safe"),
    pytest.param(facts({"CA": 4}), {"ca-pipeda/report": T0 + 72 * H}, id="canada"),
    pytest.param(facts({"HK": 4}), {"hk-pdpo/notice": T0 + 72 * H}, id="hong-kong"),
]


@pytest.mark.parametrize(("incident", "expected"), CASES)
def test_applicable_clocks_and_due_times(book, incident, expected):
    assert applicable(book, incident) == expected


def test_every_due_time_is_utc_and_clocks_that_do_not_apply_have_none(book):
    results = evaluate(book, facts({"CN": 1200, "US-CA": 40}, aware_at=datetime(2026, 3, 2, 17, 0,
                                                                                tzinfo=ZoneInfo("Asia/Shanghai"))))
    assert {r.due_at.tzinfo for r in results if r.due_at is not None} == {UTC}
    assert [r.clock_id for r in results if not r.applies and r.due_at is not None] == []
    every = sum(len(regime.clocks) for regime in book.regimes.values())
    assert len(results) == every and every >= 43
    assert len({r.clock_id for r in results}) == every


def test_shanghai_firm_reasons(book):
    incident = facts({"CN": 1200, "US-CA": 40}, data=("name", "bank_account"))
    ca = result(book, incident, "us-ca-1798-82/residents")
    assert render(ca.reason, "en") == "40 California residents, bank accounts, unencrypted"
    assert render(ca.reason, "zh") == "加利福尼亚州居民40人，涉及银行账户，未加密"
    assert (ca.hard_deadline, ca.starts, ca.citation.en) == (True, "discovery", "Cal. Civ. Code §1798.82 (as amended, 2026)")
    assert ca.content[0].en == 'titled "Notice of Data Breach"'
    assert ca.content[0].zh == '标题为“数据泄露通知”（Notice of Data Breach）'
    assert why(book, incident, "us-ftc-safeguards/ftc") == "fewer than 500 US consumers (40)"
    assert why(book, incident, "us-ftc-safeguards/ftc", "zh") == "美国消费者少于500人（40人）"
    assert why(book, incident, "cn-cac-report/first") == (
        "fewer than 1,000,000 people in mainland China (1,200); no CAC incident level set by hand")
    assert why(book, incident, "cn-cac-report/first", "zh") == (
        "中国大陆居民少于1,000,000人（1,200人）；未手动设定网络安全事件级别")
    assert why(book, incident, "us-ca-1798-82/ag") == "500 or fewer California residents (40)"
    assert why(book, incident, "us-ca-1798-82/ag", "zh") == "加利福尼亚州居民不超过500人（40人）"


def test_a_clock_without_a_number_in_the_law_is_the_firms_target(book):
    pipl = result(book, facts({"CN": 1200}), "cn-pipl-57/authority")
    assert pipl.hard_deadline is False
    assert pipl.due_at == T0 + 24 * H
    assert render(pipl.reason, "en") == (
        "1,200 residents of mainland China; no number in the law (immediately (立即)); the firm's own target is 1d")
    assert render(pipl.reason, "zh") == "中国大陆居民1,200人；法律未规定具体时限（立即），本所自定目标为1天"
    assert (pipl.audience_en, pipl.audience_zh) == ("Personal information protection authority", "履行个人信息保护职责的部门")
    assert result(book, facts({"EU": 2}), "eu-gdpr-33/authorities").hard_deadline is True


def test_unknown_encryption_is_treated_as_unencrypted_and_says_so(book):
    unknown = facts({"US-CA": 40}, encrypted=None)
    assert why(book, unknown, "us-ca-1798-82/residents") == (
        "40 California residents, bank accounts, encryption unknown (treated as unencrypted)")
    assert why(book, unknown, "us-ca-1798-82/residents", "zh") == (
        "加利福尼亚州居民40人，涉及银行账户，是否加密未知（按未加密处理）")
    safe = result(book, facts({"US-CA": 40}, encrypted=True, key_safe=True), "us-ca-1798-82/residents")
    assert (safe.applies, render(safe.reason, "en"), render(safe.reason, "zh")) == (
        False, "encrypted and the key is safe", "已加密且密钥安全")


def test_determination_not_recorded_asks_for_it(book):
    tx = result(book, facts({"US-TX": 300}), "us-tx-521/ag")
    assert (tx.applies, tx.due_at, tx.starts) == (True, None, "determination")
    assert render(tx.reason, "en") == (
        "300 Texas residents (at least 250), bank accounts, unencrypted; due time unknown: record when the firm "
        "determined that a breach occurred (/breach facts --determined <time>)")
    assert render(tx.reason, "zh") == (
        "德克萨斯州居民300人（不少于250人），涉及银行账户，未加密；到期时间待定：请记录本所确认发生泄露的时间"
        "（/breach 事实 --确认时间 <时间>）")


def test_cac_reason_names_the_stricter_deadline(book):
    first = result(book, facts({"CN": 1_000_000}, firm_profile=frozenset({"cii_operator"})), "cn-cac-report/first")
    assert render(first.reason, "en") == ("1,000,000 people in mainland China (at least 1,000,000); "
                                          "1h 00m because the firm is a critical information infrastructure operator")
    assert render(first.reason, "zh") == (
        "中国大陆居民1,000,000人（不少于1,000,000人）；因本所属于关键信息基础设施运营者，时限为1小时")
    assert first.due_at == datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def test_ca_attorney_general_counts_from_the_residents_notice_once_it_is_recorded(book):
    # Cal. Civ. Code §1798.82 as amended by SB 446 (2025): the AG sample copy is due within 15 calendar days
    # of notifying the residents, who are owed notice within 30 calendar days of discovery.
    ag = result(book, facts({"US-CA": 501}), "us-ca-1798-82/ag")
    assert ag.starts == "after:us-ca-1798-82/residents"
    assert ag.due_at == end(T0, 45) == datetime(2026, 4, 16, 23, 59, 59, tzinfo=UTC)
    assert "counted from the deadline for telling California residents until that notice is recorded" in render(
        ag.reason, "en")
    assert "向加利福尼亚州居民发出的通知记录之前，暂按该通知的截止时间起算" in render(ag.reason, "zh")
    told = facts({"US-CA": 501}, notified={"us-ca-1798-82/residents": T0 + 3 * D})  # residents told on day 3
    ag = result(book, told, "us-ca-1798-82/ag")
    assert ag.due_at == end(T0, 18) == datetime(2026, 3, 20, 23, 59, 59, tzinfo=UTC)  # not day 45: 27 days earlier
    assert "counted from when the notice to California residents was recorded" in render(ag.reason, "en")
    assert "自向加利福尼亚州居民发出通知的记录时间起算" in render(ag.reason, "zh")


def test_florida_counts_from_reason_to_believe_before_any_determination(book):
    # Fla. Stat. §501.171(3)(a), (4)(a): "30 days after the determination of a breach or reason to believe a
    # breach occurred" -- the firm had reason to believe once it became aware; no determination is needed.
    fl = result(book, facts({"US-FL": 600}), "us-fl-501-171/ag")
    assert (fl.applies, fl.due_at, fl.starts) == (True, end(T0, 30), "determination_or_belief")
    later = result(book, facts({"US-FL": 600}, determined_at=DET), "us-fl-501-171/individuals")
    assert later.due_at == end(T0, 30)  # a later determination does not push the clock back


NY_DST = "America/New_York"
DAY_CASES = [
    # NY GBL §899-aa(2): 30 days from discovery; discovered 23:30 EST on 1 Mar 2026, clocks go forward on 8 Mar.
    # Exact hours would end at 00:30 EDT on 1 Apr (day 31); the law's 30th day ends at 23:59:59 EDT on 31 Mar.
    pytest.param({"US-NY": 10}, datetime(2026, 3, 1, 23, 30, tzinfo=ZoneInfo(NY_DST)), NY_DST,
                 "us-ny-899aa/residents", datetime(2026, 4, 1, 3, 59, 59, tzinfo=UTC), id="ny-899aa-2-spring-forward"),
    # Cal. Civ. Code §1798.82(a): 30 calendar days; 09:00 PST 20 Feb 2026 -> end of 22 Mar (PDT)
    pytest.param({"US-CA": 10}, datetime(2026, 2, 20, 9, 0, tzinfo=ZoneInfo("America/Los_Angeles")),
                 "America/Los_Angeles", "us-ca-1798-82/residents", datetime(2026, 3, 23, 6, 59, 59, tzinfo=UTC),
                 id="ca-1798-82-a-spring-forward"),
    # NY GBL §899-aa(2) across the fall-back change (1 Nov 2026): end of 14 Nov, EST
    pytest.param({"US-NY": 10}, datetime(2026, 10, 15, 12, 0, tzinfo=ZoneInfo(NY_DST)), NY_DST,
                 "us-ny-899aa/residents", datetime(2026, 11, 15, 4, 59, 59, tzinfo=UTC), id="ny-899aa-2-fall-back"),
    # 16 CFR 314.4(j)(1): 30 days from discovery, across 29 Feb 2028 (leap year): 15 Feb -> end of 16 Mar
    pytest.param({"US": 600}, datetime(2028, 2, 15, 10, 0, tzinfo=UTC), "UTC", "us-ftc-safeguards/ftc",
                 datetime(2028, 3, 16, 23, 59, 59, tzinfo=UTC), id="ftc-314-4-j-leap-year"),
    # the workspace's calendar: a Shanghai firm's 30th day ends at 23:59:59 in Shanghai
    pytest.param({"US-NY": 10}, datetime(2026, 3, 1, 23, 30, tzinfo=ZoneInfo(NY_DST)), "Asia/Shanghai",
                 "us-ny-899aa/residents", datetime(2026, 4, 1, 15, 59, 59, tzinfo=UTC), id="ny-899aa-2-shanghai-days"),
    # GDPR Art. 33(1): 72 hours are hours, not days, across the EU change on 29 Mar 2026 (11:00 CEST on 31 Mar)
    pytest.param({"EU": 3}, datetime(2026, 3, 28, 10, 0, tzinfo=ZoneInfo("Europe/Berlin")), "Europe/Berlin",
                 "eu-gdpr-33/authorities", datetime(2026, 3, 31, 9, 0, tzinfo=UTC), id="gdpr-33-1-72-hours-exact"),
]


@pytest.mark.parametrize(("affected", "aware", "tz", "clock", "due"), DAY_CASES)
def test_day_deadlines_end_at_the_end_of_the_last_local_day(book, affected, aware, tz, clock, due):
    assert result(book, facts(affected, aware_at=aware, timezone=tz), clock).due_at == due


def test_facts_reject_what_the_rules_cannot_read():
    with pytest.raises(ValueError, match="aware_at must be timezone-aware"):
        IncidentFacts(aware_at=datetime(2026, 3, 2, 9, 0), affected={}, data_categories=frozenset())
    with pytest.raises(ValueError, match="unknown residence 'US-ZZ'"):
        facts({"US-ZZ": 3})
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Base'"):
        facts(timezone="Mars/Base")
    with pytest.raises(ValueError, match="must be timezone-aware"):
        facts(notified={"us-ca-1798-82/residents": datetime(2026, 3, 5)})
    with pytest.raises(ValueError, match="unknown data category 'ssn'"):
        facts(data=("ssn",))


def test_vocabularies_and_default_book(book):
    assert DATA_CATEGORIES == ("name", "contact", "bank_account", "card", "tax_id", "national_id", "passport",
                               "payroll", "financial_statements", "ledgers", "login_credentials", "date_of_birth")
    assert RESIDENCES[:13] == ("CN", "EU", "UK", "US-CA", "US-NY", "US-TX", "US-FL", "US", "SG", "AU", "CA", "JP", "HK")
    # #21 item 2: every US state, DC, Puerto Rico, Guam and the US Virgin Islands is a residence of its own
    us = [code for code in RESIDENCES if code.startswith("US-")]
    assert len(us) == 54 and {"US-WA", "US-DC", "US-PR", "US-GU", "US-VI"} <= set(us)
    assert list(book.regimes) == [
        "cn-pipl-57", "cn-dsl-29", "cn-ndsmr-11", "cn-cac-report", "cn-police", "eu-gdpr-33", "eu-gdpr-34",
        "uk-gdpr-33", "uk-gdpr-34", "us-ftc-safeguards", "us-irs-taxpro", "us-ca-1798-82", "us-ny-899aa",
        "us-tx-521", "us-fl-501-171", "us-az-18-552", "us-co-6-1-716", "us-ct-36a-701b", "us-or-646a-604",
        "us-wa-19-255-010", "us-il-530-10", "us-nj-56-8-163", "us-ma-93h-3", "us-nm-57-12c",
        "us-de-12b-102", "us-vt-2435", "us-me-1348", "us-ri-11-49-3-4", "us-tn-47-18-2107", "us-oh-1349-19",
        "us-wi-134-98", "us-md-14-3504", "us-sd-22-40-20", "us-in-24-4-9", "us-la-51-3074", "us-al-8-38",
        "us-dc-28-3852", "us-pr-4052", "us-ia-715c-2", "us-pa-2303", "us-mi-445-72", "us-nc-75-65",
        "us-va-18-2-186-6", "us-mn-325e-61", "us-nv-603a-220", "us-ut-13-44-202", "us-sc-39-1-90",
        "us-ky-365-732", "us-ok-24-163", "us-nd-51-30-02", "us-ne-87-803", "us-nh-359-c-20",
        "us-mt-30-14-1704", "us-ak-45-48", "us-hi-487n-2", "us-mo-407-1500", "us-ks-50-7a02", "us-wv-46a-2a-102",
        "us-wy-40-12-502", "us-ar-4-110-105", "us-id-28-51-105", "us-ms-75-24-29", "us-gu-48-30",
        "us-vi-2209", "us-nydfs-500-17", "sg-pdpa-26d", "au-ndb", "ca-pipeda", "jp-appi-26",
        "hk-pdpo",
    ]
    assert book.disclaimer.en.startswith("Not legal advice")
    assert book.disclaimer.zh.startswith("非法律意见")


# The data owner (#21 item 1): a firm that holds data on behalf of clients must tell each owning client.
