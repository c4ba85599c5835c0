"""The legal notification clocks: which apply to an incident and when each is due (the file format: test_regimes_file)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
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

# clocks that recur across cases, with their due times for an incident aware at T0
CN_BASE = {  # mainland-China residents always bring these four, due at the firm's own 24 h target
    "cn-pipl-57/authority": T0 + 24 * H, "cn-pipl-57/individuals": T0 + 24 * H,
    "cn-dsl-29/report": T0 + 24 * H, "cn-ndsmr-11/notice": T0 + 24 * H,
}
FTC = {"us-ftc-safeguards/ftc": T0 + 30 * D}
CA = {"us-ca-1798-82/residents": T0 + 30 * D}
NY = {"us-ny-899aa/residents": T0 + 30 * D, "us-ny-899aa/state": T0 + 30 * D}
EU = {"eu-gdpr-33/authority": T0 + 72 * H, "eu-gdpr-34/individuals": T0 + 72 * H}
JP = {"jp-appi-26/preliminary": T0 + 3 * D, "jp-appi-26/final": T0 + 30 * D, "jp-appi-26/individuals": T0 + 3 * D}


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
    pytest.param(facts({"US-CA": 501}), {**CA, "us-ca-1798-82/ag": T0 + 45 * D, **FTC}, id="ca-501-ag"),
    # Texas counts from determination; AG when at least 250 Texans
    pytest.param(facts({"US-TX": 249}, determined_at=DET), {"us-tx-521/individuals": DET + 60 * D}, id="tx-249"),
    pytest.param(facts({"US-TX": 250}, determined_at=DET),
                 {"us-tx-521/individuals": DET + 60 * D, "us-tx-521/ag": DET + 30 * D}, id="tx-250-ag"),
    pytest.param(facts({"US-TX": 300}), {"us-tx-521/individuals": None, "us-tx-521/ag": None},
                 id="tx-determination-not-recorded"),
    # Florida: AG when at least 500 Floridians (500 also crosses the FTC line)
    pytest.param(facts({"US-FL": 499}, determined_at=DET), {"us-fl-501-171/individuals": DET + 30 * D}, id="fl-499"),
    pytest.param(facts({"US-FL": 500}, determined_at=DET),
                 {"us-fl-501-171/individuals": DET + 30 * D, "us-fl-501-171/ag": DET + 30 * D, **FTC},
                 id="fl-500-ag-and-ftc"),
    # New York: consumer reporting agencies when more than 5,000
    pytest.param(facts({"US-NY": 5000}), {**NY, **FTC}, id="ny-5000-no-cra"),
    pytest.param(facts({"US-NY": 5001}), {**NY, "us-ny-899aa/cra": T0 + 30 * D, **FTC}, id="ny-5001-cra"),
    # encryption: key safe takes out state laws and GDPR Art. 34, never GDPR Art. 33 or PIPL
    pytest.param(facts({"US-CA": 40, "EU": 10}, encrypted=True, key_safe=True),
                 {"eu-gdpr-33/authority": T0 + 72 * H}, id="encrypted-key-safe"),
    pytest.param(facts({"US-CA": 40, "EU": 10}, encrypted=True, key_safe=False), {**EU, **CA}, id="encrypted-key-stolen"),
    pytest.param(facts({"US-CA": 40, "EU": 10}, encrypted=None), {**EU, **CA}, id="encryption-unknown"),
    pytest.param(facts({"US-CA": 40, "EU": 10}, encrypted=True, key_safe=None), {**EU, **CA},
                 id="encrypted-key-safety-unknown"),
    pytest.param(facts({"CN": 10}, encrypted=True, key_safe=True), CN_BASE, id="encryption-does-not-exempt-pipl"),
    # an awareness time in the past gives due times in the past, not clamped to now
    pytest.param(facts({"EU": 3}, aware_at=datetime(2025, 1, 10, 9, 0, tzinfo=UTC)), {
        "eu-gdpr-33/authority": datetime(2025, 1, 13, 9, 0, tzinfo=UTC),
        "eu-gdpr-34/individuals": datetime(2025, 1, 13, 9, 0, tzinfo=UTC),
    }, id="aware-in-the-past"),
    pytest.param(facts({"EU": 3}, aware_at=datetime(2026, 3, 2, 17, 0, tzinfo=ZoneInfo("Asia/Shanghai"))), EU,
                 id="aware-given-in-shanghai-time"),
    pytest.param(facts({"EU": 5}, data=("name", "contact")), {"eu-gdpr-33/authority": T0 + 72 * H},
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
    pytest.param(facts({"CN": 2_000_000}, handling_ended_at=T0 + 10 * D),
                 {**CN_BASE, "cn-cac-report/first": T0 + 4 * H, "cn-cac-report/final": T0 + 40 * D},
                 id="cac-final-after-handling-ends"),
    pytest.param(facts({"CN": 1200, "US-CA": 40}, data=("name", "contact", "bank_account")), {**CN_BASE, **CA},
                 id="shanghai-firm"),
    pytest.param(facts({"CN": 10}, crime_suspected=True), {**CN_BASE, "cn-police/report": T0 + 24 * H},
                 id="crime-suspected-police"),
    pytest.param(facts({"EU": 1}, crime_suspected=True), EU, id="crime-suspected-no-cn-residents"),
    # firm profile flags
    pytest.param(facts(firm_profile=frozenset({"nydfs_covered"}), determined_at=DET),
                 {"us-nydfs-500-17/incident": DET + 72 * H}, id="nydfs-covered"),
    pytest.param(facts(firm_profile=frozenset({"nydfs_covered"}), determined_at=DET, ransom_paid=True),
                 {"us-nydfs-500-17/incident": DET + 72 * H, "us-nydfs-500-17/extortion": DET + 24 * H},
                 id="nydfs-ransom-paid"),
    pytest.param(facts({"US": 10}, data=("name", "tax_id"), firm_profile=frozenset({"us_tax_preparer"})),
                 {"us-irs-taxpro/report": T0 + 24 * H}, id="us-tax-preparer"),
    pytest.param(facts({"US": 10}, data=("name", "contact"), firm_profile=frozenset({"us_tax_preparer"})), {},
                 id="us-tax-preparer-contacts-only"),
    # Asia-Pacific and Canada
    pytest.param(facts({"SG": 10}, data=("name",)), {"sg-pdpa-26d/assess": T0 + 30 * D}, id="sg-names-only"),
    pytest.param(facts({"SG": 500}, data=("name",)), {"sg-pdpa-26d/assess": T0 + 30 * D, "sg-pdpa-26d/pdpc": None},
                 id="sg-500-not-assessed"),
    pytest.param(facts({"SG": 10}, assessed_at=ASSESSED), {
        "sg-pdpa-26d/assess": T0 + 30 * D,
        "sg-pdpa-26d/pdpc": ASSESSED + 3 * D,
        "sg-pdpa-26d/individuals": ASSESSED + 3 * D,
    }, id="sg-bank-assessed"),
    pytest.param(facts({"AU": 3}, data=("name", "tax_id"), assessed_at=ASSESSED),
                 {"au-ndb/assess": T0 + 30 * D, "au-ndb/notify": ASSESSED + 72 * H}, id="au-tfn-assessed"),
    pytest.param(facts({"JP": 5}, data=("name", "card")), JP, id="jp-card"),
    pytest.param(facts({"JP": 5}, data=("name",), crime_suspected=True), {**JP, "jp-appi-26/final": T0 + 60 * D},
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
    assert len(results) == 34
    assert len({r.clock_id for r in results}) == 34


def test_shanghai_firm_reasons(book):
    incident = facts({"CN": 1200, "US-CA": 40}, data=("name", "bank_account"))
    ca = result(book, incident, "us-ca-1798-82/residents")
    assert render(ca.reason, "en") == "40 California residents, bank accounts, unencrypted"
    assert render(ca.reason, "zh") == "加利福尼亚州居民40人，涉及银行账户，未加密"
    assert (ca.hard_deadline, ca.starts, ca.citation.en) == (True, "discovery", "Cal. Civ. Code §1798.82 (as amended, 2026)")
    assert ca.content[0] == 'titled "Notice of Data Breach"'
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
    assert result(book, facts({"EU": 2}), "eu-gdpr-33/authority").hard_deadline is True


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
        "（/breach facts --determined <时间>）")


def test_cac_reason_names_the_stricter_deadline(book):
    first = result(book, facts({"CN": 1_000_000}, firm_profile=frozenset({"cii_operator"})), "cn-cac-report/first")
    assert render(first.reason, "en") == ("1,000,000 people in mainland China (at least 1,000,000); "
                                          "1h 00m because the firm is a critical information infrastructure operator")
    assert render(first.reason, "zh") == (
        "中国大陆居民1,000,000人（不少于1,000,000人）；因本所属于关键信息基础设施运营者，时限为1小时")
    assert first.due_at == datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def test_ca_attorney_general_counts_from_the_residents_clock(book):
    ag = result(book, facts({"US-CA": 501}), "us-ca-1798-82/ag")
    assert ag.starts == "after:us-ca-1798-82/residents"
    assert ag.due_at == datetime(2026, 4, 16, 9, 0, tzinfo=UTC)


def test_us_state_clock_across_daylight_saving_is_exact_hours_in_utc(book):
    # 09:00 PST on 20 Feb 2026; US clocks go forward on 8 Mar 2026, inside the 30 days
    aware = datetime(2026, 2, 20, 9, 0, tzinfo=ZoneInfo("America/Los_Angeles"))
    ca = result(book, facts({"US-CA": 10}, aware_at=aware), "us-ca-1798-82/residents")
    assert ca.due_at == datetime(2026, 3, 22, 17, 0, tzinfo=UTC)
    assert ca.due_at - aware == timedelta(hours=720)
    local = ca.due_at.astimezone(ZoneInfo("America/Los_Angeles"))
    assert (local.hour, local.minute, local.tzname()) == (10, 0, "PDT")  # one hour later on the wall clock


def test_facts_reject_what_the_rules_cannot_read():
    with pytest.raises(ValueError, match="aware_at must be timezone-aware"):
        IncidentFacts(aware_at=datetime(2026, 3, 2, 9, 0), affected={}, data_categories=frozenset())
    with pytest.raises(ValueError, match="unknown residence 'US-WA'"):
        facts({"US-WA": 3})
    with pytest.raises(ValueError, match="unknown data category 'ssn'"):
        facts(data=("ssn",))


def test_vocabularies_and_default_book(book):
    assert DATA_CATEGORIES == ("name", "contact", "bank_account", "card", "tax_id", "national_id", "passport",
                               "payroll", "financial_statements", "ledgers", "login_credentials", "date_of_birth")
    assert RESIDENCES == ("CN", "EU", "UK", "US-CA", "US-NY", "US-TX", "US-FL", "US", "SG", "AU", "CA", "JP", "HK")
    assert list(book.regimes) == [
        "cn-pipl-57", "cn-dsl-29", "cn-ndsmr-11", "cn-cac-report", "cn-police", "eu-gdpr-33", "eu-gdpr-34",
        "uk-gdpr-33", "uk-gdpr-34", "us-ftc-safeguards", "us-irs-taxpro", "us-ca-1798-82", "us-ny-899aa",
        "us-tx-521", "us-fl-501-171", "us-nydfs-500-17", "sg-pdpa-26d", "au-ndb", "ca-pipeda", "jp-appi-26",
        "hk-pdpo",
    ]
    assert book.disclaimer.en.startswith("Not legal advice")
    assert book.disclaimer.zh.startswith("非法律意见")
