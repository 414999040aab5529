"""Which answers say nothing: empty, "N/A", "don't know", "see above" and the like.

Such answers are flagged ``substantive=False`` and kept; nothing is dropped.
"""

from __future__ import annotations

import re
import unicodedata

# Normalised forms (lower case, curly quotes straightened, punctuation and
# spaces collapsed) of answers that carry no content.
NON_SUBSTANTIVE = frozenset(
    {
        "", "na", "n a", "n/a", "nil", "none", "nothing", "no", "nope", "not applicable",
        "not sure", "unsure", "dont know", "do not know", "don t know", "dk", "idk",
        "no comment", "no comments", "no answer", "nothing to add", "nothing further",
        "nothing else", "no further comments", "none to add", "see above", "as above",
        "same as above", "see previous answer", "as previous", "ditto", "tbc", "tbd",
        "prefer not to say", "null", "nan", "x", "xx", "xxx", "?", "??", "-", "--", "...",
        ".", "n/k", "nk", "none really", "not at this time", "no idea", "pass", "skip",
    }
)

_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})
_SPACES = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Case- and space-normalised form used to find duplicate answers.

    >>> normalise("  Lack of   FUNDING ")
    'lack of funding'
    """
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    return _SPACES.sub(" ", text).strip().casefold()


def _key(text: str) -> str:
    text = normalise(text).replace("'", "")
    stripped = re.sub(r"[^\w/?.-]+", " ", text).strip(" .!")
    return _SPACES.sub(" ", stripped)


def is_substantive(text: object) -> bool:
    """True when an answer says something codable.

    >>> [is_substantive(t) for t in ["N/A", " don't know.", "See above", "Lack of funding"]]
    [False, False, False, True]
    """
    if text is None or (isinstance(text, float) and text != text):
        return False
    raw = str(text)
    if not raw.strip():
        return False
    if _key(raw) in NON_SUBSTANTIVE or normalise(raw) in NON_SUBSTANTIVE:
        return False
    # Answers made only of punctuation or symbols say nothing either.
    return any(ch.isalnum() for ch in raw)
