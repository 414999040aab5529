"""The int8 encoder: built locally from the fp32 export, deterministic, checked, close to fp32."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from themeloop.config import ThemesSection
from themeloop.embed import Embedder, build_model, resolve_runtime
from themeloop.embed import quantize as quantize_mod
from themeloop.embed.onnx import OnnxModel
from themeloop.errors import EmbedError


@pytest.fixture(scope="module")
def texts(sample_dir: Path) -> list[str]:
    from themeloop.config import find_project
    from themeloop.survey import load_project_survey

    responses = load_project_survey(find_project(sample_dir)).responses()
    return responses.loc[responses["substantive"], "text"].tolist()


@pytest.fixture(scope="module")
def int8() -> OnnxModel:
    return OnnxModel(precision="int8")


def test_int8_vectors_stay_close_to_fp32(int8, texts):
    fp32 = OnnxModel().encode(texts)
    vectors = int8.encode(texts)
    cosine = (vectors * fp32).sum(axis=1)
    # Measured on the sample: min 0.98, mean 0.99; int8 is not the same model, so
    # the bound is loose, and bench/embed_speed.py judges it downstream instead.
    assert cosine.min() >= 0.95 and cosine.mean() >= 0.98, (cosine.min(), cosine.mean())
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # the nearest neighbour of most answers is the same under both encoders
    same = (np.argsort(-(fp32 @ fp32.T), axis=1)[:, 1] == np.argsort(-(vectors @ vectors.T), axis=1)[:, 1])
    assert same.mean() >= 0.8, same.mean()


def test_int8_file_is_made_from_the_export_and_deterministic(int8, tmp_path):
    source = int8.ensure_exported()
    first = int8.ensure_quantized()
    assert first.parent == source.parent and first != source
    record = json.loads(first.with_suffix(".json").read_text(encoding="utf-8"))
    assert record["recipe"] == quantize_mod.RECIPE and record["source_sha256"] == json.loads(
        source.with_suffix(".json").read_text(encoding="utf-8"))["sha256"]
    again = quantize_mod.quantize(source, tmp_path / "again.onnx")
    assert again.read_bytes() == first.read_bytes()
    assert first.stat().st_size < source.stat().st_size / 1.4  # int8 weights


def test_damaged_int8_file_is_rebuilt(tmp_path):
    model = OnnxModel(precision="int8", cache_dir=tmp_path)
    good = OnnxModel(precision="int8").ensure_exported()
    target_dir = model.onnx_path.parent
    target_dir.mkdir(parents=True)
    for name in (good.name, good.with_suffix(".json").name):  # skip the ~10 s export
        shutil.copyfile(good.parent / name, target_dir / name)
    built = model.ensure_quantized()
    data = bytearray(built.read_bytes())
    data[len(data) // 2] ^= 0xFF
    built.write_bytes(bytes(data))
    assert not quantize_mod.valid(built, json.loads(
        model.onnx_path.with_suffix(".json").read_text(encoding="utf-8"))["sha256"])
    model.ensure_quantized()
    assert quantize_mod.valid(built, json.loads(
        model.onnx_path.with_suffix(".json").read_text(encoding="utf-8"))["sha256"])


def test_int8_is_cached_apart_from_fp32(texts, tmp_path):
    Embedder(precision="fp32", runtime="onnx", cache_dir=tmp_path).encode(texts[:3])
    side = Embedder(precision="int8", cache_dir=tmp_path)
    side.encode(texts[:3])
    assert side.n_cache_hits_ == 0 and side.n_encoded_ == 3
    assert side.model_info["precision"] == "int8" and side.model_info["runtime"] == "onnxruntime"


def test_int8_choices():
    assert resolve_runtime("auto", "int8", None) == "onnx"
    assert isinstance(build_model(precision="int8"), OnnxModel)
    assert ThemesSection(precision="int8").precision == "int8"
    with pytest.raises(EmbedError, match=r'int8 runs on ONNX Runtime only; set \[themes\] runtime = "onnx"'):
        resolve_runtime("torch", "int8", None)


def test_an_int8_vector_does_not_depend_on_the_texts_encoded_with_it(int8, texts):
    """Dynamic quantisation scales activations per input tensor, so int8 runs one text per
    call: alone, in a run, or in another order, a text gets the same vector."""
    whole = int8.encode(texts[:20])
    alone = np.vstack([int8.encode([t]) for t in texts[:20]])
    reversed_ = int8.encode(texts[:20][::-1])[::-1]
    assert np.array_equal(whole, alone) and np.array_equal(whole, reversed_)
    # Batched, as before, the vectors moved with their neighbours: that is what this avoids.
    ids = [int8._tokenizer.encode(t).ids for t in texts[:2]]
    padded = np.zeros((2, max(map(len, ids))), dtype=np.int64)
    mask = np.zeros_like(padded)
    for row, seq in enumerate(ids):
        padded[row, :len(seq)], mask[row, :len(seq)] = seq, 1
    batched = int8._session.run(None, {"input_ids": padded, "attention_mask": mask})[0][0]
    assert not np.allclose(batched / np.linalg.norm(batched), whole[0], atol=1e-4)


def test_int8_vectors_are_cached_under_their_own_tag(texts, tmp_path):
    from themeloop.embed.onnx import INT8_VECTORS

    model = OnnxModel(precision="int8")
    assert model.vector_tag == f"int8-v{INT8_VECTORS}/onnxruntime"
    assert OnnxModel().vector_tag is None  # fp32 keys are unchanged
