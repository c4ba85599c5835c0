"""The rules in DESIGN.md that keep the code easy to change, checked on every run."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_bot_never_imports_platforms_or_handlers():
    offenders = {}
    for path in (ROOT / "bot").rglob("*.py"):
        bad = {n for n in _imports(path) if n.split(".")[0] in ("handlers", "slack_bolt", "slack_sdk", "wechatpy",
                                                                 "flask", "waitress")}
        if bad:
            offenders[str(path.relative_to(ROOT))] = bad
    assert offenders == {}


def test_storage_imports_nothing_above_it():
    for path in (ROOT / "storage").rglob("*.py"):
        assert not {n for n in _imports(path) if n.split(".")[0] in ("bot", "handlers")}, path


def test_only_the_clock_reads_the_wall_clock():
    allowed = {ROOT / "bot" / "clock.py", ROOT / "bot" / "scheduler.py"}
    readers = []
    for folder in ("bot", "storage"):
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            if path not in allowed and ("datetime.now(" in text or "utcnow(" in text or "time.time(" in text):
                readers.append(str(path.relative_to(ROOT)))
    assert readers == []


def test_no_module_is_a_god_module():
    long = {str(p.relative_to(ROOT)): n for folder in ("bot", "handlers", "storage")
            for p in (ROOT / folder).rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400}
    assert long == {}
