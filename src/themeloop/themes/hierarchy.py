"""Parent themes: above ~20 themes, a second level that groups related ones.

Theme centroids (unit vectors, so Euclidean distance follows cosine) are
clustered agglomeratively with Ward linkage, BERTopic's default in
``hierarchical_topics``, into about ``sqrt(k)`` groups; a group of two or more themes becomes a parent,
labelled from its children's answers like any theme
(:mod:`~themeloop.themes.labels`). A theme alone in its group stays at the top.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace

import numpy as np

from themeloop.themes import labels as theme_labels
from themeloop.themes.checks import RESERVED_IDS, Check
from themeloop.themes.keywords import slugify
from themeloop.themes.model import Theme

MIN_THEMES = 20  # more themes than this get parents


@dataclass(frozen=True)
class Parent:
    """A parent theme: its id, label, description, and its children's ids (largest first)."""

    id: str
    label: str
    description: str
    children: list[str]
    size: int

    def to_json(self) -> dict:
        return asdict(self)


def n_parents(k: int) -> int:
    """How many groups ``k`` themes are clustered into: ``round(sqrt(k))``, at least 2.

    Examples
    --------
    >>> n_parents(21), n_parents(50), n_parents(120)
    (5, 7, 11)
    """
    return max(2, round(math.sqrt(k)))


def group_themes(centroids: np.ndarray, n_groups: int) -> np.ndarray:
    """A group per theme: agglomerative clustering of the L2-normalised centroids.

    Examples
    --------
    >>> c = np.array([[1.0, 0.0], [0.99, 0.14], [0.0, 1.0], [0.14, 0.99]])
    >>> g = group_themes(c, 2)
    >>> bool(g[0] == g[1] and g[2] == g[3] and g[0] != g[2])
    True
    """
    from sklearn.cluster import AgglomerativeClustering

    # Ward keeps groups of similar size; average linkage put 35 of banking77's 90 themes
    # under one parent.
    model = AgglomerativeClustering(n_clusters=n_groups, linkage="ward")
    return model.fit_predict(np.asarray(centroids, dtype=np.float64)).astype(int)


def propose_parents(
    centroids: np.ndarray, themes: Sequence[Theme], texts: Sequence[str], labels: np.ndarray,
    *, encoder: theme_labels.PhraseEncoder | None = None, random_state: int = 42,
    min_themes: int = MIN_THEMES,
) -> list[Parent]:
    """Parents for ``themes`` (positions in ``labels``) when there are more than ``min_themes``.

    Returns an empty list for ``min_themes`` themes or fewer.
    """
    k = len(themes)
    if k <= min_themes:
        return []
    groups = group_themes(centroids, n_parents(k))
    counts = np.bincount(groups)
    kept = sorted({int(g) for g in groups if counts[g] >= 2},
                  key=lambda g: (-sum(t.size for t, x in zip(themes, groups) if x == g), g))
    if not kept:
        return []
    answer_group = np.array([int(groups[v]) if v >= 0 and counts[groups[v]] >= 2 else -1
                             for v in labels], dtype=int)
    cents, quotes = {}, {}
    for g in kept:
        mean = centroids[groups == g].mean(axis=0)
        cents[g] = mean / max(float(np.linalg.norm(mean)), 1e-12)
        quotes[g] = [t.quotes[0].text for t, x in zip(themes, groups) if x == g and t.quotes]
    named = theme_labels.label_themes(
        texts, answer_group, cents, quotes, encoder=encoder, random_state=random_state,
        order=kept, avoid={t.label.lower() for t in themes})
    taken = {t.id for t in themes} | set(RESERVED_IDS)
    out = []
    for i, g in enumerate(kept):
        children = [t for t, x in zip(themes, groups) if x == g]
        out.append(Parent(
            id=slugify(named[g].label, taken, f"parent_{i + 1}"), label=named[g].label,
            description=named[g].description, children=[t.id for t in children],
            size=sum(t.size for t in children)))
    return out


def with_parents(themes: Sequence[Theme], parents: Sequence[Parent]) -> list[Theme]:
    """``themes`` with ``parent`` set to the id of the parent that holds each."""
    parent_of = {child: p.id for p in parents for child in p.children}
    return [replace(t, parent=parent_of.get(t.id)) for t in themes]


def parent_check(parents: Sequence[Parent], k: int) -> Check:
    """The check entry saying a hierarchy was proposed."""
    held = sum(len(p.children) for p in parents)
    return Check("hierarchy", [p.id for p in parents], (
        f"{k} themes (more than {MIN_THEMES}): {held} of them grouped under {len(parents)} "
        "parent themes by agglomerative clustering of theme centroids"))
