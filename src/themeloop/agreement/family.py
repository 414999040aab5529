"""The full coefficient family of one question, as the ``coefficients`` blocks of agreement.json.

Single-label questions (at most one code per coder and answer) get one block
over the categories; every code also gets a block of its own as a yes/no
decision (weights do not matter there: with two categories every irrCAC
scheme is the identity). Each coefficient carries ``estimate``, ``pa``,
``pe``, ``se``, ``ci95``, ``p_value``, ``n_units`` and its benchmark bands.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from themeloop.agreement import cac
from themeloop.agreement.benchmarks import SCALES, benchmark
from themeloop.agreement.weights import (
    category_values,
    check_weight_matrix,
    load_weights,
    weight_matrix,
)
from themeloop.errors import AgreementError, did_you_mean

if TYPE_CHECKING:
    from themeloop.agreement.ratings import Ratings

__all__ = ["FamilySettings", "block", "category_family", "code_family", "counts_family",
           "load_weights", "parse_coefficients"]

NO_CODE = "(no code)"
ALIASES = {"pa": "percent_agreement", "percent": "percent_agreement", "cohen": "cohen_kappa",
           "scott": "scott_pi", "fleiss": "fleiss_kappa", "conger": "conger_kappa",
           "ac1": "gwet_ac1", "ac2": "gwet_ac2", "bp": "brennan_prediger",
           "brennan": "brennan_prediger", "alpha": "krippendorff_alpha",
           "krippendorff": "krippendorff_alpha", "bangdiwala": "bangdiwala_b", "b": "bangdiwala_b"}


@dataclass(frozen=True)
class FamilySettings:
    """What to compute: coefficients, weights (a name or a q x q matrix), missing-data rule."""

    coefficients: tuple[str, ...] = cac.COEFFICIENTS
    weights: str | np.ndarray = "identity"
    complete_cases: bool = False
    population: int | None = None

    @property
    def weights_name(self) -> str:
        return self.weights if isinstance(self.weights, str) else "custom"


def parse_coefficients(spec: str | list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    """``"ac1,ac2,conger"`` (or a list, or ``"all"``) -> canonical names, in the standard order.

    Examples
    --------
    >>> parse_coefficients("conger, ac1,alpha")
    ('conger_kappa', 'gwet_ac1', 'krippendorff_alpha')
    """
    if spec is None:
        return cac.COEFFICIENTS
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    names = [i.strip().lower() for i in items if i.strip()]
    if not names or names == ["all"]:
        return cac.COEFFICIENTS
    known = set(cac.COEFFICIENTS)
    chosen = set()
    for name in names:
        canonical = ALIASES.get(name, name)
        if canonical not in known:
            choices = sorted(known | set(ALIASES))
            raise AgreementError(
                f"unknown coefficient '{name}'{did_you_mean(name, choices)}; choose from "
                f"{', '.join(cac.COEFFICIENTS)} (or short names: {', '.join(sorted(ALIASES))})")
        chosen.add(canonical)
    return tuple(c for c in cac.COEFFICIENTS if c in chosen)


def block(estimates: dict[str, cac.Estimate], *, weights: str, missing: str, n_units: int,
          categories: list[str] | None = None) -> dict[str, Any]:
    """One ``coefficients`` block: settings first, then each coefficient with its bands."""
    out: dict[str, Any] = {"weights": weights, "missing": missing, "n_units": n_units}
    if categories is not None:
        out["categories"] = categories
    for name, est in estimates.items():
        entry = est.as_dict()
        entry["benchmarks"] = {scale: benchmark(est.value, est.se, scale) for scale in SCALES}
        out[name] = entry
    return out


def _complete(x: np.ndarray) -> np.ndarray:
    return x[(x >= 0).all(axis=1)]


def code_family(index: np.ndarray, presence_c: np.ndarray, settings: FamilySettings) -> dict:
    """The block of one code as a yes/no decision (categories: not applied, applied)."""
    x = np.where(index >= 0, presence_c[np.maximum(index, 0)].astype(np.int64), -1)
    x = x[(x >= 0).sum(axis=1) >= 1]
    if settings.complete_cases:
        x = _complete(x)
    est = cac.estimates(q=2, weights=np.eye(2), ratings=x, coefficients=settings.coefficients,
                        population=settings.population)
    return block(est, weights="identity", n_units=int(((x >= 0).sum(axis=1) >= 2).sum()),
                 missing="complete_cases" if settings.complete_cases else "gwet")


def category_family(ratings: Ratings, category: np.ndarray, settings: FamilySettings) -> dict:
    """The multi-category block of a single-label question.

    ``category`` is each judgement's code index, ``-1`` for "read and applied
    no code". Unweighted, "no code" is a category of its own (as for nominal
    alpha); weighted, those judgements count as missing, since "no code" has
    no place on an ordered scale.
    """
    codes = list(ratings.codes)
    index = ratings.by_coder()
    weighted = not (isinstance(settings.weights, str) and settings.weights == "identity")
    if weighted:
        cats = codes
        values = category
    else:
        cats = [*codes, NO_CODE] if (category < 0).any() else codes
        values = np.where(category < 0, len(codes), category)
    q = len(cats)
    x = np.where(index >= 0, values[np.maximum(index, 0)], -1)
    x = x[(x >= 0).sum(axis=1) >= 1]
    if settings.complete_cases:
        x = _complete(x)
    if isinstance(settings.weights, str):
        w = weight_matrix(settings.weights, category_values(cats))
    else:
        w = check_weight_matrix(settings.weights, q, "--weights")
    est = cac.estimates(q=q, weights=w, ratings=x, coefficients=settings.coefficients,
                        population=settings.population)
    return block(est, weights=settings.weights_name, categories=cats,
                 n_units=int(((x >= 0).sum(axis=1) >= 2).sum()),
                 missing="complete_cases" if settings.complete_cases else "gwet")


def counts_family(counts: np.ndarray, categories: list[str], settings: FamilySettings) -> dict:
    """The block of a units x categories count table (``--ratings-table``): no rater identity."""
    q = len(categories)
    if isinstance(settings.weights, str):
        w = weight_matrix(settings.weights, category_values(categories))
    else:
        w = check_weight_matrix(settings.weights, q, "--weights")
    c = np.asarray(counts, dtype=float)
    if settings.complete_cases and len(c):
        n = c.sum(axis=1)
        c = c[n == n.max()]
    est = cac.estimates(q=q, weights=w, counts=c, coefficients=settings.coefficients,
                        population=settings.population)
    return block(est, weights=settings.weights_name, categories=categories,
                 n_units=int((c.sum(axis=1) >= 2).sum()),
                 missing="complete_cases" if settings.complete_cases else "gwet")
