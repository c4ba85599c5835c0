"""US state breach laws beyond the first thirteen (#21 item 2): each with an applies / does-not-apply pair and an
exact due time, citing the section it comes from. The helpers are those of test_regimes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.law.conditions import NoHarmDecision
from bot.law.reasons import render
from bot.law.regimes import evaluate, load_regimes
from tests.test_regimes import DEFAULT, DET, FTC, T0, H, applicable, end, facts


@pytest.fixture(scope="module")
def book():
    return load_regimes([DEFAULT])


VT_AG = datetime(2026, 3, 20, 23, 59, 59, tzinfo=UTC)  # 14 business days after Monday 2 March 2026

STATE_CASES = [
    # 6 Del. C. §12B-102(c): 60 days after determination; (d): the AG when more than 500 residents
    pytest.param({"US-DE": 500}, {"determined_at": DET}, {"us-de-12b-102/residents": end(DET, 60), **FTC},
                 id="de-12b-102-c-500"),
    pytest.param({"US-DE": 501}, {"determined_at": DET}, {"us-de-12b-102/residents": end(DET, 60),
                 "us-de-12b-102/ag": end(DET, 60), **FTC}, id="de-12b-102-d-501-ag"),
    # 9 V.S.A. §2435(b)(1): 45 days after discovery; consumer reporting agencies above 1,000
    # and (b)(3)(A)(i): the AG's preliminary notice within 14 business days (Mon 2 Mar -> Fri 20 Mar, weekends skipped)
    pytest.param({"US-VT": 1000}, {}, {"us-vt-2435/residents": end(T0, 45), "us-vt-2435/ag": VT_AG, **FTC},
                 id="vt-2435-b-1-1000"),
    pytest.param({"US-VT": 1001}, {}, {"us-vt-2435/residents": end(T0, 45), "us-vt-2435/ag": VT_AG,
                 "us-vt-2435/cra": T0 + 72 * H, **FTC}, id="vt-2435-c-1001-cra"),
    # 10 M.R.S. §1348: 30 days; the AG or regulator whenever residents are told; CRAs above 1,000
    pytest.param({"US-ME": 2}, {}, {"us-me-1348/residents": end(T0, 30), "us-me-1348/state": end(T0, 30)},
                 id="me-1348-30-days"),
    pytest.param({"US-ME": 1001}, {}, {"us-me-1348/residents": end(T0, 30), "us-me-1348/state": end(T0, 30),
                 "us-me-1348/cra": T0 + 72 * H, **FTC}, id="me-1348-1001-cra"),
    # R.I. Gen. Laws §11-49.3-4(a)(2)(ii): 45 calendar days after confirmation; AG and CRAs above 500
    pytest.param({"US-RI": 500}, {"determined_at": DET}, {"us-ri-11-49-3-4/residents": end(DET, 45), **FTC},
                 id="ri-11-49-3-4-500"),
    pytest.param({"US-RI": 501}, {"determined_at": DET}, {"us-ri-11-49-3-4/residents": end(DET, 45),
                 "us-ri-11-49-3-4/ag-cra": end(DET, 45), **FTC}, id="ri-11-49-3-4-501-ag-cra"),
    # Tenn. Code Ann. §47-18-2107: 45 days from discovery; CRAs above 1,000
    pytest.param({"US-TN": 1000}, {}, {"us-tn-47-18-2107/residents": end(T0, 45), **FTC}, id="tn-47-18-2107-1000"),
    pytest.param({"US-TN": 1001}, {}, {"us-tn-47-18-2107/residents": end(T0, 45),
                 "us-tn-47-18-2107/cra": T0 + 72 * H, **FTC}, id="tn-47-18-2107-1001-cra"),
    # Ohio Rev. Code §1349.19(B)(2): 45 days after discovery; (G): CRAs above 1,000
    pytest.param({"US-OH": 3}, {}, {"us-oh-1349-19/residents": end(T0, 45)}, id="oh-1349-19-45-days"),
    pytest.param({"US-OH": 1001}, {}, {"us-oh-1349-19/residents": end(T0, 45), "us-oh-1349-19/cra": T0 + 72 * H,
                 **FTC}, id="oh-1349-19-1001-cra"),
    # Wis. Stat. §134.98(3)(a): not to exceed 45 days; (2)(br): CRAs at 1,000 or more
    pytest.param({"US-WI": 999}, {}, {"us-wi-134-98/residents": end(T0, 45), **FTC}, id="wi-134-98-999"),
    pytest.param({"US-WI": 1000}, {}, {"us-wi-134-98/residents": end(T0, 45), "us-wi-134-98/cra": T0 + 72 * H, **FTC},
                 id="wi-134-98-1000-cra"),
    # Md. Code, Com. Law §14-3504(b)(3): 45 days after discovery; (h): the AG first; §14-3506: CRAs at 1,000
    pytest.param({"US-MD": 4}, {}, {"us-md-14-3504/ag": end(T0, 45), "us-md-14-3504/residents": end(T0, 45)},
                 id="md-14-3504-45-days-ag-first"),
    pytest.param({"US-MD": 1000}, {}, {"us-md-14-3504/ag": end(T0, 45), "us-md-14-3504/residents": end(T0, 45),
                 "us-md-14-3504/cra": T0 + 72 * H, **FTC}, id="md-14-3506-1000-cra"),
    # SDCL §22-40-20: 60 days from discovery; the AG for any breach that exceeds 250 residents (no deadline given)
    pytest.param({"US-SD": 250}, {}, {"us-sd-22-40-20/residents": end(T0, 60)}, id="sd-22-40-20-250"),
    pytest.param({"US-SD": 251}, {}, {"us-sd-22-40-20/residents": end(T0, 60), "us-sd-22-40-20/ag": T0 + 72 * H},
                 id="sd-22-40-20-251-ag"),
    # Ind. Code §24-4.9-3-3 (P.L.171-2022): 45 days after discovery; §24-4.9-3-1(c) AG always, (b) CRAs above 1,000
    pytest.param({"US-IN": 1000}, {}, {"us-in-24-4-9/residents": end(T0, 45), "us-in-24-4-9/ag": end(T0, 45), **FTC},
                 id="in-24-4-9-3-1000"),
    pytest.param({"US-IN": 1001}, {}, {"us-in-24-4-9/residents": end(T0, 45), "us-in-24-4-9/ag": end(T0, 45),
                 "us-in-24-4-9/cra": end(T0, 45), **FTC}, id="in-24-4-9-3-1-b-1001-cra"),
    # La. R.S. 51:3074(E): 60 days from discovery; LAC 16:III.701(B): the AG within 10 days of the residents' notice
    pytest.param({"US-LA": 7}, {}, {"us-la-51-3074/residents": end(T0, 60),
                 "us-la-51-3074/ag": end(end(T0, 60), 10)}, id="la-51-3074-60-days-ag-10-after"),
    # Ala. Code §8-38-5(b): 45 days from determination; §8-38-6 AG and §8-38-7 CRAs above 1,000
    pytest.param({"US-AL": 1000}, {"determined_at": DET}, {"us-al-8-38/individuals": end(DET, 45), **FTC},
                 id="al-8-38-5-1000"),
    pytest.param({"US-AL": 1001}, {"determined_at": DET}, {"us-al-8-38/individuals": end(DET, 45),
                 "us-al-8-38/ag": end(DET, 45), "us-al-8-38/cra": DET + 72 * H, **FTC}, id="al-8-38-6-1001-ag-cra"),
    # D.C. Code §28-3852: no number (the firm's target); the AG at 50 residents; CRAs above 1,000
    pytest.param({"US-DC": 49}, {}, {"us-dc-28-3852/residents": T0 + 72 * H}, id="dc-28-3852-49"),
    pytest.param({"US-DC": 50}, {}, {"us-dc-28-3852/residents": T0 + 72 * H, "us-dc-28-3852/ag": T0 + 72 * H},
                 id="dc-28-3852-50-ag"),
    # 10 L.P.R.A. §4052: the Department of Consumer Affairs within a non-extendable 10 days of detection
    pytest.param({"US-PR": 1}, {}, {"us-pr-4052/daco": end(T0, 10), "us-pr-4052/residents": T0 + 72 * H},
                 id="pr-4052-daco-10-days"),
    # Iowa Code §715C.2(8): the AG within 5 business days after the residents are told, when more than 500
    pytest.param({"US-IA": 500}, {}, {"us-ia-715c-2/residents": T0 + 72 * H, **FTC}, id="ia-715c-2-500"),
    pytest.param({"US-IA": 501}, {}, {"us-ia-715c-2/residents": T0 + 72 * H,  # Thu 5 Mar + 5 business days
                 "us-ia-715c-2/ag": datetime(2026, 3, 12, 23, 59, 59, tzinfo=UTC), **FTC}, id="ia-715c-2-8-501-ag"),
]


@pytest.mark.parametrize(("affected", "extra", "expected"), STATE_CASES)
def test_more_us_state_clocks(book, affected, extra, expected):
    assert applicable(book, facts(affected, **extra)) == expected


STATES = ("US-DE", "US-VT", "US-ME", "US-RI", "US-TN", "US-OH", "US-WI", "US-MD", "US-SD", "US-IN", "US-LA", "US-AL",
          "US-DC", "US-PR", "US-IA")


def test_each_state_exempts_encrypted_data_and_reads_its_own_data_list(book):
    for code in STATES:
        assert applicable(book, facts({code: 5}, encrypted=True, key_safe=True)) == {}, code
        assert applicable(book, facts({code: 5}, data=("name", "contact"))) == {}, code
        assert applicable(book, facts({code: 5}, data=("name", "tax_id"))), code
    # login credentials: Delaware, Vermont, Maine, Rhode Island, Maryland, South Dakota, Alabama, DC, Puerto Rico name
    # them; Tennessee, Ohio, Wisconsin, Indiana and Louisiana do not
    with_logins = {code for code in STATES if applicable(book, facts({code: 5}, data=("name", "login_credentials")))}
    assert with_logins == {"US-DE", "US-VT", "US-ME", "US-RI", "US-MD", "US-SD", "US-AL", "US-DC", "US-PR", "US-IA"}


def test_every_new_state_cites_a_section_and_says_where_it_was_checked(book):
    for regime in book.regimes.values():
        if regime.jurisdiction in STATES:
            assert "§" in regime.citation.en and "第" in regime.citation.zh, regime.key
            assert regime.source.en and regime.verified_on, regime.key
    # entries whose sections were not read in the statute's own text say so, for counsel
    for key in ("us-me-1348", "us-wi-134-98", "us-oh-1349-19", "us-dc-28-3852", "us-al-8-38", "us-md-14-3504",
                "us-ia-715c-2"):
        assert "unverified, confirm with counsel" in book.regimes[key].source.en, key
        assert "未核实，请与律师确认" in book.regimes[key].source.zh, key


def test_delaware_counts_from_determination_and_its_no_harm_exception_closes_the_notices(book):
    waiting = {r.clock_id: r for r in evaluate(book, facts({"US-DE": 600}))}
    assert waiting["us-de-12b-102/residents"].applies and waiting["us-de-12b-102/residents"].due_at is None
    assert "record when the firm determined that a breach occurred" in render(waiting["us-de-12b-102/residents"].reason, "en")
    decided = {"us-de-12b-102": NoHarmDecision(at=DET, by="erin", reason="laptop recovered sealed")}
    after = {r.clock_id: r for r in evaluate(book, facts({"US-DE": 600}, determined_at=DET, no_harm=decided))}
    assert not after["us-de-12b-102/residents"].applies and after["us-de-12b-102/residents"].decided
    assert not after["us-de-12b-102/ag"].applies


def test_delaware_and_vermont_processors_tell_the_owner_at_once(book):
    # 6 Del. C. §12B-102(b) "immediately following determination"; 9 V.S.A. §2435(b)(2) "immediately following discovery"
    found = applicable(book, facts({"US-DE": 5, "US-VT": 5}, determined_at=DET, on_behalf=True))
    assert found["us-de-12b-102/owner"] == DET + 24 * H and found["us-vt-2435/owner"] == T0 + 24 * H
    assert "us-de-12b-102/owner" not in applicable(book, facts({"US-DE": 5}, determined_at=DET))


def test_louisiana_ag_counts_from_the_residents_notice_once_recorded(book):
    told = T0 + 3 * timedelta(days=1)
    found = applicable(book, facts({"US-LA": 7}, notified={"us-la-51-3074/residents": told}))
    assert found["us-la-51-3074/ag"] == end(told, 10)


def test_iowa_ag_counts_five_business_days_from_the_residents_notice(book):
    told = datetime(2026, 3, 6, 15, tzinfo=UTC)  # a Friday: Mon-Fri of the next week are the five
    found = applicable(book, facts({"US-IA": 600}, notified={"us-ia-715c-2/residents": told}))
    assert found["us-ia-715c-2/ag"] == datetime(2026, 3, 13, 23, 59, 59, tzinfo=UTC)
