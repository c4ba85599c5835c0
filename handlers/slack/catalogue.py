"""Slack-only wording (modal labels, dialog buttons) in English and Chinese."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

CATALOGUE = Path(__file__).with_name("catalogue.yaml")


@cache
def _flat(lang: str) -> dict[str, str]:
    raw = yaml.safe_load(CATALOGUE.read_text(encoding="utf-8"))[lang]
    flat: dict[str, str] = {}

    def walk(prefix: str, node: dict[str, Any]) -> None:
        for key, value in node.items():
            if isinstance(value, dict):
                walk(f"{prefix}{key}.", value)
            else:
                flat[f"{prefix}{key}"] = str(value)

    walk("", raw)
    return flat


def ui(lang: str, key: str) -> str:
    """The Slack wording for `key` in `lang` (English when the language has none)."""
    return _flat(lang if lang in ("en", "zh") else "en").get(key) or _flat("en")[key]
