"""Codes that differ only in case or spacing ("Funding" / "funding").

Such codes are almost always one code typed two ways, but every stage would
count them as two. :func:`variant_groups` finds them so that readers can say
so (a :class:`~themeloop.errors.CodeVariantWarning`, an error under ``--strict``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_SPACING = re.compile(r"[\s_]+")


def variant_key(code: str) -> str:
    """``code`` folded for comparison: case folded, runs of spaces and '_' as one space.

    >>> variant_key("Staff  Leave") == variant_key("staff_leave")
    True
    """
    return _SPACING.sub(" ", code.casefold()).strip()


def variant_groups(codes: Iterable[str]) -> list[list[str]]:
    """Groups of distinct codes that differ only in case or spacing, in first-seen order.

    >>> variant_groups(["Funding", "staff", "funding", "FUNDING", "risk"])
    [['Funding', 'funding', 'FUNDING']]
    >>> variant_groups(["a", "a", "b"])
    []
    """
    groups: dict[str, list[str]] = {}
    for code in dict.fromkeys(codes):
        if code:
            groups.setdefault(variant_key(code), []).append(code)
    return [group for group in groups.values() if len(group) > 1]


def joined(items: list[str]) -> str:
    """``a, b and c``.

    >>> joined(["'a'", "'b'", "'c'"])
    "'a', 'b' and 'c'"
    """
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
