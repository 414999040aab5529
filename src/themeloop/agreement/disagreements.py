"""Units where coders differ: the text, each coder's codes and memos."""

from __future__ import annotations

from typing import TYPE_CHECKING

from themeloop.coding import judged_rows, validate_coding_table

if TYPE_CHECKING:
    import pandas as pd

SEPARATOR = "; "


def disagreements(table: pd.DataFrame, responses: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per unit whose coders applied different code sets.

    Parameters
    ----------
    table : a coding table; human judgements only are compared.
    responses : the survey's long responses table (``response_id, text``), to
        show each answer's text; without it ``text`` is blank.

    Returns
    -------
    DataFrame with ``response_id, question, text, disputed`` (codes not
    applied by every coder) and, per coder, ``<coder> codes`` and
    ``<coder> memo``, sorted by question and response id.
    """
    import pandas as pd

    rows = judged_rows(validate_coding_table(table))
    if "memo" not in rows.columns:
        rows = rows.assign(memo="")
    keys = ["question", "response_id", "coder"]
    per_coder = rows.groupby(keys, sort=True).agg(
        codes=("code", lambda s: SEPARATOR.join(sorted(set(s) - {""}))),
        memo=("memo", lambda s: SEPARATOR.join(dict.fromkeys(m for m in s if m))),
    ).reset_index()
    unit = per_coder.groupby(["question", "response_id"])
    n_coders = unit["coder"].transform("size")
    n_sets = unit["codes"].transform("nunique")
    differ = per_coder[(n_coders >= 2) & (n_sets >= 2)]
    coders = sorted(rows["coder"].unique())
    columns = ["response_id", "question", "text", "disputed",
               *[f"{c} {what}" for c in coders for what in ("codes", "memo")]]
    if differ.empty:
        return pd.DataFrame(columns=columns)
    wide = differ.pivot(index=["question", "response_id"], columns="coder",
                        values=["codes", "memo"])
    out = pd.DataFrame(index=wide.index)
    for c in coders:
        for what in ("codes", "memo"):
            out[f"{c} {what}"] = wide[(what, c)] if (what, c) in wide.columns else None
    out["disputed"] = differ.groupby(["question", "response_id"])["codes"].agg(_disputed)
    out = out.reset_index()
    text = {} if responses is None else dict(zip(responses["response_id"], responses["text"]))
    out["text"] = [str(text.get(r, "") or "") for r in out["response_id"]]
    return out[columns].fillna("").reset_index(drop=True)


def _disputed(code_lists: pd.Series) -> str:
    sets = [set(s.split(SEPARATOR)) - {""} for s in code_lists]
    every = set.intersection(*sets)
    return SEPARATOR.join(sorted(set.union(*sets) - every))
