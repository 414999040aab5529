"""One logistic regression per code, fitted jointly: a vectorised one-vs-rest.

The objective is the sum over codes of scikit-learn's ``LogisticRegression``
objective with ``class_weight="balanced"`` (``C`` times the weighted log loss
plus half the squared weights, intercept not penalised). The codes are
independent, so one L-BFGS run over all of them gives the same optimum as K
separate fits, at the cost of one matrix product per step. Labels may be soft
(the share of coders who applied a code), which is how every coder's codes
train one model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, sparse
from threadpoolctl import threadpool_limits


@dataclass(frozen=True)
class LinearModel:
    """Weights ``coef`` (n_features, n_codes) and ``intercept`` (n_codes,)."""

    coef: np.ndarray
    intercept: np.ndarray

    def decision(self, x: np.ndarray | sparse.spmatrix) -> np.ndarray:
        """Logits, shape (n_samples, n_codes)."""
        return np.asarray(x @ self.coef) + self.intercept

    def proba(self, x: np.ndarray | sparse.spmatrix) -> np.ndarray:
        """Probabilities, shape (n_samples, n_codes)."""
        return _sigmoid(self.decision(x))


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return np.exp(-np.logaddexp(0.0, -z))


def balanced_weights(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-code weights of positives and negatives, as ``class_weight="balanced"``.

    A code with no positives (or no negatives) in ``y`` gets weight 0 on the
    missing class and 1 on the other, so it fits a constant.
    """
    n = y.shape[0]
    pos = y.sum(axis=0)
    neg = n - pos
    with np.errstate(divide="ignore"):
        w_pos = np.where(pos > 0, n / (2.0 * np.maximum(pos, 1e-12)), 0.0)
        w_neg = np.where(neg > 0, n / (2.0 * np.maximum(neg, 1e-12)), 0.0)
    w_pos = np.where(neg > 0, w_pos, np.where(pos > 0, 1.0, 0.0))
    w_neg = np.where(pos > 0, w_neg, 1.0)
    return w_pos, w_neg


def fit_linear(
    x: np.ndarray | sparse.spmatrix, y: np.ndarray, *, c: float = 1.0, max_iter: int = 300,
    tol: float = 1e-5, init: LinearModel | None = None, offset: np.ndarray | None = None,
) -> LinearModel:
    """Fit all codes' weighted logistic regressions at once.

    Parameters
    ----------
    x : features, dense or sparse, shape (n_samples, n_features).
    y : labels in [0, 1], shape (n_samples, n_codes); soft labels allowed.
    c : inverse regularisation strength (scikit-learn's ``C``).
    max_iter, tol : L-BFGS limits.
    init : start from these weights (the objective is convex, so the optimum is
        the same; a nearby start only needs fewer steps).
    offset : fixed logits (n_samples, n_codes) added to the model's own, a prior the
        fit corrects (the model's logits are then ``decision(x) + offset``).
    """
    y = np.asarray(y, dtype=np.float64)
    n_features, n_codes = x.shape[1], y.shape[1]
    w_pos, w_neg = balanced_weights(y)
    a = c * y * w_pos           # weight on -log(sigmoid(z))
    b = c * (1.0 - y) * w_neg   # weight on -log(1 - sigmoid(z))
    xt = sparse.csr_matrix(x.T) if sparse.issparse(x) else np.ascontiguousarray(x.T)

    def loss_grad(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w = theta[:n_features * n_codes].reshape(n_features, n_codes)
        z = np.asarray(x @ w) + theta[n_features * n_codes:]
        if offset is not None:
            z = z + offset
        loss = float((a * np.logaddexp(0.0, -z)).sum() + (b * np.logaddexp(0.0, z)).sum()
                     + 0.5 * (w * w).sum())
        s = _sigmoid(z)
        g = b * s - a * (1.0 - s)
        grad_w = np.asarray(xt @ g) + w
        return loss, np.concatenate([grad_w.ravel(), g.sum(axis=0)])

    theta0 = np.zeros(n_features * n_codes + n_codes) if init is None else np.concatenate(
        [init.coef.ravel(), init.intercept])
    # Many small products: BLAS threads only contend with each other here (7x slower
    # on a busy 2-core machine), and one thread keeps results bit-for-bit repeatable.
    with threadpool_limits(1):
        result = optimize.minimize(loss_grad, theta0, jac=True, method="L-BFGS-B",
                                   options={"maxiter": max_iter, "gtol": tol})
    theta = result.x
    return LinearModel(theta[:n_features * n_codes].reshape(n_features, n_codes).copy(),
                       theta[n_features * n_codes:].copy())
