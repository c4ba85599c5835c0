"""What the law says a notice must contain is shown in the reader's language (issue #18): every `content:` item of
the regimes file has its Chinese in regimes-content.zh.yaml, which the loader reads beside it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot.law.content import beside
from bot.law.regimes import RegimeError, load_regimes
from tests.test_regimes import DEFAULT
from tests.test_regimes_file import MINIMAL

CJK = re.compile(r"[\u4e00-\u9fff]")


def items(node: object) -> list[str]:
    """Every content item written anywhere in a regimes file (anchors and aliases included)."""
    if isinstance(node, dict):
        return [i for k, v in node.items() for i in (v if k == "content" and isinstance(v, list) else items(v))]
    return [i for v in node for i in items(v)] if isinstance(node, list) else []


def test_every_content_item_of_the_regimes_file_has_a_chinese_rendering():
    written = items(yaml.safe_load(DEFAULT.read_text(encoding="utf-8")))
    chinese = yaml.safe_load(beside(DEFAULT).read_text(encoding="utf-8"))
    assert len(set(written)) > 200
    assert sorted({item for item in written if item not in chinese}) == []
    assert sorted(set(chinese) - set(written)) == []  # no line for an item the regimes file no longer has
    assert sorted(en for en, zh in chinese.items() if not CJK.search(zh)) == []


def test_the_loaded_clocks_carry_the_chinese_of_each_item():
    book = load_regimes([DEFAULT])
    content = [item for regime in book.regimes.values() for clock in regime.clocks for item in clock.content]
    assert [item.en for item in content if not CJK.search(item("zh"))] == []
    florida = [(i("en"), i("zh")) for clock in book.regimes["us-fl-501-171"].clocks for i in clock.content]
    assert ("number of Floridians affected", "受影响的佛罗里达州居民人数") in florida


def test_a_firm_file_gives_its_chinese_beside_it_or_inline(tmp_path: Path):
    firm = tmp_path / "firm-regimes.yaml"
    firm.write_text(MINIMAL.replace("content: [what happened]",
                                    "content: [what happened, {en: data involved, zh: 涉及的数据}, untranslated]"),
                    encoding="utf-8")
    (tmp_path / "firm-regimes-content.zh.yaml").write_text("what happened: 发生了什么\n", encoding="utf-8")
    clock = load_regimes([DEFAULT, firm]).regimes["test-regime"].clocks[0]
    assert [i("zh") for i in clock.content] == ["发生了什么", "涉及的数据", "untranslated"]
    assert [i("en") for i in clock.content] == ["what happened", "data involved", "untranslated"]


def test_a_broken_chinese_file_names_itself_and_says_what_to_write(tmp_path: Path):
    firm = tmp_path / "firm-regimes.yaml"
    firm.write_text(MINIMAL, encoding="utf-8")
    (tmp_path / "firm-regimes-content.zh.yaml").write_text("- what happened\n", encoding="utf-8")
    with pytest.raises(RegimeError) as error:
        load_regimes([DEFAULT, firm])
    assert "firm-regimes-content.zh.yaml" in error.value.said("en")
    assert "<English item>: <Chinese>" in error.value.said("en")
    assert "请每条写一行" in error.value.said("zh")
