"""Plain JSON values for ledger events: canonical JSON, timestamps, missing values."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from themeloop.errors import AuditError

_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                            allow_nan=False)


def canonical(data: Any) -> str:
    """Canonical JSON: sorted keys, no spaces, UTF-8, no NaN."""
    return _ENCODER.encode(data)


def is_missing(value: Any) -> bool:
    """None, NaN, pandas NA or NaT."""
    if value is None or type(value).__name__ in ("NAType", "NaTType"):
        return True
    try:
        return bool(value != value)  # noqa: PLR0124  (NaN and NaT are not equal to themselves)
    except (TypeError, ValueError):
        return False


def plain(value: Any) -> Any:
    """JSON-plain copy of ``value``: numpy/pandas scalars, dates, NaN -> None."""
    kind = type(value)
    if kind is str or kind is bool or kind is int:
        return value
    if kind is float:
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, (bool, str)):
        return value
    if not isinstance(value, (Mapping, list, tuple, set, frozenset)) and is_missing(value):
        return None
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [plain(v) for v in value]
        return sorted(items, key=canonical) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, (datetime, date)):
        return format_timestamp(value)
    if hasattr(value, "tolist"):  # numpy scalar or array
        return plain(value.tolist())
    if hasattr(value, "isoformat"):  # pandas Timestamp
        return format_timestamp(value)
    return str(value)


def format_timestamp(value: Any) -> str:
    """ISO 8601 UTC with a ``Z``: ``2026-03-01T10:15:00Z``.

    Naive times are taken as UTC. Raises :class:`AuditError` for text that is
    not an ISO 8601 time.
    """
    if isinstance(value, str):
        return _format_text(value)
    if hasattr(value, "to_pydatetime"):
        moment = value.to_pydatetime()
    elif isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    else:
        raise AuditError(f"timestamp {value!r} is not a time; use e.g. 2026-03-01T10:15:00Z")
    return _format_datetime(moment)


@lru_cache(maxsize=4096)
def _format_text(value: str) -> str:
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise AuditError(
            f"timestamp '{value}' is not ISO 8601; use e.g. 2026-03-01T10:15:00Z"
        ) from None
    return _format_datetime(moment)


def _format_datetime(moment: datetime) -> str:
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    text = moment.isoformat(timespec="microseconds" if moment.microsecond else "seconds")
    return text + "Z"


def parse_timestamp(value: Any) -> datetime:
    """A naive UTC datetime from anything :func:`format_timestamp` accepts."""
    return datetime.fromisoformat(format_timestamp(value)[:-1])
