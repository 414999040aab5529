"""Shared test set-up: offline model hub, paths to the bundled sample."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "examples" / "innovation-survey"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    return SAMPLE


@pytest.fixture(scope="session")
def theme_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("theme-cache")


@pytest.fixture(scope="session")
def embedder(theme_cache):
    """One loaded model for the session; its cache is shared with the themes CLI tests."""
    from themeloop.embed import Embedder, SentenceTransformerModel

    return Embedder(SentenceTransformerModel(precision="auto"), cache_dir=theme_cache)


@pytest.fixture(scope="session")
def responses(sample_dir):
    """The sample survey's long responses table."""
    from themeloop.config import find_project
    from themeloop.survey import load_project_survey

    return load_project_survey(find_project(sample_dir)).responses()


@pytest.fixture(scope="session")
def sample_result(responses, embedder):
    """Themes proposed for the sample once per session (the themes and label tests read it)."""
    from themeloop.themes import propose_themes

    return propose_themes(responses, embedder, seed=42)


@pytest.fixture
def cli():
    """Invoke the themeloop CLI in-process: ``cli("inspect", "--json")``."""
    from typer.testing import CliRunner

    from themeloop.cli.app import app

    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, [str(a) for a in args])

    return invoke
