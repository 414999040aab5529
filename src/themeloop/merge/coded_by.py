"""Who coded each answer: ``<question>__coded_by`` of the merged dataset.

Four values, stored as a labelled integer (SPSS and Stata) or a categorical
(CSV, XLSX and Parquet show the words):

=====  ===============  ==================================================
value  label            meaning
=====  ===============  ==================================================
0      ``none``         nothing to code (non-substantive) or nobody coded it
1      ``human``        human codes taken as they were: the coders of the
                        answer applied the same codes (or one coder coded it)
2      ``adjudicated``  the coders disagreed, or an adjudicator decided it
3      ``model``        the autocoder's codes (``model_coding.csv``): no
                        human coded the answer
=====  ===============  ==================================================

Human codes always win: an answer in the agreed table is never ``model``,
whatever the model's table holds for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

NONE, HUMAN, ADJUDICATED, MODEL = 0, 1, 2, 3
CODED_BY = ("none", "human", "adjudicated", "model")  # index = stored value
CODED_BY_VALUE_LABELS: dict[object, str] = dict(enumerate(CODED_BY))
_BY_SOURCE = {"adjudication": ADJUDICATED, "model": MODEL}


def _split(value: object) -> frozenset[str]:
    if not isinstance(value, str):
        return frozenset()
    return frozenset(p for p in value.split(";") if p)


def contested_units(decisions: pd.DataFrame) -> tuple[set[str], set[str]]:
    """Response ids an adjudication decided without dispute, and those it had to settle.

    A unit is settled without dispute when, for every decision row, the coders
    who applied the code are all of its coders (``included``), or none of them
    (``excluded``), and no adjudicator decided it (rule ``adjudicator:EMAIL``).

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"response_id": ["a:q", "b:q", "b:q"], "code": ["x", "x", "y"],
    ...                   "decision": ["included", "included", "excluded"],
    ...                   "rule": ["majority"] * 3, "votes": ["c1;c2", "c1;c2;c3", "c3"],
    ...                   "coders": ["c1;c2", "c1;c2;c3", "c1;c2;c3"]})
    >>> agreed, settled = contested_units(d)
    >>> sorted(agreed), sorted(settled)
    (['a:q'], ['b:q'])
    """
    ids = decisions["response_id"].astype(str).to_numpy()
    decision = decisions["decision"].astype(str).to_numpy()
    rule = decisions["rule"].fillna("").astype(str).to_numpy() if "rule" in decisions else None
    votes = [_split(v) for v in decisions.get("votes", [None] * len(ids))]
    coders = [_split(v) for v in decisions.get("coders", [None] * len(ids))]
    disputed: set[str] = set()
    for i, rid in enumerate(ids):
        plain = ((decision[i] == "included" and votes[i] == coders[i])
                 or (decision[i] == "excluded" and not votes[i]))
        if not plain or (rule is not None and rule[i].startswith("adjudicator:")):
            disputed.add(rid)
    return set(ids) - disputed, disputed


def row_provenance(response_ids: np.ndarray, sources: np.ndarray,
                   decisions: pd.DataFrame | None) -> np.ndarray:
    """``coded_by`` of each row of a coding table: from its decisions, else its ``source``.

    Rows with source ``adjudication`` are ``human`` when ``decisions`` shows
    that the unit's coders agreed, ``adjudicated`` otherwise; ``model`` rows
    are ``model``; every other source (``human``, empty) is ``human``.
    """
    values = np.array([_BY_SOURCE.get(s, HUMAN) for s in sources], dtype=np.int8)
    if decisions is not None and len(decisions):
        agreed, _ = contested_units(decisions)
        plain = np.fromiter((r in agreed for r in response_ids), dtype=bool,
                            count=len(response_ids))
        values[(values == ADJUDICATED) & plain] = HUMAN
    return values


def coded_by_array(values: np.ndarray) -> pd.Categorical:
    """The stored values as the merged frame's categorical (labels in :data:`CODED_BY`)."""
    import pandas as pd

    return pd.Categorical.from_codes(values.astype(np.int8), categories=list(CODED_BY))


def counts(values: np.ndarray) -> dict[str, int]:
    """How many answers each value has, by label."""
    return {label: int((values == i).sum()) for i, label in enumerate(CODED_BY)}
