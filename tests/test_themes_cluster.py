"""Clustering pieces: exact neighbours for UMAP, and the mid strategy above 4,096 answers."""

from __future__ import annotations

import numpy as np

from themeloop.themes.cluster import EXACT_KNN_FROM, cluster_mid, exact_knn


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
    first = cluster_mid(x, random_state=3)
    again = cluster_mid(x, random_state=3)
    assert np.array_equal(first, again)
    kept = first >= 0
    assert kept.mean() >= 0.9
    assert adjusted_rand_score(truth[kept], first[kept]) >= 0.95
