"""From a coding table to training labels: agreed codes, or every coder's codes."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from themeloop.coding import judged_rows

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Targets:
    """Labels of the coded answers.

    ``index[i]`` is the position (in the answers given) of coded answer
    ``i``; ``y[i, k]`` the share of its coders who applied code ``k`` (1 or
    0 where an adjudicated decision exists); ``agreed`` says where it did.
    """

    index: np.ndarray
    y: np.ndarray
    agreed: np.ndarray
    coders: tuple[str, ...]


def targets(rows: pd.DataFrame, ids: Sequence[str], codes: Sequence[str]) -> Targets:
    """Labels for the answers ``ids`` that ``rows`` (one question's coding) cover.

    An answer with adjudication rows takes the adjudicated codes; otherwise
    each human coder's judgement counts equally (a coder who read the answer
    and applied no code counts as "no" for every code).
    """
    position = {rid: i for i, rid in enumerate(ids)}
    code_pos = {c: k for k, c in enumerate(codes)}
    judged = judged_rows(rows, ("human", "adjudication"))
    source = judged["source"].replace("", "human") if "source" in judged.columns else None
    judged = judged.assign(_source=source if source is not None else "human")
    judged = judged[judged["response_id"].isin(position)]
    units = sorted({position[r] for r in judged["response_id"]})
    row_of = {u: i for i, u in enumerate(units)}
    y = np.zeros((len(units), len(codes)))
    agreed = np.zeros(len(units), dtype=bool)
    for rid, group in judged.groupby("response_id", sort=False):
        i = row_of[position[rid]]
        adjudicated = group[group["_source"] == "adjudication"]
        use = adjudicated if len(adjudicated) else group[group["_source"] == "human"]
        agreed[i] = bool(len(adjudicated))
        coders = sorted(set(use["coder"]))
        for coder in coders:
            applied = {c for c in use.loc[use["coder"] == coder, "code"] if c}
            for c in applied:
                y[i, code_pos[c]] += 1.0 / len(coders)
    humans = tuple(sorted(set(judged.loc[judged["_source"] == "human", "coder"])))
    return Targets(np.asarray(units, dtype=np.int64), np.clip(y, 0.0, 1.0), agreed, humans)


def codes_hash(ids: Sequence[str], t: Targets, codes: Sequence[str]) -> str:
    """sha256 of the training labels (answer id, code, share), order-independent."""
    lines = sorted(f"{ids[u]}\t{codes[k]}\t{t.y[i, k]:.6f}"
                   for i, u in enumerate(t.index) for k in np.flatnonzero(t.y[i]))
    lines += sorted(f"{ids[u]}\t" for u in t.index)
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()
