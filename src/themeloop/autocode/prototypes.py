"""What a code looks like to the zero-shot scorer: texts from the codebook, as vectors."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from themeloop.codebook.model import Code


@dataclass(frozen=True)
class Prototypes:
    """Vectors standing for codes.

    ``positive`` rows are L2-normalised vectors of texts that describe a code
    (label with description, include note, examples); ``positive_code[i]`` is
    the index of the code row ``i`` stands for. ``negative`` and
    ``negative_code`` hold the exclude notes the same way. ``positive_id``
    (optional) names the answer a positive row quotes (an example given as a
    response id), ``""`` for the codebook's own texts: cross-fitting drops the
    rows of held-out answers, or an answer would be scored against itself.
    """

    positive: np.ndarray
    positive_code: np.ndarray
    negative: np.ndarray
    negative_code: np.ndarray
    positive_id: tuple[str, ...] | None = field(default=None, compare=False)

    def without(self, ids: Iterable[str]) -> Prototypes:
        """These prototypes less the rows quoting the answers ``ids`` (codes keep their label)."""
        if self.positive_id is None:
            return self
        drop = set(ids) - {""}
        keep = np.array([i not in drop for i in self.positive_id], dtype=bool)
        if keep.all():
            return self
        return Prototypes(self.positive[keep], self.positive_code[keep], self.negative,
                          self.negative_code,
                          tuple(i for i, k in zip(self.positive_id, keep) if k))


def code_texts(code: Code, answers: Mapping[str, str] | None = None) -> tuple[list[str], list[str]]:
    """Positive and negative texts of one code.

    The label with its description is the first text; the include note and
    every example follow. An example that is a response id in ``answers``
    stands for that answer's text. The exclude note is the only negative.
    """
    positives, _, negatives = _code_texts(code, answers)
    return positives, negatives


def _code_texts(code: Code, answers: Mapping[str, str] | None
                ) -> tuple[list[str], list[str], list[str]]:
    """Positive texts, the response id each quotes (or ""), negative texts."""
    label = code.label.strip() or code.id.replace("_", " ")
    description = code.description.strip()
    first = f"{label}: {description}" if description else label
    positives = [first]
    quoted = [""]
    if code.include.strip():
        positives.append(code.include.strip())
        quoted.append("")
    for example in code.examples:
        rid = example.strip()
        text = (answers or {}).get(rid, example).strip()
        if text:
            positives.append(text)
            quoted.append(rid if answers and rid in answers else "")
    negatives = [code.exclude.strip()] if code.exclude.strip() else []
    return positives, quoted, negatives


def build_prototypes(
    codes: Sequence[Code], encode: Callable[[list[str]], np.ndarray],
    answers: Mapping[str, str] | None = None,
) -> Prototypes:
    """Embed every code's texts with ``encode`` (e.g. ``Embedder.encode``) in one call."""
    pos_texts: list[str] = []
    pos_code: list[int] = []
    pos_id: list[str] = []
    neg_texts: list[str] = []
    neg_code: list[int] = []
    for k, code in enumerate(codes):
        positives, quoted, negatives = _code_texts(code, answers)
        pos_texts += positives
        pos_id += quoted
        pos_code += [k] * len(positives)
        neg_texts += negatives
        neg_code += [k] * len(negatives)
    vectors = np.asarray(encode(pos_texts + neg_texts), dtype=np.float32)
    return Prototypes(vectors[:len(pos_texts)], np.asarray(pos_code, dtype=np.int64),
                      vectors[len(pos_texts):].reshape(len(neg_texts), vectors.shape[1]),
                      np.asarray(neg_code, dtype=np.int64), tuple(pos_id))


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
