"""How robust each proposed theme is: refit on resampled answers with new seeds.

For each of ``runs`` refits, a seeded random 80% of the answers is drawn
(without replacement, so no answer counts twice) and the themes are proposed
again with a different seed. A theme's score in that run is the best Jaccard
overlap between its answers (those drawn) and the answers of any refitted
theme; its stability is the mean over runs. This is Hennig's (2007)
cluster-wise stability ("clusterboot"): below 0.6 a theme usually dissolves
when the data change a little, above 0.75 it is stable, above 0.85 highly so.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

FRACTION = 0.8
STABLE, FAIRLY_STABLE = 0.75, 0.6


def best_jaccard(theme: set[int], others: Sequence[set[int]]) -> float:
    """The largest Jaccard overlap of ``theme`` with any of ``others`` (0 when none).

    Examples
    --------
    >>> best_jaccard({1, 2, 3, 4}, [{1, 2}, {2, 3, 4, 5}])
    0.6
    """
    best = 0.0
    for other in others:
        union = len(theme | other)
        if union:
            best = max(best, len(theme & other) / union)
    return best


def theme_stability(
    reference: Sequence[set[int]], n_answers: int,
    refit: Callable[[np.ndarray, int], Sequence[set[int]]], *, runs: int, random_state: int,
    fraction: float = FRACTION,
) -> list[float | None]:
    """Mean best-match Jaccard of each reference theme over ``runs`` resampled refits.

    Parameters
    ----------
    reference : the answers (indices in ``range(n_answers)``) of each theme.
    n_answers : how many answers there are.
    refit : ``refit(sample, seed)`` proposes themes for the answers in
        ``sample`` (sorted indices) with ``seed`` and returns each theme's
        answers, as indices into ``range(n_answers)``.
    runs : number of refits (0: nothing is computed, every value is None).
    random_state : seeds the draws; refit ``b`` gets seed ``random_state + b + 1``.
    fraction : share of the answers drawn for each refit.

    Returns
    -------
    list of float or None, one per reference theme (None: never drawn, or runs=0).

    Examples
    --------
    Two groups that every refit finds again are perfectly stable:

    >>> groups = [set(range(0, 10)), set(range(10, 20))]
    >>> again = lambda sample, seed: [set(sample[sample < 10]), set(sample[sample >= 10])]
    >>> theme_stability(groups, 20, again, runs=3, random_state=0)
    [1.0, 1.0]
    """
    if runs < 0 or not 0 < fraction <= 1:
        raise ValueError(f"runs must be >= 0 and fraction in (0, 1]; got {runs}, {fraction}")
    totals = np.zeros(len(reference))
    counts = np.zeros(len(reference), dtype=int)
    size = max(1, round(fraction * n_answers))
    for b in range(runs):
        rng = np.random.default_rng([random_state, b])
        sample = np.sort(rng.choice(n_answers, size=min(size, n_answers), replace=False))
        found = [set(t) for t in refit(sample, random_state + b + 1)]
        drawn = set(sample.tolist())
        for i, theme in enumerate(reference):
            kept = theme & drawn
            if kept:
                totals[i] += best_jaccard(kept, found)
                counts[i] += 1
    return [round(float(t / c), 3) if c else None for t, c in zip(totals, counts)]


def reading(stability: float | None) -> str:
    """A plain-language reading of one theme's stability.

    Examples
    --------
    >>> reading(0.9), reading(0.65), reading(0.3), reading(None)
    ('stable', 'fairly stable', 'unstable', 'not computed')
    """
    if stability is None:
        return "not computed"
    if stability >= STABLE:
        return "stable"
    return "fairly stable" if stability >= FAIRLY_STABLE else "unstable"
