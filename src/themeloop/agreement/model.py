"""The model's suggestions against each human coder (``agreement_model.json``)."""

from __future__ import annotations

from itertools import combinations
from typing import TYPE_CHECKING, Any

import numpy as np

from themeloop.agreement.compute import (
    _check_arguments,
    _unusable,
    defaults,
    question_agreement,
)
from themeloop.agreement.ratings import build_ratings
from themeloop.coding import judged_rows, validate_coding_table
from themeloop.errors import AgreementError

if TYPE_CHECKING:
    import pandas as pd

SUMMARY_KEYS = ("percent_agreement", "krippendorff_alpha_masi", "mean_krippendorff_alpha")


def model_vs_human(
    table: pd.DataFrame,
    level: str | None = None,
    bootstrap: int | None = None,
    seed: int | None = None,
    question: str | None = None,
) -> dict[str, Any]:
    """Agreement of each model coder with each human coder, beside human-human pairs.

    The model's rows are those with ``source="model"`` (see
    :func:`themeloop.coding.assignments_to_coding` for ``assignments.csv``).
    Every pair gets the same block as a question in agreement.json, and
    ``summary`` averages the pairs, so a report can say whether the model
    agrees with coders about as well as coders agree with each other.

    Defaults (``None``) are the project config's.

    Returns
    -------
    ``{"questions": {q: {"model_coders", "human_coders", "human_pairs",
    "model_pairs", "summary"}}}``; each pair is ``{"coders": [a, b], **block}``.

    Raises
    ------
    AgreementError
        If the table has no model rows, or no question has both a model and a human coder.
    """
    cfg = defaults()
    level = cfg["level"] if level is None else level
    bootstrap = cfg["bootstrap"] if bootstrap is None else bootstrap
    seed = cfg["seed"] if seed is None else seed
    _check_arguments(level, bootstrap, seed)
    table = validate_coding_table(table)
    humans = judged_rows(table, ("human",))
    models = judged_rows(table, ("model",))
    if models.empty:
        raise AgreementError("no model suggestions in the coding table (rows with "
                             "source=model); convert assignments.csv with assignments_to_coding")
    questions = sorted(set(models["question"]) & set(humans["question"]))
    if question is not None:
        questions = [q for q in questions if q == question]
    out: dict[str, Any] = {"questions": {}}
    for qid in questions:
        h = humans[humans["question"] == qid]
        m = models[models["question"] == qid]
        human_coders = sorted(h["coder"].unique())
        model_coders = sorted(m["coder"].unique())
        pairs = [(a, b, h) for a, b in combinations(human_coders, 2)]
        model_pairs = [(a, b, None) for a in model_coders for b in human_coders]
        both = {
            "human_pairs": [_pair(h, qid, a, b, level, bootstrap, seed) for a, b, _ in pairs],
            "model_pairs": [_pair(_concat(m, h), qid, a, b, level, bootstrap, seed)
                            for a, b, _ in model_pairs],
        }
        kept: dict[str, list[dict[str, Any]]] = {
            k: [p for p in v if p is not None] for k, v in both.items()}
        out["questions"][qid] = {
            "model_coders": model_coders,
            "human_coders": human_coders,
            **kept,
            "summary": {"human_human": _mean(kept["human_pairs"]),
                        "model_human": _mean(kept["model_pairs"])},
        }
    if not out["questions"]:
        raise AgreementError("no question has both model suggestions and human codes")
    return out


def _concat(first: pd.DataFrame, second: pd.DataFrame) -> pd.DataFrame:
    import pandas as pd

    return pd.concat([first, second], ignore_index=True)


def _pair(rows: pd.DataFrame, qid: str, a: str, b: str, level: str, bootstrap: int,
          seed: int) -> dict[str, Any] | None:
    ratings = build_ratings(rows[rows["coder"].isin((a, b))], qid)
    if _unusable(ratings):
        return None
    block, _ = question_agreement(ratings, level=level, bootstrap=bootstrap, seed=seed)
    return {**block, "coders": [a, b]}  # the block's keys, coders in pair order (model first)


def _mean(pairs: list[dict[str, Any]]) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for key in SUMMARY_KEYS:
        values = [p["overall"][key] for p in pairs if p["overall"][key] is not None]
        out[key] = round(float(np.mean(values)), 6) if values else None
    out["n_pairs"] = len(pairs)
    return out
