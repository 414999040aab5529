"""Guess a project's id, free-text and attribute columns from a survey file."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

from themeloop.survey.model import _cell_text, _id_text
from themeloop.survey.nonsubstantive import is_substantive

_ID_NAMES = re.compile(r"(^|_)(id|respondent|resp|case|record|uuid|key)(_|$|id)", re.I)


@dataclass
class Guess:
    """What ``themeloop init`` guessed, with a reason for each choice."""

    id_column: str
    questions: list[str]
    attributes: list[str]
    reasons: dict[str, str] = field(default_factory=dict)


def _is_unique_id(values: pd.Series) -> bool:
    ids = [_id_text(v) for v in values]
    return all(ids) and len(set(ids)) == len(ids)


def _text_stats(values: pd.Series) -> tuple[float, float]:
    """(mean words of substantive answers, share of distinct answers)."""
    texts = [_cell_text(v) for v in values]
    sub = [t for t in texts if is_substantive(t)]
    if not sub:
        return 0.0, 0.0
    return sum(len(t.split()) for t in sub) / len(sub), len(set(sub)) / len(sub)


def guess_columns(frame: pd.DataFrame, max_attribute_values: int = 12) -> Guess:
    """Guess the id column, free-text question columns and attribute columns.

    An id is unique and non-empty for every row, preferring a name like ``id``.
    A free-text column is textual with long (mean ≥ 4 words) and varied
    (≥ 60% distinct) answers. An attribute has 2 to ``max_attribute_values``
    distinct values.
    """
    columns = [str(c) for c in frame.columns]
    unique = [c for c in columns if _is_unique_id(frame[c])]
    named = [c for c in unique if _ID_NAMES.search(c)]
    id_column = (named or unique or columns)[0]
    reasons = {id_column: "unique for every row" if id_column in unique else "first column"}
    questions, attributes = [], []
    for c in columns:
        if c == id_column:
            continue
        values = frame[c]
        if not (pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)):
            words, distinct = _text_stats(values)
            if words >= 4 and distinct >= 0.6:
                questions.append(c)
                reasons[c] = f"free text: {words:.0f} words on average, {distinct:.0%} distinct"
                continue
        n_values = values.astype("string").replace("", pd.NA).dropna().nunique()
        if 2 <= n_values <= max_attribute_values:
            attributes.append(c)
            reasons[c] = f"{n_values} distinct values"
    return Guess(id_column, questions, attributes, reasons)
