"""Every module's doctests run (numpydoc Examples are tests, STYLE.md rule 2)."""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def module_names() -> list[str]:
    names = []
    for path in sorted((SRC / "themeloop").rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__main__":
            continue
        if parts[-1] == "__init__":
            parts.pop()
        names.append(".".join(parts))
    return names


def with_doctests() -> list[str]:
    """Modules whose source holds a doctest prompt (the others have nothing to run)."""
    found = []
    for name in module_names():
        path = SRC.joinpath(*name.split("."))
        file = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
        if ">>> " in file.read_text(encoding="utf-8"):
            found.append(name)
    return found


def test_the_doctests_are_found():
    names = with_doctests()
    assert "themeloop.errors" in names and "themeloop.pipeline.artifacts" in names
    assert len(names) >= 20


@pytest.mark.parametrize("name", with_doctests())
def test_doctests(name):
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    tests = [t for t in finder.find(module, name) if t.examples]
    assert tests, f"{name} has '>>> ' in its source but no doctest was found"
    for test in tests:
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
