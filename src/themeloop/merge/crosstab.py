"""Crosstabs of codes by a respondent attribute, with disclosure control.

For each code: how many respondents in each group mentioned it, as a count
and a percentage of the group's base (respondents in the group whose answer
to that question was coded, i.e. whose code value is not missing); the
code's overall prevalence with a Wilson 95% interval; and a test of
independence (see :mod:`themeloop.merge.significance`), named per code.
Model-coded answers (``<question>__coded_by`` = model) count like any other;
where a question has some, a ``(model-coded)`` row after its base says how
many of each group's base the model coded.

Statistical disclosure control: in the *published* table every count below
``suppress_below`` (zero included) is shown as ``<N`` and its percentage is
blanked; when a code's row then has exactly one suppressed group, the next
smallest group is suppressed too so the hidden count cannot be recovered from
the total. What this does not cover: a shown count close to its base reveals
that few respondents did *not* mention the code (e.g. 6 of 7). ``suppress_below=0`` turns suppression off. The published table
leaves out the test statistic and the smallest expected count. The raw counts exist only
in :attr:`CrosstabResult.internal`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from themeloop.errors import MergeError, did_you_mean
from themeloop.merge.core import MergedDataset
from themeloop.merge.significance import independence_test

BASE = "(base)"
MODEL_CODED = "(model-coded)"
MAX_GROUPS = 50
ALL = "all"


@dataclass
class CrosstabResult:
    """Raw (internal) crosstab of every code by ``by``; :meth:`published` suppresses it."""

    by: str
    groups: list[str]
    internal: pd.DataFrame
    suppress_below: int
    n_without_group: int

    def published(self) -> pd.DataFrame:
        """The table for publication: small cells shown as ``<N``, see the module docstring."""
        return suppress(self.internal, self.groups, self.suppress_below)


def crosstab(
    dataset: MergedDataset,
    by: str,
    question: str | None = None,
    suppress_below: int = 5,
    random_state: int = 42,
) -> CrosstabResult:
    """Cross-tabulate every code (of ``question``, or of all questions) by attribute ``by``.

    Respondents with no value for ``by`` are left out (counted in
    ``n_without_group``). ``random_state`` seeds the Monte Carlo test used
    only for very large sparse tables.

    Raises
    ------
    MergeError
        ``by`` is not a column, ``question`` is unknown, or ``suppress_below`` < 0.
    """
    frame = dataset.frame
    if by not in frame.columns:
        columns = [str(c) for c in dataset.original_columns]
        raise MergeError(f"--by: no column '{by}' in the survey{did_you_mean(by, columns)}")
    questions = list(dataset.count_columns)
    if question is not None and question not in questions:
        raise MergeError(
            f"--question: unknown question '{question}'{did_you_mean(question, questions)}; "
            f"questions are: {', '.join(questions)}"
        )
    if suppress_below < 0:
        raise MergeError(f"--suppress-below must be 0 or more, got {suppress_below}")
    group = frame[by].astype(object).where(frame[by].notna(), "").astype(str).str.strip()
    known = (group != "").to_numpy()
    groups = sorted(set(group[known]))
    if len(groups) > MAX_GROUPS:
        raise MergeError(
            f"--by: column '{by}' has {len(groups)} distinct values; a crosstab needs a grouping "
            f"attribute with at most {MAX_GROUPS} (recode it into bands first)"
        )
    rows: list[dict[str, object]] = []
    for qid in [question] if question else questions:
        rows.append(_base_row(frame, dataset.count_columns[qid], qid, group, known, groups))
        model_row = _model_row(dataset, qid, group, known, groups)
        if model_row is not None:
            rows.append(model_row)
        for c in dataset.columns_of(qid):
            rows.append(_code_row(frame[c.column], c.question, c.code, c.label, group, known,
                                  groups, random_state))
    return CrosstabResult(by, groups, pd.DataFrame(rows), suppress_below, int((~known).sum()))


def _base_row(frame: pd.DataFrame, count_column: str, qid: str, group: pd.Series,
              known: np.ndarray, groups: list[str]) -> dict[str, object]:
    valid = frame[count_column].notna().to_numpy() & known
    row: dict[str, object] = {"question": qid, "code": BASE, "label": "respondents coded"}
    for g in groups:
        row[f"{g}: n"] = int((valid & (group == g).to_numpy()).sum())
        row[f"{g}: %"] = np.nan
    row[f"{ALL}: n"] = int(valid.sum())
    return row


def _model_row(dataset: MergedDataset, qid: str, group: pd.Series, known: np.ndarray,
               groups: list[str]) -> dict[str, object] | None:
    """How many of the base were coded by the model, not by people; None when none were."""
    column = dataset.coded_by_columns.get(qid)
    if column is None:
        return None
    by_model = (dataset.frame[column].astype(object) == "model").to_numpy() & known
    if not by_model.any():
        return None
    base = dataset.frame[dataset.count_columns[qid]].notna().to_numpy() & known
    row: dict[str, object] = {"question": qid, "code": MODEL_CODED,
                              "label": "of which coded by the model"}
    for g in groups:
        in_group = (group == g).to_numpy()
        n, b = int((by_model & in_group).sum()), int((base & in_group).sum())
        row[f"{g}: n"] = n
        row[f"{g}: %"] = 100.0 * n / b if b else np.nan
    row[f"{ALL}: n"] = int(by_model.sum())
    row[f"{ALL}: %"] = 100.0 * int(by_model.sum()) / int(base.sum()) if base.any() else np.nan
    return row


def _code_row(values: pd.Series, qid: str, code: str, label: str, group: pd.Series,
              known: np.ndarray, groups: list[str], random_state: int) -> dict[str, object]:
    from statsmodels.stats.proportion import proportion_confint

    valid = values.notna().to_numpy() & known
    mentioned = valid & (values.fillna(0).to_numpy() == 1)
    row: dict[str, object] = {"question": qid, "code": code, "label": label}
    table = []
    for g in groups:
        in_group = (group == g).to_numpy()
        base, count = int((valid & in_group).sum()), int((mentioned & in_group).sum())
        row[f"{g}: n"] = count
        row[f"{g}: %"] = 100.0 * count / base if base else np.nan
        table.append([count, base - count])
    base, count = int(valid.sum()), int(mentioned.sum())
    row[f"{ALL}: n"] = count
    row[f"{ALL}: %"] = 100.0 * count / base if base else np.nan
    low, high = proportion_confint(count, base, alpha=0.05, method="wilson") if base else (np.nan, np.nan)
    row["ci95_low %"], row["ci95_high %"] = 100.0 * low, 100.0 * high
    result = independence_test(np.array(table).reshape(-1, 2), random_state=random_state)
    row.update(test=result.test, statistic=result.statistic, p_value=result.p_value,
               min_expected=result.min_expected)
    return row


def suppress(internal: pd.DataFrame, groups: list[str], threshold: int) -> pd.DataFrame:
    """Apply disclosure control to an internal crosstab (see the module docstring)."""
    out = internal.astype(object).drop(columns=["statistic", "min_expected"], errors="ignore")
    if threshold <= 0:
        return out
    label = f"<{threshold}"
    for i, row in internal.iterrows():
        counts = {g: int(row[f"{g}: n"]) for g in groups}
        hidden = {g for g, n in counts.items() if n < threshold}
        total_hidden = int(row[f"{ALL}: n"]) < threshold
        # Group bases are implied by any shown count and its %, so hiding a second
        # base protects nothing; the base row gets primary suppression only.
        if len(hidden) == 1 and not total_hidden and len(counts) > 1 and row["code"] != BASE:
            shown = sorted((n, g) for g, n in counts.items() if g not in hidden)
            hidden.add(shown[0][1])
        for g in hidden:
            out.at[i, f"{g}: n"] = label
            out.at[i, f"{g}: %"] = np.nan
        if total_hidden:
            out.at[i, f"{ALL}: n"] = label
            for column in (f"{ALL}: %", "ci95_low %", "ci95_high %"):
                if column in out.columns:
                    out.at[i, column] = np.nan
    return out
