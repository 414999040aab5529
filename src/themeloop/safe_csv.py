"""The one CSV writer and reader for every CSV themeloop writes.

**Quoting.** A field is quoted (``"..."``, inner quotes doubled) when it
holds the delimiter, a quote, a line feed or a carriage return, a lone
``\\r`` included: Python's :mod:`csv` module (3.11) quotes only the
characters of its line terminator, so a bare ``\\r`` used to end the row for
every reader and turn 41 respondents into 42 rows. A field that starts with a
byte-order mark (U+FEFF) is quoted too, or a reader would take it for the
file's own and drop it. A one-column row whose only field is empty or blank
is quoted (``""``) so that it is not read as a blank line and dropped. Rows
end in ``\\n``; the file is UTF-8 without a byte-order mark. Numbers, booleans
and dates are formatted by pandas, so for text without these characters the
bytes are those of ``DataFrame.to_csv(index=False, lineterminator="\\n")``.

**Formula neutralisation.** A spreadsheet runs a cell that starts with
``=``, ``+``, ``-``, ``@``, a tab, a carriage return or a line feed (and, in
East Asian locales, their full-width forms U+FF1D, U+FF0B, U+FF0D, U+FF20
and small forms U+FE66, U+FE62, U+FE63, U+FE6B) as a formula, so an answer such as ``=HYPERLINK("http://x","y")`` would
become a live link when the CSV is opened. Every such text cell, and every
such header, gets a leading apostrophe (``'``), which spreadsheets show as
text. A cell that is exactly a number (``-3``, ``+1.5e3``, ``-.5``, and
``inf``/``nan`` as pandas writes non-finite floats) is left alone, in a
numeric column and in a text column alike: a spreadsheet reads it as that
number, never as a formula; ``-3 apples`` or ``-3+4`` is neutralised. A
text that already starts with apostrophes before a trigger character gets
one more, so the change is reversible: :func:`unneutralise` removes exactly
one. ``raw=True`` writes the text exactly as it is (for a machine reader).

**Reading back.** :func:`read_csv` undoes the neutralisation. With
``raw=None`` (the default) it decides per file: a file holding a text cell
or header that starts with a trigger *without* the apostrophe cannot be
neutralised output (themeloop never writes one), so it is read exactly as it
is; otherwise one apostrophe is removed before every trigger. The one text
this cannot tell apart: a raw file in which no cell starts with a trigger but
some cell starts with ``'`` and then a trigger (``'=x``) loses that
apostrophe; pass ``raw=True`` to keep it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from themeloop._io import write_text_atomic

#: Characters that make a spreadsheet read a cell as a formula when they come first.
TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n",
            "\uff1d", "\uff0b", "\uff0d", "\uff20",  # full-width = + - @
            "\ufe66", "\ufe62", "\ufe63", "\ufe6b")  # small = + - @
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
                     r"|[+-]?(?:inf|infinity|nan)", re.IGNORECASE)
_SPECIAL = re.compile(r'[",\r\n]')


def formula_like(text: str) -> bool:
    """True for a text a spreadsheet would run as a formula: a trigger first, not a number.

    >>> formula_like("=1"), formula_like("-3"), formula_like("-3 apples"), formula_like("'=1")
    (True, False, True, False)
    """
    return text.startswith(TRIGGERS) and not _NUMBER.fullmatch(text)



def neutralise(text: str) -> str:
    """Prefix ``'`` to a text a spreadsheet would read as a formula.

    >>> neutralise('=HYPERLINK("http://x","y")')
    '\\'=HYPERLINK("http://x","y")'
    >>> neutralise("-5"), neutralise("- cost"), neutralise("plain"), neutralise("\uff1d1")
    ('-5', "'- cost", 'plain', "'\uff1d1")
    """
    return "'" + text if formula_like(text.lstrip("'")) else text


def unneutralise(text: str) -> str:
    """Undo :func:`neutralise` (for reading an exported CSV back).

    >>> unneutralise(neutralise("=1+1")), unneutralise(neutralise("'=1")), unneutralise("'x")
    ('=1+1', "'=1", "'x")
    """
    return text[1:] if text.startswith("'") and formula_like(text.lstrip("'")) else text


def _text_positions(frame: pd.DataFrame) -> list[int]:
    out = []
    for j in range(frame.shape[1]):
        values = frame.iloc[:, j]
        if not (pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)
                or pd.api.types.is_datetime64_any_dtype(values)):
            out.append(j)
    return out


def text_columns(frame: pd.DataFrame) -> list[Any]:
    """Columns whose cells are written as text (not numbers, booleans or dates)."""
    return [frame.columns[j] for j in _text_positions(frame)]


_FIRST = ("'", *TRIGGERS)


def _missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and value != value


def _text_cells(values: Iterable[object], raw: bool) -> list[str]:
    cells = ["" if _missing(v) else str(v) for v in values]
    return cells if raw else [neutralise(c) if c.startswith(_FIRST) else c for c in cells]


def _other_lines(frame: pd.DataFrame) -> list[str]:
    """Numbers, booleans and dates exactly as pandas writes them, one joined line per row.

    None of them ever needs quoting, so a run of such columns is one segment of each row.
    """
    lines = frame.to_csv(index=False, header=False, lineterminator="\n").split("\n")[:-1]
    if frame.shape[1] == 1:  # pandas writes a lone missing value as ""
        return ["" if line == '""' else line for line in lines]
    return lines


def _runs(text: set[int], width: int) -> list[tuple[bool, list[int]]]:
    """Consecutive column positions grouped by whether they are text."""
    runs: list[tuple[bool, list[int]]] = []
    for j in range(width):
        if runs and runs[-1][0] == (j in text):
            runs[-1][1].append(j)
        else:
            runs.append((j in text, [j]))
    return runs


def _quote(cell: str) -> str:
    # a byte-order mark first would be taken for the file's and dropped by readers
    if _SPECIAL.search(cell) or cell.startswith("\ufeff"):
        return '"' + cell.replace('"', '""') + '"'
    return cell


def csv_text(frame: pd.DataFrame, *, raw: bool = False) -> str:
    """``frame`` as CSV text (header row first, no index), neutralised unless ``raw``.

    >>> csv_text(pd.DataFrame({"id": ["=1", "a\\rb"], "n": [-3, 4]}))
    'id,n\\n\\'=1,-3\\n"a\\rb",4\\n'
    """
    text = set(_text_positions(frame))
    segments: list[list[str]] = []
    for is_text, positions in _runs(text, frame.shape[1]):
        if is_text:
            segments += [[_quote(c) for c in _text_cells(frame.iloc[:, j].astype(object), raw)]
                         for j in positions]
        else:
            segments.append(_other_lines(frame.iloc[:, positions]))
    header = [_quote(c) for c in _text_cells(frame.columns, raw)]
    rows: list[Iterable[str]] = [header, *zip(*segments, strict=True)]
    if frame.shape[1] == 1:  # an empty or blank lone field must not read as a blank line
        rows = [[f'"{cell}"' if cell == "" or cell.isspace() else cell for cell in row]
                for row in rows]
    return "".join(",".join(row) + "\n" for row in rows)


def write_csv(frame: pd.DataFrame, path: str | os.PathLike[str], *, raw: bool = False) -> Path:
    """Write ``frame`` with :func:`csv_text` to ``path`` atomically; return the path."""
    return write_text_atomic(path, csv_text(frame, raw=raw))


def _starting(values: pd.Series, prefixes: tuple[str, ...]) -> np.ndarray:
    """Where the text cells of ``values`` start with one of ``prefixes`` (vectorised)."""
    if not len(values):
        return np.zeros(0, dtype=bool)
    return values.astype(object).str.startswith(prefixes, na=False).to_numpy(dtype=bool)


def looks_neutralised(frame: pd.DataFrame) -> bool:
    """False when a text cell or header starts with a trigger un-neutralised (a raw file)."""
    if any(formula_like(str(c)) for c in frame.columns):
        return False
    for j in _text_positions(frame):
        values = frame.iloc[:, j].to_numpy(dtype=object)
        if any(formula_like(v) for v in values[_starting(frame.iloc[:, j], TRIGGERS)]):
            return False
    return True


def unneutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with :func:`unneutralise` applied to its headers and text cells."""
    out = frame.copy()
    out.columns = [unneutralise(c) if isinstance(c, str) else c for c in frame.columns]
    for j in _text_positions(frame):
        marked = _starting(frame.iloc[:, j], ("'",))
        if marked.any():
            values = frame.iloc[:, j].to_numpy(dtype=object).copy()
            values[marked] = [unneutralise(v) for v in values[marked]]
            out.isetitem(j, pd.Series(values, index=frame.index).astype(frame.iloc[:, j].dtype))
    return out


def read_csv(
    source: str | os.PathLike[str] | IO[str], *, raw: bool | None = None, dtype: Any = str,
) -> pd.DataFrame:
    """Read a CSV themeloop wrote (every cell text by default), undoing the neutralisation.

    ``raw=None`` decides per file (see the module docstring), ``True`` reads
    it as it is, ``False`` always undoes the neutralisation. Empty cells stay
    ``""``. Raises what :func:`pandas.read_csv` raises.
    """
    frame = pd.read_csv(source, dtype=dtype, keep_default_na=False, encoding="utf-8")
    if raw or (raw is None and not looks_neutralised(frame)):
        return frame
    return unneutralise_frame(frame)


def resolve_raw(flag: bool | None, project: Any = None) -> bool:
    """``--raw`` when given, else the project's ``[export] raw``, else False."""
    if flag is not None:
        return flag
    export = getattr(getattr(project, "config", None), "export", None)
    return bool(getattr(export, "raw", False))
