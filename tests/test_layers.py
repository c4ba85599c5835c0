"""The layering of bot/ (shared/design/bot-layout.md): every import points down, and nothing imports in a circle.

Function-local and TYPE_CHECKING imports count: an import hidden inside a function is still an import.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Lowest first; a module may import only its own layer or lower ones.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("bot.chat", "bot.commands", "bot.registry", "bot.clock", "bot.outbox", "bot.delivery"),
    ("bot.text",),
    ("bot.errors", "bot.settings", "bot.help"),
    ("bot.incident",),
    ("bot.law",),
    ("bot.statements",),
    ("bot.report", "bot.views"),
    ("bot.flows",),
    ("bot.app",),
    ("bot.scheduler",),
)
ADAPTERS = ("handlers/slack", "handlers/wecom", "handlers/console")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(source: str, known: set[str]) -> set[str]:
    """Every module a source imports, anywhere in it, resolved to a known module where one is named."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if sub in known else node.module)
    return found


def layer_of(module: str) -> int | None:
    for index, names in enumerate(LAYERS):
        if any(module == name or module.startswith(name + ".") for name in names):
            return index
    return None


def graph(folder: str = "bot") -> dict[str, set[str]]:
    """module → the modules of `folder` it imports."""
    paths = sorted((ROOT / folder).rglob("*.py"))
    known = {module_name(p) for p in paths}
    return {module_name(p): {m for m in imports_of(p.read_text(encoding="utf-8"), known) if m in known}
            for p in paths}


def upward(edges: dict[str, set[str]]) -> list[str]:
    """Imports from a lower layer to a higher one, and modules that belong to no layer."""
    found = []
    for module, targets in sorted(edges.items()):
        here = layer_of(module)
        if here is None and not module.endswith("__init__") and module != "bot":
            found.append(f"{module} is in no layer")
            continue
        for target in sorted(targets):
            there = layer_of(target)
            if here is not None and there is not None and there > here:
                found.append(f"{module} -> {target}")
    return found


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), and modules that import themselves."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1 or v in edges.get(v, ()):
                found.append(sorted(group))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_bot_imports_only_downward():
    assert upward(graph()) == []


def test_bot_has_no_import_cycle():
    assert cycles(graph()) == []


def test_the_checker_reports_an_upward_import_and_a_cycle():
    edges = {
        "bot.incident.timeline": {"bot.flows.base"},  # incident is below flows: upward
        "bot.flows.base": set(),
        "bot.law.clocks": {"bot.law.regimes"},
        "bot.law.regimes": {"bot.law.reasons"},
        "bot.law.reasons": {"bot.law.clocks"},  # a circle of three inside one layer
        "bot.text.i18n": set(),
    }
    assert upward(edges) == ["bot.incident.timeline -> bot.flows.base"]
    assert cycles(edges) == [["bot.law.clocks", "bot.law.reasons", "bot.law.regimes"]]
    local = "def f():\n    from bot.flows import base\n"  # hidden in a function: still counted
    assert imports_of(local, {"bot.flows.base"}) == {"bot.flows.base"}


def test_platform_adapters_never_touch_storage():
    offenders = {}
    for folder in ADAPTERS:
        for path in (ROOT / folder).rglob("*.py"):
            bad = {m for m in imports_of(path.read_text(encoding="utf-8"), set()) if m.split(".")[0] == "storage"}
            if bad:
                offenders[str(path.relative_to(ROOT))] = bad
    assert offenders == {}


def test_bot_root_holds_the_seven_folders_and_few_modules():
    folders = {p.name for p in (ROOT / "bot").iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert folders == {"text", "incident", "law", "statements", "report", "views", "flows"}
    assert len(list((ROOT / "bot").glob("*.py"))) <= 12
