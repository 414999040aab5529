"""Read an XLSX survey sheet and say what a plain read would hide.

pandas reads a merged range as one value in its top-left cell and blanks
elsewhere, and a formula whose value was never saved (a file written by a
script, not by Excel) as a blank. :func:`read_xlsx` reads the sheet as pandas
does, then warns about both, naming the cells, and records every formula
cell so that :func:`themeloop.survey.load_survey` can refuse a formula id.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd

from themeloop.errors import SpreadsheetCellWarning, SurveyError, did_you_mean

MAX_NAMED = 5  # cells or ranges a message lists before "and N more"


def sheet_names(path: Path) -> list[str]:
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        return list(book.sheetnames)
    finally:
        book.close()


def read_xlsx(path: Path, sheet: str | None) -> tuple[pd.DataFrame, str, dict[str, list[str]]]:
    """The sheet as text, its name, and its formula cells by column header.

    Warns (:class:`SpreadsheetCellWarning`) about merged ranges and about
    formula cells without a saved value.

    Raises
    ------
    SurveyError
        No such sheet, or two columns with the same header.
    """
    names = sheet_names(path)
    if sheet is not None and sheet not in names:
        raise SurveyError(
            f"{path}: no sheet '{sheet}'{did_you_mean(sheet, names)}; sheets are: {', '.join(names)}"
        )
    name = sheet or names[0]
    headers, merged, formulas = _inspect_sheet(path, name)
    _check_headers(path, name, headers)
    frame = pd.read_excel(path, sheet_name=name, dtype=str, keep_default_na=False,
                          engine="openpyxl").fillna("")
    where = f"{path}: sheet '{name}'"
    if merged:
        warnings.warn(f"{where}: merged cells {_listed(merged)} are read as one value in the "
                      "top-left cell and blanks in the others; unmerge them and fill every cell",
                      SpreadsheetCellWarning, stacklevel=4)
    uncached = _uncached(path, name, [c for cells in formulas.values() for c in cells])
    if uncached:
        what = ("formula cell {} has no saved value and is read as a blank" if len(uncached) == 1
                else "formula cells {} have no saved value and are read as blanks")
        warnings.warn(f"{where}: {what.format(_listed(uncached))}; open the file in Excel or "
                      "LibreOffice and save it, or paste the values", SpreadsheetCellWarning,
                      stacklevel=4)
    by_header = {headers.get(col, ""): cells for col, cells in formulas.items()}
    return frame, name, by_header


def _inspect_sheet(path: Path, name: str) -> tuple[dict[str, str], list[str], dict[str, list[str]]]:
    """Header text by column letter, merged ranges, and formula cells by column letter."""
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=False, data_only=False)
    try:
        ws = book[name]
        merged = [str(r) for r in ws.merged_cells.ranges if r.size["rows"] * r.size["columns"] > 1]
        headers: dict[str, str] = {}
        formulas: dict[str, list[str]] = {}
        for row in ws.iter_rows(min_row=ws.min_row):
            for cell in row:
                if cell.row == ws.min_row and cell.value is not None:
                    headers[cell.column_letter] = _text(cell.value)
                elif cell.data_type == "f":
                    formulas.setdefault(cell.column_letter, []).append(cell.coordinate)
    finally:
        book.close()
    return headers, sorted(merged, key=_order), formulas


def _uncached(path: Path, name: str, cells: list[str]) -> list[str]:
    """The formula cells among ``cells`` whose saved value is empty."""
    if not cells:
        return []
    import openpyxl

    wanted = set(cells)
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        empty = [cell.coordinate for row in book[name].iter_rows() for cell in row
                 if getattr(cell, "coordinate", None) in wanted and cell.value in (None, "")]
    finally:
        book.close()
    return sorted(empty, key=_order)


def _check_headers(path: Path, name: str, headers: dict[str, str]) -> None:
    first: dict[str, str] = {}
    for column, header in headers.items():
        if header == "":
            continue
        if header in first:
            raise SurveyError(
                f"{path}: sheet '{name}': columns {first[header]} and {column} are both named "
                f"'{header}'; rename one so that every column has its own name"
            )
        first[header] = column


def _text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _order(ref: str) -> tuple[int, int]:
    """Sort cells and ranges row by row, as a reader scans a sheet."""
    from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

    letters, row = coordinate_from_string(ref.split(":")[0])
    return row, column_index_from_string(letters)


def _listed(refs: list[str]) -> str:
    more = f" and {len(refs) - MAX_NAMED} more" if len(refs) > MAX_NAMED else ""
    return ", ".join(refs[:MAX_NAMED]) + more
