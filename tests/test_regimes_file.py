"""The regimes file: its format errors name file, line, key and problem; a firm's file overrides by key."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.law.regimes import RegimeError, load_regimes
from tests.test_regimes import DEFAULT, T0, H, applicable, end, facts, why

MINIMAL = """\
disclaimer: {en: Not legal advice, zh: 非法律意见}
regimes:
  - key: test-regime
    jurisdiction: EU
    title: {en: Test, zh: 测试}
    citation: {en: Test Act s. 1, zh: 测试法第1条}
    clocks:
      - id: main
        audience: {en: Regulator, zh: 监管机构}
        starts: aware
        deadline: 72h
        when: {affected: {in: [EU], at_least: 1}}
        content: [what happened]
    source: {en: Test Act (official gazette), zh: 测试法（官方公报）}
    verified_on: 2026-12-01
"""


def write(tmp_path: Path, text: str, name: str = "regimes.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("old", "new", "problem"), [
    pytest.param("        audience: {en: Regulator, zh: 监管机构}\n", "",
                 ":8: regime 'test-regime': clocks.0.audience: missing: add it", id="missing-field"),
    # a citation is read in the workspace's language, like title: English alone is refused
    pytest.param("citation: {en: Test Act s. 1, zh: 测试法第1条}", "citation: Test Act s. 1",
                 ":6: regime 'test-regime': citation.zh: missing: add it", id="citation-without-chinese"),
    pytest.param("deadline: 72h", "deadline: three days",
                 ":11: regime 'test-regime': clocks.0.deadline: must be a duration such as 90m, 4h, 30d or 14bd, not 'three days'",
                 id="bad-duration"),
    pytest.param("{affected: {in: [EU], at_least: 1}}", "{all: [{affected: {in: [EU], at_least: 1}}, {greater_than: 3}]}",
                 ":12: regime 'test-regime': clocks.0.when: all[1]: unknown condition operator 'greater_than'",
                 id="unknown-operator"),
    pytest.param("in: [EU]", "in: [US-ZZ]",
                 ":12: regime 'test-regime': clocks.0.when: affected: unknown residence code 'US-ZZ'",
                 id="unknown-residence"),
    pytest.param("{affected: {in: [EU], at_least: 1}}", "{data: {any_of: [ssn]}}",
                 ":12: regime 'test-regime': clocks.0.when: data: unknown data category 'ssn': write one of name, contact,", id="unknown-data-category"),
    pytest.param("at_least: 1}", "at_least: 1, more_than: 3}",
                 ":12: regime 'test-regime': clocks.0.when: affected: needs `in` and exactly one of at_least "
                 "or more_than", id="two-thresholds"),
    pytest.param("deadline: 72h", "deadline: none",
                 ":8: regime 'test-regime': clocks.0: deadline: none needs firm_target (the firm's own target)",
                 id="no-number-without-firm-target"),
    pytest.param("starts: aware", "starts: after:residents",
                 ":3: regime 'test-regime': clock 'main' starts after 'residents', which is not an earlier clock here",
                 id="after-unknown-clock"),
])
def test_broken_regime_names_file_line_key_and_problem(tmp_path, old, new, problem):
    assert old in MINIMAL
    path = write(tmp_path, MINIMAL.replace(old, new))
    with pytest.raises(RegimeError) as caught:
        load_regimes([path])
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}{problem}")


def test_regime_without_key_and_repeated_key(tmp_path):
    no_key = write(tmp_path, MINIMAL.replace("  - key: test-regime\n    jurisdiction", "  - jurisdiction"))
    with pytest.raises(RegimeError, match=r"regime #1 \(no key\): key: missing: add it"):
        load_regimes([no_key])
    twice = write(tmp_path, MINIMAL + MINIMAL.split("regimes:\n")[1], "twice.yaml")
    with pytest.raises(RegimeError) as caught:
        load_regimes([twice])
    assert str(caught.value) == f"{twice}: regime 'test-regime': appears twice in this file: keep one of them"


def test_not_yaml_and_no_disclaimer(tmp_path):
    bad = write(tmp_path, "regimes: [\n  - key: x\n", "bad.yaml")
    with pytest.raises(RegimeError, match=r"bad\.yaml:\d+: not valid YAML \(.*\): correct the file at that line"):
        load_regimes([bad])
    bare = write(tmp_path, MINIMAL.split("\n", 1)[1], "bare.yaml")
    with pytest.raises(RegimeError, match="no file gives the `disclaimer:`"):
        load_regimes([bare])


FIRM_FILE = """\
regimes:
  - key: us-ftc-safeguards
    jurisdiction: US
    title: {en: FTC (firm reads it strictly), zh: FTC（从严）}
    citation: {en: 16 CFR 314.4(j), zh: 美国《联邦法规汇编》第16编第314.4(j)条}
    source: {en: "ecfr.gov, 16 CFR part 314", zh: 美国《联邦法规汇编》第16编第314部分}
    verified_on: 2026-11-30
    clocks:
      - id: ftc
        audience: {en: Federal Trade Commission, zh: 美国联邦贸易委员会}
        starts: discovery
        deadline: 20d
        when: {affected: {in: [US*], at_least: 1, who: {en: US consumers, zh: 美国消费者}}}
        content: [description]
  - key: contract-acme
    jurisdiction: US
    title: {en: Acme Ltd contract, zh: Acme 合同}
    citation: {en: Acme engagement letter cl. 14.2, zh: Acme 委托书第14.2条}
    source: {en: Acme engagement letter signed 2025-01-10, zh: 2025年1月10日签署的Acme委托书}
    verified_on: 2026-11-30
    clocks:
      - id: client
        audience: {en: Acme Ltd, zh: Acme 公司}
        starts: aware
        deadline: 48h
        when: {affected: {in: [US-NY], at_least: 1}}
        content: [what happened, data involved]
"""


def test_firm_file_overrides_by_key_and_adds_a_regime(tmp_path):
    firm = write(tmp_path, FIRM_FILE, "firm.yaml")
    book = load_regimes([DEFAULT, firm])
    keys = list(book.regimes)
    assert len(keys) == len(load_regimes([DEFAULT]).regimes) + 1  # the firm adds one, replaces one
    assert keys.index("us-ftc-safeguards") == 9 and keys[-1] == "contract-acme"
    assert (book.sources["us-ftc-safeguards"], book.sources["contract-acme"], book.sources["eu-gdpr-33"]) == (
        firm, firm, DEFAULT)
    assert book.regimes["us-ftc-safeguards"].title.en == "FTC (firm reads it strictly)"
    assert applicable(book, facts({"US-NY": 40})) == {
        "us-ftc-safeguards/ftc": end(T0, 20),
        "us-ny-899aa/residents": end(T0, 30),
        "us-ny-899aa/state": end(T0, 30),
        "contract-acme/client": T0 + 48 * H,
    }
    assert why(book, facts({"US-NY": 40}), "us-ftc-safeguards/ftc") == "40 US consumers"
    assert why(book, facts({"US-NY": 40}), "us-ftc-safeguards/ftc", "zh") == "美国消费者40人"


def test_broken_override_names_the_firm_file(tmp_path):
    firm = write(tmp_path, FIRM_FILE.replace("deadline: 48h", "deadline: soon"), "firm.yaml")
    with pytest.raises(RegimeError) as caught:
        load_regimes([DEFAULT, firm])
    assert str(caught.value) == (
        f"{firm}:25: regime 'contract-acme': clocks.0.deadline: must be a duration such as 90m, 4h, 30d or 14bd, not 'soon'")


@pytest.mark.parametrize(("drop", "problem"), [
    pytest.param("    source: {en: Test Act (official gazette), zh: 测试法（官方公报）}\n", "source: missing: add it", id="no-source"),
    pytest.param("    verified_on: 2026-12-01\n", "verified_on: missing: add it", id="no-verified-on"),
    pytest.param("    source: {en: Test Act (official gazette), zh: 测试法（官方公报）}\n    verified_on: 2026-12-01\n", "source: missing: add it",
                 id="neither"),
])
def test_every_regime_names_the_source_it_was_checked_against_and_when(tmp_path, drop, problem):
    """Provenance (#21 item 7): an entry without its source or its verified_on date is refused."""
    path = write(tmp_path, MINIMAL.replace(drop, ""))
    with pytest.raises(RegimeError, match=f"regime 'test-regime': {problem}"):
        load_regimes([path])
    bad_date = write(tmp_path, MINIMAL.replace("verified_on: 2026-12-01", "verified_on: last week"), "date.yaml")
    with pytest.raises(RegimeError, match="regime 'test-regime': verified_on"):
        load_regimes([bad_date])


def test_the_default_regimes_all_carry_source_and_date():
    book = load_regimes([DEFAULT])
    for key, regime in book.regimes.items():
        assert regime.source.en.strip() and regime.source.zh.strip() and regime.verified_on.year >= 2026, key


def test_not_modelled_places_are_read_and_checked(tmp_path):
    firm = write(tmp_path, 'not_modelled:\n  - place: KZ\n    name: {en: Kazakhstan, zh: 哈萨克斯坦}\n'
                           '    note: {en: "not yet", zh: 尚未建模}\n    verified_on: 2026-12-04\n', "firm.yaml")
    book = load_regimes([DEFAULT, firm])
    assert book.not_modelled["KZ"].name.zh == "哈萨克斯坦" and "KR" in book.not_modelled
    broken = write(tmp_path, "not_modelled:\n  - place: KZ\n    name: {en: Kazakhstan}\n    note: {en: x, zh: 否}\n"
                             "    verified_on: 2026-12-04\n", "broken.yaml")
    with pytest.raises(RegimeError, match=r"broken.yaml:3: not_modelled #1: name.zh: missing: add it"):
        load_regimes([DEFAULT, broken])


def test_the_header_of_the_regimes_file_names_the_vocabulary_the_loader_reads():
    """The comment that teaches how to write a regime names every start, condition, residence code, data
    category and profile flag the code knows, and no residence code it does not (it once listed 'US (other US
    states)' and four states, from before every jurisdiction was modelled)."""
    from bot.law.conditions import _OPERATORS, FIRM_PROFILES
    from bot.law.regimes import STARTS
    from bot.text.facts import DATA_CATEGORIES, RESIDENCES

    header = DEFAULT.read_text(encoding="utf-8").split("\ndisclaimer:")[0]
    words = set(header.replace(",", " ").replace(";", " ").replace("(", " ").replace(")", " ").split())
    missing = [w for w in (*STARTS, *_OPERATORS, *DATA_CATEGORIES, *FIRM_PROFILES, "after:<clock")
               if w not in words and f"{w}:" not in words]
    assert missing == [] and "`not_modelled:`" in header
    codes_line = next(line for line in header.splitlines() if "codes:" in line)
    listed = set(codes_line.split("codes:")[1].split(";")[0].split())
    assert listed == {code for code in RESIDENCES if "-" not in code and code != "US"}
    assert "US-XX" in header and "(other US states)" not in header
