"""What a code looks like to the zero-shot scorer: texts from the codebook, as vectors."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from themeloop.codebook.model import Code


@dataclass(frozen=True)
class Prototypes:
    """Vectors standing for codes.

    ``positive`` rows are L2-normalised vectors of texts that describe a code
    (label with description, include note, examples); ``positive_code[i]`` is
    the index of the code row ``i`` stands for. ``negative`` and
    ``negative_code`` hold the exclude notes the same way.
    """

    positive: np.ndarray
    positive_code: np.ndarray
    negative: np.ndarray
    negative_code: np.ndarray


def code_texts(code: Code, answers: Mapping[str, str] | None = None) -> tuple[list[str], list[str]]:
    """Positive and negative texts of one code.

    The label with its description is the first text; the include note and
    every example follow. An example that is a response id in ``answers``
    stands for that answer's text. The exclude note is the only negative.
    """
    label = code.label.strip() or code.id.replace("_", " ")
    description = code.description.strip()
    first = f"{label}: {description}" if description else label
    positives = [first]
    if code.include.strip():
        positives.append(code.include.strip())
    for example in code.examples:
        text = (answers or {}).get(example.strip(), example).strip()
        if text:
            positives.append(text)
    negatives = [code.exclude.strip()] if code.exclude.strip() else []
    return positives, negatives


def build_prototypes(
    codes: Sequence[Code], encode: Callable[[list[str]], np.ndarray],
    answers: Mapping[str, str] | None = None,
) -> Prototypes:
    """Embed every code's texts with ``encode`` (e.g. ``Embedder.encode``) in one call."""
    pos_texts: list[str] = []
    pos_code: list[int] = []
    neg_texts: list[str] = []
    neg_code: list[int] = []
    for k, code in enumerate(codes):
        positives, negatives = code_texts(code, answers)
        pos_texts += positives
        pos_code += [k] * len(positives)
        neg_texts += negatives
        neg_code += [k] * len(negatives)
    vectors = np.asarray(encode(pos_texts + neg_texts), dtype=np.float32)
    return Prototypes(vectors[:len(pos_texts)], np.asarray(pos_code, dtype=np.int64),
                      vectors[len(pos_texts):].reshape(len(neg_texts), vectors.shape[1]),
                      np.asarray(neg_code, dtype=np.int64))


def plain_codes(ids: Sequence[str], labels: Mapping[str, str] | None = None) -> list[Code]:
    """Codes known only by id (a coding table without codebook): the id is the label."""
    return [Code(id=i, label=(labels or {}).get(i) or i.replace("_", " ")) for i in ids]


def similarity(x: np.ndarray, prototypes: Prototypes, n_codes: int) -> np.ndarray:
    """Per answer and code: the best cosine to the code's positive texts, less any excess
    of the best cosine to its exclude notes over that; shape (n, n_codes)."""
    x = np.asarray(x, dtype=np.float32)
    out = np.full((len(x), n_codes), -1.0, dtype=np.float64)
    if len(prototypes.positive):
        sims = x @ prototypes.positive.T
        for k in np.unique(prototypes.positive_code):
            out[:, k] = sims[:, prototypes.positive_code == k].max(axis=1)
    if len(prototypes.negative):
        sims = x @ prototypes.negative.T
        for k in np.unique(prototypes.negative_code):
            excess = sims[:, prototypes.negative_code == k].max(axis=1) - out[:, k]
            out[:, k] -= np.maximum(excess, 0.0)
    return out
