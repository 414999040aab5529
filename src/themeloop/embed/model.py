"""Where the model names were imported from before the split; kept so old imports work.

New code imports from :mod:`themeloop.embed` (or from :mod:`~themeloop.embed.base`,
:mod:`~themeloop.embed.torch`, :mod:`~themeloop.embed.onnx` and
:mod:`~themeloop.embed.factory`). Nothing inside the package imports this module.
"""

from __future__ import annotations

from themeloop.embed.base import (
    PACKAGED_MODEL_ID,
    PRECISIONS,
    EmbeddingModel,
    Precision,
    bf16_supported,
    model_checksum,
    model_folder,
    packaged_model_path,
    resolve_precision,
)
from themeloop.embed.factory import RUNTIMES, build_model, resolve_runtime
from themeloop.embed.torch import SentenceTransformerModel

__all__ = [
    "PACKAGED_MODEL_ID", "PRECISIONS", "RUNTIMES", "EmbeddingModel", "Precision",
    "SentenceTransformerModel", "bf16_supported", "build_model", "model_checksum",
    "model_folder", "packaged_model_path", "resolve_precision", "resolve_runtime",
]
