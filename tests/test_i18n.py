"""Every message exists in English and Chinese with the same placeholders; a zh workspace speaks Chinese."""

from __future__ import annotations

import string

import yaml

from bot.incident.playbook import load_playbook
from bot.settings import DEFAULT_PLAYBOOK
from bot.text.i18n import LOCALES, catalogue
from tests.conftest import joined, make_console


def _fields(template: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


def test_catalogues_match_key_for_key_and_placeholder_for_placeholder():
    en, zh = catalogue("en"), catalogue("zh")
    assert set(en) == set(zh)
    mismatched = {k: (_fields(en[k]), _fields(zh[k])) for k in en if _fields(en[k]) != _fields(zh[k])}
    assert mismatched == {}


def test_playbook_texts_exist_in_both_languages():
    playbook = load_playbook(DEFAULT_PLAYBOOK)
    for phase in playbook.phases:
        assert phase.title.en and phase.title.zh
        assert all(task.text.zh for task in phase.tasks)


def test_a_chinese_workspace_answers_in_chinese(sqlite_engine):
    console = make_console(sqlite_engine, lang="zh")
    sent = console.say("li", "/breach 宣布 工资表在公共网盘泄露 --severity critical")
    seen = joined(sent)
    assert "🚨 @li 宣布了 BR-1。应急小组在私密应急群 #breach-1 中处置，详情只在群内。" in seen
    assert not any("宣布了" in line and "工资表" in line for line in seen)
    assert "阶段 1/10 紧急响应（截止 11月28日周六 11:05，1小时内到期）· 负责人：@li" in seen
    assert "1. 组建应急小组：信息安全、法务、管理层" in seen
    assert "没有角色「保安」" in joined(console.say("li", "/breach assign @wang 保安", "breach-1"))
    assert "你是 BR-1 的法务合规。" in joined(console.say("li", "/breach assign @wang legal", "breach-1"))
    assert joined(console.say("li", "/breach help", "breach-1")).startswith("breachbot — 可用的命令：")


class _StrictLoader(yaml.SafeLoader):
    """A YAML loader that refuses a key written twice (PyYAML keeps the last one silently)."""


def _no_duplicates(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    keys = [loader.construct_object(k, deep=deep) for k, _ in node.value]
    doubled = sorted({k for k in keys if keys.count(k) > 1})
    if doubled:
        raise yaml.constructor.ConstructorError(None, None, f"keys written twice: {doubled}", node.start_mark)
    return loader.construct_mapping(node, deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)


def test_no_catalogue_key_is_written_twice():
    for lang in ("en", "zh"):
        yaml.load((LOCALES / f"{lang}.yaml").read_text(encoding="utf-8"), Loader=_StrictLoader)  # noqa: S506
