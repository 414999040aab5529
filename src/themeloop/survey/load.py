"""Read a survey file (CSV, XLSX, SPSS, Stata, Parquet) without losing a row.

Every reader keeps all rows in file order and reads every cell of a CSV/XLSX
as text, so ids such as ``007`` keep their leading zeros. SPSS and Stata
value labels become pandas categories; variable labels are kept in
:attr:`SurveyData.variable_labels`.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from themeloop.errors import SurveyError

SUPPORTED = {".csv": "CSV", ".xlsx": "XLSX", ".sav": "SPSS", ".dta": "Stata", ".parquet": "Parquet"}


class EncodingFallbackWarning(UserWarning):
    """A CSV was not UTF-8 and was read with a fallback encoding."""


@dataclass
class SurveyData:
    """A survey file as read: the frame plus what the file said about it."""

    path: Path
    frame: pd.DataFrame
    encoding: str | None = None
    variable_labels: dict[str, str] = field(default_factory=dict)
    value_labels: dict[str, dict[object, str]] = field(default_factory=dict)


def read_survey_file(
    path: str | Path, *, sheet: str | None = None, encoding: str | None = None
) -> SurveyData:
    """Read ``path`` into a :class:`SurveyData`.

    Raises
    ------
    SurveyError
        Missing file, unsupported extension, unreadable or empty file.
    """
    path = Path(path)
    if not path.exists():
        raise SurveyError(f"{path}: file not found; check the path or survey.path in themeloop.toml")
    if path.is_dir():
        raise SurveyError(f"{path}: is a folder; give the survey file itself")
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        kinds = ", ".join(SUPPORTED)
        raise SurveyError(f"{path}: unsupported file type '{suffix or '(none)'}'; use one of {kinds}")
    if path.stat().st_size == 0:
        raise SurveyError(f"{path}: file is empty")
    reader = {".csv": _read_csv, ".xlsx": _read_xlsx, ".sav": _read_stat, ".dta": _read_stat,
              ".parquet": _read_parquet}[suffix]
    try:
        data = reader(path, sheet=sheet, encoding=encoding)
    except SurveyError:
        raise
    except Exception as exc:  # a parser's own message is the most precise we have
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise SurveyError(f"{path}: cannot read as {SUPPORTED[suffix]}: {first}") from None
    if data.frame.shape[1] == 0 or data.frame.shape[0] == 0:
        raise SurveyError(f"{path}: file has no data rows; a survey needs a header row and answers")
    return data


def _read_csv(path: Path, *, sheet: str | None, encoding: str | None) -> SurveyData:
    raw = path.read_bytes()
    if not raw.strip():
        raise SurveyError(f"{path}: file is empty")
    if encoding:
        text, used = raw.decode(encoding), encoding
    elif raw.startswith(b"\xef\xbb\xbf"):
        text, used = raw[3:].decode("utf-8"), "utf-8-sig"
    else:
        try:
            text, used = raw.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            text, used = raw.decode("cp1252", errors="replace"), "cp1252"
            warnings.warn(
                f"{path}: not valid UTF-8; read as cp1252 (Windows-1252). "
                "Set survey.encoding in themeloop.toml if that is wrong.",
                EncodingFallbackWarning,
                stacklevel=3,
            )
    import io

    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    return SurveyData(path, frame, encoding=used)


def _read_xlsx(path: Path, *, sheet: str | None, encoding: str | None) -> SurveyData:
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    names = book.sheetnames
    book.close()
    if sheet is not None and sheet not in names:
        from themeloop.errors import did_you_mean

        raise SurveyError(
            f"{path}: no sheet '{sheet}'{did_you_mean(sheet, names)}; sheets are: {', '.join(names)}"
        )
    frame = pd.read_excel(
        path, sheet_name=sheet or names[0], dtype=str, keep_default_na=False, engine="openpyxl"
    )
    frame = frame.fillna("")
    return SurveyData(path, frame)


def _read_stat(path: Path, *, sheet: str | None, encoding: str | None) -> SurveyData:
    import pyreadstat

    read = pyreadstat.read_sav if path.suffix.lower() == ".sav" else pyreadstat.read_dta
    frame, meta = read(str(path), apply_value_formats=False)
    value_labels: dict[str, dict[Any, str]] = {}
    for column, label_set in (meta.variable_to_label or {}).items():
        labels = meta.value_labels.get(label_set, {})
        if labels and column in frame.columns:
            value_labels[column] = dict(labels)
            frame[column] = _as_category(frame[column], labels)
    variable_labels = {
        name: label for name, label in zip(meta.column_names, meta.column_labels) if label
    }
    return SurveyData(path, frame, variable_labels=variable_labels, value_labels=value_labels)


def _as_category(values: pd.Series, labels: Mapping[Any, str]) -> pd.Series:
    """Map coded values to their labels; values without a label stay as they are."""
    mapped = values.map(lambda v: labels.get(v, v) if pd.notna(v) else v)
    ordered = list(dict.fromkeys(labels.values()))
    extra = [v for v in pd.unique(mapped.dropna()) if v not in ordered]
    return pd.Categorical(mapped, categories=ordered + extra)


def _read_parquet(path: Path, *, sheet: str | None, encoding: str | None) -> SurveyData:
    return SurveyData(path, pd.read_parquet(path))
