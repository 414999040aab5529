"""Consensus rules: from several coders' codes to one agreed coding table.

Every (unit, code) that any coder applied gets a decision, and so does the
empty code ``""`` (meaning "this unit gets no code"), voted for by the coders
who applied nothing. A decision records its rule and inputs: who voted for it
(``votes``) and who coded the unit (``coders``). Nothing undecided is ever
resolved silently: a unit with any undecided code stays out of the agreed
table and is listed in ``undecided``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from themeloop.coding import judged_rows, validate_coding_table
from themeloop.errors import AdjudicationError, did_you_mean

if TYPE_CHECKING:
    import pandas as pd

CONSENSUS = "consensus"
RULES = ("unanimous", "majority", "adjudicator:EMAIL")
DECISION_COLUMNS = ["response_id", "question", "code", "decision", "rule", "votes", "coders"]
UNDECIDED_COLUMNS = ["response_id", "question", "code", "votes", "coders", "reason"]
AGREED_COLUMNS = ["response_id", "question", "coder", "code", "source", "codebook_version"]
SEP = ";"


@dataclass(frozen=True)
class AdjudicationResult:
    """The agreed coding table, every decision with its inputs, and what is still open."""

    agreed: pd.DataFrame
    decisions: pd.DataFrame
    undecided: pd.DataFrame
    rule: str


def parse_rule(rule: str) -> tuple[str, str | None]:
    """Split ``"adjudicator:EMAIL"``; check the rule's name.

    Examples
    --------
    >>> parse_rule("adjudicator:ana@x.org")
    ('adjudicator', 'ana@x.org')
    """
    name, _, who = rule.partition(":")
    if name in ("unanimous", "majority") and not who:
        return name, None
    if name == "adjudicator" and who.strip():
        return name, who.strip()
    raise AdjudicationError(
        f"unknown rule '{rule}'{did_you_mean(rule, ('unanimous', 'majority'))}; "
        f"use one of {', '.join(RULES)}"
    )


def adjudicate(table: pd.DataFrame, rule: str = "majority", min_coders: int = 1) -> AdjudicationResult:
    """Decide, per unit and code, what the agreed coding is.

    Parameters
    ----------
    table : a coding table; only human judgements vote (model and earlier
        adjudication rows, and skipped or cancelled rows, are left out).
    rule : ``unanimous`` (every coder of the unit applied it; a code some but
        not all applied is undecided), ``majority`` (more than half; a tie is
        undecided) or ``adjudicator:EMAIL`` (that coder's codes decide every
        unit they coded; other units are decided when the remaining coders
        are unanimous and left undecided otherwise).
    min_coders : units coded by fewer coders are undecided.

    Returns
    -------
    AdjudicationResult
        ``agreed`` rows have ``coder="consensus"`` and ``source="adjudication"``.

    Raises
    ------
    AdjudicationError
        For an unknown rule, an adjudicator who coded nothing, or no human codes at all.
    """

    name, adjudicator = parse_rule(rule)
    if min_coders < 1:
        raise AdjudicationError(f"min_coders must be at least 1; got {min_coders}")
    table = validate_coding_table(table)
    rows = judged_rows(table)
    if rows.empty:
        raise AdjudicationError("the coding table has no human judgements to adjudicate")
    own = rows.iloc[0:0]
    if adjudicator is not None:
        # The adjudicator's rows may be ordinary human codings or, as pulled from an
        # adjudication project, rows with source "adjudication"; only theirs decide.
        theirs = judged_rows(table, ("human", "adjudication"))
        coders = sorted(theirs["coder"].unique())
        if adjudicator not in coders:
            raise AdjudicationError(
                f"adjudicator '{adjudicator}' coded nothing in this table"
                f"{did_you_mean(adjudicator, coders)}; coders: {', '.join(coders)}"
            )
        own = theirs[theirs["coder"] == adjudicator]
        rows = rows[rows["coder"] != adjudicator]
    decisions = _vote(rows, "unanimous" if name == "adjudicator" else name, min_coders)
    result = _result(decisions, rows, rule)
    if adjudicator is not None:
        result = fold_adjudicator_decisions(result, own)
        result = AdjudicationResult(result.agreed, result.decisions, result.undecided, rule)
    return result


def _vote(rows: pd.DataFrame, rule: str, min_coders: int) -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    keys = ["question", "response_id"]
    judge = rows.groupby([*keys, "coder"], sort=True)["code"].agg(
        lambda s: tuple(sorted(set(s) - {""})) or ("",)).reset_index()
    coders = judge.groupby(keys)["coder"].agg(lambda s: SEP.join(sorted(s))).rename("coders")
    n = judge.groupby(keys)["coder"].size().rename("n")
    votes = judge.explode("code").groupby([*keys, "code"], sort=True)["coder"].agg(
        lambda s: SEP.join(sorted(s))).rename("votes").reset_index()
    votes = votes.join(coders, on=keys).join(n, on=keys)
    k = votes["votes"].str.count(SEP) + 1
    if rule == "unanimous":
        decision = np.where(k == votes["n"], "included", "undecided")
    else:
        decision = np.where(2 * k > votes["n"], "included",
                            np.where(2 * k < votes["n"], "excluded", "undecided"))
    decision = np.where(votes["n"] < min_coders, "undecided", decision)
    out = votes.assign(decision=decision, rule=rule)
    if min_coders > 1:
        out["rule"] = np.where(votes["n"] < min_coders, f"{rule} (min_coders={min_coders})", rule)
    return pd.DataFrame(out[DECISION_COLUMNS]).reset_index(drop=True)


def fold_adjudicator_decisions(result: AdjudicationResult,
                               decisions_table: pd.DataFrame) -> AdjudicationResult:
    """Let an adjudicator's own coding decide the units they coded.

    ``decisions_table`` is a coding table whose rows are the adjudicator's
    (``coder`` = their email; an empty code means "no code applies"). For every
    unit in it, each code the coders voted on and each code the adjudicator
    applied is decided included or excluded by the adjudicator, with rule
    ``adjudicator:<email>``; the coders' votes stay recorded. Other units keep
    their decisions.
    """
    import pandas as pd

    table = judged_rows(validate_coding_table(decisions_table), ("human", "adjudication"))
    if table.empty:
        return result
    keys = ["question", "response_id"]
    chosen = table.groupby(keys, sort=True).agg(
        chosen=("code", lambda s: frozenset(s) - {""}),
        adjudicator=("coder", lambda s: SEP.join(sorted(set(s)))),
    )
    old = result.decisions.set_index(keys)
    touched = old.index.isin(chosen.index)
    kept = result.decisions[~touched]
    redone = []
    for (question, response_id), row in chosen.iterrows():
        previous = old.loc[[(question, response_id)]] if (question, response_id) in old.index else None
        codes = set(row["chosen"]) | {""}
        votes = coders = {}
        if previous is not None:
            codes |= set(previous["code"])
            votes = dict(zip(previous["code"], previous["votes"]))
            coders = {"": previous["coders"].iloc[0]}
        for code in sorted(codes):
            included = code in row["chosen"] or (code == "" and not row["chosen"])
            redone.append({"response_id": response_id, "question": question, "code": code,
                           "decision": "included" if included else "excluded",
                           "rule": f"adjudicator:{row['adjudicator']}",
                           "votes": votes.get(code, ""), "coders": coders.get("", "")})
    decisions = pd.concat([kept, pd.DataFrame(redone, columns=DECISION_COLUMNS)],
                          ignore_index=True)
    versions = result.agreed[["response_id", "question", "codebook_version"]]
    return _result(decisions, versions, result.rule)


def _result(decisions: pd.DataFrame, source_rows: pd.DataFrame, rule: str) -> AdjudicationResult:
    import pandas as pd

    decisions = decisions.sort_values(["question", "response_id", "code"], kind="stable")
    decisions = decisions.reset_index(drop=True)
    open_units = decisions.loc[decisions["decision"] == "undecided", ["question", "response_id"]]
    is_open = decisions.set_index(["question", "response_id"]).index.isin(
        pd.MultiIndex.from_frame(open_units))
    undecided = decisions[decisions["decision"] == "undecided"]
    undecided = undecided.assign(reason=[_reason(row) for _, row in undecided.iterrows()])
    closed = decisions[~is_open & (decisions["decision"] == "included")]
    agreed = pd.DataFrame({"response_id": closed["response_id"], "question": closed["question"],
                           "coder": CONSENSUS, "code": closed["code"], "source": "adjudication"})
    agreed["codebook_version"] = _versions(agreed, source_rows)
    return AdjudicationResult(
        agreed=agreed[AGREED_COLUMNS].reset_index(drop=True),
        decisions=decisions[DECISION_COLUMNS],
        undecided=undecided[UNDECIDED_COLUMNS].reset_index(drop=True),
        rule=rule,
    )


def _reason(row: pd.Series) -> str:
    n = row["coders"].count(SEP) + 1 if row["coders"] else 0
    k = row["votes"].count(SEP) + 1 if row["votes"] else 0
    what = f"'{row['code']}'" if row["code"] else "no code"
    if row["rule"].endswith(")"):
        return f"only {n} coder(s) coded this unit"
    if row["rule"] == "majority":
        return f"tie: {k} of {n} coders applied {what}"
    return f"not unanimous: {k} of {n} coders applied {what}"


def _versions(agreed: pd.DataFrame, source_rows: pd.DataFrame) -> list[str]:
    """The codebook version of each unit's codings when its coders used one version."""
    if "codebook_version" not in source_rows.columns or agreed.empty:
        return [""] * len(agreed)
    per_unit = source_rows.groupby(["question", "response_id"])["codebook_version"].agg(
        lambda s: next(iter(set(s))) if len(set(s)) == 1 else "")
    keys = list(zip(agreed["question"], agreed["response_id"]))
    return [per_unit.get(k, "") for k in keys]
