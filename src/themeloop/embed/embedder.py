"""The :class:`Embedder`: dedupe, cache, encode only what is new, through a compute backend."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from themeloop.compute import Backend, LocalBackend
from themeloop.embed.base import EmbeddingModel, normalise
from themeloop.embed.cache import EmbeddingCache, cache_key
from themeloop.embed.factory import ModelSpec, model_for
from themeloop.embed.tasks import EncodeBatch, EncodeWith
from themeloop.errors import EmbedError
from themeloop.progress import Progress, no_progress

# Texts encoded between cache writes: a stopped run loses at most this many.
CACHE_CHUNK = 10_000


class Embedder:
    """Turn answers into L2-normalised vectors, encoding each distinct text once.

    Parameters
    ----------
    model : an :class:`~themeloop.embed.base.EmbeddingModel`; ``None`` builds one
        from ``model_path`` (``None``: the packaged all-MiniLM-L6-v2) through
        a :class:`~themeloop.embed.factory.ModelSpec`, loaded only when
        something must actually be encoded (once per process that encodes).
    model_path : folder of a sentence-transformers model (ignored if ``model`` is given).
    precision : "auto", "bf16", "fp32" or "int8" (ignored if ``model`` is given).
    runtime : "auto" (torch for bf16, else ONNX Runtime where the model can be
        exported), "onnx" or "torch" (ignored if ``model`` is given).
    cache_dir : folder of the on-disk cache (e.g. ``<project>/models/cache``);
        ``None`` keeps no cache.
    batch_size : texts per call to the model; progress is reported per call.
    backend : where batches are encoded (default: a
        :class:`~themeloop.compute.LocalBackend`, this process). A backend
        that runs them elsewhere gets the model by spec, never the loaded model,
        unless ``model`` was given as an object.

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
        backend: Backend | None = None,
    ) -> None:
        self.model = model
        self.model_path = model_path
        self.precision = precision
        self.runtime = runtime
        self.cache_dir = cache_dir
        self.batch_size = batch_size
        self.backend = backend
        self.n_model_calls_ = 0
        self.n_encoded_ = 0
        self.n_cache_hits_ = 0
        self._model: EmbeddingModel | None = None
        self._spec: ModelSpec | None = None

    @property
    def model_(self) -> EmbeddingModel:
        """The model in use (built, not loaded, on first access)."""
        if self._model is None:
            if self.batch_size < 1:
                raise EmbedError(
                    f"The 'batch_size' parameter must be a positive integer; got {self.batch_size}"
                )
            if self.model is not None:
                self._model = self.model
            else:
                self._spec = ModelSpec.resolve(
                    self.model_path, precision=self.precision, runtime=self.runtime
                )
                self._model = model_for(self._spec)
        return self._model

    def _task(self) -> EncodeBatch | EncodeWith:
        """The picklable work for one batch: by spec when the model was built here."""
        model = self.model_
        return EncodeBatch(self._spec) if self._spec is not None else EncodeWith(model)

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
        tag = getattr(self.model_, "vector_tag", None) or (
            info["precision"] if info["runtime"] == "sentence-transformers" else
            f"{info['precision']}/{info['runtime']}")
        keys = [cache_key(info["id"], info["checksum"], tag, t) for t in unique]
        with contextlib.ExitStack() as stack:
            cache = None
            if self.cache_dir is not None:
                cache = stack.enter_context(EmbeddingCache(self.cache_dir))
            found = cache.lookup(keys) if cache is not None else {}
            self.n_cache_hits_ += len(found)
            missing = [i for i, k in enumerate(keys) if k not in found]
            vectors: dict[str, np.ndarray] = dict(found)
            if missing:
                new_keys = [keys[i] for i in missing]

                def keep(rows: list[int], part: np.ndarray) -> None:
                    # Each chunk reaches the cache as soon as it is encoded, so a run that
                    # stops (killed, out of memory) keeps what it had encoded.
                    if cache is not None:
                        cache.add([new_keys[r] for r in rows], part)

                new = self._encode_missing([unique[i] for i in missing], progress, keep)
                vectors.update(zip(new_keys, new))
        if not unique:
            return np.zeros((0, 0), dtype=np.float32)
        by_text = {t: vectors[k] for t, k in zip(unique, keys)}
        out = np.stack([by_text[t] for t in cleaned]).astype(np.float32, copy=False)
        return normalise(out)

    def _encode_missing(
        self, texts: list[str], progress: Progress,
        keep: Callable[[list[int], np.ndarray], None] | None = None,
    ) -> np.ndarray:
        """Vectors of ``texts``; ``keep(rows, vectors)`` gets each chunk as it is done.

        Longest first, so each call pads its batch to similar lengths. Chunks are
        whole batches of that one order, so chunking changes no batch and no vector.
        """
        order = sorted(range(len(texts)), key=lambda i: (-len(texts[i]), i))
        total = len(texts)
        task = self._task()
        backend = self.backend if self.backend is not None else LocalBackend()
        progress("embedding", 0, total)
        step = max(1, CACHE_CHUNK // self.batch_size) * self.batch_size
        out: np.ndarray | None = None
        done = 0
        for start in range(0, total, step):
            rows = order[start:start + step]
            parts = []
            for part in backend.map_batches(task, [texts[i] for i in rows], self.batch_size):
                self.n_model_calls_ += 1
                done += len(part)
                self.n_encoded_ += len(part)
                parts.append(part)
                progress("embedding", done, total)
            chunk = np.concatenate(parts)
            if out is None:
                out = np.empty((total, chunk.shape[1]), dtype=np.float32)
            out[rows] = chunk
            if keep is not None:
                keep(rows, chunk)
        assert out is not None  # total > 0: the caller encodes missing texts only
        return out


def default_cache_dir(models_dir: str | os.PathLike[str]) -> Path:
    """Where a project keeps its embedding cache."""
    return Path(models_dir) / "cache"
