"""Respondents' attributes as REFI-QDA Variables with a type, and their values per Case.

A column's type is read from its values, since a CSV reads every cell as text:
all integers -> Integer, all numbers -> Float, all ``true``/``false`` ->
Boolean, all ISO dates (``2021-02-01``) -> Date, all ISO date-times ->
DateTime, else Text. Empty cells are missing values (no VariableValue).
``yes``/``no`` stays Text: surveys often add "don't know", and the words are
what respondents saw.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

TYPES = ("Text", "Boolean", "Integer", "Float", "Date", "DateTime")
_INT = re.compile(r"^[+-]?\d+$")
_FLOAT = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_BOOL = {"true": "true", "false": "false"}
_ELEMENT = {"Text": "TextValue", "Boolean": "BooleanValue", "Integer": "IntegerValue",
            "Float": "FloatValue", "Date": "DateValue", "DateTime": "DateTimeValue"}


def value_text(value: Any) -> str:
    """A cell as text; missing values are ``""``."""
    if value is None:
        return ""
    if isinstance(value, float) and value != value:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    return "" if text in ("NaT", "nan", "<NA>") else text


def infer_type(values: pd.Series) -> str:
    """The REFI-QDA ``typeOfVariable`` of a column.

    Examples
    --------
    >>> import pandas as pd
    >>> [infer_type(pd.Series(v)) for v in (["1", "2", ""], ["1.5", "2"], ["True", "false"],
    ...                                      ["2021-02-01"], ["yes", "no"], ["007", "12"])]
    ['Integer', 'Float', 'Boolean', 'Date', 'Text', 'Text']
    """
    import pandas as pd

    if pd.api.types.is_bool_dtype(values):
        return "Boolean"
    if pd.api.types.is_integer_dtype(values):
        return "Integer"
    if pd.api.types.is_datetime64_any_dtype(values):
        texts = [value_text(v) for v in values]
        return "Date" if all(t.endswith("T00:00:00") or not t for t in texts) else "DateTime"
    texts = [t for t in (value_text(v) for v in values) if t]
    if not texts:
        return "Text"
    if all(t.lower() in _BOOL for t in texts):
        return "Boolean"
    if any(_leading_zero(t) for t in texts):
        return "Text"  # "007", "01234": codes, not numbers; keep their zeros
    if all(_INT.match(t) for t in texts):
        return "Integer"
    if all(_FLOAT.match(t) for t in texts):
        return "Float"
    if all(_DATE.match(t) and _is_date(t) for t in texts):
        return "Date"
    if all(_is_datetime(t) for t in texts):
        return "DateTime"
    return "Text"


def _leading_zero(text: str) -> bool:
    digits = text.lstrip("+-")
    return len(digits) > 1 and digits[0] == "0" and digits[1].isdigit()


def typed_value(text: str, kind: str) -> tuple[str, str]:
    """The value element's name and its text in XML Schema's lexical form."""
    if kind == "Boolean":
        return _ELEMENT[kind], text.lower()
    if kind == "Integer":
        return _ELEMENT[kind], str(int(text))
    if kind == "Float":
        return _ELEMENT[kind], _decimal(text)
    if kind == "Date":
        return _ELEMENT[kind], text[:10]
    if kind == "DateTime":
        return _ELEMENT[kind], datetime.fromisoformat(text.replace("Z", "+00:00")).isoformat()
    return _ELEMENT["Text"], text


def _decimal(text: str) -> str:
    """xsd:decimal has no exponent: ``1e3`` -> ``1000``."""
    from decimal import Decimal

    value = Decimal(text.strip())
    out = format(value, "f")
    return out


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _is_datetime(text: str) -> bool:
    if "T" not in text and " " not in text:
        return False
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def xsd_datetime(text: str) -> str | None:
    """``text`` as an ``xsd:dateTime`` (for ``creationDateTime``), or None when it is not one.

    Examples
    --------
    >>> xsd_datetime("2021-02-01T09:52:48Z")
    '2021-02-01T09:52:48Z'
    >>> xsd_datetime("2021-02-01 09:52:48+01:00")
    '2021-02-01T09:52:48+01:00'
    >>> xsd_datetime("yesterday") is None
    True
    """
    text = (text or "").strip()
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    out = parsed.isoformat()
    if text.endswith("Z") and out.endswith("+00:00"):
        out = out[:-6] + "Z"
    return out
