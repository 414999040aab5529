"""The SQLite vector store under the embedder: keyed, O(N) adds, two writers, damage caught."""

from __future__ import annotations

import hashlib
import io
import json
import multiprocessing
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from _cache_worker import keys_for, vector_for, write_and_read

from themeloop.embed import Embedder, EmbeddingCache, cache_key
from themeloop.embed.cache import DB_NAME, SHARDS


class Fake:
    """A model whose vector of a text depends on the text only."""

    model_id, precision = "fake-model", "fp32"

    def __init__(self, runtime: str = "sentence-transformers") -> None:
        self.runtime = runtime

    def encode(self, texts):
        return np.stack([vector_for(t, 8) for t in texts])


def _shard(folder: Path) -> Path:
    (shard,) = (folder / SHARDS).glob("*.npy")
    return shard


def _flip_vector_byte(folder: Path, vector: np.ndarray) -> None:
    """Flip one byte of a stored vector in its shard, as a failing disk would."""
    shard = _shard(folder)
    data = bytearray(shard.read_bytes())
    at = data.find(vector.astype(np.float32).tobytes())
    assert at >= 0
    data[at + 5] ^= 0xFF
    shard.write_bytes(bytes(data))


def test_round_trip_keeps_every_bit(tmp_path):
    keys = [f"k{i}" for i in range(50)]
    vectors = np.stack([vector_for(k) for k in keys])
    with EmbeddingCache(tmp_path) as cache:
        cache.add(keys, vectors)
    with EmbeddingCache(tmp_path) as cache:
        found = cache.lookup(["k3", "nope", "k49", "k3"])
        assert sorted(found) == ["k3", "k49"]
        assert found["k3"].tobytes() == vectors[3].tobytes()
        assert len(cache) == 50


def test_lookup_on_an_empty_folder_creates_nothing(tmp_path):
    folder = tmp_path / "cache"
    assert EmbeddingCache(folder).lookup(["k"]) == {}
    assert not folder.exists()


def test_adding_a_key_again_replaces_it(tmp_path):
    with EmbeddingCache(tmp_path) as cache:
        cache.add(["k"], np.zeros((1, 4), dtype=np.float32))
        cache.add(["k"], np.ones((1, 4), dtype=np.float32))
        assert cache.lookup(["k"])["k"].tolist() == [1.0] * 4 and len(cache) == 1


def test_key_holds_model_checksum_precision_and_text():
    base = cache_key("m", "c", "fp32", "text")
    others = [cache_key("m2", "c", "fp32", "text"), cache_key("m", "c2", "fp32", "text"),
              cache_key("m", "c", "bf16", "text"), cache_key("m", "c", "fp32/onnxruntime", "text"),
              cache_key("m", "c", "fp32", "text.")]
    assert len({base, *others}) == 6


def test_runtimes_share_a_cache_but_not_vectors(tmp_path):
    Embedder(Fake(), cache_dir=tmp_path).encode(["a", "b"])
    other = Embedder(Fake(runtime="onnxruntime"), cache_dir=tmp_path)
    other.encode(["a", "b"])
    assert other.n_cache_hits_ == 0 and other.n_encoded_ == 2
    again = Embedder(Fake(), cache_dir=tmp_path)
    again.encode(["a", "b"])
    assert again.n_encoded_ == 0 and again.n_cache_hits_ == 2
    assert len(EmbeddingCache(tmp_path)) == 4


def test_two_processes_writing_at_once_lose_nothing(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    n_batches, batch = 100, 20
    procs = [ctx.Process(target=write_and_read, args=(str(tmp_path), w, n_batches, batch, barrier))
             for w in (0, 1)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    assert [p.exitcode for p in procs] == [0, 0]
    every = {k for w in (0, 1) for keys in keys_for(w, n_batches, batch) for k in keys}
    with EmbeddingCache(tmp_path) as cache:
        assert len(cache) == len(every) == n_batches * (batch // 2) * 3
        found = cache.lookup(sorted(every))
        assert cache.n_dropped == 0 and not cache.rebuilt
    assert all(np.array_equal(found[k], vector_for(k)) for k in every)
    conn = sqlite3.connect(tmp_path / DB_NAME)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()


def test_a_vector_failing_its_checksum_is_dropped(tmp_path):
    vectors = np.stack([vector_for("k1"), vector_for("k2")])
    with EmbeddingCache(tmp_path) as cache:
        cache.add(["k1", "k2"], vectors)
    _flip_vector_byte(tmp_path, vectors[0])
    with EmbeddingCache(tmp_path) as cache:
        found = cache.lookup(["k1", "k2"])
        assert sorted(found) == ["k2"] and cache.n_dropped == 1 and not cache.rebuilt
        assert len(cache) == 1  # the bad row is gone, so it is written afresh next time


@pytest.mark.parametrize("damage", ["truncate", "bad_header", "delete"])
def test_an_unreadable_shard_is_dropped_with_its_rows(tmp_path, damage):
    with EmbeddingCache(tmp_path) as cache:
        cache.add(["a1", "a2"], np.stack([vector_for("a1"), vector_for("a2")]))
        cache.add(["b1"], vector_for("b1")[None, :])
    (shard_a,) = [p for p in (tmp_path / SHARDS).glob("*.npy") if np.load(p).shape[0] == 2]
    data = shard_a.read_bytes()
    if damage == "truncate":
        shard_a.write_bytes(data[:-100])
    elif damage == "bad_header":
        shard_a.write_bytes(b"\x00" * 10 + data[10:])
    else:
        shard_a.unlink()
    with EmbeddingCache(tmp_path) as cache:
        found = cache.lookup(["a1", "a2", "b1"])
        assert sorted(found) == ["b1"] and cache.rebuilt == [f"shards/{shard_a.name}: "
                                                            "missing or unreadable"]
        assert len(cache) == 1 and not shard_a.exists()


@pytest.mark.parametrize("damage", ["garbage", "truncate", "wrong_format"])
def test_an_unreadable_index_is_rebuilt(tmp_path, damage):
    keys = [f"k{i}" for i in range(200)]
    with EmbeddingCache(tmp_path) as cache:
        cache.add(keys, np.stack([vector_for(k) for k in keys]))
    db = tmp_path / DB_NAME
    if damage == "garbage":
        db.write_bytes(b"not a database at all" * 1000)
    elif damage == "truncate":
        db.write_bytes(db.read_bytes()[: db.stat().st_size // 3])
    else:
        conn = sqlite3.connect(db)
        conn.execute("UPDATE meta SET value = '99' WHERE name = 'format'")
        conn.commit()
        conn.close()
    with EmbeddingCache(tmp_path) as cache:
        found = cache.lookup(keys)
        assert found == {} and len(cache.rebuilt) == 1
        cache.add(["new"], vector_for("new")[None, :])
        assert cache.lookup(["new"])["new"].tolist() == vector_for("new").tolist()


# -- the format before SQLite ---------------------------------------------------


def _write_legacy(folder: Path, keys: list[str], vectors: np.ndarray) -> Path:
    """A format-1 cache: index.json and one .npy shard, as the old EmbeddingCache wrote."""
    folder.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    np.save(buffer, vectors.astype(np.float32), allow_pickle=False)
    data = buffer.getvalue()
    digest = hashlib.sha256(data).hexdigest()
    shard = folder / f"shard-{digest[:16]}.npy"
    shard.write_bytes(data)
    index = {"format": 1, "shards": {shard.name: {"sha256": digest, "keys": keys}}}
    (folder / "index.json").write_text(json.dumps(index), encoding="utf-8")
    return shard


def test_an_old_json_cache_is_migrated_and_removed(tmp_path):
    keys = [cache_key("fake-model", "unknown", "fp32", t) for t in ("a", "b")]
    _write_legacy(tmp_path, keys, np.stack([vector_for("a", 8), vector_for("b", 8)]))
    emb = Embedder(Fake(), cache_dir=tmp_path)
    vectors = emb.encode(["a", "b", "c"])
    assert emb.n_cache_hits_ == 2 and emb.n_encoded_ == 1
    assert np.allclose(vectors[0], vector_for("a", 8) / np.linalg.norm(vector_for("a", 8)))
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == [
        DB_NAME, SHARDS]


@pytest.mark.parametrize("damage", ["index", "shard"])
def test_a_damaged_old_cache_is_ignored(tmp_path, damage):
    keys = [cache_key("fake-model", "unknown", "fp32", t) for t in ("a", "b")]
    shard = _write_legacy(tmp_path, keys, np.stack([vector_for("a", 8), vector_for("b", 8)]))
    if damage == "index":
        (tmp_path / "index.json").write_text("{not json", encoding="utf-8")
    else:
        shard.write_bytes(shard.read_bytes()[:-7])
    emb = Embedder(Fake(), cache_dir=tmp_path)
    emb.encode(["a", "b"])
    assert emb.n_encoded_ == 2 and emb.n_cache_hits_ == 0
    assert not (tmp_path / "index.json").exists() and not shard.exists()


def test_a_run_that_stops_keeps_the_chunks_it_had_encoded(tmp_path, monkeypatch):
    """Vectors reach the cache a chunk at a time, so a long encode that dies loses one chunk."""
    import themeloop.embed.embedder as embedder_mod

    class DiesLate(Fake):
        calls = 0

        def encode(self, texts):
            DiesLate.calls += 1
            if DiesLate.calls > 5:  # chunks of 2 batches: chunks 1 and 2 are done
                raise MemoryError("killed")
            return super().encode(texts)

    monkeypatch.setattr(embedder_mod, "CACHE_CHUNK", 20)
    texts = [f"answer number {i}" for i in range(100)]
    with pytest.raises(MemoryError):
        Embedder(DiesLate(), cache_dir=tmp_path, batch_size=10).encode(texts)
    again = Embedder(Fake(), cache_dir=tmp_path, batch_size=10)
    vectors = again.encode(texts)
    assert again.n_cache_hits_ == 40 and again.n_encoded_ == 60
    np.testing.assert_array_equal(vectors, Embedder(Fake(), batch_size=10).encode(texts))


def test_chunked_encoding_gives_the_same_vectors_and_batches(tmp_path, monkeypatch):
    import themeloop.embed.embedder as embedder_mod

    seen: list[list[str]] = []

    class Records(Fake):
        def encode(self, texts):
            seen.append(list(texts))
            return super().encode(texts)

    texts = [("x" * (i % 17)) + f" answer {i}" for i in range(95)]
    whole = Embedder(Records(), batch_size=10).encode(texts)
    batches, seen[:] = list(seen), []
    monkeypatch.setattr(embedder_mod, "CACHE_CHUNK", 30)
    chunked = Embedder(Records(), cache_dir=tmp_path, batch_size=10).encode(texts)
    assert seen == batches  # the same batches, in the same order
    np.testing.assert_array_equal(chunked, whole)
