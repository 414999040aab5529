"""Keyword counts of partitions add up to the keywords of the whole (c-TF-IDF is additive)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from themeloop.themes.keyword_counts import KeywordCounts, keywords_from_counts
from themeloop.themes.keywords import ctfidf_keywords

VOCAB = ["budget", "funding", "grant", "staff", "hiring", "turnover", "rule", "paperwork",
         "seed_funding", "time", "weather", "cost"]


def _corpus(seed: int, n: int, k: int) -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = rng.integers(-1, k, size=n)
    docs = []
    for label in labels:
        # Each theme leans on its own words, with some of everyone's, and some empty answers.
        own = VOCAB[(3 * max(label, 0)) % len(VOCAB):][:3]
        words = list(rng.choice(own, size=rng.integers(0, 4))) + list(
            rng.choice(VOCAB, size=rng.integers(0, 3)))
        docs.append(" ".join(words))
    return docs, labels


@pytest.mark.parametrize(("seed", "k", "parts"), [(0, 4, 3), (1, 1, 2), (2, 6, 5), (3, 3, 1)])
def test_partition_counts_added_give_the_keywords_of_the_whole(seed, k, parts):
    docs, labels = _corpus(seed, 400, k)
    whole = {t: kw for t, kw in ctfidf_keywords(docs, labels).items() if kw}
    bounds = np.linspace(0, len(docs), parts + 1).astype(int)
    total = KeywordCounts()
    for a, b in itertools.pairwise(bounds):
        total = total + KeywordCounts.of(docs[a:b], labels[a:b])
    assert keywords_from_counts(total) == whole
    assert sum(total.n_docs.values()) == sum(1 for d, y in zip(docs, labels) if y >= 0 and d)


def test_counts_are_per_theme_and_leave_out_unassigned_and_empty_answers():
    counts = KeywordCounts.of(["budget budget staff", "", "rule", "budget"],
                              np.array([0, 0, -1, 1]))
    assert counts.words == {0: {"budget": 2, "staff": 1}, 1: {"budget": 1}}
    assert counts.docs_with[0] == {"budget": 1, "staff": 1} and dict(counts.n_docs) == {0: 1, 1: 1}
    assert keywords_from_counts(KeywordCounts()) == {}
