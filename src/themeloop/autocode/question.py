"""One question through the autocode stage: cross-fit, judge, fit, code the rest, route to review.

The estimator is :class:`~themeloop.autocode.estimator.AutoCoder`, used only
through its public API (``fit``, ``predict_proba``, ``decide``,
``thresholds_``) and :func:`~themeloop.autocode.evaluate.cross_fit`, so
improvements to it flow through unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from themeloop.autocode.estimator import SUPERVISED, ZERO_SHOT, AutoCoder
from themeloop.autocode.evaluate import cross_fit, f1_scores, model_rows

if TYPE_CHECKING:
    import pandas as pd

    from themeloop.autocode.project import QuestionData
    from themeloop.autocode.prototypes import Prototypes
    from themeloop.embed import Embedder

MIN_CODED = 10  # fewer human-coded answers: zero-shot (cross-fitting needs something to fit)
CURVE_FRACTIONS = (0.25, 0.5, 0.75)
JUDGE_CODER = "autocoder"  # the model's name while it is judged (never a person's e-mail)


@dataclass(frozen=True)
class Settings:
    """What the stage needs from ``[autocode]`` and ``[agreement]``."""

    floor: float = 0.667
    review_band: float = 0.15
    seed: int = 42
    folds: int = 5
    min_positives: int = 8
    bootstrap: int = 1000

    def make(self) -> AutoCoder:
        return AutoCoder(random_state=self.seed, min_positives=self.min_positives)


@dataclass
class QuestionResult:
    """What the stage learned and decided for one question."""

    question: str
    mode: str
    model: AutoCoder
    crossfit: pd.DataFrame
    coded_ids: list[str]
    uncoded_ids: list[str]
    proba: np.ndarray  # (n uncoded, k) scores
    given: np.ndarray  # (n uncoded, k) codes applied (human-only codes never)
    judged: dict[str, Any] | None
    curve: list[dict[str, Any]] = field(default_factory=list)


def supervised(q: QuestionData) -> bool:
    """Enough human-coded answers, with more than one pattern of codes, to learn from."""
    y = q.targets.y
    return len(q.targets.index) >= MIN_CODED and len(np.unique(y >= 0.5, axis=0)) >= 2


def _fit(make: AutoCoder, x: np.ndarray, y: np.ndarray | None, q: QuestionData,
         prototypes: Prototypes, texts: list[str] | None) -> AutoCoder:
    return make.fit(x, y, codes=q.code_ids, prototypes=prototypes, texts=texts)


def _judge_rows(ids: list[str], given: np.ndarray, proba: np.ndarray, q: QuestionData
                ) -> pd.DataFrame:
    return model_rows(ids, given, proba, q.code_ids, question=q.question, coder=JUDGE_CODER)


def _point(n: int, ids: list[str], given: np.ndarray, proba: np.ndarray, truth: np.ndarray,
           q: QuestionData) -> dict[str, Any]:
    import pandas as pd

    from themeloop.autocode.judge import masi_mean, pair_ratings

    human = q.human[q.human["response_id"].isin(set(ids))]
    rows = _judge_rows(ids, given, proba, q)
    cols = ["response_id", "question", "coder", "code"]
    table = pd.concat([human[cols], rows[cols]], ignore_index=True)
    coders = sorted(set(human["coder"]))
    alpha = masi_mean(pair_ratings(table, q.question, JUDGE_CODER, coders)) if coders else None
    f1 = f1_scores(given, truth)["sample_f1"]
    return {"n": n, "masi_alpha": alpha, "sample_f1": None if f1 is None else round(f1, 6)}


def zero_shot_out_of_fold(q: QuestionData, x: np.ndarray, prototypes: Prototypes, s: Settings
                          ) -> tuple[np.ndarray, np.ndarray]:
    """Zero-shot scores and codes of the human-coded answers, judged honestly.

    No labels are learned, but a codebook example may quote a coded answer by
    its response id; scored against its own text, that answer would flatter
    the model. So each fold is scored by prototypes without the examples
    quoting its answers (one fit when no example quotes a coded answer).
    """
    idx = q.targets.index
    ids = [q.ids[i] for i in idx]
    if prototypes.without(ids) is prototypes:
        model = _fit(s.make(), x, None, q, prototypes, None)
        proba = model.predict_proba(x[idx])
        return proba, model.decide(proba, x[idx])
    folds = max(2, min(s.folds, len(idx)))
    fold_of = np.random.default_rng(s.seed).permutation(np.arange(len(idx)) % folds)
    proba = np.zeros((len(idx), len(q.code_ids)))
    given = np.zeros((len(idx), len(q.code_ids)), dtype=bool)
    for f in range(folds):
        test = np.flatnonzero(fold_of == f)
        model = _fit(s.make(), x, None, q, prototypes.without([ids[i] for i in test]), None)
        proba[test] = model.predict_proba(x[idx[test]])
        given[test] = model.decide(proba[test], x[idx[test]])
    return proba, given


def learning_curve(q: QuestionData, x: np.ndarray, prototypes: Prototypes, s: Settings,
                   full: tuple[np.ndarray, np.ndarray]) -> list[dict[str, Any]]:
    """Agreement against the number of human-coded answers learned from.

    n = 0 is the zero-shot model (the codebook only); then nested random
    subsets of the coded answers (each cross-fitted on itself), ending with
    all of them (the stage's own cross-fit, ``full``).
    """
    idx = q.targets.index
    n = len(idx)
    ids = [q.ids[i] for i in idx]
    truth = q.targets.y >= 0.5
    zp, zgiven = zero_shot_out_of_fold(q, x, prototypes, s)
    points = [_point(0, ids, zgiven, zp, truth, q)]
    order = np.random.default_rng(s.seed).permutation(n)
    sizes = sorted({round(f * n) for f in CURVE_FRACTIONS} - {n})
    for m in (m for m in sizes if m >= MIN_CODED):
        sub = np.sort(order[:m])
        if len(np.unique(truth[sub], axis=0)) < 2:
            continue
        texts = [q.texts[idx[i]] for i in sub]
        proba, given = cross_fit(s.make, x[idx[sub]], q.targets.y[sub], codes=q.code_ids,
                                 prototypes=prototypes, texts=texts, folds=s.folds, seed=s.seed,
                                 ids=[ids[i] for i in sub])
        points.append(_point(m, [ids[i] for i in sub], given, proba, truth[sub], q))
    points.append(_point(n, ids, full[1], full[0], truth, q))
    return points


def crossfit_table(q: QuestionData, proba: np.ndarray, given: np.ndarray) -> pd.DataFrame:
    """``model_crossfit.csv``'s rows: one per (human-coded answer, code)."""
    import pandas as pd

    idx = q.targets.index
    k = len(q.code_ids)
    truth = (q.targets.y >= 0.5).astype(int)
    return pd.DataFrame({
        "response_id": np.repeat([q.ids[i] for i in idx], k),
        "question": q.question,
        "code": np.tile(q.code_ids, len(idx)),
        "human": truth.ravel(),
        "model": given.astype(int).ravel(),
        "score": np.round(proba, 6).ravel(),
    })


def code_question(q: QuestionData, embedder: Embedder, s: Settings) -> QuestionResult:
    """Cross-fit and judge on the human-coded answers, then code the others."""
    from themeloop.autocode.judge import judge_question
    from themeloop.autocode.prototypes import build_prototypes

    x = embedder.encode(q.texts)
    prototypes = build_prototypes(q.codes, embedder.encode, dict(zip(q.ids, q.texts)))
    idx = q.targets.index
    coded_texts = [q.texts[i] for i in idx]
    mode = SUPERVISED if supervised(q) else ZERO_SHOT
    if mode == SUPERVISED:
        proba, given = cross_fit(s.make, x[idx], q.targets.y, codes=q.code_ids,
                                 prototypes=prototypes, texts=coded_texts, folds=s.folds,
                                 seed=s.seed, ids=[q.ids[i] for i in idx])
        model = _fit(s.make(), x[idx], q.targets.y, q, prototypes, coded_texts)
    else:
        model = _fit(s.make(), x, None, q, prototypes, None)
        proba, given = zero_shot_out_of_fold(q, x, prototypes, s)
    coded_ids = [q.ids[i] for i in idx]
    judged = None
    if len(idx) and not q.human.empty:
        judged = judge_question(
            question=q.question, ids=coded_ids, human=q.human,
            model_rows=_judge_rows(coded_ids, given, proba, q), given=given,
            truth=q.targets.y >= 0.5, codes=q.code_ids, thresholds=model.thresholds_,
            floor=s.floor, bootstrap=s.bootstrap, seed=s.seed, model_coder=JUDGE_CODER)
        # A parameter set after fitting, as the evaluation decides it: predict and the
        # saved manifest then both carry it (AutoCoder.decide never applies these codes).
        model.human_only = tuple(judged["human_only"])
    curve: list[dict[str, Any]] = []
    if judged is not None and mode == SUPERVISED:
        curve = learning_curve(q, x, prototypes, s, (proba, given))
    elif judged is not None:  # zero-shot learns from no human code: one point, at n = 0
        curve = [{"n": 0, "masi_alpha": judged["model_human"]["masi_alpha"],
                  "sample_f1": judged["model_human"]["sample_f1"]}]
    rest = np.flatnonzero(~q.coded)
    rest_texts = [q.texts[i] for i in rest]
    k = len(q.code_ids)
    r_proba, r_given = np.zeros((len(rest), k)), np.zeros((len(rest), k), dtype=bool)
    if len(rest):
        r_proba = model.predict_proba(x[rest], rest_texts)
        r_given = model.decide(r_proba, x[rest])
    return QuestionResult(q.question, mode, model, crossfit_table(q, proba, given), coded_ids,
                          [q.ids[i] for i in rest], r_proba, r_given, judged, curve)


def review_rows(r: QuestionResult, band: float) -> pd.DataFrame:
    """``review.csv``'s rows: model-coded answers with no code, or a code score within
    ``band`` of its threshold (codes that are human-only are never applied, so left out)."""
    import pandas as pd

    model = r.model
    auto = np.array([c not in model.human_only for c in model.codes_])
    near = (np.abs(r.proba - model.thresholds_) < band) & auto
    records = []
    for i, rid in enumerate(r.uncoded_ids):
        hits = np.flatnonzero(r.given[i])
        if len(hits) == 0:
            reason = "no_code"
        elif near[i].any():
            reason = "uncertain"
        else:
            continue
        records.append((rid, r.question, reason, ";".join(model.codes_[j] for j in hits),
                        ";".join(f"{r.proba[i, j]:.6f}" for j in hits)))
    return pd.DataFrame(records, columns=["response_id", "question", "reason", "codes", "scores"])
