"""Exports of the merged dataset: CSV, XLSX, SPSS ``.sav``, Stata ``.dta`` and Parquet.

* **CSV** is written by :mod:`themeloop.safe_csv`: UTF-8 (no byte-order
  mark), every field holding a delimiter, quote, ``\n`` or ``\r`` quoted.
  Text cells that a spreadsheet would run as a formula (starting ``=``,
  ``+``, ``-``, ``@``, tab, CR, LF or their full-width forms) get a leading
  ``'`` unless ``raw``; see ``docs/exports.md``. Missing values are empty cells.
* **XLSX** has three sheets: ``data``, ``codebook`` (codes, labels,
  descriptions) and ``variables`` (every column, its label, value labels and
  its SPSS/Stata name). Every text is an explicit string cell, never a formula;
  formula-like text carries Excel's quote prefix (see :mod:`themeloop.merge.xlsx`).
* **SPSS / Stata** carry variable labels (code labels, question prompts, the
  survey's own labels) and value labels (``0`` not mentioned, ``1``
  mentioned; ``<question>__coded_by`` as ``0`` none, ``1`` human, ``2``
  adjudicated, ``3`` model; the survey's own value labels are restored to
  their codes). CSV and XLSX write ``coded_by`` as its words, Parquet as a
  dictionary-encoded (categorical) column.
  Column names are made legal for both programs (see
  :mod:`themeloop.merge.names`); :func:`stat_rename_map` lists the changes.
  Labels are cut to each format's limit (Stata: 80 bytes, SPSS: 256 bytes).
  Both store text as C strings, which end at a NUL: NUL characters are
  removed (:func:`stat_text`) rather than cutting the rest of the text off.
* **Parquet** keeps dtypes exactly; labels travel in the schema metadata
  under the key ``themeloop``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from themeloop._io import write_with
from themeloop.errors import MergeError
from themeloop.merge.core import MergedDataset
from themeloop.merge.names import stat_names
from themeloop.merge.stable import stable_dta, stable_sav
from themeloop.merge.xlsx import write_sheets
from themeloop.pipeline.artifacts import CODED
from themeloop.safe_csv import write_csv as write_csv_frame

FORMATS = ("csv", "xlsx", "sav", "dta", "parquet")
LABEL_LIMIT = {"sav": 256, "dta": 80}
PARQUET_KEY = b"themeloop"


def stat_rename_map(dataset: MergedDataset) -> dict[str, str]:
    """Columns whose SPSS/Stata name differs from their name in the merged frame."""
    return {k: v for k, v in _names(dataset).items() if k != v}


def _names(dataset: MergedDataset) -> dict[str, str]:
    return stat_names(dataset.frame.columns, labelled=dataset.value_labels)


def write_csv(dataset: MergedDataset, path: str | Path, *, raw: bool = False) -> Path:
    """Write the merged frame as UTF-8 CSV, neutralised against formula injection unless ``raw``."""
    return write_csv_frame(dataset.frame, path, raw=raw)


def stat_text(text: str) -> str:
    """A text as SPSS and Stata store it: without NUL characters (C strings end at a NUL).

    >>> stat_text("a\\x00b")
    'ab'
    """
    return text.replace("\x00", "")


def variables_table(dataset: MergedDataset) -> pd.DataFrame:
    """One row per column: role, question, code, label, value labels, SPSS/Stata name."""
    names = _names(dataset)
    role: dict[str, tuple[str, str, str]] = {c: ("survey", "", "") for c in dataset.original_columns}
    for c in dataset.code_columns:
        role[c.column] = ("code", c.question, c.code)
    for qid, column in dataset.count_columns.items():
        role[column] = ("n_codes", qid, "")
    for qid, column in dataset.flag_columns.items():
        role[column] = ("nonsubstantive", qid, "")
    for qid, column in dataset.coded_by_columns.items():
        role[column] = ("coded_by", qid, "")
    rows = []
    for column in dataset.frame.columns:
        kind, question, code = role.get(str(column), ("survey", "", ""))
        labels = dataset.value_labels.get(str(column), {})
        rows.append({
            "column": str(column), "role": kind, "question": question, "code": code,
            "label": dataset.variable_labels.get(str(column), ""),
            "value_labels": "; ".join(f"{k}={v}" for k, v in labels.items()),
            "spss_stata_name": names[str(column)],
        })
    return pd.DataFrame(rows)


def codebook_table(dataset: MergedDataset) -> pd.DataFrame:
    """One row per code column: question, code, column, label, description."""
    return pd.DataFrame(
        [{"question": c.question, "code": c.code, "column": c.column, "label": c.label,
          "description": c.description} for c in dataset.code_columns],
        columns=["question", "code", "column", "label", "description"],
    )


def write_xlsx(dataset: MergedDataset, path: str | Path) -> Path:
    """Write sheets ``data``, ``codebook`` and ``variables``; no cell is ever a formula."""
    return write_sheets(path, {"data": dataset.frame, "codebook": codebook_table(dataset),
                               "variables": variables_table(dataset)})


def _fit(label: str, limit: int) -> str:
    """Cut ``label`` to ``limit`` UTF-8 bytes without splitting a character."""
    raw = label.encode("utf-8")
    return label if len(raw) <= limit else raw[:limit].decode("utf-8", "ignore")


def fitted_label(label: str, fmt: str) -> str:
    """The variable label as format ``fmt`` ("sav" or "dta") stores it.

    Cut to the format's limit; trailing blanks go (SPSS drops them anyway).
    """
    return _fit(label.rstrip(), LABEL_LIMIT[fmt]).rstrip()


def _stat_column(values: pd.Series, labels: dict[Any, str] | None) -> pd.Series:
    if isinstance(values.dtype, pd.CategoricalDtype):
        plain = values.astype(object)
        if labels:  # the survey's own codes come back in place of their labels
            inverse = {v: k for k, v in labels.items()}
            plain = plain.map(lambda v: inverse.get(v, v) if pd.notna(v) else v)
        values = plain.infer_objects()
    if pd.api.types.is_bool_dtype(values):
        return values.astype("Int8")
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_datetime64_any_dtype(values):
        return values
    return values.astype(object).where(values.notna(), "").astype(str).map(stat_text).astype(object)


def stat_value_labels(dataset: MergedDataset, fmt: str, frame: pd.DataFrame) -> dict[str, dict[Any, str]]:
    """Value labels as written to ``fmt``, keyed by the merged frame's column names.

    Stata attaches value labels to integer variables only, so there labels of
    text variables are left out and float codes such as ``1.0`` become ``1``.
    """
    out: dict[str, dict[Any, str]] = {}
    for column, labels in dataset.value_labels.items():
        if column not in frame.columns or not labels:
            continue
        if fmt == "dta":
            if not pd.api.types.is_numeric_dtype(frame[column]):
                continue
            if not all(float(k).is_integer() for k in labels):
                continue
            labels = {int(k): v for k, v in labels.items()}
        out[column] = dict(labels)
    return out


def _write_stat(dataset: MergedDataset, path: str | Path, fmt: str) -> Path:
    import pyreadstat

    frame = pd.DataFrame({c: _stat_column(dataset.frame[c], dataset.value_labels.get(str(c)))
                          for c in dataset.frame.columns})
    names = _names(dataset)
    value_labels = {names[c]: v for c, v in stat_value_labels(dataset, fmt, frame).items()}
    column_labels = [fitted_label(dataset.variable_labels.get(str(c), ""), fmt) or None
                     for c in frame.columns]
    frame.columns = [names[str(c)] for c in frame.columns]
    write = pyreadstat.write_sav if fmt == "sav" else pyreadstat.write_dta

    def writer(tmp: Path) -> None:
        try:
            write(frame, str(tmp), column_labels=column_labels, variable_value_labels=value_labels)
        except (pyreadstat.PyreadstatError, pyreadstat.ReadstatError) as exc:  # names the limit hit
            raise MergeError(f"{path}: cannot write {fmt.upper()}: {exc}") from None
        (stable_sav if fmt == "sav" else stable_dta)(tmp)

    return write_with(path, writer)


def write_sav(dataset: MergedDataset, path: str | Path) -> Path:
    """Write SPSS ``.sav`` with variable and value labels."""
    return _write_stat(dataset, path, "sav")


def write_dta(dataset: MergedDataset, path: str | Path) -> Path:
    """Write Stata ``.dta`` (format 118/119 via pyreadstat) with variable and value labels."""
    return _write_stat(dataset, path, "dta")


def parquet_labels(dataset: MergedDataset) -> dict[str, Any]:
    """The label metadata stored in a Parquet export (JSON-safe: value-label keys as text)."""
    return {
        "variable_labels": dict(dataset.variable_labels),
        "value_labels": {c: {str(k): v for k, v in labels.items()}
                         for c, labels in dataset.value_labels.items()},
    }


def write_parquet(dataset: MergedDataset, path: str | Path) -> Path:
    """Write Parquet; labels go in the schema metadata under ``themeloop``."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(dataset.frame, preserve_index=False)
    meta = dict(table.schema.metadata or {})
    meta[PARQUET_KEY] = json.dumps(parquet_labels(dataset), ensure_ascii=False, sort_keys=True).encode()
    table = table.replace_schema_metadata(meta)
    return write_with(path, lambda tmp: pq.write_table(table, tmp))


def read_parquet_labels(path: str | Path) -> dict[str, Any]:
    """Labels stored by :func:`write_parquet` (empty when there are none)."""
    import pyarrow.parquet as pq

    meta = pq.read_schema(path).metadata or {}
    return json.loads(meta[PARQUET_KEY]) if PARQUET_KEY in meta else {}


WRITERS = {"csv": write_csv, "xlsx": write_xlsx, "sav": write_sav, "dta": write_dta,
           "parquet": write_parquet}


def export_all(
    dataset: MergedDataset, out_dir: str | Path, formats: Iterable[str] = FORMATS,
    *, raw: bool = False,
) -> dict[str, Path]:
    """Write ``coded.<fmt>`` (:data:`~themeloop.pipeline.artifacts.CODED`) for each format
    into ``out_dir``; return format -> path.

    ``raw`` writes the CSV without formula neutralisation (for a machine
    reader); the other formats are the same either way.
    """
    formats = list(formats)
    for fmt in formats:
        if fmt not in WRITERS:
            raise MergeError(f"unknown export format '{fmt}'; formats are: {', '.join(FORMATS)}")
    out_dir = Path(out_dir)
    return {fmt: write_csv(dataset, CODED.path(out_dir, fmt), raw=raw) if fmt == "csv"
            else WRITERS[fmt](dataset, CODED.path(out_dir, fmt)) for fmt in formats}
