"""Split an answer that names several things into segments, and score codes on them.

An answer like "Seed funding. Protected time for staff." names two codes;
its whole-answer embedding sits between them and may reach neither code's
threshold. :func:`split` cuts it into sentences (spaCy's rule-based
sentencizer), list items (lines starting with ``-``, ``*``, a bullet or a
number) and inline enumerations ("1) ... 2) ..."); :func:`combine` gives each
code the larger of the whole answer's score and ``weight`` times the best
segment's score, so an answer keeps its whole-answer codes and gains the ones
a single segment names clearly.

This is the autocoder's own small splitter; ``themeloop.segments`` (themes)
is a separate one, to be unified.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

import numpy as np

_ITEM = re.compile(r"^\s*(?:[-*\u2022\u25aa\u2013]|\(?\d{1,2}[.)]|\(?[a-z][)])\s+", re.MULTILINE)
_INLINE = re.compile(r"(?:(?<=\s)|^)\(?\d{1,2}\)\s+")
MIN_WORDS = 2


@lru_cache(maxsize=1)
def _sentencizer() -> Any:
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return nlp


def split(text: str, min_words: int = MIN_WORDS) -> list[str]:
    """The segments of ``text`` in order; ``[]`` when it has fewer than two.

    A piece of fewer than ``min_words`` words joins the segment before it
    (a stray "Yes." or "1)" is no segment of its own).
    """
    pieces: list[str] = []
    for line in re.split(r"\n+", text):
        for item in _ITEM.split(line):
            for part in _INLINE.split(item):
                part = part.strip()
                if part:
                    pieces += [s.text.strip() for s in _sentencizer()(part).sents if s.text.strip()]
    merged: list[str] = []
    for piece in pieces:
        if merged and min(len(piece.split()), len(merged[-1].split())) < min_words:
            merged[-1] = f"{merged[-1]} {piece}"
        else:
            merged.append(piece)
    return merged if len(merged) >= 2 else []


def segment_table(texts: Sequence[str], min_words: int = MIN_WORDS) -> tuple[list[str], np.ndarray]:
    """Every answer's segments, flattened, and the answer index of each."""
    flat: list[str] = []
    owner: list[int] = []
    for i, text in enumerate(texts):
        parts = split(text, min_words)
        flat += parts
        owner += [i] * len(parts)
    return flat, np.asarray(owner, dtype=np.int64)


def combine(whole: np.ndarray, segment_scores: np.ndarray, owner: np.ndarray,
            weight: float = 1.0) -> np.ndarray:
    """Per answer and code: max(whole, ``weight`` x the best of its segments' scores)."""
    out = np.array(whole, dtype=np.float64, copy=True)
    if len(owner):
        best = np.full_like(out, -np.inf)
        np.maximum.at(best, owner, segment_scores)
        out = np.maximum(out, weight * best)
    return out


def segment_proba(model: Any, x: np.ndarray, texts: Sequence[str],
                  encode: Callable[[list[str]], np.ndarray], weight: float = 1.0,
                  min_words: int = MIN_WORDS) -> np.ndarray:
    """``model.predict_proba`` of the answers, combined with that of their segments."""
    whole = model.predict_proba(x, texts)
    flat, owner = segment_table(texts, min_words)
    if not flat:
        return whole
    seg = model.predict_proba(np.asarray(encode(flat), dtype=np.float32), flat)
    return combine(whole, seg, owner, weight)
