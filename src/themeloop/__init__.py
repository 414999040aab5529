"""themeloop: qualitative coding and thematic analysis of free-text survey answers.

The public API is imported lazily so that ``import themeloop`` (and the CLI's
``--help``) stays fast; torch, BERTopic and the Label Studio client load only
when a function that needs them runs.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "load_survey": "themeloop.survey",
    "find_project": "themeloop.config",
    "read_config": "themeloop.config",
    "merge": "themeloop.merge",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'themeloop' has no attribute '{name}'")
    import importlib

    return getattr(importlib.import_module(module), name)
