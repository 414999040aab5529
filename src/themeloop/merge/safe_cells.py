"""Spreadsheet formula injection: neutralising cells before they reach Excel.

A spreadsheet program treats a cell that starts with ``=``, ``+``, ``-`` or
``@`` (and, in some programs, a tab or carriage return) as a formula, so a
survey answer such as ``=HYPERLINK("http://x","y")`` would become a live link
when the CSV is opened. Before writing CSV, every text cell that starts with
one of these characters gets a leading apostrophe (``'``), which spreadsheets
display as text. Plain numbers (``-5``, ``+1.5e3``) are left alone: they are
not formulas.

The transformation is reversible: a text that already starts with
apostrophes followed by a trigger character gets one more, and
:func:`unneutralise` removes exactly one.
"""

from __future__ import annotations

import re

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def _risky(text: str) -> bool:
    return text.startswith(TRIGGERS) and not _NUMBER.match(text)


def neutralise(text: str) -> str:
    """Prefix ``'`` to a text a spreadsheet would read as a formula.

    >>> neutralise('=HYPERLINK("http://x","y")')
    '\\'=HYPERLINK("http://x","y")'
    >>> neutralise("-5"), neutralise("- cost"), neutralise("plain")
    ('-5', "'- cost", 'plain')
    """
    return "'" + text if _risky(text.lstrip("'")) else text


def unneutralise(text: str) -> str:
    """Undo :func:`neutralise` (for reading an exported CSV back).

    >>> unneutralise(neutralise("=1+1")), unneutralise(neutralise("'=1"))
    ('=1+1', "'=1")
    """
    return text[1:] if text.startswith("'") and _risky(text.lstrip("'")) else text
