"""Multi-label themes: cluster the segments of answers, give each answer every theme
its segments carry.

People code a multi-point answer ("1) no money 2) no time") with several
codes. The proposer clusters the answers' segments (:mod:`themeloop.segments`);
an answer then carries each theme one of its segments was assigned to, scored
by the best cosine of those segments to the theme's centroid. Its primary theme
is the one that most of its text is about.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from themeloop.themes.model import Theme


@dataclass(frozen=True)
class Segmented:
    """The segments of a list of answers: ``owner[i]`` is segment i's answer."""

    texts: list[str]
    owner: np.ndarray

    def of(self, answers: np.ndarray) -> np.ndarray:
        """Indices of the segments that belong to ``answers`` (in segment order)."""
        return np.flatnonzero(np.isin(self.owner, answers))


def segment_answers(texts: Sequence[str], segments: Sequence[Sequence[str]]) -> Segmented:
    """Flatten per-answer segment texts; an answer without segments is its own segment.

    Examples
    --------
    >>> s = segment_answers(["a. b", "c"], [["a.", "b"], []])
    >>> s.texts, s.owner.tolist()
    (['a.', 'b', 'c'], [0, 0, 1])
    """
    flat: list[str] = []
    owner: list[int] = []
    for i, (text, parts) in enumerate(zip(texts, segments)):
        parts = [p for p in parts if p.strip()] or [text]
        flat += parts
        owner += [i] * len(parts)
    return Segmented(flat, np.asarray(owner, dtype=np.int64))


def answer_themes(
    owner: np.ndarray, labels: np.ndarray, scores: np.ndarray, n_answers: int,
    min_secondary: float = -1.0, lengths: np.ndarray | None = None,
) -> list[list[tuple[int, float]]]:
    """Per answer, (theme index, score): its primary theme first, then the others best first.

    ``labels`` and ``scores`` are the proposer's per segment (``labels_``,
    ``scores_``); unassigned segments (-1) add nothing. A theme's score is its
    best segment's cosine to the theme's centroid. The primary theme is the
    one whose segments make up most of the answer (``lengths``: characters per
    segment; default 1 each), then the best score, then the lower index (the
    larger theme). The other themes need a score of at least ``min_secondary``.

    Examples
    --------
    >>> answer_themes(np.array([0, 0, 1, 2]), np.array([1, 0, -1, 1]),
    ...               np.array([0.5, 0.7, 0.2, 0.6]), 3, lengths=np.array([30, 10, 5, 8]))
    [[(1, 0.5), (0, 0.7)], [], [(1, 0.6)]]
    """
    lengths = np.ones(len(owner)) if lengths is None else lengths
    best: list[dict[int, float]] = [{} for _ in range(n_answers)]
    share: list[dict[int, float]] = [{} for _ in range(n_answers)]
    for a, v, s, n in zip(owner.tolist(), labels.tolist(), scores.tolist(), lengths.tolist()):
        if v >= 0:
            best[a][v] = max(s, best[a].get(v, -np.inf))
            share[a][v] = share[a].get(v, 0.0) + n
    out: list[list[tuple[int, float]]] = []
    for b, w in zip(best, share):
        if not b:
            out.append([])
            continue
        main = min(b, key=lambda v: (-w[v], -b[v], v))
        rest = sorted((v for v in b if v != main), key=lambda v: (-b[v], v))
        out.append([(main, round(b[main], 6))]
                   + [(v, round(b[v], 6)) for v in rest if b[v] >= min_secondary])
    return out


def members_of(carried: list[list[tuple[int, float]]], n_themes: int) -> list[set[int]]:
    """The answers carrying each theme (as indices into ``carried``)."""
    members: list[set[int]] = [set() for _ in range(n_themes)]
    for a, pairs in enumerate(carried):
        for v, _ in pairs:
            members[v].add(a)
    return members


def resize_themes(themes: list[Theme], carried: list[list[tuple[int, float]]],
                  n_answers: int) -> tuple[list[Theme], list[int]]:
    """Themes with answer counts (``size``, ``share``, ``n_primary``), largest first.

    Returns the themes and, per new position, the theme's old index.
    """
    size = [0] * len(themes)
    primary = [0] * len(themes)
    for pairs in carried:
        for rank, (v, _) in enumerate(pairs):
            size[v] += 1
            primary[v] += rank == 0
    order = sorted(range(len(themes)), key=lambda v: (-size[v], -primary[v], v))
    resized = [replace(themes[v], size=size[v], n_primary=primary[v],
                       share=round(size[v] / n_answers, 4) if n_answers else 0.0)
               for v in order]
    return resized, order
