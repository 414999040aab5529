"""Readable theme labels: a noun phrase from the theme's own answers.

Candidates are spaCy noun chunks of a sample of each theme's answers, trimmed
of determiners, pronouns and survey filler ("the lack of funding" -> "lack of
funding"). Each candidate is scored the way BERTopic's KeyBERTInspired
representation does (cosine between the phrase's embedding and the theme's
centroid), combined with its class-based TF-IDF over the candidates of every
theme and with how many of the theme's answers use it. Maximal marginal
relevance then orders them, so the keyphrases name different things. The
label is the best 2-5-word phrase that occurs in the members' text; the
description is extractive: "Answers about X, Y and Z, such as "quote"".
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

import numpy as np

from themeloop.themes.keywords import SPACY_MODEL, _class_tfidf, _stop_words, map_texts

PhraseEncoder = Callable[[list[str]], np.ndarray]
"""Embeds phrases: one L2-normalised row per phrase (``Embedder.encode``)."""

MAX_WORDS = 5
DOCS_PER_THEME = 150  # noun phrases come from a sample of this many members per theme
CANDIDATES = 25  # best candidates per theme (by c-TF-IDF and coverage) that get embedded
N_KEYPHRASES = 6
# Weights of the three signals; chosen on banking77, NLU++ and the sample survey
# (bench/labels_quality.py), not on one set.
W_EMBED, W_CTFIDF, W_COVER = 0.8, 0.1, 0.1
MMR_DIVERSITY = 0.3

_EDGE_POS = frozenset({"DET", "PRON", "NUM", "PUNCT", "ADP", "CCONJ", "SCONJ", "PART", "AUX",
                       "ADV", "INTJ", "SYM", "X", "SPACE", "VERB"})
_INNER_POS = frozenset({"ADJ", "NOUN", "PROPN", "VERB"})
_HEAD_POS = frozenset({"NOUN", "PROPN"})


@dataclass(frozen=True)
class ThemeLabel:
    """A theme's label, its keyphrases (best first) and a one-sentence description."""

    label: str
    keyphrases: list[str]
    description: str


@dataclass(frozen=True)
class Phrase:
    """A candidate: ``key`` (lower-case lemmas, for counting) and ``text`` as written."""

    key: str
    text: str


@lru_cache(maxsize=1)
def _parser():
    """spaCy with its parser (noun chunks need it); None when spaCy or the model is missing."""
    try:
        import spacy

        return spacy.load(SPACY_MODEL, disable=["ner"])
    except (ImportError, OSError):
        return None


# Parses kept for the length of one proposal (see shared_parses); None outside one.
_PARSED: ContextVar[dict[str, list[Phrase]] | None] = ContextVar("_PARSED", default=None)


@contextmanager
def shared_parses() -> Iterator[None]:
    """Within it, :func:`noun_phrases` parses each distinct text once.

    A proposal labels its themes up to three times (before and after the
    theme-set checks' merges, then from the whole answers that carry each
    theme), mostly from the same answers; parsing is the most costly part of
    labelling (about 60% of the theme step at 100,000 answers). The parses are
    dropped when the block ends, so a long-lived process keeps none.
    """
    if _PARSED.get() is not None:  # already inside one: share the outer block's parses
        yield
        return
    token = _PARSED.set({})
    try:
        yield
    finally:
        _PARSED.reset(token)


def noun_phrases(texts: Sequence[str], *, batch_size: int = 256) -> list[list[Phrase]]:
    """Candidate phrases of each text: trimmed noun chunks, and "X of Y" joins.

    Falls back to :func:`simple_phrases` when spaCy's model is not installed.
    Inside :func:`shared_parses` a text parsed before is not parsed again.

    Examples
    --------
    >>> [p.text for p in noun_phrases(["The lack of seed funding is our biggest problem."])[0]]
    ['lack', 'seed funding', 'problem', 'lack of seed funding']
    """
    if _parser() is None:
        return [simple_phrases(t) for t in texts]
    shared = _PARSED.get()
    found: dict[str, list[Phrase]] = {} if shared is None else shared
    unique = [t for t in dict.fromkeys(texts) if t not in found]
    found.update(zip(unique, map_texts(_parse, unique, batch_size)))
    return [found[t] for t in texts]


def _parse(texts: list[str], batch_size: int) -> list[list[Phrase]]:
    """The phrases of each text (run by :func:`~themeloop.themes.keywords.map_texts`)."""
    nlp, stop = _parser(), _stop_words()
    out_all = []
    for doc in nlp.pipe(texts, batch_size=batch_size):
        chunks = [(span, _clean(span, stop)) for span in doc.noun_chunks]
        out = [p for _, p in chunks if p is not None]
        for (a, pa), (b, pb) in pairwise(chunks):
            if (pa is not None and pb is not None and b.start == a.end + 1
                    and doc[a.end].lower_ == "of"
                    and len(pa.key.split()) + len(pb.key.split()) + 1 <= MAX_WORDS):
                out.append(Phrase(f"{pa.key} of {pb.key}", f"{pa.text} of {pb.text}"))
        out_all.append(sorted(set(out), key=out.index))
    return out_all


def _clean(span, stop: frozenset[str]) -> Phrase | None:
    tokens = list(span)
    while tokens and (tokens[0].pos_ in _EDGE_POS or _is_filler(tokens[0], stop)):
        tokens.pop(0)
    while tokens and (tokens[-1].pos_ not in _HEAD_POS or _is_filler(tokens[-1], stop)):
        tokens.pop()
    if not tokens or len(tokens) > MAX_WORDS:
        return None
    if any(t.pos_ not in _INNER_POS or not _wordlike(t.text) for t in tokens):
        return None
    key = " ".join(t.lemma_.lower() for t in tokens)
    text = " ".join(t.text if _keep_case(t.text) else t.text.lower() for t in tokens)
    return Phrase(key, text)


def _is_filler(token, stop: frozenset[str]) -> bool:
    return token.lower_ in stop or token.lemma_.lower() in stop or len(token.text) < 2


def _wordlike(text: str) -> bool:
    return any(c.isalpha() for c in text) and all(c.isalnum() or c in "-'" for c in text)


def _keep_case(word: str) -> bool:
    """Acronyms (CAMHS, SEND, NHS) keep their case."""
    return len(word) > 1 and word.isupper()


def simple_phrases(text: str) -> list[Phrase]:
    """Runs of up to three content words, for when spaCy is not installed.

    Examples
    --------
    >>> [p.text for p in simple_phrases("Not enough seed funding for the pilots")]
    ['seed', 'funding', 'pilots', 'seed funding']
    """
    stop = _stop_words()
    words = [w.strip(".,;:!?()\"'").lower() for w in text.split()]
    runs: list[list[str]] = [[]]
    for w in words:
        if w and _wordlike(w) and w not in stop and len(w) > 1:
            runs[-1].append(w)
        elif runs[-1]:
            runs.append([])
    singles = [w for run in runs for w in run]
    multi = [" ".join(run[i:i + n]) for run in runs for n in (2, 3)
             for i in range(len(run) - n + 1)]
    seen = list(dict.fromkeys(singles + multi))
    return [Phrase(p, p) for p in seen]


def label_themes(
    texts: Sequence[str],
    labels: np.ndarray,
    centroids: dict[int, np.ndarray],
    quotes: dict[int, list[str]],
    *,
    encoder: PhraseEncoder | None = None,
    random_state: int = 42,
    docs_per_theme: int = DOCS_PER_THEME,
    order: Sequence[int] | None = None,
    avoid: Collection[str] = (),
) -> dict[int, ThemeLabel]:
    """A label, keyphrases and a description for every theme value in ``labels``.

    Parameters
    ----------
    texts : every answer.
    labels : theme value per answer (< 0: none).
    centroids : L2-normalised centroid per theme value.
    quotes : the theme's top quotes (closest to the centroid first).
    encoder : embeds candidate phrases (the packaged model through
        :class:`themeloop.embed.Embedder`); without one, candidates are ranked
        by c-TF-IDF and coverage only.
    random_state : seed of the per-theme member sample.
    docs_per_theme : at most this many members per theme are parsed.
    order : theme values in the order labels are picked (default: largest
        first); a later theme never takes a label already given.
    avoid : labels (lower case) not to give, e.g. the children's for a parent.
    """
    labels = np.asarray(labels)
    values = sorted({int(v) for v in labels if v >= 0})
    if not values:
        return {}
    parsed = _PARSED.get() or {}
    ready = np.array([t in parsed for t in texts], dtype=bool) if parsed else None
    sample = _sample_members(labels, values, docs_per_theme, random_state, ready)
    picked = [i for v in values for i in sample[v]]
    phrases = dict(zip(picked, noun_phrases([texts[i] for i in picked])))
    stats = {v: _theme_stats([phrases[i] for i in sample[v]]) for v in values}
    ctfidf = _phrase_ctfidf(stats, values)
    shortlist = {v: _shortlist(stats[v], ctfidf[v], len(sample[v])) for v in values}
    vectors = _embed_shortlists(shortlist, stats, encoder)
    taken: set[str] = {a.lower() for a in avoid}
    out: dict[int, ThemeLabel] = {}
    sizes = {v: int((labels == v).sum()) for v in values}
    for v in order if order is not None else sorted(values, key=lambda v: (-sizes[v], v)):
        ranked = _rank(v, shortlist[v], stats[v], ctfidf[v], len(sample[v]), vectors,
                       centroids.get(v))
        texts_of = [stats[v].text[k] for k in ranked]
        label = _pick_label(ranked, texts_of, taken)
        out[v] = ThemeLabel(label, texts_of[:N_KEYPHRASES],
                            describe(texts_of[:3], quotes.get(v, [])))
    return out


def _sample_members(
    labels: np.ndarray, values: list[int], k: int, random_state: int,
    ready: np.ndarray | None = None,
) -> dict[int, list[int]]:
    """A seeded sample of at most ``k`` members per theme value.

    ``ready`` (per text: already parsed in this proposal, see
    :func:`shared_parses`): a theme with more than ``k`` members takes its
    sample from those first, in seeded random order, so relabelling from the
    whole answers re-parses few of them. The parsed ones are themselves a
    seeded random sample, so the sample stays one.
    """
    rng = np.random.default_rng(random_state)
    out = {}
    for v in values:
        members = np.flatnonzero(labels == v)
        if len(members) > k:
            if ready is None or not ready[members].any():
                members = np.sort(rng.choice(members, size=k, replace=False))
            else:
                shuffled = rng.permutation(members)
                members = np.sort(shuffled[np.argsort(~ready[shuffled], kind="stable")][:k])
        out[v] = [int(i) for i in members]
    return out


@dataclass
class _Stats:
    df: Counter  # key -> number of sampled members using it
    text: dict[str, str]  # key -> its most common written form


def _theme_stats(docs: list[list[Phrase]]) -> _Stats:
    df: Counter[str] = Counter()
    forms: dict[str, Counter[str]] = defaultdict(Counter)
    for doc in docs:
        for p in doc:
            forms[p.key][p.text] += 1
        df.update({p.key for p in doc})
    text = {k: max(sorted(c), key=c.__getitem__) for k, c in forms.items()}
    return _Stats(df, text)


def _phrase_ctfidf(stats: dict[int, _Stats], values: list[int]) -> dict[int, dict[str, float]]:
    """c-TF-IDF of candidate keys per theme, scaled to [0, 1] by the theme's best."""
    from scipy.sparse import csr_matrix

    vocab = sorted({k for v in values for k in stats[v].df})
    out: dict[int, dict[str, float]] = {v: {} for v in values}
    if not vocab:
        return out
    index = {k: j for j, k in enumerate(vocab)}
    rows, cols, data = [], [], []
    for r, v in enumerate(values):
        for k, c in stats[v].df.items():
            rows.append(r)
            cols.append(index[k])
            data.append(float(c))
    if len(values) == 1:
        # The transformer needs two classes (as in keywords.ctfidf_keywords): a
        # spare class holding one unseen candidate, never read back.
        rows.append(1)
        cols.append(len(vocab))
        data.append(1.0)
    shape = (max(2, len(values)), len(vocab) + (len(values) == 1))
    counts = csr_matrix((data, (rows, cols)), shape=shape)
    weights = _class_tfidf()(reduce_frequent_words=True).fit(counts).transform(counts)
    for r, v in enumerate(values):
        row = weights.getrow(r)
        scores = {vocab[j]: float(s) for j, s in zip(row.indices, row.data)}
        top = max(scores.values(), default=0.0) or 1.0
        out[v] = {k: s / top for k, s in scores.items() if k in stats[v].df}
    return out


def _shortlist(stats: _Stats, ctfidf: dict[str, float], n_docs: int) -> list[str]:
    """The candidates worth embedding: used by enough members, best by c-TF-IDF and coverage."""
    need = max(2, math.ceil(0.03 * n_docs)) if n_docs >= 10 else 1
    ranked = sorted(stats.df, key=lambda k: (-_prior(k, stats, ctfidf, n_docs), k))
    common = [k for k in ranked if stats.df[k] >= need]
    # A broad theme may have few phrases that many answers share: rarer ones fill up to 5.
    return (common + [k for k in ranked if stats.df[k] < need][: max(0, 5 - len(common))])[
        :CANDIDATES]


def _prior(key: str, stats: _Stats, ctfidf: dict[str, float], n_docs: int) -> float:
    cover = math.sqrt(stats.df[key] / max(n_docs, 1))
    return W_CTFIDF * ctfidf.get(key, 0.0) + W_COVER * cover


def _embed_shortlists(
    shortlist: dict[int, list[str]], stats: dict[int, _Stats], encoder: PhraseEncoder | None
) -> dict[str, np.ndarray]:
    if encoder is None:
        return {}
    texts = sorted({stats[v].text[k] for v, keys in shortlist.items() for k in keys})
    if not texts:
        return {}
    return dict(zip(texts, np.asarray(encoder(texts), dtype=np.float32)))


def _rank(
    v: int, keys: list[str], stats: _Stats, ctfidf: dict[str, float], n_docs: int,
    vectors: dict[str, np.ndarray], centroid: np.ndarray | None,
) -> list[str]:
    """``keys`` in maximal-marginal-relevance order of their combined score."""
    if not keys:
        return []
    relevance = np.array([_prior(k, stats, ctfidf, n_docs) for k in keys])
    have = centroid is not None and all(stats.text[k] in vectors for k in keys)
    if not have:
        return [keys[i] for i in np.lexsort((np.arange(len(keys)), -relevance))]
    emb = np.stack([vectors[stats.text[k]] for k in keys])
    relevance = relevance + W_EMBED * (emb @ np.asarray(centroid, dtype=np.float32))
    return [keys[i] for i in mmr(emb, relevance, diversity=MMR_DIVERSITY)]


def mmr(embeddings: np.ndarray, relevance: np.ndarray, *, diversity: float) -> list[int]:
    """Maximal marginal relevance order (BERTopic's ``mmr``, on a given relevance).

    Each step takes the item maximising ``(1 - diversity) * relevance -
    diversity * (its highest cosine to an item already taken)``.

    Examples
    --------
    >>> e = np.array([[1.0, 0.0], [0.99, 0.141], [0.0, 1.0]])
    >>> mmr(e, np.array([1.0, 0.95, 0.6]), diversity=0.5)
    [0, 2, 1]
    """
    n = len(relevance)
    chosen = [int(np.argmax(relevance))]
    sims = embeddings @ embeddings.T
    while len(chosen) < n:
        rest = [i for i in range(n) if i not in chosen]
        scores = [(1 - diversity) * relevance[i] - diversity * sims[i, chosen].max() for i in rest]
        chosen.append(rest[int(np.argmax(scores))])
    return chosen


def _pick_label(ranked: list[str], texts: list[str], taken: set[str]) -> str:
    """The first 2-5-word phrase among the best few; else the two best words joined."""
    free = [(k, t) for k, t in zip(ranked, texts) if not _near(k, t, taken)]
    multi = [(k, t) for k, t in free[:4] if 2 <= len(k.split()) <= MAX_WORDS]
    pairs = [(f"{k1} and {k2}", f"{t1} and {t2}")
             for i, (k1, t1) in enumerate(free[:6]) for k2, t2 in free[i + 1:6]
             if not set(k1.split()) & set(k2.split())]
    pairs = [(k, t) for k, t in pairs if k not in taken and t.lower() not in taken]
    if multi:
        key, text = multi[0]
    elif pairs:
        key, text = pairs[0]
    elif free:
        key, text = free[0]
    else:
        return "Unlabelled theme"
    taken.update({key, text.lower()})
    return text[0].upper() + text[1:]


def _near(key: str, text: str, taken: set[str]) -> bool:
    """Whether a candidate is, or is a misspelling of, a label already given.

    Examples
    --------
    >>> _near("seed fundng", "seed fundng", {"seed funding"}), _near("pot", "pot", {"seed funding"})
    (True, False)
    """
    from difflib import SequenceMatcher

    low = text.lower()
    return key in taken or low in taken or any(
        abs(len(low) - len(t)) <= 2 and low[:2] == t[:2]  # cheap guard first
        and SequenceMatcher(None, low, t).ratio() >= 0.9 for t in taken)


def describe(keyphrases: Sequence[str], quotes: Sequence[str], limit: int = 160) -> str:
    """One extractive sentence: what the theme's answers name, and a top quote.

    Examples
    --------
    >>> describe(["seed funding", "pilots"], ["We need seed funding to test ideas."])
    'Answers about seed funding and pilots, such as "We need seed funding to test ideas."'
    """
    parts = list(keyphrases)
    if not parts:
        return f'Answers such as "{_clip(quotes[0], limit)}"' if quotes else ""
    about = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    if not quotes:
        return f"Answers about {about}."
    # The quote that uses one of the phrases grounds them best; else the most central.
    quote = next((q for q in quotes if any(p.lower() in q.lower() for p in parts)), quotes[0])
    return f'Answers about {about}, such as "{_clip(quote, limit)}"'


def _clip(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3].rsplit(" ", 1)[0] + "..."
