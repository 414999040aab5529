"""Create a themeloop.toml from a survey file (``themeloop init``)."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from themeloop._io import write_text_atomic
from themeloop.config import CONFIG_NAME, parse_config
from themeloop.errors import ConfigError
from themeloop.survey.guess import Guess, guess_columns
from themeloop.survey.load import read_survey_file


@dataclass(frozen=True)
class InitResult:
    path: Path
    guess: Guess


def question_id(column: str) -> str:
    """A question id from a column name: lower-case letters, digits and '_'.

    >>> question_id("Barriers to innovation (text)")
    'barriers_to_innovation_text'
    """
    slug = re.sub(r"[^0-9a-z]+", "_", column.lower()).strip("_") or "question"
    return f"q_{slug}" if slug[0].isdigit() else slug


def _toml_str(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def render_config(
    survey_path: str, guess: Guess, sheet: str | None = None, encoding: str | None = None
) -> str:
    """The text of a themeloop.toml for ``guess``."""
    lines = [
        "# Written by 'themeloop init'. Check the guesses below, then run 'themeloop inspect'.",
        "seed = 42",
        "",
        "[survey]",
        f"path = {_toml_str(survey_path)}",
        f"id = {_toml_str(guess.id_column)}",
        f"attributes = [{', '.join(_toml_str(a) for a in guess.attributes)}]",
    ]
    if sheet:
        lines.append(f"sheet = {_toml_str(sheet)}")
    if encoding:
        lines.append(f"encoding = {_toml_str(encoding)}")
    used: set[str] = set()
    for column in guess.questions:
        qid = question_id(column)
        while qid in used:
            qid += "_"
        used.add(qid)
        lines += ["", "[[questions]]", f"id = {_toml_str(qid)}", f"column = {_toml_str(column)}",
                  'prompt = ""']
    return "\n".join(lines) + "\n"


def init_project(
    survey: str | Path, *, out: str | Path | None = None, force: bool = False,
    sheet: str | None = None, encoding: str | None = None,
) -> InitResult:
    """Inspect ``survey`` and write a themeloop.toml beside it (or at ``out``).

    Raises
    ------
    ConfigError
        If the target exists and ``force`` is false, or no free-text column is found.
    SurveyError
        If the survey cannot be read.
    """
    survey = Path(survey)
    target = Path(out) if out else survey.parent / CONFIG_NAME
    if target.exists() and not force:
        raise ConfigError(f"{target}: already exists; use --force to overwrite it")
    data = read_survey_file(survey, sheet=sheet, encoding=encoding)
    guess = guess_columns(data.frame)
    if not guess.questions:
        raise ConfigError(
            f"{survey}: found no free-text column (long, varied answers); "
            "write themeloop.toml by hand with a [[questions]] entry"
        )
    rel = os.path.relpath(survey.resolve(), target.resolve().parent)
    text = render_config(Path(rel).as_posix(), guess, sheet, encoding)
    import tomllib

    parse_config(tomllib.loads(text), target)  # never write a file we could not read back
    write_text_atomic(target, text)
    return InitResult(target, guess)
