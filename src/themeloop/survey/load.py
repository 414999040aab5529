"""Read a survey file (CSV, XLSX, SPSS, Stata, Parquet) without losing a row.

Every reader keeps all rows in file order and reads every cell of a CSV/XLSX
as text, so ids such as ``007`` keep their leading zeros. SPSS and Stata
value labels become pandas categories; variable labels are kept in
:attr:`SurveyData.variable_labels`.
"""

from __future__ import annotations

import codecs
import io
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from themeloop.errors import InputWarning, SurveyError, ThemeloopError

SUPPORTED = {".csv": "CSV", ".xlsx": "XLSX", ".sav": "SPSS", ".dta": "Stata", ".parquet": "Parquet"}


class EncodingFallbackWarning(InputWarning):
    """A CSV was not UTF-8 and was read with a fallback encoding."""


# Longest first: the UTF-32-LE mark begins with the UTF-16-LE one.
BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


@dataclass
class SurveyData:
    """A survey file as read: the frame plus what the file said about it."""

    path: Path
    frame: pd.DataFrame
    encoding: str | None = None
    variable_labels: dict[str, str] = field(default_factory=dict)
    value_labels: dict[str, dict[object, str]] = field(default_factory=dict)
    sheet: str | None = None
    formula_cells: dict[str, list[str]] = field(default_factory=dict)  # XLSX: by column header


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
    except ThemeloopError:  # our own errors, and input warnings raised under --strict
        raise
    except Exception as exc:  # a parser's own message is the most precise we have
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise SurveyError(f"{path}: cannot read as {SUPPORTED[suffix]}: {first}") from None
    if data.frame.shape[1] == 0 or data.frame.shape[0] == 0:
        raise SurveyError(f"{path}: file has no data rows; a survey needs a header row and answers")
    _check_unique_columns(path, [str(c) for c in data.frame.columns])
    return data


def _check_unique_columns(path: Path, names: list[str]) -> None:
    """Refuse two columns with one name: a reader would rename or drop one of them."""
    first: dict[str, int] = {}
    for number, name in enumerate(names, start=1):
        if name == "":
            continue
        if name in first:
            raise SurveyError(
                f"{path}: columns {first[name]} and {number} are both named '{name}'; "
                "rename one so that every column has its own name"
            )
        first[name] = number


def decode_csv(path: Path, raw: bytes, encoding: str | None) -> tuple[str, str]:
    """The text of a CSV file and the encoding used.

    A byte-order mark (UTF-8, UTF-16 or UTF-32, either byte order) decides;
    then UTF-8; then cp1252 with an :class:`EncodingFallbackWarning`. An
    explicit ``encoding`` overrides all of them.
    """
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise SurveyError(f"{path}: unknown encoding '{encoding}'; use e.g. utf-8, cp1252, "
                              "latin-1 or utf-16") from None
        try:
            return raw.decode(encoding).removeprefix("\ufeff"), encoding
        except UnicodeDecodeError as exc:
            raise SurveyError(f"{path}: not valid {encoding} at byte {exc.start}; check the "
                              "encoding (--encoding or survey.encoding)") from None
    for bom, name in BOMS:
        if raw.startswith(bom):
            try:
                return raw[len(bom):].decode(name.removesuffix("-sig")), name
            except UnicodeDecodeError as exc:
                raise SurveyError(f"{path}: starts with a {name.removesuffix('-sig').upper()} "
                                  f"byte-order mark but is not valid {name} at byte "
                                  f"{exc.start + len(bom)}; save it again as UTF-8") from None
    head = raw[:4096]
    if head.count(0) > len(head) // 10:
        guess = "utf-16-le" if head[1::2].count(0) >= head[::2].count(0) else "utf-16-be"
        raise SurveyError(f"{path}: has many NUL bytes, so it is probably UTF-16 or UTF-32 "
                          f"without a byte-order mark; pass --encoding {guess} (or set "
                          "survey.encoding), or save it as UTF-8")
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        warnings.warn(
            f"{path}: not valid UTF-8; read as cp1252 (Windows-1252). "
            "Set survey.encoding in themeloop.toml (ad hoc: --encoding) if that is wrong.",
            EncodingFallbackWarning,
            stacklevel=4,
        )
        return raw.decode("cp1252", errors="replace"), "cp1252"


def _read_csv(path: Path, *, sheet: str | None, encoding: str | None) -> SurveyData:
    raw = path.read_bytes()
    if not raw.strip():
        raise SurveyError(f"{path}: file is empty")
    text, used = decode_csv(path, raw, encoding)
    if not text.strip():
        raise SurveyError(f"{path}: file is empty")
    # pandas renames a repeated header ('text' -> 'text.1'): check the header as written.
    header = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, header=None, nrows=1)
    _check_unique_columns(path, [str(v) for v in header.iloc[0]] if len(header) else [])
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    return SurveyData(path, frame, encoding=used)


def _read_xlsx(path: Path, *, sheet: str | None, encoding: str | None) -> SurveyData:
    from themeloop.survey.xlsx import read_xlsx

    frame, name, formulas = read_xlsx(path, sheet)
    return SurveyData(path, frame, sheet=name, formula_cells=formulas)


def _read_stat(path: Path, *, sheet: str | None, encoding: str | None) -> SurveyData:
    import pyreadstat

    read = pyreadstat.read_sav if path.suffix.lower() == ".sav" else pyreadstat.read_dta
    frame, meta = read(str(path), apply_value_formats=False)
    value_labels: dict[str, dict[object, str]] = {}
    for column, label_set in (meta.variable_to_label or {}).items():
        labels = meta.value_labels.get(label_set, {})
        if labels and column in frame.columns:
            value_labels[column] = dict(labels)
            frame[column] = _as_category(frame[column], labels)
    variable_labels = {
        name: label for name, label in zip(meta.column_names, meta.column_labels) if label
    }
    return SurveyData(path, frame, variable_labels=variable_labels, value_labels=value_labels)


def _as_category(values: pd.Series, labels: dict[object, str]) -> pd.Series:
    """Map coded values to their labels; values without a label stay as they are."""
    mapped = values.map(lambda v: labels.get(v, v) if pd.notna(v) else v)
    ordered = list(dict.fromkeys(labels.values()))
    extra = [v for v in pd.unique(mapped.dropna()) if v not in ordered]
    return pd.Categorical(mapped, categories=ordered + extra)


def _read_parquet(path: Path, *, sheet: str | None, encoding: str | None) -> SurveyData:
    return SurveyData(path, pd.read_parquet(path))
