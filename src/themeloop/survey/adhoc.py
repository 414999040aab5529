"""A survey from one file and flags, without a project (ad hoc mode).

Every command that works on a project also works on a single file given with
``--id-column`` and ``--text-column`` (DESIGN.md). :func:`load_adhoc_survey` is
that file's :class:`Survey`; question ids are made from the column names.
"""

from __future__ import annotations

import os
import re

from themeloop.errors import ConfigError
from themeloop.survey.model import Question, Survey, load_survey


def question_id(column: str) -> str:
    """A question id from a column name: lower-case letters, digits and '_'.

    >>> question_id("Barriers (text)")
    'barriers_text'
    >>> question_id("2024 answer")
    'q_2024_answer'
    """
    slug = re.sub(r"[^a-z0-9]+", "_", column.lower()).strip("_") or "text"
    return f"q_{slug}" if slug[0].isdigit() else slug


def load_adhoc_survey(
    path: str | os.PathLike[str],
    *,
    id_column: str | None,
    text_columns: list[str] | None,
    attributes: list[str] | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
) -> Survey:
    """Read and validate ``path`` with the columns given on the command line.

    Raises
    ------
    ConfigError
        If the id or text column is not given.
    SurveyError
        As :func:`themeloop.survey.load_survey`.
    """
    if not id_column or not text_columns:
        raise ConfigError(f"ad hoc mode ({path}) needs --id-column and --text-column")
    questions: list[Question] = []
    for column in text_columns:
        qid, n = question_id(column), 2
        while qid in {q.id for q in questions}:
            qid, n = f"{question_id(column)}_{n}", n + 1
        questions.append(Question(qid, column))
    return load_survey(path, id_column=id_column, questions=questions,
                       attributes=list(attributes or []), sheet=sheet, encoding=encoding)


def refuse_adhoc_options(**given: object) -> None:
    """Ad hoc options without a FILE would be silently ignored: refuse them.

    >>> refuse_adhoc_options(id_column=None, encoding=None)
    """
    used = [f"--{name.replace('_', '-')}" for name, value in given.items() if value]
    if used:
        verb = "works" if len(used) == 1 else "work"
        raise ConfigError(f"{', '.join(used)} {verb} only with a FILE (ad hoc mode); a project "
                          "takes these from themeloop.toml")
