"""Adjudication: consensus rules that turn several coders' codes into one agreed table."""

from themeloop.adjudicate.output import write_adjudication
from themeloop.adjudicate.rules import (
    AdjudicationResult,
    adjudicate,
    fold_adjudicator_decisions,
    parse_rule,
)

__all__ = [
    "AdjudicationResult", "adjudicate", "fold_adjudicator_decisions", "parse_rule",
    "write_adjudication",
]
