"""Does the model code some respondents differently from the coders? (iQual's bias check.)

On the cross-fitted answers (each coded by a model that never saw it), the
model's error on an answer and code is ``human - model`` (1: the model
missed a code the coders gave, -1: it added one). For each respondent
attribute, code and group of the attribute, the mean error in the group is
compared with the mean error of everyone else:

- with at least :data:`LARGE` answers on both sides, Welch's t-test: the
  regression of ``human - model`` on the group's dummy with heteroskedasticity-
  robust (HC2) standard errors, which for one dummy is exactly Welch's test;
- below that, the exact permutation test of the same difference (every way
  of drawing the smaller side), which needs no distributional assumption.

The p-values of a question are Holm-corrected together. A group whose Holm p
is below :data:`ALPHA`, and whose own error has the same sign, is a warning:
the model **under**-codes it (misses more codes there than elsewhere) or
**over**-codes it.

Examples
--------
>>> holm([0.01, 0.04, 0.03])
[0.03, 0.06, 0.06]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

LARGE = 30
ALPHA = 0.05
MAX_GROUPS = 20  # an attribute with more distinct values is not a grouping (an id, a number)
METHOD = (
    "Per question, respondent attribute, code and group, on the cross-fitted answers: the "
    "mean of human minus model (1 = the model missed the code, -1 = it added it) in the group "
    "against the rest of the answers. Welch's t-test (the regression of human - model on the "
    f"group's dummy with HC2 standard errors) when both sides have at least {LARGE} answers, "
    "else the exact permutation test of that difference. Holm-corrected within each "
    f"question; Holm p < {ALPHA} is a warning."
)


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values, in the order given."""
    p = np.asarray(p_values, dtype=float)
    m = len(p)
    order = np.argsort(p, kind="stable")
    adjusted = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        adjusted[i] = running
    return [round(float(v), 6) for v in adjusted]


def difference_p(error: np.ndarray, in_group: np.ndarray) -> float:
    """Two-sided p-value of mean(error | group) = mean(error | rest); ``error`` in {-1, 0, 1}."""
    a, b = error[in_group], error[~in_group]
    if np.all(error == error[0]):
        return 1.0
    if len(a) >= LARGE and len(b) >= LARGE:
        from scipy.stats import ttest_ind

        p = float(ttest_ind(a, b, equal_var=False).pvalue)
        return 1.0 if not np.isfinite(p) else p
    return exact_p(error, in_group)


def exact_p(error: np.ndarray, in_group: np.ndarray) -> float:
    """The permutation test, exactly: every way of drawing the smaller side's answers.

    The errors take three values, so a random draw of ``n`` answers is
    multivariate hypergeometric in how many -1, 0 and 1 it holds; summing its
    probability over the draws whose difference of means is at least the
    observed one is the exact p-value, in O(n^2) for the smaller side's ``n``.
    """
    from math import exp

    from scipy.special import gammaln

    small = in_group if in_group.sum() <= (~in_group).sum() else ~in_group
    n, total_n = int(small.sum()), len(error)
    minus, zero, plus = (int((error == v).sum()) for v in (-1, 0, 1))
    total = int(error.sum())

    def log_comb(m: int, k: int) -> float:
        return float(gammaln(m + 1) - gammaln(k + 1) - gammaln(m - k + 1))

    def gap(s: int) -> float:
        return abs(s / n - (total - s) / (total_n - n))

    observed = gap(int(error[small].sum()))
    denominator = log_comb(total_n, n)
    p = 0.0
    for k_minus in range(min(minus, n) + 1):
        for k_plus in range(min(plus, n - k_minus) + 1):
            k_zero = n - k_minus - k_plus
            if k_zero <= zero and gap(k_plus - k_minus) >= observed - 1e-12:
                p += exp(log_comb(minus, k_minus) + log_comb(zero, k_zero)
                         + log_comb(plus, k_plus) - denominator)
    return min(1.0, p)


def direction(contrast: float, error: float, p_holm: float) -> str | None:
    """``"under"`` / ``"over"`` when the group differs from the rest (Holm p < ALPHA) and is
    itself mis-coded that way: with two groups, the group the model codes like the coders
    is not flagged only because the other one is."""
    if p_holm >= ALPHA:
        return None
    if contrast > 0 and error > 0:
        return "under"
    if contrast < 0 and error < 0:
        return "over"
    return None


def _groups(values: pd.Series) -> list[str] | None:
    present = sorted({str(v) for v in values if str(v) != ""})
    return present if 2 <= len(present) <= MAX_GROUPS else None


def question_bias(crossfit: pd.DataFrame, groups: pd.DataFrame, *, question: str
                  ) -> dict[str, Any]:
    """``model_bias.json``'s entry of one question.

    ``crossfit``: ``response_id, code, human, model`` (0/1) of the question;
    ``groups``: one row per ``response_id`` (the index) and one text column
    per attribute (``""`` where unknown).
    """
    tests: list[dict[str, Any]] = []
    skipped: list[str] = []
    for attribute in groups.columns:
        levels = _groups(groups[attribute])
        if levels is None:
            skipped.append(str(attribute))
            continue
        for code, rows in crossfit.groupby("code", sort=True):
            value = rows["response_id"].map(groups[attribute]).fillna("").astype(str).to_numpy()
            known = value != ""
            human = rows["human"].to_numpy(int)[known]
            model = rows["model"].to_numpy(int)[known]
            value = value[known]
            if not (human.any() or model.any()):
                continue  # a code nobody gave: nothing to compare
            error = human - model
            for level in levels:
                mask = value == level
                n = int(mask.sum())
                if n < 2 or n > len(value) - 2:
                    continue
                tests.append({
                    "attribute": str(attribute), "code": str(code), "group": level, "n": n,
                    "human_rate": round(float(human[mask].mean()), 6),
                    "model_rate": round(float(model[mask].mean()), 6),
                    "diff": round(float(model[mask].mean() - human[mask].mean()), 6),
                    "contrast": round(float(error[mask].mean() - error[~mask].mean()), 6),
                    "p_value": round(difference_p(error, mask), 6),
                })
    for test, adjusted in zip(tests, holm([t["p_value"] for t in tests])):
        test["p_holm"] = adjusted
        test["direction"] = direction(test["contrast"], -test["diff"], adjusted)
    warnings = [
        f"{question}: the model {t['direction']}-codes '{t['code']}' for {t['attribute']} = "
        f"{t['group']} (model {t['model_rate']:.2f} against coders {t['human_rate']:.2f}, "
        f"n = {t['n']}, Holm p = {t['p_holm']:.3g})"
        for t in tests if t["direction"] is not None]
    return {"tests": tests, "warnings": warnings, "attributes_skipped": skipped}


def respondent_groups(responses: pd.DataFrame, frame: pd.DataFrame, ids: Sequence[str],
                      attributes: Sequence[str]) -> pd.DataFrame:
    """Per ``response_id``, the respondent's attribute values as text (``""`` if missing).

    ``ids`` are the respondent ids of ``frame``'s rows, as the survey spells them.
    """
    import pandas as pd

    table = pd.DataFrame({a: frame[a].map(_text).to_numpy() for a in attributes},
                         index=list(ids))
    table = table[~table.index.duplicated()]
    rows = table.reindex(responses["respondent_id"].astype(str).to_numpy()).fillna("")
    rows.index = responses["response_id"].to_numpy()
    return rows


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    text = str(value).strip()
    return "" if text.lower() in ("nan", "none", "<na>") else text
