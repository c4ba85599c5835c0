"""Why a clock applies or not, in plain English and plain Chinese: no English left in a Chinese workspace."""

from __future__ import annotations

import itertools
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from bot.law.conditions import NoHarmDecision
from bot.law.reasons import PREFIX, Reason, as_data, render
from bot.law.regimes import (
    CAC_LEVELS,
    DATA_CATEGORIES,
    FIRM_PROFILES,
    RESIDENCES,
    IncidentFacts,
    RegimeError,
    evaluate,
    load_regimes,
)
from bot.report.export import as_dict
from bot.settings import DEFAULT_REGIMES
from bot.text.i18n import catalogue
from handlers.cli import main
from storage.db import make_engine, upgrade
from storage.models import Incident, Workspace
from tests.conftest import joined, make_console

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
# Abbreviations a Chinese reader meets as they are, in titles, audiences and notes (never in reasons).
ABBREVIATIONS = frozenset({"GDPR", "PIPEDA", "FTC", "ICO", "OAIC", "PDPC", "DFS", "FBI", "TFN"})
# A hint may quote the command to type; the command is the same in every language.
COMMAND = re.compile(r"/breach (?:facts --[a-z-]+|事实 --\S+)")

# Clocks that reach the reasons the default regimes never give (every code alone, every flag, a
# `not`, several places at once, a firm target without a quote from the law, every data category).
CONDITIONS = {
    "anywhere": '{affected: {in: ["*"], at_least: 1}}',
    "other-us": "{affected: {in: [US], at_least: 1}}",
    "not-crime": "{not: {crime_suspected: true}}",
    "encrypted": "{encrypted: true}",
    "key-safe": "{key_safe: true}",
    "ransom": "{ransom_paid: true}",
    "data": f"{{data: {{any_of: [{', '.join(DATA_CATEGORIES)}]}}}}",
}
EVERY_REASON = """\
regimes:
  - key: every-reason
    jurisdiction: EU
    title: {en: Every reason, zh: 所有理由}
    citation: {en: Test Act s. 1, zh: 测试法第1条}
    source: {en: Test Act (official gazette), zh: 测试法（官方公报）}
    verified_on: 2026-12-01
    clocks:
""" + "".join(f"""\
      - id: {name}
        audience: {{en: Regulator, zh: 监管机构}}
        starts: aware
        deadline: none
        firm_target: 72h
        when: {condition}
        content: []
""" for name, condition in CONDITIONS.items())


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    extra = tmp_path_factory.mktemp("regimes") / "every.yaml"
    extra.write_text(EVERY_REASON, encoding="utf-8")
    return load_regimes([DEFAULT_REGIMES, extra])


def english_words(text: str, allowed: frozenset[str] = frozenset()) -> list[str]:
    """Latin-letter words left in a Chinese text, apart from a command to type and the words allowed."""
    return [w for w in re.findall(r"[A-Za-z]+", COMMAND.sub("", text)) if w not in allowed]


def keys_of(why: Reason) -> set[str]:
    """Every catalogue key a reason uses, nested ones included."""
    found = {why.key}
    for part in why.parts:
        found |= keys_of(part)
    for _, value in why.values:
        if isinstance(value, tuple):
            found.add("join.items")  # a list of labels is joined with the language's list mark
        for item in value if isinstance(value, tuple) else (value,):
            if isinstance(item, Reason):
                found |= keys_of(item)
    return found


def every_case() -> list[IncidentFacts]:
    """Facts that between them take every branch of every condition."""
    every, many = {code: 1 for code in RESIDENCES}, {code: 1_000_000 for code in RESIDENCES}
    some = {"US-CA": 40, "US-TX": 300, "SG": 600, "JP": 2000, "CN": 1200}
    cases = [IncidentFacts(aware_at=T0, affected=affected, data_categories=frozenset(data))
             for affected in ({}, every, many, some) for data in ((), ("name", "bank_account"), DATA_CATEGORIES)]
    encryption = [(None, None), (False, None), (True, None), (True, False), (True, True)]
    for (encrypted, key_safe), flag in itertools.product(encryption, (None, False, True)):
        cases.append(IncidentFacts(aware_at=T0, affected=many, data_categories=frozenset(DATA_CATEGORIES),
                                   encrypted=encrypted, key_safe=key_safe, crime_suspected=flag, ransom_paid=flag, on_behalf=flag,
                                   firm_profile=frozenset(FIRM_PROFILES)))
    for profile, level, recorded in itertools.product(
            ((), ("cii_operator",), ("central_organ",), ("eu_targeting",), ("eu_outside",), FIRM_PROFILES),
            (None, *CAC_LEVELS), (False, True)):
        when = T0 + timedelta(days=2) if recorded else None
        cases.append(IncidentFacts(aware_at=T0, affected=every, data_categories=frozenset({"bank_account"}),
                                   firm_profile=frozenset(profile), cac_level=level, determined_at=when,
                                   assessed_at=when, handling_ended_at=when, ransom_paid_at=when))
    # a notice recorded: a clock counted from it (California's AG) says so
    cases.append(IncidentFacts(aware_at=T0, affected=many, data_categories=frozenset(DATA_CATEGORIES),
                               notified={"us-ca-1798-82/residents": T0 + timedelta(days=3)}))
    # no-harm decisions recorded (a Chinese workspace's people and reasons): notices closed, filings opened
    decision = NoHarmDecision(at=T0 + timedelta(days=1), by="张律师", reason="内部误发给本所审计师，已删除")
    cases.append(IncidentFacts(aware_at=T0, affected=many, data_categories=frozenset(DATA_CATEGORIES),
                               no_harm=dict.fromkeys(("eu-gdpr-33", "uk-gdpr-33", "us-ny-899aa", "us-fl-501-171"),
                                                     decision)))
    return cases


def test_every_reason_text_in_the_catalogue_is_chinese_in_chinese():
    zh = {k: v for k, v in catalogue("zh").items() if k.startswith(PREFIX)}
    assert len(zh) > 80
    english = {k: english_words(re.sub(r"\{[^}]*\}", "", v)) for k, v in zh.items()}
    assert {k: words for k, words in english.items() if words} == {}


def test_every_reason_the_engine_gives_is_plain_in_both_languages(book):
    used: set[str] = set()
    english_left, codes_left = {}, {}
    for case in every_case():
        for result in evaluate(book, case):
            used |= keys_of(result.reason)
            zh, en = render(result.reason, "zh"), render(result.reason, "en")
            if english_words(zh):
                english_left[zh] = result.clock_id
            if re.search(r"\b[a-z]+_[a-z_]+\b", en):  # a code such as bank_account or cii_operator
                codes_left[en] = result.clock_id
    assert english_left == {}
    assert codes_left == {}
    # Between them the cases reach every reason text, so the two checks above saw all of them.
    assert used == {k.removeprefix(PREFIX) for k in catalogue("en") if k.startswith(PREFIX)}


def test_titles_audiences_notes_and_quotes_from_the_law_read_in_chinese(book):
    for regime in book.regimes.values():
        assert english_words(regime.title.zh, ABBREVIATIONS) == [], regime.key
        for clock in regime.clocks:
            assert english_words(clock.audience.zh, ABBREVIATIONS) == [], clock.id
            assert clock.note is None or english_words(clock.note.zh, ABBREVIATIONS) == [], clock.id
            assert clock.law_says is None or english_words(clock.law_says.zh) == [], clock.id


def test_a_reason_keeps_a_stable_machine_readable_form(book):
    case = IncidentFacts(aware_at=T0, affected={"US-TX": 300}, data_categories=frozenset({"bank_account"}))
    tx = next(r for r in evaluate(book, case) if r.clock_id == "us-tx-521/ag")
    assert as_data(tx.reason) == {"join": "clauses", "parts": [
        {"join": "list", "parts": [
            {"key": "affected.at_least", "values": {"n": 300, "who": {"key": "who.US-TX", "values": {}}, "bound": 250}},
            {"key": "data.hit", "values": {"categories": [{"key": "category.bank_account", "values": {}}]}},
            {"key": "unencrypted.unknown", "values": {}},
        ]},
        {"key": "timing.unknown", "values": {"missing": {"key": "to_record.determination", "values": {}}}},
    ]}
    assert json.loads(json.dumps(as_data(tx.reason))) == as_data(tx.reason)  # JSON as it is


def test_a_group_named_in_english_only_is_refused(tmp_path):
    path = tmp_path / "firm.yaml"
    path.write_text(EVERY_REASON.replace('in: ["*"], at_least: 1', 'in: ["*"], at_least: 1, who: everyone'),
                    encoding="utf-8")
    with pytest.raises(RegimeError) as caught:
        load_regimes([DEFAULT_REGIMES, path])
    assert str(caught.value) == (
        f"{path}:14: regime 'every-reason': clocks.0.when: affected: who needs en and zh text, "
        "such as {en: US consumers, zh: 美国消费者}; not 'everyone'")


@pytest.mark.parametrize("field", ["law_says: immediately", "note: Tell the DPO too."])
def test_a_quote_or_note_in_english_only_is_refused(tmp_path, field):
    path = tmp_path / "firm.yaml"
    path.write_text(EVERY_REASON.replace("        content: []\n", f"        content: []\n        {field}\n"),
                    encoding="utf-8")
    with pytest.raises(RegimeError) as caught:
        load_regimes([DEFAULT_REGIMES, path])
    key, _, typed = field.partition(": ")
    assert (f"regime 'every-reason': clocks.0.{key}: must be a mapping (one `key: value` a line), not {typed!r}"
            in str(caught.value))


def test_a_chinese_workspace_explains_every_clock_in_chinese(sqlite_engine):
    console = make_console(sqlite_engine, lang="zh", roster={"legal": ["erin"]})
    console.say("li", "/breach 宣布 客户银行账户泄露 --data bank_account,name")
    console.say("erin", "/breach affected CN=1200 US-CA=40 US-TX=300", "breach-1")
    console.say("erin", "/breach facts --crime yes", "breach-1")
    listing = joined(console.say("erin", "/breach clocks --all", "breach-1"))
    rows = {line.split(" · ")[0]: line for line in listing.splitlines() if " · " in line and "/" in line.split(" ")[0]}
    assert rows["us-tx-521/ag"].endswith(
        " · 待确定 · 德克萨斯州居民300人（不少于250人），涉及银行账户，是否加密未知（按未加密处理）；"
        "到期时间待定：请记录本所确认发生泄露的时间（/breach 事实 --确认时间 <时间>）")
    assert rows["us-ftc-safeguards/ftc"].endswith(" · 不适用 · 美国消费者少于500人（340人）")
    assert rows["eu-gdpr-33/authority"].endswith(" · 不适用 · 不涉及欧盟居民")
    assert rows["cn-cac-report/first"].endswith(" · 不适用 · 中国大陆居民少于1,000,000人（1,200人）；未手动设定网络安全事件级别")
    assert rows["us-irs-taxpro/report"].endswith(" · 不适用 · 本所不属于美国报税服务提供者")
    assert "— 采取的措施能够有效避免信息泄露造成危害的，可以不通知个人" in listing  # the PIPL note, in Chinese
    for clock_id, row in rows.items():
        status, why = row.split(" · ")[-2:]
        if status in ("不适用", "待确定"):
            assert english_words(why) == [], (clock_id, why)
    notes = [line.split(" — ", 1)[1] for line in listing.splitlines() if line.startswith("    ") and " — " in line]
    assert len(notes) >= 8 and [n for n in notes if english_words(n, ABBREVIATIONS)] == []

    console.say("erin", "/breach facts --determined 2026-11-28 10:05", "breach-1")
    listing = joined(console.say("erin", "/breach clocks", "breach-1"))
    assert "us-tx-521/ag" in listing and "到期时间待定" not in listing


def test_the_export_gives_the_reason_in_the_workspace_language_and_as_data(sqlite_engine):
    console = make_console(sqlite_engine, lang="zh", roster={"legal": ["erin"]})
    console.say("li", "/breach 宣布 客户银行账户泄露 --data bank_account,name")
    console.say("erin", "/breach affected US-CA=40", "breach-1")
    console.say("erin", "/breach facts --encrypted no", "breach-1")
    with Session(sqlite_engine) as s:
        incident = s.exec(select(Incident)).one()
        ws = s.get(Workspace, incident.workspace_id)
        args = dict(incident=incident, playbook=console.bot.playbook, ws=ws, now=console.clock.now(),
                    regimes=console.bot.regimes)
        zh, en = as_dict(s, **args), as_dict(s, **args, lang="en")
    ca_zh = next(c for c in json.loads(json.dumps(zh))["clocks"] if c["id"] == "us-ca-1798-82/residents")
    ca_en = next(c for c in en["clocks"] if c["id"] == "us-ca-1798-82/residents")
    assert ca_zh["reason"] == "加利福尼亚州居民40人，涉及银行账户，未加密"
    assert ca_en["reason"] == "40 California residents, bank accounts, unencrypted"
    assert ca_zh["reason_code"] == ca_en["reason_code"]
    assert ca_zh["reason_code"]["join"] == "list"


def test_the_cli_export_speaks_the_language_asked_and_still_verifies(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'export.db'}"
    engine = make_engine(url)
    upgrade(engine)
    console = make_console(engine)
    console.say("alice", "/breach declare Client bank accounts exposed --data bank_account,name")
    console.say("alice", "/breach affected US-CA=40", "breach-1")
    console.say("alice", "/breach facts --encrypted no", "breach-1")
    out = tmp_path / "br1-zh.json"
    assert main(["export", "BR-1", "--db", url, "--format", "json", "--lang", "zh", "--out", str(out)]) == 0
    clocks = {c["id"]: c for c in json.loads(out.read_text(encoding="utf-8"))["clocks"]}
    assert clocks["us-ca-1798-82/residents"]["reason"] == "加利福尼亚州居民40人，涉及银行账户，未加密"
    assert clocks["eu-gdpr-33/authority"]["reason"] == "不涉及欧盟居民"
    capsys.readouterr()
    assert main(["verify", "BR-1", "--db", url, "--export", str(out)]) == 0
    assert f"{out} matches the database" in capsys.readouterr().out
    engine.dispose()
