"""GDPR Art. 33 follows where the firm stands towards the EU (Art. 3): established (a lead authority, Art. 56(1)),
targeting people there without an establishment (every authority where affected people live, EDPB Guidelines 9/2022
para. 73), outside, or not said (no establishment is known, so no lead authority: every authority, asking for the
flag)."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from bot.law.conditions import NoHarmDecision, eu_scope
from bot.law.reasons import render
from bot.law.regimes import evaluate, load_regimes
from bot.settings import FirmConfig
from storage.models import Draft, FirmSettings
from tests.conftest import joined, make_console, said
from tests.test_regimes import DEFAULT, T0, H, applicable, facts


@pytest.fixture(scope="module")
def book():
    return load_regimes([DEFAULT])


def gdpr(book, profile: tuple[str, ...], **kwargs) -> dict:
    found = applicable(book, facts({"EU": 5}, firm_profile=frozenset(profile), **kwargs))
    return {k: v for k, v in found.items() if k.startswith("eu-gdpr")}


def results(book, profile: tuple[str, ...]) -> dict:
    return {r.clock_id: r for r in evaluate(book, facts({"EU": 5}, firm_profile=frozenset(profile)))}


@pytest.mark.parametrize(("profile", "expected"), [
    # Art. 3(1) and Art. 56: an establishment in the EU -- one lead supervisory authority
    pytest.param(("eu_established",), {"eu-gdpr-33/authority": T0 + 72 * H, "eu-gdpr-34/individuals": T0 + 72 * H},
                 id="gdpr-3-1-established-lead-authority"),
    # Art. 3(2): no establishment, goods or services offered to people in the EU -- every authority where they live
    pytest.param(("eu_targeting",), {"eu-gdpr-33/authorities": T0 + 72 * H, "eu-gdpr-34/individuals": T0 + 72 * H},
                 id="gdpr-3-2-targeting-every-authority"),
    # Art. 3: neither -- outside the territorial scope, no GDPR clock
    pytest.param(("eu_outside",), {}, id="gdpr-3-outside"),
    # not said: the GDPR still applies (never silence), but only an EU establishment gives a lead authority
    # (Art. 56(1)): every authority where affected people live, and the reason asks for the flag
    pytest.param((), {"eu-gdpr-33/authorities": T0 + 72 * H, "eu-gdpr-34/individuals": T0 + 72 * H},
                 id="gdpr-3-unknown-every-authority"),
    # an establishment wins over targeting
    pytest.param(("eu_targeting", "eu_established"), {"eu-gdpr-33/authority": T0 + 72 * H,
                 "eu-gdpr-34/individuals": T0 + 72 * H}, id="gdpr-3-1-wins"),
])
def test_the_gdpr_authority_clock_follows_the_firms_place_towards_the_eu(book, profile, expected):
    assert gdpr(book, profile) == expected


def test_the_reason_says_why_in_both_languages(book):
    established = results(book, ("eu_established",))["eu-gdpr-33/authority"]
    assert "the firm is established in the EU (GDPR Art. 3(1)): one lead supervisory authority (Art. 56)" in render(
        established.reason, "en")
    targeting = results(book, ("eu_targeting",))
    why = render(targeting["eu-gdpr-33/authorities"].reason, "en")
    assert "no EU establishment (GDPR Art. 3(2)): no one-stop shop, every authority where affected people live" in why
    assert "须通知受影响者所在各成员国的监管机构" in render(targeting["eu-gdpr-33/authorities"].reason, "zh")
    assert "EDPB Guidelines 9/2022" in targeting["eu-gdpr-33/authorities"].citation.en
    assert not targeting["eu-gdpr-33/authority"].applies
    assert "no EU establishment" in render(targeting["eu-gdpr-33/authority"].reason, "en")
    unknown = results(book, ())
    assert not unknown["eu-gdpr-33/authority"].applies
    assert ("the firm profile does not say that the firm is established in the EU: the GDPR is assumed to apply (Art. 3), "
            "with no lead authority, which only an EU establishment gives (Art. 56(1)): every authority where affected "
            "people live") in render(unknown["eu-gdpr-33/authorities"].reason, "en")
    assert "只有在欧盟设有营业机构才有牵头监管机构（第56条第1款）" in render(unknown["eu-gdpr-33/authorities"].reason, "zh")
    outside = results(book, ("eu_outside",))["eu-gdpr-34/individuals"]
    assert not outside.applies and "outside the GDPR" in render(outside.reason, "en")


def test_outside_the_gdpr_no_owner_clock_and_a_no_harm_decision_closes_every_authority_clock(book):
    assert "eu-gdpr-33/owner" not in gdpr(book, ("eu_outside",), on_behalf=True)
    assert "eu-gdpr-33/owner" in gdpr(book, ("eu_targeting",), on_behalf=True)
    decided = {"eu-gdpr-33": NoHarmDecision(at=T0 + H, by="erin", reason="sent to our own auditor, deleted")}
    closed = {r.clock_id: r for r in evaluate(book, facts({"EU": 5}, firm_profile=frozenset({"eu_targeting"}),
                                                         no_harm=decided))}
    assert not closed["eu-gdpr-33/authorities"].applies and closed["eu-gdpr-33/authorities"].decided


def test_eu_scope_reads_the_profile():
    assert [eu_scope(frozenset(p)) for p in ((), ("eu_outside",), ("eu_targeting", "eu_outside"), ("eu_established",))] \
        == ["unknown", "outside", "targeting", "established"]


def test_a_firm_says_it_has_no_eu_establishment_and_the_war_room_sees_every_authority(sqlite_engine):
    console = make_console(sqlite_engine, lang="en", roster={"legal": ["erin"]})
    console.bot.firm = FirmConfig(admins=["alice"], roster={"legal": ["erin"]})
    refused = said(console, "alice", "/breach config profile eu_established eu_outside", "general")
    assert refused.startswith("“eu_established eu_outside” says more than one thing about the EU. Choose one:")
    assert refused.endswith("Nothing was changed.")
    assert said(console, "alice", "/breach config profile us_tax_preparer eu_targeting", "general").startswith(
        "Settings: profile is now")
    with Session(sqlite_engine) as s:
        assert s.exec(select(FirmSettings)).one().values["profile"] == ["us_tax_preparer", "eu_targeting"]
    console.say("alice", "/breach declare Payroll exported by mistake --data bank_account,name", "general")
    sent = joined(console.say("erin", "/breach affected EU=3", "breach-1"))
    assert "GDPR: notify the supervisory authority (The supervisory authority of each member state" in sent
    assert "(Lead supervisory authority" not in sent
    listing = joined(console.say("erin", "/breach clocks", "breach-1"))
    assert ("eu-gdpr-33/authorities · GDPR: notify the supervisory authority → The supervisory authority of each "
            "member state where affected people live (no EU establishment, or none in the firm profile): the member state of 3 "
            "people is not recorded yet: type it, e.g. /breach affected DE=3 FR=2 · pending") in listing
    assert "EDPB Guidelines 9/2022 (v2.0, 28 March 2023) para. 73" in listing
    everything = joined(console.say("erin", "/breach clocks --all", "breach-1"))
    lead = next(line for line in everything.splitlines() if line.startswith("eu-gdpr-33/authority ·"))
    assert "not applicable" in lead and "with no EU establishment (GDPR Art. 3(2)): no one-stop shop" in lead
    said(console, "alice", "/breach config lang zh", "general")
    zh = joined(console.say("alice", "/breach 配置 类型 欧盟设立 面向欧盟", "general"))
    assert "请只选一项" in zh and "没有做任何更改" in zh


@pytest.mark.parametrize("profile", [("eu_established",), ("eu_targeting",), ()])
def test_a_processor_tells_its_controller_not_the_authorities_or_the_people(book, profile):
    # GDPR Art. 33(1) and 34(1) bind the controller; Art. 33(2): the processor notifies the controller without undue
    # delay. A firm holding the data on its clients' behalf owes the owner clock alone.
    held = gdpr(book, profile, on_behalf=True)
    assert set(held) == {"eu-gdpr-33/owner"}
    why = {r.clock_id: render(r.reason, "en") for r in evaluate(book, facts({"EU": 5}, firm_profile=frozenset(
        profile), on_behalf=True))}
    for clock in ("eu-gdpr-33/authorit" + ("y" if profile == ("eu_established",) else "ies"), "eu-gdpr-34/individuals"):
        assert why[clock].endswith("the data is held on behalf of clients (the firm is their service provider)"), why[clock]
    own = gdpr(book, profile, on_behalf=False)
    assert "eu-gdpr-34/individuals" in own and "eu-gdpr-33/owner" not in own


def test_uk_gdpr_too_leaves_the_ico_and_the_people_to_the_controller(book):
    held = {k for k in applicable(book, facts({"UK": 5}, on_behalf=True)) if k.startswith("uk-gdpr")}
    assert held == {"uk-gdpr-33/owner"}
    assert "uk-gdpr-33/ico" in applicable(book, facts({"UK": 5}, on_behalf=False))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_processor_s_gdpr_regulator_notice_is_refused_naming_its_reason(sqlite_engine, lang):
    console = make_console(sqlite_engine, roster={"legal": ["erin"]}, lang=lang)
    console.say("alice", "/breach declare Payroll leak --data payroll --clients 4", "general")
    said(console, "erin", "/breach affected DE=30" if lang == "en" else "/breach 影响 德国=30")
    said(console, "erin", "/breach facts --on-behalf yes --encrypted no" if lang == "en" else
         "/breach 事实 --受托 是 --加密 否")
    refused = said(console, "erin", "/breach draft regulator --regime GDPR" if lang == "en" else
                   "/breach 起草 监管报告 --法规 GDPR")
    assert ("the data is held on behalf of clients (the firm is their service provider)" if lang == "en" else
            "数据系受客户委托处理（本所为受托处理方）") in refused, refused
    with Session(sqlite_engine) as session:
        assert session.exec(select(Draft)).first() is None
