"""Shared pieces of the autocode benches: scores and the two baselines."""

from __future__ import annotations

import warnings

import numpy as np


def scores(pred: np.ndarray, truth: np.ndarray) -> dict:
    from themeloop.autocode.evaluate import f1_scores

    s = f1_scores(np.asarray(pred, bool), np.asarray(truth, bool))
    return {k: round(float(s[k]), 4) for k in ("sample_f1", "micro_f1", "macro_f1")}


def _ovr(features_train, y_train: np.ndarray, features_test, n_test: int) -> np.ndarray:
    """One-vs-rest scikit-learn LR (defaults), threshold 0.5; constant codes stay constant."""
    from sklearn.linear_model import LogisticRegression

    out = np.zeros((n_test, y_train.shape[1]), dtype=bool)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for k in range(y_train.shape[1]):
            col = y_train[:, k]
            if col.all():
                out[:, k] = True
            elif col.any():
                model = LogisticRegression(max_iter=1000).fit(features_train, col)
                out[:, k] = model.predict_proba(features_test)[:, 1] >= 0.5
    return out


def baselines(x_train, y_train, t_train, x_test, t_test, y_test) -> dict:
    """TF-IDF + one-vs-rest LR, and frozen-embedding one-vs-rest LR at 0.5."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        vec = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2)).fit(t_train)
        tfidf = _ovr(vec.transform(t_train), y_train, vec.transform(t_test), len(t_test))
        emb = _ovr(x_train, y_train, x_test, len(x_test))
    return {"tfidf_ovr_lr": scores(tfidf, y_test), "embedding_lr_0.5": scores(emb, y_test)}


def supervised(rows: list[dict]) -> dict:
    """Mean over draws of each method's scores."""
    out: dict = {"n_draws": len(rows)}
    methods = [m for m in ("autocoder", "autocoder_first_version", "tfidf_ovr_lr",
                           "embedding_lr_0.5") if m in rows[0]]
    for method in methods:
        out[method] = {m: round(float(np.mean([r[method][m] for r in rows])), 4)
                       for m in ("sample_f1", "micro_f1", "macro_f1")}
    out["fit_s"] = round(float(np.mean([r["fit_s"] for r in rows])), 1)
    return out


# The issue-13 first version's settings: a plain regression per code with 8 positives or
# more, no zero-shot prior, thresholds by CV at any count, "none" always allowed. The
# benches fit it beside the current defaults as the in-run baseline of the changes.
FIRST_VERSION = {"prior_weight": 0.0, "min_positives": 8, "none_rate": 0.0,
                 "threshold_positives": 1}
