"""Drill scenarios: data under playbooks/scenarios/, injects that arrive at set times."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.incident.playbook import Localized
from bot.text.facts import DATA_CATEGORIES, narrow
from bot.text.times import format_duration, parse_duration

SCENARIOS = Path(__file__).resolve().parents[2] / "playbooks" / "scenarios"


class Inject(BaseModel):
    """Something that happens during the drill, told to the war room at `at` after it starts."""

    model_config = ConfigDict(extra="forbid")
    at: timedelta
    text: Localized

    _parse_at = field_validator("at", mode="before")(lambda cls, v: parse_duration(str(v)))


class Scenario(BaseModel):
    """A drill: the incident it starts and what happens when."""

    model_config = ConfigDict(extra="forbid")
    key: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    # How people name it (`/breach 演练 公共网盘`, `/breach drill public share`); listed in the workspace's language.
    name: Localized | None = None
    aliases: list[str] = Field(default_factory=list)
    title: Localized
    severity: str = "high"
    data: list[str] = Field(default_factory=list)
    clients: int | None = None
    injects: list[Inject] = Field(default_factory=list)

    @field_validator("data")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        bad = [d for d in value if d not in DATA_CATEGORIES]
        if bad:
            raise ValueError(f"unknown data categories {bad}")
        return value


def available(folder: Path = SCENARIOS) -> list[str]:
    """The scenario keys a person can choose."""
    return sorted(p.stem for p in folder.glob("*.yaml"))


_KEY = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


def load(key: str, folder: Path = SCENARIOS) -> Scenario:
    """One scenario by key (only the names available() lists: never a path); ValueError naming the problem."""
    if not _KEY.fullmatch(key) or key not in available(folder):
        raise FileNotFoundError(key)
    path = folder / f"{key}.yaml"
    try:
        return Scenario.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (yaml.YAMLError, ValidationError) as exc:
        raise ValueError(f"{path}: {exc}") from exc


def _fold(text: str) -> str:
    return " ".join(re.sub(r"[_\-\s]+", " ", narrow(text).casefold()).split())


def named(typed: str, folder: Path = SCENARIOS) -> str | None:
    """The key of the scenario a person named: its key, its name in either language or one of its aliases."""
    wanted = _fold(typed)
    for key in available(folder):
        if _fold(key) == wanted:
            return key
        try:
            scenario = load(key, folder)
        except (FileNotFoundError, ValueError):
            continue
        names = [*([scenario.name.en, scenario.name.zh] if scenario.name else []), *scenario.aliases]
        if wanted in {_fold(n) for n in names}:
            return key
    return None


def shown(key: str, lang: str, folder: Path = SCENARIOS) -> str:
    """A scenario as the workspace names it: `公共网盘（public-share）` in Chinese, `public-share` in English."""
    try:
        scenario = load(key, folder)
    except (FileNotFoundError, ValueError):
        return key
    if scenario.name is None or lang != "zh":
        return key
    return f"{scenario.name.zh}（{key}）"


_STORED_OFFSET = re.compile(r"(?:(\d+) days?, )?(\d+):(\d\d):(\d\d)")


def offset_words(stored: Any, lang: str) -> str:
    """An inject's time into the drill, as its deadline stored it ('0:20:00'), in words: '20m' / '20分'."""
    found = _STORED_OFFSET.fullmatch(str(stored or "").strip())
    if found is None:
        return str(stored or "")
    days, hours, minutes, seconds = (int(n or 0) for n in found.groups())
    return format_duration(timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds), lang)
