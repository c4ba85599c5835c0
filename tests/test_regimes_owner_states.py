"""The legal notification clocks, continued: clocks owed to the client that owns the data, no-harm decisions
and the US state clocks (the shared cases and helpers are in test_regimes)."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.law.conditions import NoHarmDecision
from bot.law.reasons import render
from bot.law.regimes import evaluate, load_regimes
from tests.test_regimes import (
    DEFAULT,
    DET,
    FTC,
    T0,
    H,
    applicable,
    end,
    facts,
    result,
)


@pytest.fixture(scope="module")
def book():
    return load_regimes([DEFAULT])


OWNER_CASES = [
    # GDPR Art. 33(2): processor to controller "without undue delay" (the firm's 24 h target, not the law's)
    pytest.param({"EU": 3}, {}, "eu-gdpr-33/owner", T0 + 24 * H, False, id="gdpr-33-2-processor"),
    # UK GDPR Art. 33(2)
    pytest.param({"UK": 3}, {}, "uk-gdpr-33/owner", T0 + 24 * H, False, id="uk-gdpr-33-2-processor"),
    # Cal. Civ. Code §1798.82(b): "immediately following discovery"
    pytest.param({"US-CA": 2}, {}, "us-ca-1798-82/owner", T0 + 24 * H, False, id="ca-1798-82-b"),
    # NY GBL §899-aa(3): "immediately following discovery"
    pytest.param({"US-NY": 2}, {}, "us-ny-899aa/owner", T0 + 24 * H, False, id="ny-899aa-3"),
    # Tex. Bus. & Com. Code §521.053(c): "immediately after discovering"
    pytest.param({"US-TX": 2}, {}, "us-tx-521/owner", T0 + 24 * H, False, id="tx-521-053-c"),
    # Fla. Stat. §501.171(6)(a): third-party agent, no later than 10 days after determination
    pytest.param({"US-FL": 2}, {"determined_at": DET}, "us-fl-501-171/owner", end(T0, 10), True, id="fl-501-171-6-a"),
    # RCW 19.255.010(2): a person that maintains data it does not own notifies the owner "immediately following
    # discovery" (the firm's 24 h target)
    pytest.param({"US-WA": 3}, {}, "us-wa-19-255-010/owner", T0 + 24 * H, False, id="wa-19-255-010-2"),
    # PDPA s. 26C(3)(a): data intermediary, without undue delay
    pytest.param({"SG": 2}, {}, "sg-pdpa-26d/owner", T0 + 24 * H, False, id="sg-26c-3-a"),
    # APPI Art. 26(1) proviso: the processor tells the entrusting business
    pytest.param({"JP": 2}, {}, "jp-appi-26/owner", T0 + 24 * H, False, id="appi-26-1-proviso"),
    # PIPL Arts. 21, 59: the entrusted party assists the handler
    pytest.param({"CN": 2}, {}, "cn-pipl-57/owner", T0 + 24 * H, False, id="pipl-21-59-entrusted"),
]


@pytest.mark.parametrize(("affected", "extra", "clock", "due", "hard"), OWNER_CASES)
def test_the_owner_clock_applies_only_when_data_is_held_on_behalf_of_clients(book, affected, extra, clock, due, hard):
    held = result(book, facts(affected, on_behalf=True, **extra), clock)
    assert (held.applies, held.due_at, held.hard_deadline) == (True, due, hard)
    assert "held on behalf of clients" in render(held.reason, "en")
    assert "受客户委托处理" in render(held.reason, "zh")
    for own in (False, None):  # the firm's own data, or not recorded: no owner clock
        assert not result(book, facts(affected, on_behalf=own, **extra), clock).applies
    assert "/breach facts --on-behalf" in render(result(book, facts(affected, **extra), clock).reason, "en")


def test_owner_clocks_name_the_owner_and_cite_the_service_provider_clause(book):
    incident = facts({"EU": 3, "US-FL": 2}, on_behalf=True, determined_at=DET)
    gdpr = result(book, incident, "eu-gdpr-33/owner")
    assert gdpr.audience_en.startswith("Each client that owns the data")
    assert (gdpr.citation.en, gdpr.citation.zh) == ("GDPR Art. 33(2)", "《通用数据保护条例》（GDPR）第33条第2款")
    assert "without undue delay" in render(gdpr.reason, "en")
    assert result(book, incident, "us-fl-501-171/owner").citation.en.startswith("Fla. Stat. §501.171(6)(a)")


def test_every_regime_whose_source_was_not_read_says_unverified_confirm_with_counsel(book):
    # the file's header: where the source was not the statute's own text, it says "unverified, confirm with counsel"
    # (RCW 19.255.010 said "the statute text itself not read" and nothing more: no list of keys caught it)
    unread = [key for key, regime in book.regimes.items() if "not read" in regime.source.en]
    assert "us-wa-19-255-010" in unread
    for key in unread:
        assert "unverified, confirm with counsel" in book.regimes[key].source.en, key
        assert "未核实，请与律师确认" in book.regimes[key].source.zh, key
    for regime in book.regimes.values():  # a clock's own citation likewise
        for clock in regime.clocks:
            if clock.citation and "not read" in clock.citation.en:
                assert "unverified, confirm with counsel" in clock.citation.en, f"{regime.key}/{clock.id}"


# Recorded no-harm decisions (#21 item 5): a decision closes the notices the exception covers and opens the filing.
def decided(*keys: str, at: datetime = DET) -> dict:
    return {key: NoHarmDecision(at=at, by="erin", reason="inadvertent email to our own auditor, deleted") for key in keys}


NO_HARM_CASES = [
    # Fla. Stat. §501.171(4)(c): notice to individuals not required; written determination to the Department in 30 days
    pytest.param({"US-FL": 40}, "us-fl-501-171", "us-fl-501-171/individuals", "us-fl-501-171/no-harm", end(DET, 30),
                 id="fl-501-171-4-c"),
    # NY GBL §899-aa(2)(a): inadvertent disclosure; the determination to the AG within 10 days when > 500 residents
    pytest.param({"US-NY": 501}, "us-ny-899aa", "us-ny-899aa/residents", "us-ny-899aa/no-harm", end(DET, 10),
                 id="ny-899aa-2-a-over-500"),
    # GDPR Art. 33(1) "unlikely to result in a risk": no notice to the authority, no filing (the Art. 33(5) record)
    pytest.param({"EU": 5}, "eu-gdpr-33", "eu-gdpr-33/authorities", None, None, id="gdpr-33-1-unlikely-risk"),
    # UK GDPR Art. 33(1): the same for the ICO
    pytest.param({"UK": 5}, "uk-gdpr-33", "uk-gdpr-33/ico", None, None, id="uk-gdpr-33-1-unlikely-risk"),
]


@pytest.mark.parametrize(("affected", "regime", "closed", "filing", "due"), NO_HARM_CASES)
def test_a_no_harm_decision_closes_the_notice_and_opens_the_filing(book, affected, regime, closed, filing, due):
    before = applicable(book, facts(affected))
    assert closed in before and (filing is None or filing not in before)
    after = {r.clock_id: r for r in evaluate(book, facts(affected, no_harm=decided(regime)))}
    assert (after[closed].applies, after[closed].decided) == (False, True)
    assert render(after[closed].reason, "en").endswith(
        "closed by the no-harm decision recorded by erin: inadvertent email to our own auditor, deleted")
    assert "已因erin记录的无害认定而免除" in render(after[closed].reason, "zh")
    if filing:
        assert (after[filing].applies, after[filing].due_at, after[filing].hard_deadline) == (True, due, True)
        assert "no-harm decision recorded by erin" in render(after[filing].reason, "en")


def test_no_harm_filings_follow_their_thresholds_and_other_notices_stay(book):
    # NY GBL §899-aa(2)(a): 500 residents or fewer, the determination is kept, not filed
    ny = applicable(book, facts({"US-NY": 500}, no_harm=decided("us-ny-899aa")))
    assert not {"us-ny-899aa/residents", "us-ny-899aa/state", "us-ny-899aa/no-harm"} & set(ny)
    # Fla. Stat. §501.171(3): the Department is still told of a breach affecting 500 or more Floridians
    fl = applicable(book, facts({"US-FL": 600}, no_harm=decided("us-fl-501-171")))
    assert fl["us-fl-501-171/ag"] == end(T0, 30) and "us-fl-501-171/individuals" not in fl
    # GDPR Art. 34 needs a high risk: a decision that there is no risk closes it too; Art. 33(2) (to the controller) stays
    eu = {r.clock_id: r for r in evaluate(book, facts({"EU": 5}, no_harm=decided("eu-gdpr-33")))}
    assert eu["eu-gdpr-34/individuals"].decided
    held = {r.clock_id: r for r in evaluate(book, facts({"EU": 5}, on_behalf=True, no_harm=decided("eu-gdpr-33")))}
    assert held["eu-gdpr-33/owner"].applies
    # one law's decision leaves the others alone
    assert "us-ny-899aa/residents" in applicable(book, facts({"US-NY": 5, "US-FL": 5}, no_harm=decided("us-fl-501-171")))


# Every US jurisdiction (#21 items 2 and 4): state laws modelled from their sections, each with an applies / does
# not apply pair and an exact due time; the consumer reporting agencies where a state names them.
STATE_CASES = [
    # Ariz. Rev. Stat. §18-552: 45 days from determination; AG and CRAs when more than 1,000 residents
    pytest.param({"US-AZ": 1000}, {"determined_at": DET}, {"us-az-18-552/residents": end(DET, 45), **FTC},
                 id="az-18-552-1000"),
    pytest.param({"US-AZ": 1001}, {"determined_at": DET}, {"us-az-18-552/residents": end(DET, 45),
                 "us-az-18-552/ag": end(DET, 45), "us-az-18-552/cra": DET + 72 * H, **FTC}, id="az-18-552-1001-ag-cra"),
    # Colo. Rev. Stat. §6-1-716: 30 days from determination; AG at 500; CRAs above 1,000
    pytest.param({"US-CO": 499}, {"determined_at": DET}, {"us-co-6-1-716/residents": end(DET, 30)}, id="co-6-1-716-499"),
    pytest.param({"US-CO": 500}, {"determined_at": DET}, {"us-co-6-1-716/residents": end(DET, 30),
                 "us-co-6-1-716/ag": end(DET, 30), **FTC}, id="co-6-1-716-500-ag"),
    # Conn. Gen. Stat. §36a-701b: 60 days from discovery; the AG no later than the residents
    pytest.param({"US-CT": 3}, {}, {"us-ct-36a-701b/residents": end(T0, 60), "us-ct-36a-701b/ag": end(T0, 60)},
                 id="ct-36a-701b-60-days"),
    # Or. Rev. Stat. §646A.604: 45 days from discovery; AG above 250
    pytest.param({"US-OR": 250}, {}, {"us-or-646a-604/residents": end(T0, 45)}, id="or-646a-604-250"),
    pytest.param({"US-OR": 251}, {}, {"us-or-646a-604/residents": end(T0, 45), "us-or-646a-604/ag": end(T0, 45)},
                 id="or-646a-604-251-ag"),
    # RCW 19.255.010: 30 days from discovery; AG above 500; a full date of birth with the name counts
    pytest.param({"US-WA": 500}, {}, {"us-wa-19-255-010/residents": end(T0, 30), **FTC}, id="wa-19-255-010-500"),
    pytest.param({"US-WA": 501}, {}, {"us-wa-19-255-010/residents": end(T0, 30), "us-wa-19-255-010/ag": end(T0, 30),
                 **FTC}, id="wa-19-255-010-501-ag"),
    # Tex. Bus. & Com. Code §521.053(h): consumer reporting agencies when more than 10,000 are notified
    pytest.param({"US-TX": 10000}, {"determined_at": DET}, {"us-tx-521/individuals": end(DET, 60),
                 "us-tx-521/ag": end(DET, 30), **FTC}, id="tx-521-053-h-10000"),
    pytest.param({"US-TX": 10001}, {"determined_at": DET}, {"us-tx-521/individuals": end(DET, 60),
                 "us-tx-521/ag": end(DET, 30), "us-tx-521/cra": DET + 72 * H, **FTC}, id="tx-521-053-h-10001-cra"),
    # 815 ILCS 530/10: residents without unreasonable delay (the firm's target, never the law's); AG above 500
    pytest.param({"US-IL": 500}, {}, {"us-il-530-10/residents": T0 + 72 * H, **FTC}, id="il-530-10-500"),
    pytest.param({"US-IL": 501}, {}, {"us-il-530-10/residents": T0 + 72 * H, "us-il-530-10/ag": T0 + 72 * H, **FTC},
                 id="il-530-10-501-ag"),
    # N.J. Stat. §56:8-163: the State Police before the residents; CRAs above 1,000
    pytest.param({"US-NJ": 1000}, {}, {"us-nj-56-8-163/police": T0 + 72 * H, "us-nj-56-8-163/residents": T0 + 72 * H,
                 **FTC}, id="nj-56-8-163-1000"),
    pytest.param({"US-NJ": 1001}, {}, {"us-nj-56-8-163/police": T0 + 72 * H, "us-nj-56-8-163/residents": T0 + 72 * H,
                 "us-nj-56-8-163/cra": T0 + 72 * H, **FTC}, id="nj-56-8-163-1001-cra"),
    # Mass. Gen. Laws ch. 93H §3: AG and OCABR, and the residents, as soon as practicable
    pytest.param({"US-MA": 2}, {}, {"us-ma-93h-3/state": T0 + 72 * H, "us-ma-93h-3/residents": T0 + 72 * H},
                 id="ma-93h-3"),
    # N.M. Stat. §57-12C-6: 45 calendar days from discovery; §57-12C-10: AG and CRAs above 1,000, 45 days
    pytest.param({"US-NM": 1000}, {}, {"us-nm-57-12c/residents": end(T0, 45), **FTC}, id="nm-57-12c-10-1000"),
    pytest.param({"US-NM": 1001}, {}, {"us-nm-57-12c/residents": end(T0, 45), "us-nm-57-12c/ag-cra": end(T0, 45),
                 **FTC}, id="nm-57-12c-10-1001-ag-cra"),
    # Fla. Stat. §501.171(5): consumer reporting agencies when more than 1,000
    pytest.param({"US-FL": 1000}, {}, {"us-fl-501-171/individuals": end(T0, 30), "us-fl-501-171/ag": end(T0, 30), **FTC},
                 id="fl-501-171-5-1000"),
    pytest.param({"US-FL": 1001}, {}, {"us-fl-501-171/individuals": end(T0, 30), "us-fl-501-171/ag": end(T0, 30),
                 "us-fl-501-171/cra": T0 + 72 * H, **FTC}, id="fl-501-171-5-1001-cra"),
]


@pytest.mark.parametrize(("affected", "extra", "expected"), STATE_CASES)
def test_us_state_clocks(book, affected, extra, expected):
    assert applicable(book, facts(affected, **extra)) == expected


def test_state_laws_exempt_encrypted_data_and_read_their_own_data_lists(book):
    for code in ("US-AZ", "US-CO", "US-CT", "US-OR", "US-WA", "US-IL", "US-NJ"):
        assert applicable(book, facts({code: 5}, encrypted=True, key_safe=True)) == {}, code
        assert applicable(book, facts({code: 5}, data=("name", "contact"))) == {}, code
        assert applicable(book, facts({code: 5}, data=("name", "login_credentials"))), code
    # RCW 19.255.010(1): a full date of birth with the name is personal information in Washington only
    assert list(applicable(book, facts({"US-WA": 5, "US-OR": 5}, data=("name", "date_of_birth")))) == [
        "us-wa-19-255-010/residents"]
    cra = result(book, facts({"US-TX": 20000}, determined_at=DET), "us-tx-521/cra")
    assert (cra.hard_deadline, cra.citation.en) == (False, "Tex. Bus. & Com. Code §521.053(h)")
    assert "without unreasonable delay" in render(cra.reason, "en") and "不得无理拖延" in render(cra.reason, "zh")


def test_without_unreasonable_delay_is_the_firms_target_and_says_so(book):
    # 815 ILCS 530/10(a): "in the most expedient time possible and without unreasonable delay" -- no number
    il = result(book, facts({"US-IL": 5}), "us-il-530-10/residents")
    assert (il.applies, il.hard_deadline, il.due_at) == (True, False, T0 + 72 * H)
    assert "no number in the law (in the most expedient time possible and without unreasonable delay)" in render(
        il.reason, "en")
    assert "法律未规定具体时限（以最快的方式、不得无理拖延）" in render(il.reason, "zh")
    # Mass. Gen. Laws ch. 93H: login credentials alone are not personal information there
    assert applicable(book, facts({"US-MA": 5}, data=("name", "login_credentials"))) == {}
