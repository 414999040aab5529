"""Agreed codes back into the survey: the merged dataset of DESIGN.md.

The merged dataset has every original row and column in the original order,
then per question and code a ``<question>__<code>`` column (1 mentioned,
0 not mentioned, missing where there is nothing to code), a
``<question>__n_codes`` count, a ``<question>__nonsubstantive`` flag and
``<question>__coded_by`` (human / adjudicated / model / none, see
:mod:`themeloop.merge.coded_by`).

A code value is missing when the respondent gave no substantive answer
(empty, "N/A", "don't know", ...; the flag is then 1) or when the answer was
never coded (no row for it in the agreed table nor in the model's; the flag
is 0). A coder's judgement beats the heuristic: an answer the heuristic calls
non-substantive but that received a human code is treated as substantive. The
model's codes (``model_coding.csv``) fill only substantive answers that no
human coded: human codes always win.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from themeloop.errors import InternalError, MergeError, did_you_mean
from themeloop.merge import coded_by as by
from themeloop.merge.inputs import REQUIRED, CodebookLike, codebook_codes
from themeloop.merge.names import MAX_LABELLED_NAME, unique_name
from themeloop.survey import Survey, is_substantive

CODE_VALUE_LABELS: dict[object, str] = {0: "not mentioned", 1: "mentioned"}
FLAG_VALUE_LABELS: dict[object, str] = {0: "substantive answer", 1: "no substantive answer"}


@dataclass(frozen=True)
class CodeColumn:
    """One 0/1 column of the merged dataset."""

    question: str
    code: str
    label: str
    description: str
    column: str


@dataclass
class MergedDataset:
    """The merged frame plus what exports need to label it."""

    frame: pd.DataFrame
    id_column: str
    original_columns: list[str]
    code_columns: list[CodeColumn]
    count_columns: dict[str, str]
    flag_columns: dict[str, str]
    variable_labels: dict[str, str]
    value_labels: dict[str, dict[Any, str]]
    renames: dict[str, str] = field(default_factory=dict)
    codebook_version: str | None = None
    summary: dict[str, Any] = field(default_factory=dict)
    coded_by_columns: dict[str, str] = field(default_factory=dict)

    def columns_of(self, qid: str) -> list[CodeColumn]:
        """The code columns of question ``qid``, in codebook order."""
        return [c for c in self.code_columns if c.question == qid]


def merge(
    survey: Survey,
    agreed: pd.DataFrame,
    codebook: CodebookLike | None = None,
    allow_unknown_codes: bool = False,
    *,
    coder: str | None = None,
    source: str | Path = "agreed table",
) -> pd.DataFrame:
    """Merge an agreed coding table into the survey and return the merged DataFrame.

    Parameters
    ----------
    survey : the validated survey (``load_survey`` / ``load_project_survey``).
    agreed : a coding table with one agreed coding per response (``adjudicate``'s
        output, or one coder's rows with ``coder=``).
    codebook : codes and labels per question; columns follow its order and
        every code in ``agreed`` must be in it unless ``allow_unknown_codes``.
    coder : keep only this coder's rows (e.g. to merge a single coder's work).
    source : the table's file name, used in error messages.

    Returns
    -------
    DataFrame
        Same rows and ids in the same order as ``survey.frame``, original
        columns first, then the code columns, ``__n_codes`` and ``__nonsubstantive``.

    Raises
    ------
    MergeError
        A response id that is not in the survey, a code not in the codebook,
        or a table with more than one coder.

    Examples
    --------
    >>> import themeloop
    >>> merged = themeloop.merge(survey, agreed, codebook)  # doctest: +SKIP
    """
    return build_merged(
        survey, agreed, codebook, allow_unknown_codes, coder=coder, source=source
    ).frame


def build_merged(
    survey: Survey,
    agreed: pd.DataFrame,
    codebook: CodebookLike | None = None,
    allow_unknown_codes: bool = False,
    *,
    coder: str | None = None,
    source: str | Path = "agreed table",
    model: pd.DataFrame | None = None,
    model_source: str | Path = "model coding table",
    decisions: pd.DataFrame | None = None,
) -> MergedDataset:
    """Like :func:`merge`, returning the frame with its labels, renames and a summary.

    ``model`` is the autocoder's table (``model_coding.csv``): its codes fill
    the substantive answers that ``agreed`` does not code. ``decisions``
    (``adjudication_decisions.csv``) tells ``human`` from ``adjudicated`` in
    ``coded_by``; without it, the rows' ``source`` does.
    """
    ids = survey.ids  # computed once: the property rebuilds the list on every call
    table = _checked_table(survey, ids, agreed, coder, str(source))
    machine = (None if model is None else
               _checked_table(survey, ids, model, None, str(model_source), one_coder=False))
    codes = {q.id: _question_codes(table, q.id, codebook, allow_unknown_codes, str(source))
             for q in survey.questions}
    if machine is not None:
        for qid, entries in codes.items():
            known = {c[0] for c in entries}
            entries += [e for e in _question_codes(machine, qid, codebook, allow_unknown_codes,
                                                   str(model_source)) if e[0] not in known]
    provenance = by.row_provenance(table["response_id"].to_numpy(), table["source"].to_numpy(),
                                   decisions)
    frame = survey.frame
    taken = {str(c).lower() for c in frame.columns}
    position = table["position"].to_numpy()
    new: dict[str, Any] = {}
    code_columns: list[CodeColumn] = []
    counts: dict[str, str] = {}
    flags: dict[str, str] = {}
    coded_by: dict[str, str] = {}
    renames: dict[str, str] = {}
    summary: dict[str, Any] = {}

    def name(wanted: str) -> str:
        actual = unique_name(wanted, taken, MAX_LABELLED_NAME)
        if actual != wanted:
            renames[wanted] = actual
        return actual

    for q in survey.questions:
        rows = (table["question"] == q.id).to_numpy()
        pos, code_text = position[rows], table["code"].to_numpy()[rows]
        entries = codes[q.id]
        index = {c[0]: i for i, c in enumerate(entries)}
        matrix = np.zeros((len(frame), len(entries)), dtype=np.int8)
        applied = code_text != ""
        matrix[pos[applied], [index[c] for c in code_text[applied]]] = 1
        coded = np.zeros(len(frame), dtype=bool)
        coded[pos] = True
        who = np.full(len(frame), by.NONE, dtype=np.int8)
        np.maximum.at(who, pos, provenance[rows])
        said = _substantive(frame[q.column])
        has_code = matrix.any(axis=1)
        substantive = said | has_code
        model_coded = _fill_model(machine, q.id, matrix, index, coded, said)
        who[model_coded] = by.MODEL
        coded_any = coded | model_coded
        who[~(substantive & coded_any)] = by.NONE
        missing = ~(substantive & coded_any)
        for j, (code_id, label, description) in enumerate(entries):
            column = name(f"{q.id}__{code_id}")
            new[column] = pd.arrays.IntegerArray(matrix[:, j].copy(), missing.copy())
            code_columns.append(CodeColumn(q.id, code_id, label, description, column))
        counts[q.id] = name(f"{q.id}__n_codes")
        new[counts[q.id]] = pd.arrays.IntegerArray(matrix.sum(axis=1, dtype=np.int16), missing)
        flags[q.id] = name(f"{q.id}__nonsubstantive")
        new[flags[q.id]] = pd.array((~substantive).astype(np.int8), dtype="Int8")
        coded_by[q.id] = name(f"{q.id}__coded_by")
        new[coded_by[q.id]] = by.coded_by_array(who)
        id_array = np.asarray(ids, dtype=object)
        summary[q.id] = {
            "codes": len(entries),
            "coded": int((substantive & coded).sum()),
            "model_coded": int((who == by.MODEL).sum()),
            "not_coded": int((substantive & ~coded_any).sum()),
            "nonsubstantive": int((~substantive).sum()),
            "coded_by": by.counts(who),
            "coded_despite_nonsubstantive": [f"{i}:{q.id}" for i in id_array[has_code & ~said]],
        }
    added = pd.DataFrame(new, index=frame.index)
    merged = pd.concat([frame, added], axis=1)
    _check_invariants(survey, merged)
    return MergedDataset(
        frame=merged,
        id_column=survey.id_column,
        original_columns=[str(c) for c in frame.columns],
        code_columns=code_columns,
        count_columns=counts,
        flag_columns=flags,
        variable_labels=_variable_labels(survey, code_columns, counts, flags, coded_by),
        value_labels=_value_labels(survey, code_columns, flags, coded_by),
        renames=renames,
        codebook_version=getattr(codebook, "version", None),
        summary=summary,
        coded_by_columns=coded_by,
    )


def _fill_model(machine: pd.DataFrame | None, qid: str, matrix: np.ndarray,
                index: dict[str, int], coded: np.ndarray, said: np.ndarray) -> np.ndarray:
    """Put the model's codes into ``matrix`` where no human coded; return where it did.

    Only answers the heuristic calls substantive take model codes: a human may
    overrule the non-substantive heuristic, the model may not.
    """
    filled = np.zeros(len(matrix), dtype=bool)
    if machine is None:
        return filled
    rows = (machine["question"] == qid).to_numpy()
    pos, code_text = machine["position"].to_numpy()[rows], machine["code"].to_numpy()[rows]
    keep = ~coded[pos] & said[pos]
    pos, code_text = pos[keep], code_text[keep]
    applied = code_text != ""
    matrix[pos[applied], [index[c] for c in code_text[applied]]] = 1
    filled[pos] = True
    return filled


_WORDY = re.compile(r"[^\W_](?:[\W_]*[^\W_]){25}")  # 26 letters or digits


def _substantive(values: pd.Series) -> np.ndarray:
    """``is_substantive`` per cell, computed once per distinct short answer.

    Every non-substantive form ("N/A", "see previous answer", ...) has fewer
    than 20 letters and digits, so an answer with more than 25 is substantive
    without the (slow) normalisation.
    """
    texts = values.astype(object).where(values.notna(), "").to_numpy()
    long = np.fromiter((_WORDY.search(t) is not None for t in texts), dtype=bool, count=len(texts))
    short = texts[~long]
    verdict = {t: is_substantive(t) for t in pd.unique(short)}
    result = long.copy()
    result[~long] = np.fromiter((verdict[t] for t in short), dtype=bool, count=len(short))
    return result


def _checked_table(
    survey: Survey, ids: list[str], agreed: pd.DataFrame, coder: str | None, source: str,
    *, one_coder: bool = True,
) -> pd.DataFrame:
    missing = [c for c in REQUIRED if c not in agreed.columns]
    if missing:
        raise MergeError(
            f"{source}: no column '{missing[0]}'{did_you_mean(missing[0], map(str, agreed.columns))}; "
            f"a coding table needs columns {', '.join(REQUIRED)}"
        )
    table = pd.DataFrame({c: _text(agreed[c]) for c in REQUIRED})
    table["source"] = _text(agreed["source"]) if "source" in agreed.columns else ""
    table["row"] = np.arange(len(table)) + 2  # as a spreadsheet numbers it: header is row 1
    if "status" in agreed.columns:  # a skipped or cancelled task is not a coding
        table = table[~_text(agreed["status"]).isin(("skipped", "cancelled")).to_numpy()]
    if coder is not None:
        coders = sorted(set(table["coder"]))
        if coder not in coders:
            raise MergeError(
                f"{source}: no coder '{coder}'{did_you_mean(coder, coders)}; coders are: {', '.join(coders)}"
            )
        table = table[table["coder"] == coder]
    coders = sorted(set(table["coder"]))
    if one_coder and len(coders) > 1:
        raise MergeError(
            f"{source}: has codes from {len(coders)} coders ({', '.join(coders[:4])}); merge needs one "
            "agreed coding per answer: run 'themeloop adjudicate' first or choose one coder"
        )
    parts = [rid.rpartition(":") for rid in table["response_id"]]
    table["respondent"] = [p[0] for p in parts]
    table["rid_question"] = [p[2] for p in parts]
    table["position"] = pd.Index(ids).get_indexer(table["respondent"])
    _check_ids(survey, ids, table, source)
    return table.reset_index(drop=True)


def _text(values: pd.Series) -> pd.Series:
    """Stripped text in a plain object column (iterating Arrow strings is slow)."""
    text = values.to_numpy(dtype=object, na_value="")
    return pd.Series([v.strip() if isinstance(v, str) else str(v).strip() for v in text],
                     index=values.index, dtype=object)


def _check_ids(survey: Survey, ids: list[str], table: pd.DataFrame, source: str) -> None:
    qids = [q.id for q in survey.questions]
    bad_question = ~table["question"].isin(qids)
    if bad_question.any():
        row = table[bad_question].iloc[0]
        raise MergeError(
            f"{source} row {row['row']}: question '{row['question']}' is not a question of the survey"
            f"{did_you_mean(row['question'], qids)}; questions are: {', '.join(qids)}"
        )
    mismatch = table["rid_question"] != table["question"]
    if mismatch.any():
        row = table[mismatch].iloc[0]
        raise MergeError(
            f"{source} row {row['row']}: response_id '{row['response_id']}' does not end in "
            f"':{row['question']}' (its question column); response ids are '<respondent id>:<question id>'"
        )
    unknown = table["position"] < 0
    if unknown.any():
        rows = table[unknown]
        first = rows.iloc[0]
        more = f" (and {len(rows) - 1} more rows)" if len(rows) > 1 else ""
        raise MergeError(
            f"{source} row {first['row']}: response_id '{first['response_id']}' is not in the survey "
            f"{survey.path.name}: no respondent '{first['respondent']}'"
            f"{_nearest(first['respondent'], ids)}{more}; fix the id or the survey file"
        )


def _nearest(value: str, choices: list[str]) -> str:
    # difflib is quadratic-ish; on very large surveys skip the suggestion.
    return did_you_mean(value, choices) if len(choices) <= 5000 else ""


def _question_codes(
    table: pd.DataFrame, qid: str, codebook: CodebookLike | None, allow_unknown: bool, source: str
) -> list[tuple[str, str, str]]:
    """(code id, label, description) in column order: codebook order, then unknown codes sorted."""
    defined = [(c.id, c.label, c.description) for c in codebook_codes(codebook, qid)]
    ids = {c[0] for c in defined}
    rows = table[(table["question"] == qid) & (table["code"] != "")]
    extra = rows[~rows["code"].isin(ids)]
    if len(extra) and codebook is not None and not allow_unknown:
        first = extra.iloc[0]
        raise MergeError(
            f"{source} row {first['row']}: code '{first['code']}' of question '{qid}' is not in the "
            f"codebook (version {codebook.version}){did_you_mean(first['code'], ids)}; add it to the "
            "codebook, migrate the table or pass --allow-unknown-codes"
        )
    return defined + [(c, c, "") for c in sorted(set(extra["code"]))]


def _variable_labels(
    survey: Survey, code_columns: list[CodeColumn], counts: dict[str, str], flags: dict[str, str],
    coded_by: dict[str, str],
) -> dict[str, str]:
    labels = {str(k): v for k, v in survey.data.variable_labels.items() if v}
    for q in survey.questions:
        if q.prompt and q.column not in labels:
            labels[q.column] = q.prompt
    for c in code_columns:
        labels[c.column] = f"{c.question}: {c.label}"
    for qid, column in counts.items():
        labels[column] = f"{qid}: number of codes applied"
    for qid, column in flags.items():
        labels[column] = f"{qid}: no substantive answer"
    for qid, column in coded_by.items():
        labels[column] = f"{qid}: coded by (human, adjudicated, model, none)"
    return labels


def _value_labels(
    survey: Survey, code_columns: list[CodeColumn], flags: dict[str, str],
    coded_by: dict[str, str],
) -> dict[str, dict[object, str]]:
    labels = {str(k): dict(v) for k, v in survey.data.value_labels.items()}
    for c in code_columns:
        labels[c.column] = dict(CODE_VALUE_LABELS)
    for column in flags.values():
        labels[column] = dict(FLAG_VALUE_LABELS)
    for column in coded_by.values():
        labels[column] = dict(by.CODED_BY_VALUE_LABELS)
    return labels


def _check_invariants(survey: Survey, merged: pd.DataFrame) -> None:
    """Row count and id sequence must be the survey's, whatever happened above."""
    original = survey.frame
    if len(merged) != len(original):
        raise InternalError(f"internal error: merged {len(merged)} rows from a survey of {len(original)}")
    if not merged[survey.id_column].equals(original[survey.id_column]):
        raise InternalError("internal error: the merged dataset's ids differ from the survey's")
    if list(merged.columns[: original.shape[1]]) != list(original.columns):
        raise InternalError("internal error: the merged dataset lost or reordered survey columns")
