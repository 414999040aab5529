"""Writing DataFrames to an XLSX workbook without creating formulas.

openpyxl stores any string that starts with ``=`` as a formula, and
``#N/A``, ``#REF!`` and the like as error values. Such strings are written
as explicit string cells, so an answer such as
``=HYPERLINK("http://x","y")`` stays inert text and reads back unchanged.
Every text a spreadsheet would read as a formula (the rule of
:func:`themeloop.safe_csv.formula_like`: ``= + - @``, tab, CR, LF and their
full-width forms, numbers excepted) also carries Excel's *quote prefix* (the
cell style ``quotePrefix``, what Excel stores when one types ``'=x``): the
value itself is unchanged, and Excel keeps it text even when the cell is
edited. Characters that XML forbids (control characters other than tab,
newline and carriage return) cannot be stored in XLSX at all and are removed
(:func:`xlsx_text`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from themeloop._io import write_with
from themeloop.merge.stable import stable_xlsx
from themeloop.safe_csv import formula_like


def xlsx_text(text: str) -> str:
    """A text as XLSX stores it: without the control characters XML 1.0 forbids.

    >>> xlsx_text("a\\x00b\\x0bc\\td")
    'abc\\td'
    """
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("", text)


def _plain(value: Any) -> Any:
    """A Python scalar openpyxl can store; ``None`` for every kind of missing."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
        if isinstance(value, float) and math.isnan(value):
            return None
    return value


def _column_values(values: pd.Series, cell: Any) -> list[Any]:
    """One column as plain Python values; only text goes through the per-cell check."""
    if pd.api.types.is_integer_dtype(values) or pd.api.types.is_bool_dtype(values):
        return values.astype(object).where(values.notna(), None).tolist()
    if pd.api.types.is_float_dtype(values):
        return [None if math.isnan(v) else v for v in values.to_numpy(dtype=float)]
    return [cell(v) for v in values.astype(object)]


def write_sheets(path: str | Path, sheets: Mapping[str, pd.DataFrame]) -> Path:
    """Write each frame to its own sheet (header row first), atomically."""

    def writer(tmp: Path) -> None:
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE

        book = Workbook(write_only=True)
        for title, frame in sheets.items():
            sheet = book.create_sheet(title)

            def cell(value: Any, sheet: Any = sheet) -> Any:
                value = _plain(value)
                if not isinstance(value, str):
                    return value
                text = ILLEGAL_CHARACTERS_RE.sub("", value)
                risky = formula_like(text)
                # openpyxl would store "=..." as a formula and "#N/A" etc. as an error
                if not risky and text not in ERROR_CODES:
                    return text
                out = WriteOnlyCell(sheet, value=text)
                out.data_type = "s"  # kept as text: never a formula
                out.quotePrefix = risky
                return out

            sheet.append([cell(str(c)) for c in frame.columns])
            columns = [_column_values(frame.iloc[:, j], cell) for j in range(frame.shape[1])]
            for row in zip(*columns, strict=True):
                sheet.append(row)
        book.save(tmp)
        stable_xlsx(tmp)

    return write_with(path, writer)
