"""Which units need an adjudicator, and what each coder said about them (pure table logic).

Label Studio's adjudication projects (:mod:`themeloop.studio.adjudication`)
and ``themeloop adjudicate`` both read these; nothing here talks to a server.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from themeloop.adjudicate.rules import adjudicate, parse_rule
from themeloop.coding import judged_rows, validate_coding_table

if TYPE_CHECKING:
    import pandas as pd

SOURCE = "adjudication"  # the coding table's source of an adjudicator's decisions


def disputed_units(table: pd.DataFrame, rule: str = "majority", min_coders: int = 1, *,
                   all_disagreements: bool = False) -> pd.DataFrame:
    """The ``question, response_id`` pairs that need an adjudicator, sorted.

    By default the units with any undecided decision under ``rule``. With
    ``all_disagreements`` every unit where the human coders' code sets differ
    (the adjudicator named by an ``adjudicator:EMAIL`` rule is not one of
    those coders), whatever the rule decided.

    A rule ``adjudicator:EMAIL`` whose adjudicator has decided nothing yet
    leaves open what the other coders do not agree on unanimously.
    """
    import pandas as pd

    _, adjudicator = parse_rule(rule)
    table = validate_coding_table(table)
    keys = ["question", "response_id"]
    if all_disagreements:
        rows = judged_rows(table)
        if adjudicator is not None:
            rows = rows[rows["coder"] != adjudicator]
        sets = rows.groupby([*keys, "coder"])["code"].agg(lambda s: frozenset(s) - {""})
        n_sets = sets.groupby(level=keys).nunique()
        units = n_sets[n_sets > 1].index.to_frame(index=False)
    else:
        if adjudicator is not None and not _has_rows(table, adjudicator):
            rule = "unanimous"
        result = adjudicate(table, rule, min_coders=min_coders)
        units = result.undecided[keys].drop_duplicates()
    return pd.DataFrame(units, columns=keys).sort_values(keys).reset_index(drop=True)


def _has_rows(table: pd.DataFrame, coder: str) -> bool:
    rows = judged_rows(table, ("human", SOURCE))
    return bool((rows["coder"] == coder).any())


def adjudicator_rows(table: pd.DataFrame) -> dict[str, int]:
    """Adjudicators with ``source="adjudication"`` rows in ``table``: e-mail -> units decided."""
    if "source" not in table.columns:
        return {}
    rows = judged_rows(table, (SOURCE,))
    counts = rows.drop_duplicates(["coder", "question", "response_id"])["coder"].value_counts()
    return {str(k): int(v) for k, v in sorted(counts.items())}


def coder_codings(table: pd.DataFrame, qid: str, rids: set[str],
                  exclude: str | None = None) -> dict[str, dict[str, dict[str, Any]]]:
    """``response_id -> coder -> {"codes": [...], "memo": str, "unclear": bool}`` (humans only)."""
    rows = judged_rows(table)
    rows = rows[(rows["question"] == qid) & rows["response_id"].isin(rids)]
    if exclude is not None:
        rows = rows[rows["coder"] != exclude]
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for (rid, coder), group in rows.groupby(["response_id", "coder"], sort=True):
        codes = list(dict.fromkeys(c for c in group["code"] if c))
        memos = (list(dict.fromkeys(m for m in group["memo"] if m))
                 if "memo" in group.columns else [])
        unclear = bool(group["unclear"].any()) if "unclear" in group.columns else False
        out.setdefault(str(rid), {})[str(coder)] = {
            "codes": codes, "memo": "\n".join(memos), "unclear": unclear}
    return out
