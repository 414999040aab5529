"""Agreed codes back into the survey, exports and crosstabs.

``themeloop.merge(survey, agreed, codebook)`` and
``themeloop.merge.merge(...)`` are the same function: once the
``themeloop.merge`` package is imported, Python binds the package (not the
function) to ``themeloop.merge``, so the package itself is made callable.
"""

from __future__ import annotations

import sys
import types
from typing import Any

from themeloop.merge.core import CodeColumn, MergedDataset, build_merged, merge
from themeloop.merge.exports import FORMATS, export_all, stat_rename_map
from themeloop.merge.inputs import load_project_codebook, read_agreed_table
from themeloop.merge.safe_cells import neutralise, unneutralise

__all__ = [
    "FORMATS",
    "CodeColumn",
    "MergedDataset",
    "build_merged",
    "export_all",
    "load_project_codebook",
    "merge",
    "neutralise",
    "read_agreed_table",
    "stat_rename_map",
    "unneutralise",
]


class _CallableModule(types.ModuleType):
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return merge(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
