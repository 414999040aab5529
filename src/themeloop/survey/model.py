"""A validated survey and its long responses table.

:func:`load_survey` reads a file, checks the id and question columns and
returns a :class:`Survey`. :meth:`Survey.responses` gives the long table of
DESIGN.md: one row per (respondent, question).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from themeloop.errors import SurveyError, did_you_mean
from themeloop.survey.load import SurveyData, read_survey_file
from themeloop.survey.nonsubstantive import is_substantive, normalise

RESPONSE_COLUMNS = [
    "response_id", "respondent_id", "question", "text", "substantive", "duplicate_of",
]


@dataclass(frozen=True)
class Question:
    """One free-text question: its id (used in codes and column names), column and prompt."""

    id: str
    column: str
    prompt: str = ""


@dataclass
class Survey:
    """A survey that passed validation."""

    data: SurveyData
    id_column: str
    questions: list[Question]
    attributes: list[str] = field(default_factory=list)

    @property
    def path(self) -> Path:
        return self.data.path

    @property
    def frame(self) -> pd.DataFrame:
        return self.data.frame

    @property
    def ids(self) -> list[str]:
        return [_id_text(v) for v in self.frame[self.id_column]]

    def question(self, qid: str) -> Question:
        for q in self.questions:
            if q.id == qid:
                return q
        ids = [q.id for q in self.questions]
        raise SurveyError(f"unknown question '{qid}'{did_you_mean(qid, ids)}; questions are: {', '.join(ids)}")

    def responses(self) -> pd.DataFrame:
        """The long responses table, respondents in file order within each question.

        ``response_id`` is ``<respondent id>:<question id>``, stable across runs.
        ``duplicate_of`` holds the ``response_id`` of the first answer to the same
        question with the same normalised text, or is empty.
        """
        ids = self.ids
        parts = []
        for q in self.questions:
            texts = [_cell_text(v) for v in self.frame[q.column]]
            substantive = [is_substantive(t) for t in texts]
            rids = [f"{rid}:{q.id}" for rid in ids]
            first: dict[str, str] = {}
            dup = []
            for rid, text, sub in zip(rids, texts, substantive):
                key = normalise(text)
                if sub and key in first:
                    dup.append(first[key])
                else:
                    dup.append("")
                    if sub:
                        first[key] = rid
            parts.append(
                pd.DataFrame(
                    {"response_id": rids, "respondent_id": ids, "question": q.id, "text": texts,
                     "substantive": substantive, "duplicate_of": dup}
                )
            )
        return pd.concat(parts, ignore_index=True)[RESPONSE_COLUMNS]


def _id_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None or (isinstance(value, float) and value != value) else str(value).strip()


def _cell_text(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value)


def load_survey(
    path: str | Path,
    *,
    id_column: str,
    questions: list[Question],
    attributes: list[str] | None = None,
    sheet: str | None = None,
    encoding: str | None = None,
) -> Survey:
    """Read and validate a survey file.

    Raises
    ------
    SurveyError
        With a one-line message naming the file, column and rows.
    """
    data = read_survey_file(path, sheet=sheet, encoding=encoding)
    frame = data.frame
    where = data.path
    columns = [str(c) for c in frame.columns]
    _require_column(where, id_column, columns, "id")
    for q in questions:
        _require_column(where, q.column, columns, f"question '{q.id}'")
    for attr in attributes or []:
        _require_column(where, attr, columns, "attribute")
    _check_formula_ids(data, id_column)
    _check_ids(where, frame[id_column], id_column)
    for q in questions:
        _check_text(where, frame[q.column], q.column)
    return Survey(data, id_column, list(questions), list(attributes or []))


def _require_column(where: Path, name: str, columns: list[str], role: str) -> None:
    if name not in columns:
        raise SurveyError(
            f"{where}: no {role} column '{name}'{did_you_mean(name, columns)}; "
            f"columns are: {', '.join(columns[:12])}{' ...' if len(columns) > 12 else ''}"
        )


def _row(index: int) -> int:
    """Row number as a spreadsheet shows it: the header is row 1."""
    return index + 2


def _check_formula_ids(data: SurveyData, column: str) -> None:
    """An id must be a typed value: a formula's result can change when the sheet does."""
    cells = data.formula_cells.get(column)
    if cells:
        more = f" and {len(cells) - 5} more" if len(cells) > 5 else ""
        raise SurveyError(
            f"{data.path}: sheet '{data.sheet}': id column '{column}' holds formulas "
            f"({', '.join(cells[:5])}{more}); ids must be typed values: copy the column and "
            "paste it as values"
        )


def _check_ids(where: Path, values: pd.Series, column: str) -> None:
    ids = [_id_text(v) for v in values]
    empty = [i for i, v in enumerate(ids) if v == ""]
    if empty:
        rows = ", ".join(str(_row(i)) for i in empty[:5])
        raise SurveyError(
            f"{where}: column '{column}' has an empty id at row {rows}; every respondent needs a unique id"
        )
    seen: dict[str, int] = {}
    clashes: list[str] = []
    for i, value in enumerate(ids):
        if value in seen:
            clashes.append(f"'{value}' (rows {_row(seen[value])} and {_row(i)})")
        else:
            seen[value] = i
    if clashes:
        more = f" and {len(clashes) - 3} more" if len(clashes) > 3 else ""
        raise SurveyError(
            f"{where}: column '{column}' has duplicate ids: {', '.join(clashes[:3])}{more}; "
            "ids must be unique"
        )


def _check_text(where: Path, values: pd.Series, column: str) -> None:
    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
        raise SurveyError(
            f"{where}: question column '{column}' holds numbers ({values.dtype}), not text; "
            "choose a free-text column"
        )
    filled = [str(v).strip() for v in values if _cell_text(v).strip()]
    if filled and all(_is_number(v) for v in filled):
        raise SurveyError(
            f"{where}: question column '{column}' holds only numbers, not text; "
            "choose a free-text column"
        )


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
