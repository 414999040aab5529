"""The :class:`Embedder`: dedupe, cache, encode only what is new."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from themeloop.embed.cache import EmbeddingCache, cache_key
from themeloop.embed.model import EmbeddingModel, build_model
from themeloop.errors import EmbedError
from themeloop.progress import Progress, no_progress


class Embedder:
    """Turn answers into L2-normalised vectors, encoding each distinct text once.

    Parameters
    ----------
    model : an :class:`~themeloop.embed.model.EmbeddingModel`; ``None`` builds one
        from ``model_path`` (``None``: the packaged all-MiniLM-L6-v2) with
        :func:`~themeloop.embed.model.build_model`, loaded only when something
        must actually be encoded.
    model_path : folder of a sentence-transformers model (ignored if ``model`` is given).
    precision : "auto", "bf16" or "fp32" (ignored if ``model`` is given).
    runtime : "auto" (torch for bf16, else ONNX Runtime where the model can be
        exported), "onnx" or "torch" (ignored if ``model`` is given).
    cache_dir : folder of the on-disk cache (e.g. ``<project>/models/cache``);
        ``None`` keeps no cache.
    batch_size : texts per call to the model; progress is reported per call.

    Attributes
    ----------
    n_model_calls_ : calls made to ``model.encode`` so far.
    n_encoded_ : texts the model encoded so far.
    n_cache_hits_ : distinct texts served from the cache so far.

    Examples
    --------
    >>> import numpy as np
    >>> class Fake:
    ...     model_id, precision = "fake", "fp32"
    ...     def encode(self, texts):
    ...         return np.array([[len(t), 1.0] for t in texts], dtype=np.float32)
    >>> emb = Embedder(Fake())
    >>> emb.encode(["ab", "ab", "abc"]).shape, emb.n_encoded_
    ((3, 2), 2)
    """

    def __init__(
        self,
        model: EmbeddingModel | None = None,
        *,
        model_path: str | os.PathLike[str] | None = None,
        precision: str = "auto",
        runtime: str = "auto",
        cache_dir: str | os.PathLike[str] | None = None,
        batch_size: int = 256,
    ) -> None:
        self.model = model
        self.model_path = model_path
        self.precision = precision
        self.runtime = runtime
        self.cache_dir = cache_dir
        self.batch_size = batch_size
        self.n_model_calls_ = 0
        self.n_encoded_ = 0
        self.n_cache_hits_ = 0
        self._model: EmbeddingModel | None = None

    @property
    def model_(self) -> EmbeddingModel:
        """The model in use (built, not loaded, on first access)."""
        if self._model is None:
            if self.batch_size < 1:
                raise EmbedError(
                    f"The 'batch_size' parameter must be a positive integer; got {self.batch_size}"
                )
            self._model = self.model if self.model is not None else build_model(
                self.model_path, precision=self.precision, runtime=self.runtime
            )
        return self._model

    @property
    def model_info(self) -> dict[str, str]:
        """Model id, resolved precision, runtime and checksum, for manifests and themes.json."""
        model = self.model_
        checksum = getattr(model, "checksum", None) or "unknown"
        runtime = getattr(model, "runtime", None) or "sentence-transformers"
        return {"id": model.model_id, "precision": model.precision, "runtime": runtime,
                "checksum": checksum}

    def encode(self, texts: Sequence[str], progress: Progress = no_progress) -> np.ndarray:
        """Embed ``texts``; returns a float32 array with one L2-normalised row per text.

        Identical texts (after trimming whitespace) are encoded once; texts in
        the cache are not encoded at all.
        """
        cleaned = [str(t).strip() for t in texts]
        unique = list(dict.fromkeys(cleaned))
        info = self.model_info
        # sentence-transformers vectors keep their original keys; other runtimes get their own.
        tag = info["precision"] if info["runtime"] == "sentence-transformers" else (
            f"{info['precision']}/{info['runtime']}")
        keys = [cache_key(info["id"], info["checksum"], tag, t) for t in unique]
        cache = EmbeddingCache(self.cache_dir) if self.cache_dir is not None else None
        found = cache.lookup(keys) if cache is not None else {}
        self.n_cache_hits_ += len(found)
        missing = [i for i, k in enumerate(keys) if k not in found]
        vectors: dict[str, np.ndarray] = dict(found)
        if missing:
            new = self._encode_missing([unique[i] for i in missing], progress)
            new_keys = [keys[i] for i in missing]
            vectors.update(zip(new_keys, new))
            if cache is not None:
                cache.add(new_keys, new)
        if not unique:
            return np.zeros((0, 0), dtype=np.float32)
        by_text = {t: vectors[k] for t, k in zip(unique, keys)}
        out = np.stack([by_text[t] for t in cleaned]).astype(np.float32, copy=False)
        return _normalise(out)

    def _encode_missing(self, texts: list[str], progress: Progress) -> np.ndarray:
        # Longest first, so each call pads its batch to similar lengths.
        order = sorted(range(len(texts)), key=lambda i: (-len(texts[i]), i))
        total = len(texts)
        progress("embedding", 0, total)
        parts = []
        for start in range(0, total, self.batch_size):
            batch = [texts[i] for i in order[start:start + self.batch_size]]
            part = np.asarray(self.model_.encode(batch), dtype=np.float32)
            if part.ndim != 2 or part.shape[0] != len(batch):
                raise EmbedError(
                    f"embedding model '{self.model_.model_id}' returned shape {part.shape} "
                    f"for {len(batch)} texts; expected one row per text"
                )
            self.n_model_calls_ += 1
            self.n_encoded_ += len(batch)
            parts.append(_normalise(part))
            progress("embedding", min(start + self.batch_size, total), total)
        out = np.empty((total, parts[0].shape[1]), dtype=np.float32)
        out[order] = np.concatenate(parts)
        return out


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1.0, norms)


def default_cache_dir(models_dir: str | os.PathLike[str]) -> Path:
    """Where a project keeps its embedding cache."""
    return Path(models_dir) / "cache"
