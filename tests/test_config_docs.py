"""docs/config.md names every key that themeloop.toml accepts, and nothing else."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel

from themeloop.config import ProjectConfig

DOC = Path(__file__).resolve().parents[1] / "docs" / "config.md"


def documented() -> set[str]:
    keys: set[str] = set()
    section = ""
    for line in DOC.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"## `\[\[?(\w+)\]?\]`", line)
        if heading:
            section = heading.group(1)
        row = re.match(r"\| `(\w+)` \|", line)
        if row:
            keys.add(f"{section}.{row.group(1)}" if section else row.group(1))
    return keys


def accepted() -> set[str]:
    keys: set[str] = set()
    for name, field in ProjectConfig.model_fields.items():
        inner = field.annotation
        args = getattr(inner, "__args__", ())
        model = next((c for c in (inner, *args)
                      if isinstance(c, type) and issubclass(c, BaseModel)), None)
        if model is None:
            keys.add(name)
        else:
            keys.update(f"{name}.{sub}" for sub in model.model_fields)
    return keys


def test_every_config_key_is_documented():
    assert documented() == accepted()
