"""c-TF-IDF keywords from counts that add up across partitions.

:func:`~themeloop.themes.keywords.ctfidf_keywords` needs every theme's lemma
documents at once. What it computes from them adds up: per theme, how often
each word occurs (the class document's counts), in how many answers each word
occurs (for :func:`~themeloop.themes.keywords._common_first`), and how many
answers there are. So each partition of answers (on a worker) gives a
:class:`KeywordCounts`, the client adds them (``+``), and
:func:`keywords_from_counts` gives exactly the keywords of the whole.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from themeloop.themes.keywords import _class_tfidf

_PLACEHOLDER = "zzzplaceholder"


@dataclass
class KeywordCounts:
    """Per theme: word counts, answers holding each word, and answers with words."""

    words: dict[int, Counter[str]] = field(default_factory=dict)
    docs_with: dict[int, Counter[str]] = field(default_factory=dict)
    n_docs: Counter[int] = field(default_factory=Counter)

    @classmethod
    def of(cls, lemma_docs: Sequence[str], labels: np.ndarray) -> KeywordCounts:
        """The counts of one partition (labels < 0 and empty documents are left out)."""
        counts = cls()
        for doc, label in zip(lemma_docs, np.asarray(labels).tolist()):
            tokens = doc.split()
            if label < 0 or not tokens:
                continue
            counts.words.setdefault(label, Counter()).update(tokens)
            counts.docs_with.setdefault(label, Counter()).update(set(tokens))
            counts.n_docs[label] += 1
        return counts

    def __add__(self, other: KeywordCounts) -> KeywordCounts:
        out = KeywordCounts()
        for mine, theirs, into in ((self.words, other.words, out.words),
                                   (self.docs_with, other.docs_with, out.docs_with)):
            for label in set(mine) | set(theirs):
                into[label] = mine.get(label, Counter()) + theirs.get(label, Counter())
        out.n_docs = self.n_docs + other.n_docs
        return out


def keywords_from_counts(counts: KeywordCounts, *, top_n: int = 10) -> dict[int, list[str]]:
    """Top c-TF-IDF keywords per theme, as ``ctfidf_keywords`` gives on all the documents."""
    from scipy import sparse

    topics = sorted(counts.words)
    out: dict[int, list[str]] = {t: [] for t in topics}
    if not topics:
        return out
    vocabulary = sorted(set().union(*(counts.words[t] for t in topics)))
    rows: list[dict[str, int]] = [dict(counts.words[t]) for t in topics]
    if len(topics) == 1:
        vocabulary = sorted({*vocabulary, _PLACEHOLDER})
        rows.append({_PLACEHOLDER: 1})
    column = {w: j for j, w in enumerate(vocabulary)}
    data: list[int] = []
    row_of: list[int] = []
    col_of: list[int] = []
    for i, row in enumerate(rows):
        for word, n in row.items():
            data.append(n)
            row_of.append(i)
            col_of.append(column[word])
    matrix = sparse.csr_matrix((np.array(data, dtype=np.int64), (row_of, col_of)),
                               shape=(len(rows), len(vocabulary)))
    weights = _class_tfidf()(reduce_frequent_words=True).fit(matrix).transform(matrix)
    for index, topic in enumerate(topics):
        scores = weights.getrow(index).toarray().ravel()
        best = np.argsort(-scores, kind="stable")[: 3 * top_n]
        ranked = [vocabulary[j] for j in best if scores[j] > 0 and vocabulary[j] != _PLACEHOLDER]
        n = counts.n_docs[topic]
        need = max(2, math.ceil(0.15 * n)) if n >= 4 else 1
        common = [w for w in ranked if counts.docs_with[topic][w] >= need]
        rest = [w for w in ranked if w not in common]
        out[topic] = [w.replace("_", " ") for w in (common + rest)[:top_n]]
    return out


@dataclass(frozen=True)
class CountBlock:
    """The :class:`KeywordCounts` of one block of answers (lemmatised where it runs)."""

    def __call__(self, texts: Sequence[str], labels: np.ndarray) -> KeywordCounts:
        from themeloop.themes.keywords import analyse

        return KeywordCounts.of(analyse(list(texts)).docs, labels)


def keywords_blockwise(
    texts: Sequence[str], labels: np.ndarray, *, backend=None, block: int = 20_000,
    top_n: int = 10,
) -> dict[int, list[str]]:
    """Keywords of every answer's theme, counted ``block`` answers at a time on ``backend``.

    Each block is lemmatised and counted on a worker; only the counts come back,
    and they add up, so the keywords are those of all the answers at once
    (``tests/test_keyword_counts.py`` checks this against ``ctfidf_keywords``).
    """
    from themeloop.compute import LocalBackend

    runner = backend if backend is not None else LocalBackend()
    total = KeywordCounts()
    for counts in runner.map_blocks(CountBlock(), [list(texts), np.asarray(labels)], block):
        total = total + counts
    return keywords_from_counts(total, top_n=top_n)
