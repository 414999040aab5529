"""The coefficient functions: published worked values, library agreement, exact fast paths."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

from themeloop.agreement import coefficients as co
from themeloop.agreement import masi
from themeloop.errors import AgreementError

# irrCAC's cont3x3abstractors (Gwet 2014): 2 coders, 100 units, 3 categories.
ABSTRACTORS = [[13, 0, 0], [0, 20, 7], [0, 4, 56]]


def _counts_from_table(table) -> np.ndarray:
    rows = [[i, j] for i in range(3) for j in range(3) for _ in range(table[i][j])]
    return np.array([np.bincount(r, minlength=3) for r in rows])


def test_irrcac_published_values():
    counts = _counts_from_table(ABSTRACTORS)
    assert co.gwet_ac1(counts) == pytest.approx(0.8493305, abs=1e-7)
    assert co.brennan_prediger(counts) == pytest.approx(0.835, abs=1e-9)
    assert co.percent_agreement(counts) == pytest.approx(0.89, abs=1e-9)
    assert co.krippendorff_alpha(counts) == pytest.approx(0.7972585, abs=1e-7)


def test_brennan_prediger_equals_randolph_kappa_on_complete_data():
    from statsmodels.stats.inter_rater import fleiss_kappa

    rng = np.random.default_rng(3)
    counts = rng.multinomial(5, [0.5, 0.3, 0.2], size=40)
    assert co.brennan_prediger(counts) == pytest.approx(fleiss_kappa(counts, method="randolph"))


def test_binary_alpha_shortcut_equals_krippendorff():
    rng = np.random.default_rng(0)
    n = rng.integers(1, 5, 500)
    k = rng.binomial(n, 0.3)
    assert co.binary_alpha_point(n, k) == pytest.approx(
        co.krippendorff_alpha(np.stack([n - k, k], axis=1)), abs=1e-12)


def test_bootstrap_interval_brackets_alpha_and_is_seeded():
    rng = np.random.default_rng(0)
    n = np.full(300, 3)
    k = rng.binomial(3, 0.2, 300)
    alpha = co.binary_alpha_point(n, k)
    first = co.bootstrap_binary_alpha(n, k, 500, np.random.default_rng(1))
    assert first == co.bootstrap_binary_alpha(n, k, 500, np.random.default_rng(1))
    assert first[0] < alpha < first[1]
    assert co.bootstrap_binary_alpha(n, k, 0, np.random.default_rng(1)) is None


def test_undefined_coefficients_are_none():
    no_variation = np.array([[2, 0], [3, 0]])
    assert co.krippendorff_alpha(no_variation) is None
    assert co.fleiss_kappa(no_variation) is None
    assert co.cohen_kappa([1, 1], [1, 1]) is None
    assert co.percent_agreement(np.array([[1, 0]])) is None


def test_input_checks():
    with pytest.raises(AgreementError, match="must be a 2-D units x categories table; got 1-D"):
        co.percent_agreement(np.array([1, 2]))
    with pytest.raises(AgreementError, match="non-negative whole numbers"):
        co.gwet_ac1(np.array([[1.5, 0.5]]))
    with pytest.raises(AgreementError, match="level must be one of"):
        co.krippendorff_alpha(np.array([[1, 1]]), level="nominl")
    with pytest.raises(AgreementError, match="two equally long label lists"):
        co.cohen_kappa([1, 0], [1])


def test_expected_disagreement_by_subsets_equals_all_pairs():
    rng = np.random.default_rng(5)
    sets = np.unique(rng.random((6000, 12)) < rng.uniform(0.05, 0.5, 12), axis=0)
    weights = rng.integers(1, 20, len(sets))
    pairwise = sum(float(weights[s:s + 1000] @ masi.masi_distance(sets[s:s + 1000], sets)
                         @ weights) for s in range(0, len(sets), 1000))
    fast = masi._expected_by_subsets(sets, sets.sum(axis=1), weights.astype(np.int64))
    assert fast == pytest.approx(pairwise, rel=1e-12)


@pytest.mark.parametrize("module", [
    "themeloop.agreement.coefficients", "themeloop.agreement.masi",
    "themeloop.agreement.notes", "themeloop.adjudicate.rules", "themeloop.coding.convert",
])
def test_doctests(module):
    import importlib

    failures, _ = doctest.testmod(importlib.import_module(module))
    assert failures == 0
