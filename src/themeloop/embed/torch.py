"""The packaged (or any) sentence-transformers model, run by PyTorch.

This is the runtime for bf16, whose AMX kernels make it fast, and the
fallback for models ONNX Runtime cannot run. torch and sentence-transformers
are imported only when the model is first used.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from themeloop.embed.base import model_checksum, model_folder, resolve_precision
from themeloop.errors import EmbedError

RUNTIME = "sentence-transformers"


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

    runtime = RUNTIME

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
        self._model: Any = None

    @property
    def checksum(self) -> str:
        return model_checksum(self.path)

    def _load(self) -> Any:
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
    def sentence_transformer(self) -> Any:
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
