"""Writing DataFrames to an XLSX workbook without creating formulas.

openpyxl stores any string that starts with ``=`` as a formula. Here every
string is written as an explicit string cell, so an answer such as
``=HYPERLINK("http://x","y")`` stays inert text and reads back unchanged.
Characters that XML forbids (control characters other than tab, newline and
carriage return) cannot be stored in XLSX at all and are removed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from themeloop._io import write_with
from themeloop.merge.stable import stable_xlsx


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


def write_sheets(path: str | Path, sheets: Mapping[str, pd.DataFrame]) -> Path:
    """Write each frame to its own sheet (header row first), atomically."""

    def writer(tmp: Path) -> None:
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        book = Workbook(write_only=True)
        for title, frame in sheets.items():
            sheet = book.create_sheet(title)

            def cell(value: Any, sheet: Any = sheet) -> Any:
                value = _plain(value)
                if not isinstance(value, str):
                    return value
                text = ILLEGAL_CHARACTERS_RE.sub("", value)
                out = WriteOnlyCell(sheet, value=text)
                out.data_type = "s"  # never a formula, whatever the text starts with
                return out

            sheet.append([cell(str(c)) for c in frame.columns])
            for row in frame.itertuples(index=False, name=None):
                sheet.append([cell(v) for v in row])
        book.save(tmp)
        stable_xlsx(tmp)

    return write_with(path, writer)
