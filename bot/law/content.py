"""What the law says a notice must contain, in English and Chinese: a regimes file writes each `content:` item in
English, and `<name>-content.zh.yaml` beside it maps each item to its Chinese (an item may also be {en: …, zh: …})."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import ValidationInfo
from pydantic.functional_validators import PlainValidator

from bot.incident.playbook import Localized, parse_yaml
from bot.text.worded import Worded, shown


def beside(path: Path) -> Path:
    """The file giving the Chinese of the content items of the regimes file at `path` (regimes-content.zh.yaml)."""
    return path.with_name(f"{path.stem}-content.zh.yaml")


def chinese(path: Path) -> dict[str, str]:
    """The Chinese of each content item of the regimes file at `path`, by its English; none without the file."""
    where = beside(path)
    try:
        raw = parse_yaml(where.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, yaml.YAMLError) as exc:
        raise Worded("problem.regimes.content_zh", path=where, why=getattr(exc, "strerror", None) or exc) from exc
    if not isinstance(raw, dict) or not all(isinstance(k, str) and isinstance(v, str) and v.strip()
                                            for k, v in raw.items()):
        raise Worded("problem.regimes.content_zh", path=where, why=shown(raw))
    return raw


def _item(value: Any, info: ValidationInfo) -> Localized:
    if isinstance(value, Localized):
        return value
    if isinstance(value, dict):
        return Localized.model_validate(value)
    if not isinstance(value, str) or not value.strip():
        raise Worded("problem.pydantic.string_type", value=shown(value))
    zh = ((info.context or {}).get("content_zh") or {}).get(value)
    return Localized(en=value, zh=zh or value)  # an item no file renders stays in English (the test keeps ours whole)


ContentItem = Annotated[Localized, PlainValidator(_item)]
