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


def _numeric_fields():
    from themeloop.config import ProjectConfig

    for name, field in ProjectConfig.model_fields.items():
        inner = field.annotation
        model = next((c for c in (inner, *getattr(inner, "__args__", ()))
                      if isinstance(c, type) and issubclass(c, BaseModel)), None)
        pairs = model.model_fields.items() if model is not None else [(name, field)]
        for key, sub in pairs:
            types = {sub.annotation, *getattr(sub.annotation, "__args__", ())}
            if types & {int, float}:
                yield (f"{name}.{key}" if model is not None else key), sub


def test_every_numeric_key_has_a_documented_range():
    from themeloop.config import allowed_range

    text = DOC.read_text(encoding="utf-8")
    for key, field in _numeric_fields():
        if key == "studio.coders":  # int or a list of e-mails: checked by its own validator
            assert "Range: 1 or more." in text
            continue
        bounds = [m for m in field.metadata if any(
            getattr(m, b, None) is not None for b in ("ge", "gt", "le", "lt"))]
        assert bounds, f"{key} has no range"
        row = next(line for line in text.splitlines() if line.startswith(f"| `{key.split('.')[-1]}` |"))
        assert f"Range: {allowed_range(field)}." in row, key
