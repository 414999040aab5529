"""Turn other tables into coding tables."""

from __future__ import annotations

from typing import TYPE_CHECKING

from themeloop.errors import CodingTableError

if TYPE_CHECKING:
    import pandas as pd

UNASSIGNED = "unassigned"


def assignments_to_coding(assignments: pd.DataFrame, coder: str = "model") -> pd.DataFrame:
    """Convert ``assignments.csv`` (from ``themeloop themes``) into a coding table.

    Each ``(response_id, question, theme_id)`` becomes a row with
    ``code=theme_id``, ``coder=coder`` and ``source="model"``; a response
    whose theme is ``"unassigned"`` gets one row with an empty code (read,
    nothing applied).

    Examples
    --------
    >>> import pandas as pd
    >>> a = pd.DataFrame({"response_id": ["r1:q", "r2:q"], "question": ["q", "q"],
    ...                   "theme_id": ["cost", "unassigned"], "score": [0.9, 0.0]})
    >>> assignments_to_coding(a)[["response_id", "code", "source"]].values.tolist()
    [['r1:q', 'cost', 'model'], ['r2:q', '', 'model']]
    """
    import pandas as pd

    missing = [c for c in ("response_id", "question", "theme_id") if c not in assignments.columns]
    if missing:
        raise CodingTableError(
            f"assignments table: missing column '{missing[0]}'; expected "
            "response_id, question, theme_id, score"
        )
    codes = assignments["theme_id"].fillna("").astype(str).str.strip()
    table = pd.DataFrame({
        "response_id": assignments["response_id"].astype(str),
        "question": assignments["question"].astype(str),
        "coder": coder,
        "code": codes.where(codes != UNASSIGNED, ""),
        "source": "model",
    })
    # A response with a real theme and an "unassigned" row keeps only the real theme.
    has_code = table.groupby(["response_id", "question"])["code"].transform(lambda s: (s != "").any())
    table = table[(table["code"] != "") | ~has_code]
    return table.drop_duplicates().reset_index(drop=True)
