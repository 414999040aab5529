"""Spreadsheet formula injection: see :mod:`themeloop.safe_csv`, the one implementation.

Kept so that ``from themeloop.merge.safe_cells import neutralise`` still works.
"""

from __future__ import annotations

from themeloop.safe_csv import TRIGGERS, neutralise, unneutralise

__all__ = ["TRIGGERS", "neutralise", "unneutralise"]
