"""Embeddings: the real packaged model, precision, dedup and the content-hash cache."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from themeloop.embed import (
    Embedder,
    EmbeddingCache,
    EmbeddingModel,
    SentenceTransformerModel,
    bf16_supported,
    model_checksum,
    packaged_model_path,
    resolve_precision,
)
from themeloop.embed.cache import DB_NAME
from themeloop.errors import EmbedError


@pytest.fixture(scope="session")
def st_model() -> SentenceTransformerModel:
    """The packaged model at the machine's own precision, loaded once for the session."""
    return SentenceTransformerModel(precision="auto")


@pytest.fixture(scope="session")
def answers(sample_dir: Path) -> list[str]:
    from themeloop.config import find_project
    from themeloop.survey import load_project_survey

    responses = load_project_survey(find_project(sample_dir)).responses()
    return responses.loc[responses["substantive"], "text"].tolist()


def test_bf16_matches_fp32_on_real_answers(answers):
    texts = answers[:24]
    fp32 = SentenceTransformerModel(precision="fp32").encode(texts)
    bf16 = SentenceTransformerModel(precision="bf16").encode(texts)
    cosine = (fp32 * bf16).sum(axis=1)
    assert cosine.min() >= 0.999


def test_vectors_are_normalised_and_deduped(st_model, answers):
    emb = Embedder(st_model)
    texts = [answers[0], answers[1], answers[0], f"  {answers[1]} "]
    vectors = emb.encode(texts)
    assert vectors.shape == (4, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert emb.n_encoded_ == 2
    assert np.array_equal(vectors[0], vectors[2]) and np.array_equal(vectors[1], vectors[3])


def test_unchanged_rerun_makes_zero_model_calls(st_model, answers, tmp_path):
    first = Embedder(st_model, cache_dir=tmp_path)
    before = first.encode(answers)
    assert first.n_model_calls_ >= 1
    again = Embedder(SentenceTransformerModel(precision=st_model.precision), cache_dir=tmp_path)
    after = again.encode(answers)
    assert again.n_model_calls_ == 0 and again.n_encoded_ == 0
    assert again.model_._model is None  # the model was never even loaded
    assert np.array_equal(before, after)


def test_rerun_encodes_only_changed_answers(st_model, answers, tmp_path):
    Embedder(st_model, cache_dir=tmp_path).encode(answers[:30])
    changed = [*answers[:29], answers[29] + " And that is all.", answers[30]]
    emb = Embedder(st_model, cache_dir=tmp_path)
    emb.encode(changed)
    assert emb.n_encoded_ == 2 and emb.n_model_calls_ == 1
    assert emb.n_cache_hits_ == 29


@pytest.mark.parametrize("damage", ["truncate", "flip_byte", "garbage", "delete"])
def test_corrupt_cache_is_detected_and_rebuilt(st_model, answers, tmp_path, damage):
    texts = answers[:12]
    clean = Embedder(st_model, cache_dir=tmp_path).encode(texts)
    db = tmp_path / DB_NAME
    (shard,) = (tmp_path / "shards").glob("*.npy")
    data = shard.read_bytes()
    if damage == "truncate":
        shard.write_bytes(data[: len(data) // 2])
    elif damage == "flip_byte":  # inside the first answer's stored vector
        at = data.find(clean[0].tobytes())
        assert at >= 0
        shard.write_bytes(data[:at + 7] + bytes([data[at + 7] ^ 0xFF]) + data[at + 8:])
    elif damage == "garbage":
        db.write_bytes(b"garbage" * 4096)
    else:
        db.unlink()
    emb = Embedder(st_model, cache_dir=tmp_path)
    vectors = emb.encode(texts)
    # Nothing damaged was trusted: a flipped vector alone is encoded again, else all 12.
    assert emb.n_encoded_ == (1 if damage == "flip_byte" else 12)
    if damage == "flip_byte":
        # The others come from the cache bit for bit; the one encoded alone is padded
        # differently from its first batch, which moves bf16 vectors a little.
        assert np.array_equal(vectors[1:], clean[1:])
        assert float(vectors[0] @ clean[0]) >= 0.999
    else:
        assert np.allclose(vectors, clean, atol=1e-6)
    again = Embedder(st_model, cache_dir=tmp_path)
    again.encode(texts)
    assert again.n_model_calls_ == 0  # and the rebuilt cache is used next time


def test_cache_reports_what_it_dropped(tmp_path):
    cache = EmbeddingCache(tmp_path)
    cache.add(["k1", "k2"], np.ones((2, 3), dtype=np.float32))
    cache.close()
    (tmp_path / DB_NAME).write_bytes(b"garbage")
    fresh = EmbeddingCache(tmp_path)
    assert fresh.lookup(["k1"]) == {}
    assert fresh.rebuilt == [f"{DB_NAME}: file is not a database"]
    assert len(EmbeddingCache(tmp_path)) == 0


def test_precision_and_model_are_part_of_the_key(st_model, answers, tmp_path):
    class Fake:
        model_id, precision = "fake-model", "fp32"

        def encode(self, texts):
            return np.ones((len(texts), 4), dtype=np.float32)

    Embedder(st_model, cache_dir=tmp_path).encode(answers[:2])
    fake = Embedder(Fake(), cache_dir=tmp_path)
    assert isinstance(Fake(), EmbeddingModel)
    assert fake.encode(answers[:2]).shape == (2, 4)
    assert fake.n_encoded_ == 2


def test_bad_precision_is_refused():
    with pytest.raises(EmbedError, match="The 'precision' parameter must be one of auto, bf16, "
                                          "fp32, int8; got 'fp16' instead"):
        resolve_precision("fp16")


def test_missing_model_folder_is_refused(tmp_path):
    with pytest.raises(EmbedError, match="embedding model folder .* does not exist"):
        SentenceTransformerModel(tmp_path / "nope")


def test_auto_precision_follows_the_cpu():
    assert resolve_precision("auto") == ("bf16" if bf16_supported() else "fp32")


def test_model_info_names_model_and_checksum(st_model):
    info = Embedder(st_model).model_info
    assert info["id"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert info["checksum"] == model_checksum(packaged_model_path())
    assert len(info["checksum"]) == 64


def test_other_model_folder_is_pluggable(tmp_path):
    # Any sentence-transformers folder works; here a copy of the packaged one.
    import shutil

    folder = tmp_path / "my-model"
    shutil.copytree(packaged_model_path(), folder)
    model = SentenceTransformerModel(folder, precision="fp32")
    emb = Embedder(model)
    assert emb.encode(["funding is short"]).shape == (1, 384)
    assert model.checksum == model_checksum(packaged_model_path())
