"""Read and validate coding tables (DESIGN.md "Coding table")."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from themeloop.errors import CodingTableError, did_you_mean

if TYPE_CHECKING:
    import pandas as pd

CODING_COLUMNS = ("response_id", "question", "coder", "code")
OPTIONAL_COLUMNS = (
    "source", "timestamp", "codebook_version", "memo",
    "annotation_id", "lead_time", "status", "unclear",
)
SOURCES = ("human", "model", "adjudication")
STATUSES = ("submitted", "skipped", "cancelled")
DEFAULT_QUESTION = "all"
_TEXT_COLUMNS = ("response_id", "question", "coder", "code", "source", "status",
                 "codebook_version", "memo", "timestamp", "annotation_id")


def read_coding_table(path: str | Path) -> pd.DataFrame:
    """Read a coding table from CSV (UTF-8) or Parquet and validate it.

    Parameters
    ----------
    path : a ``.csv`` or ``.parquet`` file with at least the columns
        ``response_id, question, coder, code``. Without a ``question`` column
        every row belongs to question ``"all"``.

    Returns
    -------
    DataFrame with string columns ``response_id, question, coder, code``
    (an empty ``code`` means "read and applied no code") plus any optional
    columns the file has. A CSV themeloop wrote (``agreed.csv``, the pulled
    table) is read back with its formula neutralisation undone, see
    :func:`themeloop.safe_csv.read_csv`.

    Raises
    ------
    CodingTableError
        Naming the file, column and row of the first problem found.
    """
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise CodingTableError(f"{path}: no such coding table")
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            frame = pd.read_parquet(path)
        elif suffix in (".csv", ".txt"):
            from themeloop.safe_csv import read_csv

            frame = read_csv(path)  # undoes themeloop's formula neutralisation
        else:
            raise CodingTableError(
                f"{path}: unsupported coding-table format '{suffix}'; use .csv or .parquet"
            )
    except CodingTableError:
        raise
    except UnicodeDecodeError:
        raise CodingTableError(f"{path}: not UTF-8 text; save the CSV as UTF-8") from None
    except (ValueError, OSError) as exc:  # parser errors (pandas, Arrow) are ValueErrors
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CodingTableError(f"{path}: cannot be read as a coding table: {first}") from None
    header_rows = 1 if suffix != ".parquet" else 0
    table = validate_coding_table(frame, source=str(path), header_rows=header_rows)
    warn_code_variants(table, str(path), header_rows)
    return table


def warn_code_variants(table: pd.DataFrame, source: str, header_rows: int = 0) -> None:
    """Warn (:class:`CodeVariantWarning`) about codes of a question differing only in case or spacing.

    Under ``--strict`` (warnings as errors) the first such pair stops the command.
    """
    import warnings

    from themeloop.coding.variants import joined, variant_groups
    from themeloop.errors import CodeVariantWarning

    coded = table[table["code"] != ""]
    for question, rows in coded.groupby("question", sort=False):
        for group in variant_groups(rows["code"]):
            first = {code: _row_number(int(rows.index[rows["code"] == code][0]), header_rows)
                     for code in group}
            listed = joined([f"'{code}' (row {first[code]})" for code in group])
            warnings.warn(
                f"{source}: question '{question}': codes {listed} differ only in case or spacing "
                "and count as different codes; write each code one way", CodeVariantWarning,
                stacklevel=3)


def validate_coding_table(
    frame: pd.DataFrame, *, source: str = "coding table", header_rows: int = 0
) -> pd.DataFrame:
    """Check columns and values of a coding table and return a clean copy.

    Identifiers are stripped of surrounding whitespace, missing codes become
    ``""``, and a missing ``question`` column becomes ``"all"``. Row numbers in
    messages count from 1 after ``header_rows`` lines (a CSV's header: 1).

    Raises
    ------
    CodingTableError
        If a required column is missing, an identifier is empty, or ``source``
        / ``status`` holds an unknown value.
    """
    frame = frame.copy()
    frame.columns = [str(c).strip() for c in frame.columns]
    if "question" not in frame.columns:
        frame["question"] = DEFAULT_QUESTION
    for column in CODING_COLUMNS:
        if column not in frame.columns:
            hint = did_you_mean(column, [c for c in frame.columns if c not in CODING_COLUMNS])
            raise CodingTableError(
                f"{source}: missing required column '{column}'{hint}; a coding table needs "
                f"{', '.join(CODING_COLUMNS)}"
            )
    for column in _TEXT_COLUMNS:
        if column in frame.columns:
            frame[column] = frame[column].fillna("").astype(str).str.strip()
    for column in ("response_id", "coder"):
        _no_empty(frame, column, source, header_rows)
    _allowed(frame, "source", SOURCES, source, header_rows)
    _allowed(frame, "status", STATUSES, source, header_rows)
    if "unclear" in frame.columns and frame["unclear"].dtype != bool:
        text = frame["unclear"].fillna("").astype(str).str.strip().str.lower()
        frame["unclear"] = text.isin(("true", "1", "yes"))
    if "lead_time" in frame.columns and frame["lead_time"].dtype == object:
        import pandas as pd

        frame["lead_time"] = pd.to_numeric(frame["lead_time"].replace("", None), errors="coerce")
    ordered = [*CODING_COLUMNS, *[c for c in frame.columns if c not in CODING_COLUMNS]]
    return frame[ordered].reset_index(drop=True)


def _row_number(index: int, header_rows: int) -> int:
    return index + 1 + header_rows


def _no_empty(frame: pd.DataFrame, column: str, source: str, header_rows: int) -> None:
    empty = frame.index[frame[column] == ""]
    if len(empty):
        row = _row_number(int(empty[0]), header_rows)
        raise CodingTableError(
            f"{source}: row {row}: column '{column}' is empty; every row needs a {column}"
        )


def _allowed(
    frame: pd.DataFrame, column: str, allowed: tuple[str, ...], source: str, header_rows: int
) -> None:
    if column not in frame.columns:
        return
    values = frame[column].str.lower()
    bad = frame.index[(values != "") & ~values.isin(allowed)]
    if len(bad):
        value = frame.at[bad[0], column]
        row = _row_number(int(bad[0]), header_rows)
        raise CodingTableError(
            f"{source}: row {row}: column '{column}' has '{value}'"
            f"{did_you_mean(value, allowed)}; allowed: {', '.join(allowed)} or empty"
        )
    frame[column] = values


def judged_rows(frame: pd.DataFrame, sources: tuple[str, ...] = ("human",)) -> pd.DataFrame:
    """Rows that are judgements by coders of the given sources.

    Rows whose ``status`` is ``skipped`` or ``cancelled`` are not judgements.
    A missing or empty ``source`` counts as ``human``.
    """
    keep = frame
    if "status" in keep.columns:
        keep = keep[~keep["status"].isin(("skipped", "cancelled"))]
    if "source" in keep.columns:
        src = keep["source"].replace("", "human")
        keep = keep[src.isin(sources)]
    elif "human" not in sources:
        keep = keep.iloc[0:0]
    return keep
