"""Variable names that SPSS and Stata both accept, chosen deterministically.

The rules are the intersection of the two formats, as checked against
pyreadstat 1.3 (``write_sav``, ``write_dta`` version 15):

* ASCII letters, digits and ``_`` only (Stata refuses ``.``, both refuse spaces);
* the first character is a letter (SPSS refuses a leading ``_``, both a digit);
* at most 32 characters (Stata's limit; SPSS allows 64), and at most 28 for a
  variable with value labels: pyreadstat names its value-label set
  ``<variable><n>`` and Stata limits that name to 32 characters too, so 28
  leaves room for 9,999 labelled variables;
* not a reserved word of either program (SPSS ``ALL``, ``BY``, ...; Stata ``in``,
  ``int``, ``_n``, ...);
* unique ignoring case (SPSS names are case-insensitive).

A name that breaks a rule is repaired the same way every time (unsafe
characters become ``_``, a leading digit or ``_`` gets a ``v``, long names are
cut), and a clash is resolved by appending ``_2``, ``_3``, ... in column
order, so reruns give the same names.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

MAX_NAME = 32
MAX_LABELLED_NAME = 28

_SPSS_RESERVED = {"all", "and", "by", "eq", "ge", "gt", "le", "lt", "ne", "not", "or", "to", "with"}
_STATA_RESERVED = {
    "_all", "_b", "byte", "_coef", "_cons", "double", "float", "if", "in", "int", "long", "_n",
    "_pi", "_pred", "_rc", "_skip", "strl", "using", "with",
}
_RESERVED = _SPSS_RESERVED | _STATA_RESERVED
_VALID = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_STR_TYPE = re.compile(r"^str[0-9]+$", re.IGNORECASE)


def is_valid_name(name: str, limit: int = MAX_NAME) -> bool:
    """True when ``name`` is a legal variable name in both SPSS and Stata.

    >>> [is_valid_name(n) for n in ["barriers__funding", "_x", "in", "a b", "x" * 33]]
    [True, False, False, False, False]
    """
    lowered = name.lower()
    return (
        len(name) <= limit and bool(_VALID.match(name)) and lowered not in _RESERVED
        and not _STR_TYPE.match(name)
    )


def repair_name(name: str, limit: int = MAX_NAME) -> str:
    """The nearest legal name: unsafe characters become ``_``, long names are cut.

    Cutting can make two names equal; :func:`unique_name` then numbers them.

    >>> repair_name("Org type (2024)")
    'Org_type_2024'
    >>> repair_name("1st")
    'v1st'
    >>> repair_name("in")
    'in_v'
    >>> repair_name("practice__family_group_conferencing", 28)
    'practice__family_group_confe'
    """
    ascii_name = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode()
    cleaned = re.sub(r"[^A-Za-z0-9_]+", "_", ascii_name).strip("_") or "v"
    if not cleaned[0].isalpha():
        cleaned = "v" + cleaned
    cleaned = cleaned[:limit].rstrip("_")
    if not is_valid_name(cleaned, limit):
        cleaned = f"{cleaned[: limit - 2]}_v"
    return cleaned


def unique_name(wanted: str, taken: set[str], limit: int = MAX_NAME) -> str:
    """``wanted`` made legal and unique against ``taken`` (lower-cased names), then reserved.

    ``taken`` is updated in place.

    >>> taken = {"barriers__funding"}
    >>> unique_name("barriers__funding", taken)
    'barriers__funding_2'
    """
    base = wanted if is_valid_name(wanted, limit) else repair_name(wanted, limit)
    candidate = base
    number = 2
    while candidate.lower() in taken:
        suffix = f"_{number}"
        candidate = f"{base[: limit - len(suffix)]}{suffix}"
        number += 1
    taken.add(candidate.lower())
    return candidate


def stat_names(columns: Iterable[str], labelled: Iterable[str] = ()) -> dict[str, str]:
    """Map every column to a legal, unique SPSS/Stata name.

    Names that are already legal keep their spelling (the first of a
    case-insensitive pair wins); the others are repaired in column order.
    Columns in ``labelled`` (those with value labels) get the shorter limit.

    >>> stat_names(["id", "org type", "ID", "barriers__funding"])
    {'id': 'id', 'org type': 'org_type', 'ID': 'ID_2', 'barriers__funding': 'barriers__funding'}
    """
    columns = [str(c) for c in columns]
    labelled = {str(c) for c in labelled}

    def limit(column: str) -> int:
        return MAX_LABELLED_NAME if column in labelled else MAX_NAME

    taken: set[str] = set()
    keep: set[str] = set()
    for column in columns:
        if is_valid_name(column, limit(column)) and column.lower() not in taken:
            taken.add(column.lower())
            keep.add(column)
    return {c: c if c in keep else unique_name(c, taken, limit(c)) for c in columns}
