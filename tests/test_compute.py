"""The compute seam: LocalBackend, the work it is handed, and a process backend behind it."""

from __future__ import annotations

import multiprocessing
import pickle
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np
import pytest

from themeloop.compute import (
    Backend,
    LocalBackend,
    assign_block,
    batches,
    block_bounds,
    get_backend,
)
from themeloop.embed import Embedder, ModelSpec
from themeloop.embed.tasks import EncodeBatch
from themeloop.errors import ConfigError
from themeloop.themes import ThemeProposer


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


class CountingBackend(LocalBackend):
    """The local backend, counting what goes through it."""

    def __init__(self) -> None:
        self.batches: list[int] = []
        self.assigned: list[int] = []

    def map_batches(self, fn, items, batch_size):
        for part in super().map_batches(fn, items, batch_size):
            self.batches.append(len(part))
            yield part

    def assign(self, embeddings, centroids, block=8192):
        self.assigned.append(len(embeddings))
        return super().assign(embeddings, centroids, block)


class PoolBackend:
    """A backend that runs each batch and block in other processes, as a cluster would."""

    name = "pool"

    def __init__(self, pool: ProcessPoolExecutor) -> None:
        self.pool = pool

    def map_batches(self, fn: Callable[[list[Any]], Any], items: Sequence[Any],
                    batch_size: int) -> Iterator[Any]:
        yield from self.pool.map(fn, batches(items, batch_size))

    def map_blocks(self, fn, columns, block=8192):
        bounds = block_bounds(len(columns[0]), block)
        yield from self.pool.map(fn, *([c[a:b] for a, b in bounds] for c in columns))

    def assign(self, embeddings, centroids, block=8192):
        n = len(embeddings)
        best, sims = np.full(n, -1, dtype=int), np.full(n, np.nan, dtype=np.float32)
        if len(centroids) == 0:
            return best, sims
        bounds = block_bounds(n, block)
        parts = self.pool.map(assign_block, [embeddings[a:b] for a, b in bounds],
                              [centroids] * len(bounds))
        for (a, b), (i, s) in zip(bounds, parts):
            best[a:b], sims[a:b] = i, s
        return best, sims


def test_local_backend_is_a_backend_and_keeps_order():
    backend = get_backend("local")
    assert isinstance(backend, Backend) and isinstance(PoolBackend(None), Backend)
    assert list(backend.map_batches(sum, list(range(10)), 4)) == [6, 22, 17]
    assert list(backend.map_batches(sum, [], 4)) == []


@pytest.mark.parametrize("block", [1, 7, 100, 8192])
def test_blockwise_assignment_matches_the_whole_matrix(block):
    rng = np.random.default_rng(0)
    x, cents = _unit(rng.normal(size=(250, 16))), _unit(rng.normal(size=(6, 16)))
    best, sims = LocalBackend().assign(x, cents, block=block)
    full = x @ cents.T
    assert np.array_equal(best, full.argmax(axis=1))
    assert np.allclose(sims, full.max(axis=1), atol=1e-6)


def test_assignment_without_centroids_is_unassigned():
    best, sims = LocalBackend().assign(np.ones((3, 4), dtype=np.float32), np.zeros((0, 4)))
    assert best.tolist() == [-1, -1, -1] and np.isnan(sims).all()


def test_bad_sizes_and_names_are_refused():
    with pytest.raises(ValueError, match="batch_size must be a positive integer; got 0"):
        list(batches([1], 0))
    with pytest.raises(ConfigError, match="unknown compute backend 'locl' \\(did you mean "
                                          "'local'\\?\\); known backends are: dask, local"):
        get_backend("locl")


def test_work_handed_to_a_backend_pickles_without_a_model():
    spec = ModelSpec.resolve(None, precision="fp32", runtime="onnx")
    task = pickle.loads(pickle.dumps(EncodeBatch(spec)))
    assert task == EncodeBatch(spec) and task.spec.runtime == "onnx"
    assert len(pickle.dumps(EncodeBatch(spec))) < 1000  # a name, not weights
    assert pickle.loads(pickle.dumps(assign_block)) is assign_block


def test_embedder_and_themes_go_through_the_backend():
    class Fake:
        model_id, precision = "fake", "fp32"

        def encode(self, texts):
            return np.array([[len(t), 1.0, t.count("a")] for t in texts], dtype=np.float32)

    backend = CountingBackend()
    texts = [f"answer {'a' * i}" for i in range(10)]
    emb = Embedder(Fake(), batch_size=4, backend=backend)
    assert np.array_equal(emb.encode(texts), Embedder(Fake(), batch_size=4).encode(texts))
    assert backend.batches == [4, 4, 2] and emb.n_model_calls_ == 3

    rng = np.random.default_rng(3)
    x = _unit(np.eye(8)[np.repeat([0, 1, 2, 5], [20, 20, 20, 1])]
              + rng.normal(scale=0.1, size=(61, 8)))  # the last answer is far from every theme
    ids = [str(i) for i in range(61)]
    words = ["money short"] * 20 + ["staff leave"] * 20 + ["rules change"] * 20 + ["odd one"]
    local = ThemeProposer(random_state=0).fit(words, x, ids)
    counted = ThemeProposer(random_state=0, backend=backend).fit(words, x, ids)
    assert backend.assigned  # the outlier's nearest theme was found on the backend
    assert np.array_equal(local.labels_, counted.labels_)
    assert np.array_equal(local.scores_, counted.scores_, equal_nan=True)


@pytest.mark.slow
def test_a_process_backend_gives_the_local_result_bit_for_bit(tmp_path):
    """Batches encoded in two other processes (each loading the model once) match local."""
    texts = [f"Answer number {i}: funding for {'staff ' * (i % 5)}is short." for i in range(40)]
    local = Embedder(precision="fp32", runtime="onnx", batch_size=8).encode(texts)
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=2, mp_context=ctx) as pool:
        remote = Embedder(precision="fp32", runtime="onnx", batch_size=8,
                          backend=PoolBackend(pool))
        vectors = remote.encode(texts)
        assert remote.n_model_calls_ == 5
        cents = _unit(np.random.default_rng(1).normal(size=(4, vectors.shape[1])))
        far = PoolBackend(pool).assign(vectors, cents, block=7)
    assert np.array_equal(vectors, local)
    near = LocalBackend().assign(vectors, cents, block=7)
    assert np.array_equal(far[0], near[0]) and np.array_equal(far[1], near[1])


def test_propose_themes_takes_a_backend_and_gives_the_same_result():
    import pandas as pd

    from themeloop.themes import propose_themes
    from themeloop.themes.io import themes_json

    rng = np.random.default_rng(5)
    groups = np.repeat([0, 1, 2, 5], [20, 20, 20, 1])
    words = {0: "money budget", 1: "staff hiring", 2: "rules paperwork", 5: "weather"}
    noisy = _unit(np.eye(8)[groups] + rng.normal(scale=0.1, size=(61, 8)))
    vectors = {f"{words[g]} answer {i}": v for i, (g, v) in enumerate(zip(groups, noisy))}

    class Lookup:
        model_id, precision = "lookup", "fp32"

        def encode(self, texts):
            # Label phrases ("money budget") are embedded too: they get the first
            # answer's vector that contains them, the weather's otherwise.
            return np.stack([vectors.get(t, next((v for a, v in vectors.items() if t in a),
                                                 vectors["weather answer 60"])) for t in texts])

    responses = pd.DataFrame({"response_id": [f"r{i}" for i in range(61)], "question": "q",
                              "text": list(vectors), "substantive": True})
    backend = CountingBackend()
    plain = propose_themes(responses, Embedder(Lookup()), seed=1)
    routed = propose_themes(responses, Embedder(Lookup(), backend=backend), seed=1,
                            backend=backend)
    assert backend.batches and backend.assigned
    assert themes_json(routed) == themes_json(plain)
