"""The embedding work a compute backend runs: picklable, top-level, no closures.

:class:`EncodeBatch` carries a :class:`~themeloop.embed.factory.ModelSpec`,
never a loaded model: whichever process runs it loads the model once
(:func:`~themeloop.embed.factory.model_for`) and keeps it for later batches.
:class:`EncodeWith` wraps a model object the caller already holds; it is for
in-process backends (and for models that pickle cheaply, e.g. a test's fake).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from themeloop.embed.base import EmbeddingModel, normalise
from themeloop.embed.factory import ModelSpec, model_for
from themeloop.errors import EmbedError


def encode_checked(model: EmbeddingModel, texts: list[str]) -> np.ndarray:
    """``model.encode(texts)`` as L2-normalised float32, refusing a wrong shape."""
    part = np.asarray(model.encode(texts), dtype=np.float32)
    if part.ndim != 2 or part.shape[0] != len(texts):
        raise EmbedError(
            f"embedding model '{model.model_id}' returned shape {part.shape} "
            f"for {len(texts)} texts; expected one row per text"
        )
    return normalise(part)


@dataclass(frozen=True)
class EncodeBatch:
    """Encode one batch with the model ``spec`` names, loaded once per process."""

    spec: ModelSpec

    def __call__(self, texts: list[str]) -> np.ndarray:
        return encode_checked(model_for(self.spec), texts)

    def warm_up(self) -> None:
        """Load the model in this process now (a cluster backend calls it once per worker)."""
        model_for(self.spec).encode(["warm up"])  # loads the weights and the runtime


@dataclass(frozen=True)
class EncodeWith:
    """Encode one batch with a model object held by the caller."""

    model: EmbeddingModel

    def __call__(self, texts: list[str]) -> np.ndarray:
        return encode_checked(self.model, texts)
