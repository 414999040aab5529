"""Offline sentence embeddings with a content-hash cache.

:class:`Embedder` dedupes answers, serves known ones from the cache and encodes
only new or changed texts with a pluggable :class:`EmbeddingModel` (default:
the packaged all-MiniLM-L6-v2: bf16 on torch where the CPU supports it, else
fp32 on ONNX Runtime), through a compute backend (:mod:`themeloop.compute`).

Layout: :mod:`~themeloop.embed.base` (the Protocol, model folders, checksums),
:mod:`~themeloop.embed.torch` and :mod:`~themeloop.embed.onnx` (the two
runtimes), :mod:`~themeloop.embed.factory` (runtime -> model registry),
:mod:`~themeloop.embed.tasks` (picklable batch work), :mod:`~themeloop.embed.cache`
(the SQLite vector store) and :mod:`~themeloop.embed.embedder`.
"""

from themeloop.embed.base import (
    PACKAGED_MODEL_ID,
    EmbeddingModel,
    bf16_supported,
    model_checksum,
    model_folder,
    packaged_model_path,
    resolve_precision,
)
from themeloop.embed.cache import EmbeddingCache, cache_key
from themeloop.embed.embedder import Embedder, default_cache_dir
from themeloop.embed.factory import ModelSpec, build_model, register_runtime, resolve_runtime
from themeloop.embed.torch import SentenceTransformerModel

__all__ = [
    "PACKAGED_MODEL_ID",
    "Embedder",
    "EmbeddingCache",
    "EmbeddingModel",
    "ModelSpec",
    "SentenceTransformerModel",
    "bf16_supported",
    "build_model",
    "cache_key",
    "default_cache_dir",
    "model_checksum",
    "model_folder",
    "packaged_model_path",
    "register_runtime",
    "resolve_precision",
    "resolve_runtime",
]
