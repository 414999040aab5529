"""Work for the two-process cache test: importable by a spawned child process."""

from __future__ import annotations

import hashlib

import numpy as np


def vector_for(key: str, dim: int = 16) -> np.ndarray:
    """A vector that depends only on its key, so every writer stores the same one."""
    seed = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "little")
    return np.random.default_rng(seed).normal(size=dim).astype(np.float32)


def keys_for(writer: int, n_batches: int, batch: int) -> list[list[str]]:
    """Batches of keys: half shared by both writers, half the writer's own."""
    out = []
    for b in range(n_batches):
        shared = [f"shared-{b}-{i}" for i in range(batch // 2)]
        own = [f"w{writer}-{b}-{i}" for i in range(batch - batch // 2)]
        out.append(shared + own)
    return out


def write_and_read(folder: str, writer: int, n_batches: int, batch: int, barrier) -> None:
    """Add every batch in its own transaction, reading back what was written so far."""
    from themeloop.embed.cache import EmbeddingCache

    barrier.wait()  # both writers start together
    with EmbeddingCache(folder) as cache:
        for keys in keys_for(writer, n_batches, batch):
            cache.add(keys, np.stack([vector_for(k) for k in keys]))
            found = cache.lookup(keys)
            assert set(found) == set(keys), "a vector just written was not read back"
            for k in keys:
                assert np.array_equal(found[k], vector_for(k)), k
