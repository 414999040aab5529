"""CLI contracts: help text everywhere, fast start-up, --version."""

from __future__ import annotations

import json
import subprocess
import sys

import themeloop

HEAVY = ["pandas", "numpy", "torch", "bertopic", "sentence_transformers", "label_studio_sdk",
         "scipy", "sklearn", "spacy", "pyreadstat", "statsmodels", "jinja2", "pydantic"]


def _all_commands():
    from typer.main import get_command

    from themeloop.cli.app import app

    root = get_command(app)
    stack = [((), root)]
    while stack:
        path, cmd = stack.pop()
        yield path, cmd
        for name, sub in getattr(cmd, "commands", {}).items():
            stack.append(((*path, name), sub))


def test_every_command_has_help_text():
    missing = [" ".join(path) for path, cmd in _all_commands() if path and not (cmd.help or "").strip()]
    assert missing == []


def test_every_command_answers_help(cli):
    for path, _ in _all_commands():
        result = cli(*path, "--help")
        assert result.exit_code == 0, (path, result.output)
        assert "Usage:" in result.output


def test_help_imports_nothing_heavy():
    """`themeloop --help` must start fast: heavy libraries load inside commands only."""
    code = ("import sys; from themeloop.cli.app import app; "
            "import json; print(json.dumps(sorted(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(json.loads(out.stdout))
    assert [m for m in HEAVY if m in loaded] == []


def test_version(cli):
    result = cli("--version")
    assert result.exit_code == 0
    assert result.stdout == f"themeloop {themeloop.__version__}\n"


def test_unknown_command_is_a_usage_error(cli):
    result = cli("frobnicate")
    assert result.exit_code == 2
    assert "No such command 'frobnicate'" in result.output
