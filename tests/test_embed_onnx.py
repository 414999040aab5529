"""The ONNX Runtime encoder: same vectors as sentence-transformers fp32, checked exports."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from themeloop.embed import (
    Embedder,
    SentenceTransformerModel,
    build_model,
    packaged_model_path,
    resolve_runtime,
)
from themeloop.embed import onnx as onnx_mod
from themeloop.embed.onnx import OnnxModel
from themeloop.errors import EmbedError


@pytest.fixture(scope="module")
def ort_model() -> OnnxModel:
    return OnnxModel()


@pytest.fixture(scope="module")
def texts(sample_dir: Path) -> list[str]:
    from themeloop.config import find_project
    from themeloop.survey import load_project_survey

    responses = load_project_survey(find_project(sample_dir)).responses()
    real = responses.loc[responses["substantive"], "text"].tolist()
    # Longer than the model's 256-token limit, so truncation must match too.
    long = " ".join(real[:40])
    return [*real, long, "ok", "Ça coûte trop cher — naïve café budgets!"]


def test_onnx_matches_sentence_transformers_fp32(ort_model, texts):
    reference = SentenceTransformerModel(precision="fp32").encode(texts)
    vectors = ort_model.encode(texts)
    assert vectors.shape == reference.shape == (len(texts), 384)
    cosine = (vectors * reference).sum(axis=1)
    assert cosine.min() >= 0.9999, cosine.min()
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_onnx_vectors_do_not_depend_on_batch_order(ort_model, texts):
    whole = ort_model.encode(texts)
    reversed_ = ort_model.encode(texts[::-1])[::-1]
    single = np.vstack([ort_model.encode([t]) for t in texts[:5]])
    assert np.allclose(whole, reversed_, atol=1e-5)
    assert np.allclose(whole[:5], single, atol=1e-5)


def test_auto_runtime_is_onnx_for_fp32_and_torch_for_bf16():
    assert resolve_runtime("auto", "fp32", None) == "onnx"
    assert resolve_runtime("auto", "bf16", None) == "torch"
    assert resolve_runtime("torch", "fp32", None) == "torch"
    assert isinstance(build_model(precision="fp32"), OnnxModel)
    assert isinstance(build_model(precision="fp32", runtime="torch"), SentenceTransformerModel)
    assert isinstance(build_model(precision="auto", runtime="onnx"), OnnxModel)  # even with AMX


def test_bad_runtime_choices_are_refused():
    with pytest.raises(EmbedError, match="must be one of auto, onnx, torch; got 'tf'"):
        resolve_runtime("tf", "fp32", None)
    with pytest.raises(EmbedError, match="ONNX Runtime runs the model in fp32 or int8"):
        resolve_runtime("onnx", "bf16", None)


@pytest.mark.parametrize("change", ["cls_pooling", "not_bert"])
def test_model_onnx_cannot_run_falls_back_to_torch(tmp_path, change):
    folder = tmp_path / "other-model"
    shutil.copytree(packaged_model_path(), folder)
    config = folder / ("1_Pooling/config.json" if change == "cls_pooling" else "config.json")
    settings = json.loads(config.read_text(encoding="utf-8"))
    if change == "cls_pooling":
        settings.update(pooling_mode_mean_tokens=False, pooling_mode_cls_token=True)
    else:
        settings.update(model_type="mpnet")
    config.write_text(json.dumps(settings), encoding="utf-8")
    assert resolve_runtime("auto", "fp32", folder) == "torch"
    with pytest.raises(EmbedError, match=r"cannot run on ONNX Runtime.*runtime = \"torch\""):
        OnnxModel(folder)


def test_runtimes_are_cached_apart(ort_model, texts, tmp_path):
    Embedder(ort_model, cache_dir=tmp_path).encode(texts[:3])
    torch_side = Embedder(SentenceTransformerModel(precision="fp32"), cache_dir=tmp_path)
    torch_side.encode(texts[:3])
    assert torch_side.n_cache_hits_ == 0 and torch_side.n_encoded_ == 3
    again = Embedder(OnnxModel(), cache_dir=tmp_path)
    again.encode(texts[:3])
    assert again.n_model_calls_ == 0
    assert again.model_info["runtime"] == "onnxruntime"


@pytest.mark.parametrize("damage", ["flip_byte", "delete_record", "other_model"])
def test_damaged_export_is_rebuilt_not_trusted(ort_model, tmp_path, monkeypatch, damage):
    good = ort_model.ensure_exported()
    exports: list[Path] = []

    def fake_export(model_dir, dest):  # a real export takes ~10 s; copy the good one
        exports.append(Path(dest))
        Path(dest).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(good, dest)
        shutil.copyfile(good.with_suffix(".json"), Path(dest).with_suffix(".json"))
        return Path(dest)

    monkeypatch.setattr(onnx_mod, "export", fake_export)
    model = OnnxModel(cache_dir=tmp_path)
    target = model.ensure_exported()
    assert exports == [target]
    assert model.ensure_exported() == target and len(exports) == 1  # valid: reused
    record = target.with_suffix(".json")
    if damage == "flip_byte":
        data = bytearray(target.read_bytes())
        data[len(data) // 2] ^= 0xFF
        target.write_bytes(bytes(data))
    elif damage == "delete_record":
        record.unlink()
    else:
        meta = json.loads(record.read_text(encoding="utf-8"))
        record.write_text(json.dumps({**meta, "model_checksum": "0" * 64}), encoding="utf-8")
    model.ensure_exported()
    assert len(exports) == 2


def test_export_module_prints_the_exported_paths(capsys):
    assert onnx_mod.main([]) == 0
    printed = [Path(line) for line in capsys.readouterr().out.split()]
    model = OnnxModel()
    assert printed == [model.ensure_exported(), model.ensure_quantized()]


def test_export_module_names_a_bad_folder(tmp_path, capsys):
    assert onnx_mod.main([str(tmp_path / "nope")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_unwritable_cache_is_a_clear_error(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be", encoding="utf-8")
    with pytest.raises(EmbedError, match=r"cannot write the ONNX export to .*THEMELOOP_CACHE_DIR"):
        OnnxModel(cache_dir=blocker).ensure_exported()
