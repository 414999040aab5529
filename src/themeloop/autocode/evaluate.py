"""Honest evaluation: cross-fitted predictions, model vs each human, human-only codes.

Every coded answer is predicted by a model that never saw it (``folds``-fold
cross-fitting; thresholds are chosen inside each training part). The
out-of-fold codes become a coding table with ``source = model`` and go
through :func:`themeloop.agreement.model_vs_human`, so the model is judged on
exactly the coefficients humans are judged on. A code whose model-vs-human
Krippendorff alpha (mean over the human coders) is below ``alpha_floor`` is
human-only: it is never applied automatically.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from themeloop.autocode.estimator import AutoCoder
from themeloop.autocode.labels import Targets
from themeloop.autocode.prototypes import Prototypes

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_ALPHA_FLOOR = 0.667


def cross_fit(
    make: Callable[[], AutoCoder], x: np.ndarray, y: np.ndarray, *, codes: Sequence[str],
    prototypes: Prototypes, texts: Sequence[str] | None = None, folds: int = 5, seed: int = 42,
    ids: Sequence[str] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold scores and codes for every labelled row: (proba, given), each (n, k).

    With ``ids`` (the rows' response ids), a codebook example quoting a
    held-out answer is left out of that fold's prototypes: otherwise the
    answer is scored against its own text and the agreement flatters.
    """
    n = len(x)
    folds = max(2, min(folds, n))
    fold_of = np.random.default_rng(seed).permutation(np.arange(n) % folds)
    proba = np.zeros((n, len(codes)))
    given = np.zeros((n, len(codes)), dtype=bool)
    for f in range(folds):
        test = fold_of == f
        train = ~test
        fold_prototypes = prototypes if ids is None else prototypes.without(
            [ids[i] for i in np.flatnonzero(test)])
        model = make().fit(x[train], y[train], codes=codes, prototypes=fold_prototypes,
                           texts=None if texts is None else [texts[i] for i in np.flatnonzero(train)])
        t_texts = None if texts is None else [texts[i] for i in np.flatnonzero(test)]
        proba[test] = model.predict_proba(x[test], t_texts)
        given[test] = model.decide(proba[test], x[test])
    return proba, given


def _f1_parts(pred: np.ndarray, truth: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    tp = (pred & truth).astype(float)
    return tp, (pred & ~truth).astype(float), (~pred & truth).astype(float)


def f1_scores(pred: np.ndarray, truth: np.ndarray) -> dict[str, Any]:
    """Sample-, micro- and macro-F1 and per-code precision, recall and F1.

    Sample-F1 counts an answer where both sides give no code as 1 (agreement
    on "none fits"); macro-F1 averages the codes that occur in ``truth``.
    """
    pred, truth = np.asarray(pred, bool), np.asarray(truth, bool)
    tp, fp, fn = _f1_parts(pred, truth)
    per_tp, per_fp, per_fn = tp.sum(0), fp.sum(0), fn.sum(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(per_tp + per_fp > 0, per_tp / (per_tp + per_fp), 0.0)
        recall = np.where(per_tp + per_fn > 0, per_tp / (per_tp + per_fn), 0.0)
        f1 = np.where(2 * per_tp + per_fp + per_fn > 0,
                      2 * per_tp / (2 * per_tp + per_fp + per_fn), 0.0)
        row = 2 * tp.sum(1) + fp.sum(1) + fn.sum(1)
        sample = np.where(row > 0, 2 * tp.sum(1) / np.where(row > 0, row, 1), 1.0)
    micro_den = 2 * per_tp.sum() + per_fp.sum() + per_fn.sum()
    present = truth.sum(0) > 0
    return {
        "sample_f1": float(sample.mean()) if len(sample) else None,
        "micro_f1": float(2 * per_tp.sum() / micro_den) if micro_den else None,
        "macro_f1": float(f1[present].mean()) if present.any() else None,
        "precision": precision, "recall": recall, "f1": f1, "support": truth.sum(0),
    }


def bootstrap_f1(pred: np.ndarray, truth: np.ndarray, *, n_boot: int = 1000, seed: int = 42
                 ) -> dict[str, list[float] | None]:
    """95% percentile intervals of sample-, micro- and macro-F1 over resampled answers.

    A resample only reweights answers, so each replicate is a weight vector
    times per-answer counts: one matrix product for all replicates.
    """
    pred, truth = np.asarray(pred, bool), np.asarray(truth, bool)
    n = len(pred)
    if n_boot <= 0 or n < 2:
        return {"sample_f1": None, "micro_f1": None, "macro_f1": None}
    rng = np.random.default_rng(seed)
    w = rng.multinomial(n, np.full(n, 1.0 / n), size=n_boot).astype(float)  # (B, n)
    tp, fp, fn = _f1_parts(pred, truth)
    row = 2 * tp.sum(1) + fp.sum(1) + fn.sum(1)
    sample = np.where(row > 0, 2 * tp.sum(1) / np.where(row > 0, row, 1), 1.0)
    out: dict[str, list[float] | None] = {}
    out["sample_f1"] = _interval(w @ sample / n)
    btp, bfp, bfn = w @ tp, w @ fp, w @ fn                               # (B, k)
    den = 2 * btp.sum(1) + bfp.sum(1) + bfn.sum(1)
    out["micro_f1"] = _interval(np.where(den > 0, 2 * btp.sum(1) / np.where(den > 0, den, 1), np.nan))
    code_den = 2 * btp + bfp + bfn
    present = (w @ truth.astype(float)) > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        per = np.where(code_den > 0, 2 * btp / np.where(code_den > 0, code_den, 1), 0.0)
        macro = np.where(present.any(1), (per * present).sum(1) / present.sum(1), np.nan)
    out["macro_f1"] = _interval(macro)
    return out


def _interval(values: np.ndarray) -> list[float] | None:
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return None
    low, high = np.percentile(values, [2.5, 97.5])
    return [round(float(low), 6), round(float(high), 6)]


def model_rows(ids: Sequence[str], given: np.ndarray, proba: np.ndarray, codes: Sequence[str],
               *, question: str, coder: str) -> pd.DataFrame:
    """A coding table of model codes: one row per code given, one empty row where none."""
    import pandas as pd

    records = []
    for i, rid in enumerate(ids):
        hits = np.flatnonzero(given[i])
        if len(hits) == 0:
            best = float(proba[i].max()) if proba.shape[1] else 0.0
            records.append((rid, question, coder, "", "model", 1.0 - best))
        for k in hits:
            records.append((rid, question, coder, codes[k], "model", float(proba[i, k])))
    return pd.DataFrame(records, columns=["response_id", "question", "coder", "code", "source",
                                          "score"])


def evaluate_model(
    make: Callable[[], AutoCoder], x: np.ndarray, texts: Sequence[str], ids: Sequence[str],
    human: pd.DataFrame, targets: Targets, *, codes: Sequence[str], prototypes: Prototypes,
    question: str, folds: int = 5, seed: int = 42, bootstrap: int = 1000,
    alpha_floor: float = DEFAULT_ALPHA_FLOOR, model_coder: str = "model",
) -> dict[str, Any]:
    """Cross-fitted agreement of the model with each human, for agreement_model.json.

    ``human`` is the question's coding table rows; ``targets`` its labels for
    the answers ``ids`` / ``x`` / ``texts`` (see :func:`labels.targets`).
    """
    import pandas as pd

    from themeloop.agreement import model_vs_human

    idx = targets.index
    xs, ts = x[idx], [texts[i] for i in idx]
    coded_ids = [ids[i] for i in idx]
    proba, given = cross_fit(make, xs, targets.y, codes=codes, prototypes=prototypes, texts=ts,
                             folds=folds, seed=seed, ids=coded_ids)
    rows = model_rows(coded_ids, given, proba, codes, question=question, coder=model_coder)
    table = pd.concat([human.assign(source=human.get("source", "human")), rows.drop(columns="score")],
                      ignore_index=True)
    table["source"] = table["source"].replace("", "human")
    agreement = model_vs_human(table, bootstrap=bootstrap, seed=seed)["questions"].get(question)
    truth = targets.y >= 0.5
    scores = f1_scores(given, truth)
    per_code: dict[str, Any] = {}
    alphas = _model_alphas(agreement, codes)
    for k, code in enumerate(codes):
        alpha = alphas.get(code)
        human_only = alpha is None or alpha < alpha_floor
        reason = ("model-vs-human alpha undefined (too few codes to judge)" if alpha is None else
                  f"model-vs-human alpha {alpha:.3f} < floor {alpha_floor}" if human_only else "")
        per_code[code] = {
            "support": int(scores["support"][k]),
            "precision": round(float(scores["precision"][k]), 6),
            "recall": round(float(scores["recall"][k]), 6),
            "f1": round(float(scores["f1"][k]), 6),
            "model_human_alpha": alpha,
            "human_only": human_only,
            "reason": reason,
        }
    return {
        "question": question,
        "n_coded": len(idx),
        "folds": folds,
        "seed": seed,
        "alpha_floor": alpha_floor,
        "sample_f1": _r(scores["sample_f1"]),
        "micro_f1": _r(scores["micro_f1"]),
        "macro_f1": _r(scores["macro_f1"]),
        "ci95": bootstrap_f1(given, truth, n_boot=bootstrap, seed=seed),
        "per_code": per_code,
        "human_only": [c for c, v in per_code.items() if v["human_only"]],
        "agreement": agreement,
    }


def _model_alphas(agreement: dict[str, Any] | None, codes: Sequence[str]) -> dict[str, float | None]:
    """Per code, the mean Krippendorff alpha of the model against each human coder."""
    out: dict[str, float | None] = {}
    pairs = (agreement or {}).get("model_pairs", [])
    for code in codes:
        values = [p["per_code"][code]["krippendorff_alpha"] for p in pairs
                  if code in p["per_code"] and p["per_code"][code]["krippendorff_alpha"] is not None]
        out[code] = round(float(np.mean(values)), 6) if values else None
    return out


def _r(value: float | None) -> float | None:
    return None if value is None else round(float(value), 6)
