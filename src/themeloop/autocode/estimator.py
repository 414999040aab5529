"""The :class:`AutoCoder` estimator: multi-label codes for one question's answers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import sparse

from themeloop.autocode.linear import LinearModel, _sigmoid, fit_linear
from themeloop.autocode.prototypes import Prototypes, similarity
from themeloop.autocode.thresholds import f1_thresholds
from themeloop.errors import AutocodeError

SUPERVISED = "supervised"
ZERO_SHOT = "zero_shot"

_CONSTRAINTS: dict[str, tuple[type, float, float | None]] = {
    "c": (float, 1e-6, None), "word_weight": (float, 0.0, None),
    "min_positives": (int, 1, None), "zero_shot_floor": (float, -2.0, 2.0),
    "zero_shot_margin": (float, 0.0, None), "min_cosine": (float, -1.0, 1.0),
    "max_iter": (int, 10, None), "prior_weight": (float, 0.0, None),
    "none_rate": (float, 0.0, 1.0), "threshold_positives": (int, 1, None),
}


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-9, 1 - 1e-9)
    return np.log(p / (1 - p))


class AutoCoder:
    """Code answers with zero, one or several codes of a question.

    With no labels, scoring is zero-shot: each answer's cosine to the texts
    that describe a code (see :mod:`themeloop.autocode.prototypes`), less
    the code's background level, the first quartile of its cosines over the
    answers seen in :meth:`fit` (a code whose description is close to
    everything is not given to everything; a quartile, not the mean, so a
    code most answers have still stands out). A code is given when this
    lift reaches ``zero_shot_floor``, is within ``zero_shot_margin`` of the
    answer's best code (codes that fit equally well are all given) and its
    raw cosine is at least ``min_cosine``; an answer may get no code.

    With labels, each code gets a logistic regression (balanced class
    weights) on the standardised embeddings, plus TF-IDF word features when
    ``word_weight > 0`` and texts are given. The regression corrects the
    zero-shot score rather than replacing it: ``prior_weight`` times the
    zero-shot logit is a fixed offset of its logit, so with a handful of
    positives the codebook still carries the decision and with many the
    data take over (0 gives a plain regression). Its threshold maximises F1
    on ``cv``-fold out-of-fold probabilities where the code has at least
    ``threshold_positives`` positives, else it is 0.5. A code with fewer
    than ``min_positives`` positive answers keeps the zero-shot rule.
    When fewer than ``none_rate`` of the training answers have no code, an
    answer is never left without one: it gets its best code (the one
    furthest above, or least below, its threshold), unless that is human-only.

    Parameters
    ----------
    random_state : seeds the cross-validation folds.
    cv : folds for choosing thresholds; ``None``: threshold 0.5 until :meth:`calibrate`.
    c : inverse L2 strength of the logistic regressions.
    word_weight : scale of the TF-IDF block beside the embeddings; 0 turns it off.
    min_positives : fewest positive answers for a supervised code.
    prior_weight : weight of the zero-shot logit in a supervised code's logit.
    threshold_positives : fewest positives for a cross-validated threshold.
    none_rate : below this share of code-less training answers, every answer gets a code.
    zero_shot_floor, zero_shot_margin, min_cosine : the zero-shot rule above.
    human_only : codes never applied by :meth:`predict` (their scores are still given).
    max_iter : L-BFGS iterations.

    Attributes
    ----------
    codes_ : code ids, the column order of every output.
    modes_ : "supervised" or "zero_shot" per code.
    thresholds_ : per code, the probability at which it is given.
    cv_f1_ : per code, the out-of-fold F1 at its threshold (NaN for zero-shot codes).
    n_positive_ : per code, the (soft) count of positive training answers.
    n_train_ : number of training answers.
    force_one_ : whether every answer gets at least one code (see ``none_rate``).
    """

    def __init__(
        self, *, random_state: int = 42, cv: int | None = 5, c: float = 1.0, word_weight: float = 1.0,
        min_positives: int = 2, zero_shot_floor: float = 0.15, zero_shot_margin: float = 0.05,
        min_cosine: float = 0.15, human_only: Sequence[str] = (), max_iter: int = 300,
        prior_weight: float = 1.0, none_rate: float = 0.05, threshold_positives: int = 8,
    ) -> None:
        self.random_state = random_state
        self.cv = cv
        self.c = c
        self.word_weight = word_weight
        self.min_positives = min_positives
        self.zero_shot_floor = zero_shot_floor
        self.zero_shot_margin = zero_shot_margin
        self.min_cosine = min_cosine
        self.human_only = human_only
        self.max_iter = max_iter
        self.prior_weight = prior_weight
        self.none_rate = none_rate
        self.threshold_positives = threshold_positives

    def get_params(self) -> dict[str, Any]:
        """The constructor's parameters (for manifests and clones)."""
        return {name: getattr(self, name) for name in (
            "random_state", "cv", "c", "word_weight", "min_positives", "zero_shot_floor",
            "zero_shot_margin", "min_cosine", "human_only", "max_iter", "prior_weight",
            "none_rate", "threshold_positives")}

    def _check_params(self) -> None:
        if self.cv is not None and not (isinstance(self.cv, int) and self.cv >= 2):
            raise AutocodeError(f"The 'cv' parameter of AutoCoder must be int >= 2 or None; "
                                f"got {self.cv!r} instead")
        for name, (kind, low, high) in _CONSTRAINTS.items():
            value = getattr(self, name)
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
            ok = ok and (kind is float or float(value).is_integer())
            ok = ok and value >= low and (high is None or value <= high)
            if not ok:
                bound = f"in [{low}, {high}]" if high is not None else f">= {low}"
                raise AutocodeError(f"The '{name}' parameter of AutoCoder must be "
                                    f"{kind.__name__} {bound}; got {value!r} instead")

    # ------------------------------------------------------------------ fit
    def fit(
        self, x: np.ndarray, y: np.ndarray | None = None, *, codes: Sequence[str],
        prototypes: Prototypes, texts: Sequence[str] | None = None,
    ) -> AutoCoder:
        """Learn from embeddings ``x`` (n, d) and labels ``y`` (n, n_codes) in [0, 1], or none.

        ``y`` may be soft: the share of coders who applied each code.
        ``prototypes`` describe the codes for zero-shot scoring (every code
        needs at least one positive text). ``texts`` enable word features.
        """
        self._check_params()
        x = np.asarray(x, dtype=np.float32)
        self.codes_ = [str(c) for c in codes]
        k = len(self.codes_)
        if k == 0:
            raise AutocodeError("AutoCoder needs at least one code")
        if x.ndim != 2 or len(x) == 0:
            raise AutocodeError("AutoCoder needs at least one answer to fit on")
        unknown = sorted(set(self.human_only) - set(self.codes_))
        if unknown:
            raise AutocodeError(f"human_only names unknown codes: {', '.join(unknown)}")
        if len(set(prototypes.positive_code.tolist())) < k:
            raise AutocodeError("every code needs at least one descriptive text (prototype)")
        if texts is not None and len(texts) != len(x):
            raise AutocodeError(f"got {len(x)} embeddings and {len(texts)} texts")
        self.prototypes_ = prototypes
        raw = similarity(x, prototypes, k)
        self.zs_base_ = np.percentile(raw, 25, axis=0)
        self.n_train_ = len(x)
        self.modes_ = [ZERO_SHOT] * k
        self.thresholds_ = np.full(k, 0.5)
        self.cv_f1_ = np.full(k, np.nan)
        self.n_positive_ = np.zeros(k)
        self.linear_: LinearModel | None = None
        self.vocabulary_: dict[str, int] | None = None
        self.idf_: np.ndarray | None = None
        self.scale_mean_ = x.mean(axis=0)
        self.scale_std_ = np.maximum(x.std(axis=0), 1e-6)
        self.force_one_ = False
        if y is None:
            return self
        y = np.asarray(y, dtype=np.float64)
        if y.shape != (len(x), k):
            raise AutocodeError(f"labels have shape {y.shape}; expected {(len(x), k)}")
        self.n_positive_ = y.sum(axis=0)
        # "None fits" (almost) never happens in training: do not let it happen in use.
        self.force_one_ = bool(np.mean(y.max(axis=1) < 0.5) < self.none_rate)
        learn = np.flatnonzero((self.n_positive_ >= self.min_positives)
                               & (len(x) - self.n_positive_ >= 1))
        if len(learn) == 0:
            return self
        if self.word_weight > 0 and texts is not None:
            self._fit_words(list(texts))
        features = self._features(x, texts)
        target = y[:, learn]
        self.learned_ = learn
        offset = self._offset(raw - self.zs_base_)
        self.linear_ = fit_linear(features, target, c=self.c, max_iter=self.max_iter,
                                  offset=offset)
        thresholds, cv_f1 = self._cv_thresholds(features, target, offset)
        # Too few positives to choose a cut by cross-validation: keep 0.5 (the prior's own).
        few = self.n_positive_[learn] < self.threshold_positives
        thresholds[few] = 0.5
        self.thresholds_[learn], self.cv_f1_[learn] = thresholds, cv_f1
        for j in learn:
            self.modes_[j] = SUPERVISED
        return self

    def _fit_words(self, texts: list[str]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        vec = TfidfVectorizer(sublinear_tf=True, min_df=2, ngram_range=(1, 2),
                              max_features=20000, dtype=np.float64)
        try:
            vec.fit(texts)
        except ValueError:  # no word occurs twice: no word features
            return
        self.vocabulary_ = {str(t): int(i) for t, i in vec.vocabulary_.items()}
        self.idf_ = vec.idf_.copy()

    def _vectorizer(self):
        from sklearn.feature_extraction.text import TfidfVectorizer

        vec = TfidfVectorizer(sublinear_tf=True, min_df=1, ngram_range=(1, 2),
                              vocabulary=self.vocabulary_, dtype=np.float64)
        vec.idf_ = self.idf_
        return vec

    def _features(self, x: np.ndarray, texts: Sequence[str] | None) -> Any:
        dense = (x - self.scale_mean_) / self.scale_std_
        if self.vocabulary_ is None:
            return dense.astype(np.float64)
        if texts is None:
            raise AutocodeError("this model uses word features: pass the answers' texts")
        words = self._vectorizer().transform(list(texts)) * self.word_weight
        return sparse.hstack([sparse.csr_matrix(dense.astype(np.float64)), words]).tocsr()

    def _offset(self, z: np.ndarray) -> np.ndarray | None:
        """The zero-shot logits of the learned codes, scaled by ``prior_weight`` (None at 0)."""
        if self.prior_weight <= 0:
            return None
        return self.prior_weight * (z[:, self.learned_] - self.zero_shot_floor) / 0.05

    def _supervised_proba(self, features: Any, z: np.ndarray) -> np.ndarray:
        assert self.linear_ is not None
        logits = self.linear_.decision(features)
        offset = self._offset(z)
        return _sigmoid(logits if offset is None else logits + offset)

    def _cv_thresholds(self, features: Any, target: np.ndarray, offset: np.ndarray | None
                       ) -> tuple[np.ndarray, np.ndarray]:
        n = target.shape[0]
        folds = min(self.cv or 0, n)
        if folds < 2 or n < 10:
            return np.full(target.shape[1], 0.5), np.full(target.shape[1], np.nan)
        rng = np.random.default_rng(self.random_state)
        fold_of = rng.permutation(np.arange(n) % folds)
        oof = np.zeros_like(target)
        for f in range(folds):
            test = fold_of == f
            # Warm start from the full fit: same convex optimum, a fraction of the steps.
            model = fit_linear(features[~test], target[~test], c=self.c, max_iter=self.max_iter,
                               init=self.linear_,
                               offset=None if offset is None else offset[~test])
            logits = model.decision(features[test])
            oof[test] = _sigmoid(logits if offset is None else logits + offset[test])
        return f1_thresholds(oof, target >= 0.5)

    def calibrate(self, x: np.ndarray, y: np.ndarray, texts: Sequence[str] | None = None
                  ) -> AutoCoder:
        """Choose the supervised codes' thresholds on held-out data (a dev set) to maximise F1."""
        self._check_fitted()
        if self.linear_ is None:
            return self
        x = np.asarray(x, np.float32)
        proba = self._supervised_proba(self._features(x, texts), self.zero_shot_z(x)[1])
        truth = np.asarray(y)[:, self.learned_] >= 0.5
        self.thresholds_[self.learned_], self.cv_f1_[self.learned_] = f1_thresholds(proba, truth)
        return self

    # -------------------------------------------------------------- predict
    def _check_fitted(self) -> None:
        if not hasattr(self, "codes_"):
            raise AutocodeError("this AutoCoder is not fitted yet; call fit first")

    def zero_shot_z(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Raw cosine scores and their lift over each code's background, both (n, n_codes)."""
        self._check_fitted()
        raw = similarity(np.asarray(x, dtype=np.float32), self.prototypes_, len(self.codes_))
        return raw, raw - self.zs_base_

    def predict_proba(self, x: np.ndarray, texts: Sequence[str] | None = None) -> np.ndarray:
        """Per answer and code a score in [0, 1]; a code is given at its threshold or above."""
        self._check_fitted()
        x = np.asarray(x, dtype=np.float32)
        _, z = self.zero_shot_z(x)
        proba = 1.0 / (1.0 + np.exp(-(z - self.zero_shot_floor) / 0.05))
        if self.linear_ is not None and len(x):
            proba[:, self.learned_] = self._supervised_proba(self._features(x, texts), z)
        return proba

    def predict(self, x: np.ndarray, texts: Sequence[str] | None = None) -> np.ndarray:
        """Boolean (n, n_codes): which codes each answer gets (a row may be all False)."""
        proba = self.predict_proba(x, texts)
        return self.decide(proba, x)

    def decide(self, proba: np.ndarray, x: np.ndarray) -> np.ndarray:
        """:meth:`predict` from already computed probabilities."""
        given = proba >= self.thresholds_
        zs = np.array([m == ZERO_SHOT for m in self.modes_])
        if zs.any() and len(proba):
            raw, z = self.zero_shot_z(x)
            best = np.where(zs, z, -np.inf).max(axis=1, keepdims=True)
            rule = (z >= best - self.zero_shot_margin) & (raw >= self.min_cosine)
            given[:, zs] &= rule[:, zs]
        if self.force_one_ and len(proba):
            # "None fits" (almost) never happened in training: an answer given no code gets
            # the one furthest above (or least below) its threshold, on the logit scale.
            # Decided before human-only codes are removed, so an answer whose best code is
            # human-only is left for people rather than given its second-best code.
            empty = np.flatnonzero(~given.any(axis=1))
            given[empty, (_logit(proba[empty]) - _logit(self.thresholds_)).argmax(axis=1)] = True
        for code in self.human_only:
            given[:, self.codes_.index(code)] = False
        return given
