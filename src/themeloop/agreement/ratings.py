"""One question's judgements as arrays: who coded which unit with which codes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Ratings:
    """Judgements of one question, sorted by unit then coder.

    A judgement is one coder having coded one unit (possibly with no code).
    ``presence[j, c]`` says whether judgement ``j`` applied code ``codes[c]``.
    """

    question: str
    units: np.ndarray
    coders: tuple[str, ...]
    codes: tuple[str, ...]
    unit: np.ndarray
    coder: np.ndarray
    presence: np.ndarray

    @property
    def n_per_unit(self) -> np.ndarray:
        """How many coders coded each unit."""
        return np.bincount(self.unit, minlength=len(self.units))

    def code_counts(self) -> np.ndarray:
        """``(n_units, n_codes)``: how many coders applied each code to each unit."""
        if len(self.unit) == 0:
            return np.zeros((0, len(self.codes)), dtype=np.int64)
        starts = np.flatnonzero(np.r_[True, self.unit[1:] != self.unit[:-1]])
        return np.add.reduceat(self.presence.astype(np.int64), starts, axis=0)

    def by_coder(self) -> np.ndarray:
        """``(n_units, n_coders)`` judgement index, ``-1`` where a coder did not code a unit."""
        index = np.full((len(self.units), len(self.coders)), -1, dtype=np.int64)
        index[self.unit, self.coder] = np.arange(len(self.unit))
        return index

    def code_sets(self) -> tuple[np.ndarray, np.ndarray]:
        """Distinct code sets: ``(set_of_judgement, sets)``, ``sets`` boolean (n_sets, n_codes)."""
        if self.presence.shape[1] == 0:
            return np.zeros(len(self.unit), dtype=np.int64), np.zeros((1, 0), dtype=bool)
        packed = np.packbits(self.presence, axis=1)
        rows = np.ascontiguousarray(packed).view(np.dtype((np.void, packed.shape[1])))[:, 0]
        _, first, inverse = np.unique(rows, return_index=True, return_inverse=True)
        return inverse.ravel().astype(np.int64), self.presence[first]


def build_ratings(rows: pd.DataFrame, question: str) -> Ratings:
    """Arrays for the judgement rows of one question (already filtered)."""
    import pandas as pd

    unit_idx, units = pd.factorize(rows["response_id"], sort=True)
    coder_idx, coders = pd.factorize(rows["coder"], sort=True)
    code_idx, code_values = pd.factorize(rows["code"], sort=True)
    code_values = [str(c) for c in code_values]
    offset = 1 if code_values and code_values[0] == "" else 0  # "" sorts first: no code
    codes = code_values[offset:]
    n_coders = max(len(coders), 1)
    keys, judgement = np.unique(unit_idx.astype(np.int64) * n_coders + coder_idx,
                                return_inverse=True)
    judgement = judgement.ravel()
    presence = np.zeros((len(keys), len(codes)), dtype=bool)
    has_code = code_idx >= offset
    presence[judgement[has_code], code_idx[has_code] - offset] = True
    return Ratings(
        question=question,
        units=np.asarray(units, dtype=object),
        coders=tuple(str(c) for c in coders),
        codes=tuple(str(c) for c in codes),
        unit=keys // n_coders,
        coder=keys % n_coders,
        presence=presence,
    )
