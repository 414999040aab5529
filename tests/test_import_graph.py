"""No import cycles in ``src/themeloop``: the module graph, built from the AST, is acyclic.

An edge ``a -> b`` means that ``a`` imports ``b`` (or a name in ``b``), plus
the packages above ``b`` that are not above ``a`` (Python runs a package's
``__init__`` before its modules).

Imports inside functions count. Heavy third-party libraries (torch, bertopic,
the Label Studio SDK) are imported late, inside the functions that use them, so
``themeloop --help`` stays fast (STYLE.md, rule 8); but they are not themeloop
modules, so they are not in this graph whatever their place. A late import of a
*themeloop* module is wiring between two of its parts, and two parts that each
reach for the other are the tangle this test exists to stop, even when the
lateness keeps Python from tripping over it.

Imports under ``if TYPE_CHECKING:`` are left out: they never run.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = "themeloop"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted((SRC / PACKAGE).rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def running_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """Every import in the module, at any depth, except those under ``if TYPE_CHECKING:``."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            skipped.update(id(inner) for stmt in node.body for inner in ast.walk(stmt))
    return [node for node in ast.walk(tree)
            if isinstance(node, ast.Import | ast.ImportFrom) and id(node) not in skipped]


def _resolve(name: str, node: ast.ImportFrom, package: str) -> str:
    if not node.level:
        return node.module or ""
    base = package.split(".")
    base = base[: len(base) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def graph() -> dict[str, set[str]]:
    mods = modules()
    edges: dict[str, set[str]] = {m: set() for m in mods}
    for name, path in mods.items():
        is_package = path.name == "__init__.py"
        package = name if is_package else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in running_imports(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
                continue
            base = _resolve(name, node, package)
            targets.add(base)
            targets.update(f"{base}.{alias.name}" for alias in node.names
                           if f"{base}.{alias.name}" in mods)
        ancestors = {".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)}
        if is_package:
            ancestors.add(name)
        for target in targets:
            if not target.startswith(PACKAGE):
                continue
            parts = target.split(".")
            for i in range(1, len(parts) + 1):
                step = ".".join(parts[:i])
                if step in mods and step not in ancestors and step != name:
                    edges[name].add(step)
    return edges


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle as ``[a, b, ..., a]``, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt):], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_the_graph_sees_the_package():
    edges = graph()
    assert "themeloop.pipeline.registry" in edges
    assert "themeloop.merge.stage" in edges["themeloop.pipeline.registry"]
    assert "themeloop.pipeline.artifacts" in edges["themeloop.merge.project"]
    assert "themeloop.studio.server" in edges["themeloop.survey.stage"]  # inside a function
    assert "themeloop.pipeline.context" not in edges["themeloop.merge.stage"]  # TYPE_CHECKING


def test_finds_a_cycle_when_there_is_one():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycles():
    cycle = find_cycle(graph())
    if cycle:
        pytest.fail("import cycle: " + " -> ".join(cycle))
