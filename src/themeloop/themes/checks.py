"""Theme-set checks: deterministic rules every proposed theme set passes.

After i.AI's themefinder, which checks its theme sets with fixed rules rather
than trusting the model. Each rule that changes something leaves a
:class:`Check` that ``themes.json`` and the report list, so a researcher sees
why a theme is missing or merged:

- ``min_size``: every theme covers at least ``max(2, 0.1%)`` of the answers;
  smaller ones are dissolved (their answers join the nearest theme or Other).
- ``similar_labels``: two themes whose label + description embeddings have
  cosine above 0.9 say the same thing, and are merged.
- ``overlapping_members``: two themes whose member sets have Jaccard overlap
  above 0.7 hold the same answers, and are merged.
- ``other``: answers that fit no theme are kept together as "Other".
- ``no_answer``: non-substantive answers ("n/a", "don't know") are "No answer
  given" and are kept out of the clustering.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np

OTHER_ID, OTHER_LABEL = "other", "Other"
NO_ANSWER_ID, NO_ANSWER_LABEL = "no_answer", "No answer given"
RESERVED_IDS = frozenset({OTHER_ID, NO_ANSWER_ID})
MIN_SHARE = 0.001
LABEL_SIMILARITY = 0.9
MEMBER_JACCARD = 0.7


@dataclass(frozen=True)
class Check:
    """One rule that fired: its name, the theme ids it concerned, and what it did."""

    rule: str
    themes: list[str]
    detail: str

    def to_json(self) -> dict:
        return asdict(self)


def min_theme_size(n: int) -> int:
    """The fewest answers a theme may have: ``max(2, ceil(0.1% of n))``.

    Examples
    --------
    >>> min_theme_size(40), min_theme_size(2_000), min_theme_size(100_000)
    (2, 2, 100)
    """
    return max(2, math.ceil(MIN_SHARE * n))


def enforce_min_size(labels: np.ndarray, n: int) -> tuple[np.ndarray, Check | None]:
    """Dissolve clusters below :func:`min_theme_size` (their answers become ``-1``).

    Examples
    --------
    >>> out, check = enforce_min_size(np.array([0, 0, 0, 1, -1]), 5)
    >>> out.tolist(), check.detail
    ([0, 0, 0, -1, -1], '1 candidate theme(s) with fewer than 2 answers (max(2, 0.1% of 5)) dissolved')
    """
    floor = min_theme_size(n)
    values, counts = np.unique(labels[labels >= 0], return_counts=True)
    small = [int(v) for v, c in zip(values, counts) if c < floor]
    if not small:
        return labels, None
    out = np.where(np.isin(labels, small), -1, labels)
    return out, Check("min_size", [], (
        f"{len(small)} candidate theme(s) with fewer than {floor} answers "
        f"(max(2, 0.1% of {n})) dissolved"))


def jaccard(a: set, b: set) -> float:
    """``|a & b| / |a | b|`` (0 for two empty sets)."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def merge_pairs(
    vectors: np.ndarray | None = None, members: Sequence[set] | None = None, *,
    similarity: float = LABEL_SIMILARITY, overlap: float = MEMBER_JACCARD,
) -> list[tuple[int, int, str, float]]:
    """Pairs ``(keep, gone, rule, value)`` of theme positions to merge, greedily.

    Themes are given in order of size (largest first), so the earlier theme of
    a pair keeps its place. A pair is merged when its label+description
    ``vectors`` (L2-normalised rows) have cosine above ``similarity``, or its
    ``members`` have Jaccard overlap above ``overlap``. A theme merged away
    takes part in no later pair; one that absorbs another still may.

    Examples
    --------
    >>> v = np.array([[1.0, 0.0], [0.995, 0.0998], [0.0, 1.0]])
    >>> merge_pairs(v, [{1, 2}, {3}, {4}])
    [(0, 1, 'similar_labels', 0.995)]
    >>> merge_pairs(None, [{1, 2, 3, 4}, {1, 2, 3, 4, 5}, {9}])
    [(0, 1, 'overlapping_members', 0.8)]
    """
    n = len(vectors) if vectors is not None else len(members or [])
    sims = vectors @ vectors.T if vectors is not None and n else None
    gone: set[int] = set()
    out = []
    for i in range(n):
        if i in gone:
            continue
        for j in range(i + 1, n):
            if j in gone:
                continue
            if sims is not None and sims[i, j] > similarity:
                out.append((i, j, "similar_labels", round(float(sims[i, j]), 3)))
                gone.add(j)
            elif members is not None and jaccard(members[i], members[j]) > overlap:
                out.append((i, j, "overlapping_members", round(jaccard(members[i], members[j]), 3)))
                gone.add(j)
    return out


def merge_checks(
    pairs: Sequence[tuple[int, int, str, float]], ids: Sequence[str], labels: Sequence[str]
) -> list[Check]:
    """One :class:`Check` per merged pair, naming both themes as they were labelled."""
    out = []
    for keep, gone, rule, value in pairs:
        what = "label+description cosine" if rule == "similar_labels" else "member Jaccard"
        out.append(Check(rule, [ids[keep], ids[gone]], (
            f"'{labels[gone]}' merged into '{labels[keep]}' ({what} {value:.3f} > "
            f"{LABEL_SIMILARITY if rule == 'similar_labels' else MEMBER_JACCARD})")))
    return out


def reserved_checks(n_other: int, n_no_answer: int, n_answers: int) -> list[Check]:
    """The Other and No-answer-given rules, when they hold any answer."""
    out = []
    if n_other:
        out.append(Check("other", [OTHER_ID], (
            f"{n_other} of {n_answers} substantive answer(s) fit no theme and are '{OTHER_LABEL}'")))
    if n_no_answer:
        out.append(Check("no_answer", [NO_ANSWER_ID], (
            f"{n_no_answer} non-substantive answer(s) are '{NO_ANSWER_LABEL}' and were kept "
            "out of the clustering")))
    return out


def label_vectors(labels: Sequence[str], descriptions: Sequence[str], encoder) -> np.ndarray:
    """Embeddings of "label. description" per theme (what ``similar_labels`` compares)."""
    texts = [f"{label}. {desc}".strip(". ") for label, desc in zip(labels, descriptions)]
    return np.asarray(encoder(texts), dtype=np.float32) if texts else np.zeros((0, 1))


def apply_merges(labels: np.ndarray, values: Sequence[int], pairs, ) -> np.ndarray:
    """``labels`` with each merged-away theme's value replaced by its keeper's."""
    out = labels.copy()
    target: Mapping[int, int] = {values[g]: values[k] for k, g, _, _ in pairs}
    for gone in sorted(target, reverse=True):
        keep = target[gone]
        while keep in target:  # a keeper that was itself merged later
            keep = target[keep]
        out[out == gone] = keep
    return out
