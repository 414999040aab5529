"""The main job: the whole loop on a project, stage by stage, with one manifest.

The package is laid out as the pipeline's parts (see docs/design.md):
:mod:`~themeloop.pipeline.artifacts` (every file name, once),
:mod:`~themeloop.pipeline.context` (the typed :class:`RunContext`),
:mod:`~themeloop.pipeline.stage` (the :class:`Stage` protocol),
:mod:`~themeloop.pipeline.registry` (the stages in order) and
:mod:`~themeloop.pipeline.run` (``themeloop run``). Nothing is imported here
eagerly, so a stage package can import the artifacts without importing every
other stage.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {"RunResult": "run", "run_project": "run", "STAGES": "registry",
         "RunContext": "context", "Stage": "stage", "StageResult": "stage"}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"themeloop.pipeline.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'themeloop.pipeline' has no attribute {name!r}")
