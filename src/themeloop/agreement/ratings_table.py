"""Agreement from a units x categories count table (``--ratings-table``), as irrCAC's ``.dist``.

Each row is a unit, each column a category, each cell how many coders put
the unit in that category. A first column that is not numeric is taken as
the unit's id, and so is a first column named unit, subject, id, item or
response_id. Without coder identities, Cohen's kappa, Scott's pi, Conger's
kappa and Bangdiwala's B cannot be computed; every other coefficient can.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from themeloop.agreement.family import FamilySettings, counts_family
from themeloop.errors import AgreementError

ID_COLUMNS = ("unit", "units", "subject", "subjects", "id", "item", "response_id")


def read_ratings_table(path: str | Path) -> tuple[np.ndarray, list[str]]:
    """``(counts, categories)`` from a CSV count table; checks every cell."""
    import pandas as pd

    file = Path(path)
    if not file.is_file():
        raise AgreementError(f"{file}: no such ratings table")
    try:
        frame = pd.read_csv(file, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise AgreementError(f"{file}: cannot read the ratings table as CSV ({exc})") from None
    if frame.shape[1] and (str(frame.columns[0]).strip().lower() in ID_COLUMNS
                           or not _numeric(frame.iloc[:, 0])):
        frame = frame.iloc[:, 1:]
    if frame.shape[1] < 2 or frame.empty:
        raise AgreementError(f"{file}: a ratings table needs one row per unit and one column per "
                             "category (two or more), each cell a count of coders")
    for column in frame.columns:
        bad = ~frame[column].str.strip().str.fullmatch(r"\d+(\.0+)?")
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise AgreementError(
                f"{file}, row {row + 2}, column '{column}': '{frame[column].iloc[row]}' is not a "
                "count of coders (a whole number >= 0)")
    counts = frame.apply(lambda s: s.str.strip().astype(float)).to_numpy()
    return counts.astype(np.int64), [str(c) for c in frame.columns]


def _numeric(column: Any) -> bool:
    return bool(column.str.strip().str.fullmatch(r"\d+(\.0+)?").all())


def ratings_table_agreement(path: str | Path, family: FamilySettings) -> dict[str, Any]:
    """agreement.json for a count table: one question ``"all"`` with its ``coefficients``."""
    counts, categories = read_ratings_table(path)
    block = counts_family(counts, categories, family)

    def value(name: str) -> float | None:
        entry = block.get(name)
        return None if entry is None else entry["estimate"]

    unweighted = block["weights"] == "identity"  # DESIGN.md's overall keys are unweighted
    return {"questions": {"all": {
        "n_units": block["n_units"], "coders": [],
        "overall": {"percent_agreement": value("percent_agreement") if unweighted else None,
                    "krippendorff_alpha_masi": None, "mean_krippendorff_alpha": None,
                    "krippendorff_alpha_nominal": value("krippendorff_alpha") if unweighted
                    else None,
                    "fleiss_kappa": value("fleiss_kappa") if unweighted else None},
        "per_code": {},
        "coefficients": block,
    }}}
