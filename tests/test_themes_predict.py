"""ThemeProposer.centroids_ and predict: assignment that can run away from fit.

``predict`` assigns each row to its nearest theme centroid, or -1 below
``min_similarity``. On the rows it was fitted on it reproduces ``labels_``
when fit's own assignment is nearest-centroid-consistent. That holds by
construction for the "none" strategy (no themes, all -1) and, for groups that
are separated in embedding space, for every strategy ("small": KMeans,
"mid": UMAP + HDBSCAN, "large": mid on a sample plus nearest centroid for the
rest, and seeded themes). It is not a law for "mid" and "large" in general: HDBSCAN's clusters are not
Voronoi cells, and fit's last step drops answers below the floor against
centroids computed before the drop, so border answers can differ. On the
bundled sample (all three questions take the "small" strategy) it holds for
every answer (``tests/test_themes.py``).
"""

from __future__ import annotations

import numpy as np
import pytest

from themeloop.errors import ThemesError
from themeloop.themes import SeedCode, ThemeProposer


def _groups(n_per: int, k: int, dim: int = 16, noise: float = 0.08, seed: int = 0):
    rng = np.random.default_rng(seed)
    centres = np.eye(dim)[:k]
    truth = np.repeat(np.arange(k), n_per)
    x = centres[truth] + rng.normal(scale=noise, size=(len(truth), dim))
    x = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
    words = ["money funding budget", "staff people hiring", "rules regulation law",
             "time deadlines pressure", "tools software systems"]
    texts = [f"{words[t]} answer {i}" for i, t in enumerate(truth)]
    return x, texts, [f"r{i}" for i in range(len(truth))], truth


def _check(proposer: ThemeProposer, x: np.ndarray) -> None:
    assert proposer.centroids_.shape == (len(proposer.themes_), x.shape[1])
    assert np.allclose(np.linalg.norm(proposer.centroids_, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(proposer.predict(x), proposer.labels_)
    labels, scores = proposer.assign(x)
    assert np.array_equal(labels, proposer.labels_)
    kept = proposer.labels_ >= 0
    assert np.allclose(scores[kept], proposer.scores_[kept], atol=1e-5)


def test_predict_reproduces_fit_for_the_small_strategy():
    x, texts, ids, _ = _groups(30, 3)
    proposer = ThemeProposer(random_state=0).fit(texts, x, ids)
    assert proposer.strategy_ == "small" and len(proposer.themes_) == 3
    _check(proposer, x)


@pytest.mark.slow
def test_predict_reproduces_fit_for_the_mid_and_large_strategies():
    x, texts, ids, _ = _groups(120, 4, seed=1)
    mid = ThemeProposer(random_state=0).fit(texts, x, ids)
    assert mid.strategy_ == "mid" and len(mid.themes_) == 4
    _check(mid, x)
    large = ThemeProposer(random_state=0, large_min=300, sample_size=200).fit(texts, x, ids)
    assert large.strategy_ == "large" and len(large.themes_) == 4
    _check(large, x)


def test_predict_reproduces_fit_with_seeded_themes():
    x, texts, ids, _ = _groups(30, 3, seed=2)
    seeds = [SeedCode(id="funding", label="Funding")]
    proposer = ThemeProposer(random_state=0).fit(
        texts, x, ids, seed_codes=seeds, seed_embeddings=np.eye(16, dtype=np.float32)[:1])
    assert [t.id for t in proposer.themes_ if t.seeded] == ["funding"]
    _check(proposer, x)


def test_predict_with_no_themes_leaves_everything_unassigned():
    x, texts, ids, _ = _groups(2, 3)
    proposer = ThemeProposer(random_state=0).fit(texts, x, ids)
    assert proposer.strategy_ == "none" and proposer.centroids_.shape == (0, 16)
    assert proposer.predict(x).tolist() == [-1] * 6
    assert np.isnan(proposer.assign(x)[1]).all()


def test_predict_places_new_answers_and_refuses_misuse():
    x, texts, ids, _ = _groups(30, 3, seed=3)
    proposer = ThemeProposer(random_state=0).fit(texts, x, ids)
    # New answers near a group take that group's theme; one far from all is unassigned.
    fresh, _, _, truth = _groups(5, 3, seed=9)
    by_group = {int(t): int(lab) for t, lab in zip(_groups(30, 3, seed=3)[3], proposer.labels_)}
    assert proposer.predict(fresh).tolist() == [by_group[int(t)] for t in truth]
    assert proposer.predict(np.eye(16, dtype=np.float32)[[10]]).tolist() == [-1]
    with pytest.raises(ThemesError, match=r"embeddings must be a 2-D array with 16 columns; "
                                          r"got shape \(2, 8\)"):
        proposer.predict(np.ones((2, 8), dtype=np.float32))
    with pytest.raises(ThemesError, match="not fitted yet"):
        ThemeProposer().predict(x)
