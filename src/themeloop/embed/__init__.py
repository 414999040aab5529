"""Offline sentence embeddings with a content-hash cache.

:class:`Embedder` dedupes answers, serves known ones from the cache and encodes
only new or changed texts with a pluggable :class:`EmbeddingModel` (default:
the packaged all-MiniLM-L6-v2: bf16 on torch where the CPU supports it, else
fp32 on ONNX Runtime).
"""

from themeloop.embed.cache import EmbeddingCache, cache_key
from themeloop.embed.embedder import Embedder, default_cache_dir
from themeloop.embed.model import (
    PACKAGED_MODEL_ID,
    EmbeddingModel,
    SentenceTransformerModel,
    bf16_supported,
    build_model,
    model_checksum,
    packaged_model_path,
    resolve_precision,
    resolve_runtime,
)

__all__ = [
    "PACKAGED_MODEL_ID",
    "Embedder",
    "EmbeddingCache",
    "EmbeddingModel",
    "SentenceTransformerModel",
    "bf16_supported",
    "build_model",
    "cache_key",
    "default_cache_dir",
    "model_checksum",
    "packaged_model_path",
    "resolve_precision",
    "resolve_runtime",
]
