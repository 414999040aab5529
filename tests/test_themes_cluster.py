"""Clustering pieces: exact neighbours for UMAP, the mid strategy above 4,096 answers, the cap."""

from __future__ import annotations

import numpy as np
import pytest

from themeloop.themes import ThemeProposer
from themeloop.themes.cluster import EXACT_KNN_FROM, cluster_mid, default_max_themes, exact_knn


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def test_exact_knn_matches_brute_force_cosine():
    from sklearn.neighbors import NearestNeighbors

    x = _unit(np.random.default_rng(0).normal(size=(300, 24)))
    # A tiny budget forces many blocks, so the block edges are exercised too.
    indices, distances = exact_knn(x, 10, budget=300 * 7)
    ref_d, ref_i = NearestNeighbors(n_neighbors=10, metric="cosine",
                                    algorithm="brute").fit(x).kneighbors(x)
    assert np.array_equal(indices, ref_i)
    assert np.allclose(distances, ref_d, atol=1e-5)
    assert np.array_equal(indices[:, 0], np.arange(300)) and not distances[:, 0].any()


def test_mid_strategy_with_exact_neighbours_finds_the_groups_reproducibly():
    from sklearn.metrics import adjusted_rand_score

    rng = np.random.default_rng(1)
    centres = rng.normal(size=(5, 32)) * 4
    truth = np.repeat(np.arange(5), 900)
    x = _unit(centres[truth] + rng.normal(size=(len(truth), 32)))
    assert len(x) >= EXACT_KNN_FROM  # the path that precomputes neighbours
    first, preferred = cluster_mid(x, random_state=3)
    again, _ = cluster_mid(x, random_state=3)
    assert np.array_equal(first, again)
    assert preferred == 5 and (first >= 0).all()  # silhouette finds the five groups
    assert adjusted_rand_score(truth, first) >= 0.95


def _twenty_groups() -> tuple[np.ndarray, np.ndarray]:
    """140 answers in 20 tight groups that a 5-d PCA keeps apart (the small strategy's view)."""
    rng = np.random.default_rng(0)
    basis = np.linalg.qr(rng.normal(size=(32, 5)))[0].T
    truth = np.repeat(np.arange(20), 7)
    centres = rng.normal(size=(20, 5)) @ basis * 3
    return _unit(centres[truth] + rng.normal(scale=0.05, size=(len(truth), 32))), truth


def test_default_cap_follows_the_number_of_answers():
    assert [default_max_themes(n) for n in (8, 41, 150)] == [12, 12, 12]
    assert default_max_themes(3000) == 120 and default_max_themes(100_000) == 4000
    assert all(default_max_themes(n) >= 12 for n in range(151, 400))


def test_a_binding_cap_is_reported_and_lifting_it_shows_the_groups():
    from sklearn.metrics import adjusted_rand_score

    x, truth = _twenty_groups()
    texts, ids = [f"w{t} a{i}" for i, t in enumerate(truth)], [str(i) for i in range(len(x))]
    capped = ThemeProposer(random_state=0, min_theme_size=2).fit(texts, x, ids)
    assert capped.strategy_ == "small" and capped.max_themes_ == 12
    assert len(capped.themes_) == 12 and capped.n_found_ > 12
    assert capped.notes_ == [
        f"the cap of 12 themes (max_themes) bound: the answers suggested {capped.n_found_}; "
        "raise max_themes (--max-themes) to see them"
    ]
    free = ThemeProposer(random_state=0, min_theme_size=2, max_themes=None).fit(texts, x, ids)
    assert free.notes_ == [] and free.max_themes_ is None
    assert len(free.themes_) > 12
    assert adjusted_rand_score(truth, free.labels_) > adjusted_rand_score(truth, capped.labels_)
    loose = ThemeProposer(random_state=0, min_theme_size=2, max_themes=40).fit(texts, x, ids)
    assert loose.notes_ == [] and len(loose.themes_) == len(free.themes_)


def test_a_broad_theme_keeps_members_below_the_absolute_floor():
    """Long, varied answers sit far from their theme's centroid; only the theme's own
    outliers (below its fence) are unassigned."""
    from themeloop.themes import quality

    rng = np.random.default_rng(4)
    centres = np.eye(64)[:3] * 2.2
    truth = np.repeat(np.arange(3), 45)  # 135 answers: the small strategy
    x = _unit(centres[truth] + rng.normal(size=(len(truth), 64)))
    x[-1] = _unit(-centres[2:3] + rng.normal(size=(1, 64)) * 0.1)[0]  # fits no theme
    floors = quality.theme_floors(x, truth, min_similarity=0.3)
    cos = np.einsum("ij,ij->i", x, np.stack([_unit(x[truth == t].mean(0, keepdims=True))[0]
                                             for t in truth]))
    assert (cos[:-1] < 0.3).mean() > 0.3  # the absolute floor would drop a third
    assert all(f < 0.3 for f in floors.values())
    labels, _ = quality.reassign(x, truth, min_similarity=0.3, floors=floors)
    assert labels[-1] == -1 and (labels[:-1] >= 0).mean() >= 0.97
    strict, _ = quality.reassign(x, truth, min_similarity=0.3)
    assert (strict[:-1] < 0).mean() > 0.3


@pytest.mark.slow
def test_mid_strategy_chooses_k_from_the_data_and_reports_a_binding_cap():
    from sklearn.metrics import adjusted_rand_score

    rng = np.random.default_rng(5)
    centres = rng.normal(size=(16, 48)) * 3
    truth = np.repeat(np.arange(16), 20)
    x = _unit(centres[truth] + rng.normal(size=(len(truth), 48)))
    texts, ids = [f"t{t} {i}" for i, t in enumerate(truth)], [str(i) for i in range(len(x))]
    free = ThemeProposer(random_state=0, max_themes=None).fit(texts, x, ids)
    assert free.strategy_ == "mid" and free.n_found_ == 16 and free.notes_ == []
    assert len(free.themes_) == 16 and adjusted_rand_score(truth, free.labels_) >= 0.95
    capped = ThemeProposer(random_state=0).fit(texts, x, ids)  # 320 answers: cap 12
    assert capped.max_themes_ == 12 and 10 <= len(capped.themes_) <= 12  # then merges, drops
    assert capped.notes_ == ["the cap of 12 themes (max_themes) bound: the answers suggested "
                             "16; raise max_themes (--max-themes) to see them"]
