"""Read and write ``codebook.yaml``.

Reading refuses unknown keys with a did-you-mean that names the file and the
full path of the key, e.g. ``codebook.yaml: unknown key
'questions.barriers.codes[2].descripton' (did you mean 'description'?)``.
"""

from __future__ import annotations

import os
import re
import types
import typing
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from themeloop._io import write_text_atomic
from themeloop.codebook.model import Code, Codebook
from themeloop.errors import CodebookError, did_you_mean

PathLike = str | os.PathLike[str]


def load_codebook(path: PathLike, *, strict: bool = True) -> Codebook:
    """Read and validate a ``codebook.yaml``.

    Parameters
    ----------
    path
        The YAML file.
    strict
        When true (the default), also refuse a codebook whose ids cannot be
        used safely: invalid or duplicate slugs, unknown parents, parent
        cycles, or ``replaces`` naming a code that still exists. Missing
        descriptions never block loading; ``themeloop codebook check`` lists
        them.

    Returns
    -------
    Codebook

    Raises
    ------
    CodebookError
        If the file is missing, is not YAML, has unknown or badly typed keys
        or (``strict``) fails an integrity check; one line naming the file.

    Warns
    -----
    CodeVariantWarning
        (``strict``) For codes whose ids or labels differ only in case or spacing.
    """
    path = Path(path)
    codebook = parse_codebook(_read_yaml(path), path)
    if strict:
        from themeloop.codebook.check import BLOCKING, check_codebook

        blocking = [p for p in check_codebook(codebook) if p.kind in BLOCKING]
        if blocking:
            more = f" (and {len(blocking) - 1} more)" if len(blocking) > 1 else ""
            raise CodebookError(
                f"{path}: {blocking[0].message}{more}; run 'themeloop codebook check {path}'"
            )
        _warn_variants(path, codebook)
    return codebook


def _warn_variants(path: Path, codebook: Codebook) -> None:
    """Codes told apart only by case or spacing: a warning each (an error under --strict)."""
    import warnings

    from themeloop.codebook.check import variant_messages
    from themeloop.errors import CodeVariantWarning

    for message in variant_messages(codebook):
        warnings.warn(f"{path}: {message}", CodeVariantWarning, stacklevel=3)


def save_codebook(codebook: Codebook, path: PathLike) -> Path:
    """Write ``codebook`` to ``path`` as YAML, atomically; empty optional keys are left out.

    ``load_codebook(save_codebook(cb, p)) == cb`` for every codebook.
    """
    return write_text_atomic(path, dump_codebook(codebook))


def dump_codebook(codebook: Codebook) -> str:
    """The YAML text of ``codebook`` (keys in the documented order)."""
    data = {
        "version": codebook.version,
        "questions": {
            qid: {"codes": [_code_dict(code) for code in q.codes]}
            for qid, q in codebook.questions.items()
        },
    }
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


class _Dumper(yaml.SafeDumper):
    """Double-quotes strings that other styles would not read back unchanged."""


# YAML folds these into line breaks or drops them outside double quotes.
_AWKWARD = re.compile("[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f\\u2028\\u2029\\ufeff\\ufffe\\uffff]")


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = '"' if _AWKWARD.search(value) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def _code_dict(code: Code) -> dict[str, Any]:
    out: dict[str, Any] = {"id": code.id, "label": code.label, "description": code.description}
    for key in ("include", "exclude", "examples", "parent", "replaces"):
        value = getattr(code, key)
        if value:
            out[key] = value
    return out


def _read_yaml(path: Path) -> Any:
    if not path.is_file():
        raise CodebookError(
            f"{path}: no such codebook; write one (themeloop themes drafts one) or pass its path"
        )
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" at line {where.line + 1}" if where is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise CodebookError(f"{path}: not valid YAML{line}: {problem}") from None
    except UnicodeDecodeError as exc:
        raise CodebookError(f"{path}: not UTF-8 text ({exc.reason}); save it as UTF-8") from None
    return data


def parse_codebook(data: Any, source: PathLike = "codebook.yaml") -> Codebook:
    """Validate a mapping as a :class:`Codebook`; the first error names ``source``."""
    problems = shape_errors(data, source)
    if problems:
        raise CodebookError(problems[0])
    return Codebook.model_validate(data)


def shape_errors(data: Any, source: PathLike) -> list[str]:
    """Every structural error of ``data`` (unknown keys, wrong types), one line each."""
    if data is None:
        return [f"{source}: the file is empty; it needs 'version' and 'questions'"]
    if not isinstance(data, dict):
        return [f"{source}: expected a mapping with 'version' and 'questions', got {type(data).__name__}"]
    try:
        Codebook.model_validate(data)
    except ValidationError as exc:
        return [_format_error(source, err) for err in exc.errors()]
    return []


def dotted(loc: tuple[Any, ...]) -> str:
    """``('questions', 'q', 'codes', 2, 'x')`` -> ``'questions.q.codes[2].x'``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _format_error(source: PathLike, err: dict[str, Any]) -> str:
    loc = tuple(err["loc"])
    key = dotted(loc)
    if err["type"] == "extra_forbidden":
        hint = did_you_mean(str(loc[-1]), _keys_at(Codebook, loc[:-1]))
        return f"{source}: unknown key '{key}'{hint}"
    if err["type"] == "missing":
        return f"{source}: missing key '{key}'"
    msg = str(err["msg"]).removeprefix("Value error, ")
    return f"{source}: bad value for '{key}': {msg} (got {_short(err.get('input'))})"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _keys_at(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Valid keys of the model reached by following ``loc`` (dict keys, list indexes)."""
    annotation: Any = model
    for part in loc:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = annotation.model_fields.get(str(part))
            if field is None:
                return []
            annotation = field.annotation
        else:
            annotation = _element_type(annotation)
            if annotation is None:
                return []
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return list(annotation.model_fields)
    return []


def _element_type(annotation: Any) -> Any:
    """The value type of ``list[X]`` / ``dict[str, X]`` / ``X | None``, else None."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (list, dict) and args:
        return args[-1]
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        return inner[0] if len(inner) == 1 else None
    return None
