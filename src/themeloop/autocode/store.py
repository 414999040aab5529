"""Save and load a fitted :class:`AutoCoder` under a model folder, with a manifest.

Layout of the folder::

    manifest.json     what the model is: codes, modes, thresholds, CV scores, seed,
                      codebook version, hash of the training codes, embedding model,
                      and the sha256 of every array
    arrays.npz        the numbers (no pickles: loaded with allow_pickle=False)
    vocabulary.json   the TF-IDF words in column order (only with word features)

The model id is derived from the content, so refitting on the same inputs
gives the same id and the same manifest.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from themeloop._io import write_bytes_atomic, write_text_atomic
from themeloop.autocode.estimator import AutoCoder
from themeloop.autocode.linear import LinearModel
from themeloop.autocode.prototypes import Prototypes
from themeloop.errors import AutocodeError
from themeloop.pipeline.artifacts import MANIFEST_NAME

FORMAT = 1
MANIFEST = MANIFEST_NAME  # the model folder's manifest
ARRAYS = "arrays.npz"
VOCABULARY = "vocabulary.json"


def _arrays(model: AutoCoder) -> dict[str, np.ndarray]:
    p = model.prototypes_
    out = {
        "positive": p.positive, "positive_code": p.positive_code, "negative": p.negative,
        "negative_code": p.negative_code, "zs_base": model.zs_base_,
        "scale_mean": model.scale_mean_, "scale_std": model.scale_std_,
        "thresholds": model.thresholds_, "cv_f1": model.cv_f1_, "n_positive": model.n_positive_,
    }
    if model.force_one_:
        out["force_one"] = np.ones(1, dtype=np.int64)
    if model.linear_ is not None:
        out.update(coef=model.linear_.coef, intercept=model.linear_.intercept,
                   learned=np.asarray(model.learned_, dtype=np.int64))
    if model.idf_ is not None:
        out["idf"] = model.idf_
    return out


def _digest(array: np.ndarray) -> str:
    array = np.ascontiguousarray(array)
    head = f"{array.dtype.str}{array.shape}".encode()
    return hashlib.sha256(head + array.tobytes()).hexdigest()


def _round(value: float) -> float | None:
    return None if not np.isfinite(value) else round(float(value), 6)


def model_manifest(model: AutoCoder, *, info: dict[str, Any]) -> dict[str, Any]:
    """The manifest of a fitted model; ``info`` adds question, codebook version,
    training-codes hash and embedding model (whatever the caller knows)."""
    arrays = _arrays(model)
    digests = {name: _digest(a) for name, a in sorted(arrays.items())}
    words = sorted(model.vocabulary_, key=model.vocabulary_.__getitem__) if model.vocabulary_ else []
    params = {k: (list(v) if isinstance(v, (list, tuple)) else v)
              for k, v in model.get_params().items()}
    core = {
        "format": FORMAT,
        **info,
        "seed": model.random_state,
        "params": params,
        "n_train": model.n_train_,
        "codes": [
            {"code": code, "mode": mode, "threshold": _round(t), "cv_f1": _round(f),
             "n_positive": _round(n), "human_only": code in model.human_only}
            for code, mode, t, f, n in zip(model.codes_, model.modes_, model.thresholds_,
                                           model.cv_f1_, model.n_positive_)
        ],
        "arrays_sha256": digests,
        "vocabulary_sha256": hashlib.sha256("\n".join(words).encode()).hexdigest() if words else None,
    }
    identity = json.dumps(core, sort_keys=True).encode()
    return {"model_id": "autocode-" + hashlib.sha256(identity).hexdigest()[:12], **core}


def save_model(model: AutoCoder, folder: str | os.PathLike[str], *, info: dict[str, Any]
               ) -> dict[str, Any]:
    """Write ``model`` into ``folder`` (created if needed); returns the manifest."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise AutocodeError(f"{folder}: cannot create the model folder ({exc.strerror})") from None
    manifest = model_manifest(model, info=info)
    buffer = io.BytesIO()
    np.savez(buffer, **_arrays(model))  # type: ignore[arg-type]  # numpy's stub types **kwds oddly
    write_bytes_atomic(folder / ARRAYS, buffer.getvalue())
    if model.vocabulary_:
        words = sorted(model.vocabulary_, key=model.vocabulary_.__getitem__)
        write_text_atomic(folder / VOCABULARY, json.dumps(words, ensure_ascii=False))
    elif (folder / VOCABULARY).exists():
        (folder / VOCABULARY).unlink()
    write_text_atomic(folder / MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    return manifest


def load_model(folder: str | os.PathLike[str]) -> tuple[AutoCoder, dict[str, Any]]:
    """Read a model folder written by :func:`save_model`; checks every array's sha256."""
    folder = Path(folder)
    path = folder / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AutocodeError(f"{folder}: no fitted model here (no {MANIFEST}); run "
                            "'themeloop autocode fit ... --model-dir' first") from None
    except (OSError, ValueError) as exc:
        raise AutocodeError(f"{path}: cannot be read as a model manifest ({exc})") from None
    if manifest.get("format") != FORMAT:
        raise AutocodeError(f"{path}: model format {manifest.get('format')!r} is not "
                            f"{FORMAT}; refit the model with this version")
    try:
        with np.load(folder / ARRAYS, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
    except (OSError, ValueError) as exc:
        raise AutocodeError(f"{folder / ARRAYS}: cannot be read ({exc}); refit the model") from None
    for name, digest in manifest["arrays_sha256"].items():
        if name not in arrays or _digest(arrays[name]) != digest:
            raise AutocodeError(f"{folder / ARRAYS}: array '{name}' does not match the "
                                "manifest (changed or truncated); refit the model")
    params = dict(manifest["params"])
    # A model saved before these parameters existed was fitted without them.
    for name, before in (("prior_weight", 0.0), ("none_rate", 0.0), ("threshold_positives", 1)):
        params.setdefault(name, before)
    params["human_only"] = tuple(params.get("human_only") or ())
    model = AutoCoder(**params)
    model.codes_ = [c["code"] for c in manifest["codes"]]
    model.modes_ = [c["mode"] for c in manifest["codes"]]
    model.prototypes_ = Prototypes(arrays["positive"], arrays["positive_code"],
                                   arrays["negative"], arrays["negative_code"])
    for name in ("zs_base", "scale_mean", "scale_std", "thresholds", "cv_f1",
                 "n_positive"):
        setattr(model, f"{name}_", arrays[name])
    model.n_train_ = manifest["n_train"]
    model.force_one_ = "force_one" in arrays
    model.linear_ = None
    if "coef" in arrays:
        model.linear_ = LinearModel(arrays["coef"], arrays["intercept"])
        model.learned_ = arrays["learned"]
    model.vocabulary_, model.idf_ = None, None
    if "idf" in arrays:
        words = json.loads((folder / VOCABULARY).read_text(encoding="utf-8"))
        model.vocabulary_ = {w: i for i, w in enumerate(words)}
        model.idf_ = arrays["idf"]
    return model, manifest
