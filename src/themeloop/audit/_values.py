"""Ledger building blocks: canonical JSON, event ids and hashes, plain values, UTC timestamps."""

from __future__ import annotations

import hashlib
import hmac
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


GENESIS = "0" * 64
CONTENT_FIELDS = (
    "response_id", "question", "code", "action", "actor", "source", "timestamp",
    "codebook_version", "manifest_id", "detail",
)
CHAIN_FIELDS = ("seq", "event_id", "prev_hash", "hash")
MAC_FIELD = "mac"  # outside the hash: the chain is the same whatever the key
_MAC_CONTEXT = b"themeloop-ledger-v1:"


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def event_hash(record: Mapping[str, Any]) -> str:
    """sha256 of ``record``'s canonical JSON without its ``hash`` and ``mac`` fields."""
    return sha256_text(canonical({k: v for k, v in record.items() if k not in ("hash", MAC_FIELD)}))


def event_mac(key: bytes, hash_: str) -> str:
    """HMAC-SHA256 of an event's ``hash`` under the ledger key.

    The hash covers the content, ``seq`` and ``prev_hash``, so the MAC
    authenticates the event and, through ``prev_hash``, every event before it.

    Examples
    --------
    >>> event_mac(bytes(32), "0" * 64)[:16]
    '5eb58e8b8c43a3f5'
    """
    return hmac.new(key, _MAC_CONTEXT + hash_.encode("ascii"), hashlib.sha256).hexdigest()


def mac_matches(key: bytes, hash_: str, mac: Any) -> bool:
    """Constant-time check of an event's ``mac``."""
    return isinstance(mac, str) and hmac.compare_digest(event_mac(key, hash_), mac)


def event_id(content: Mapping[str, Any]) -> str:
    """Deterministic id of an event: sha256 of its content fields (first 32 hex)."""
    return sha256_text(canonical({k: content.get(k) for k in CONTENT_FIELDS}))[:32]


def chained_body(content_json: str, eid: str, prev_hash: str, seq: int) -> str:
    """``canonical(record without hash)``, spliced from the content's canonical JSON.

    Saves a second JSON encoding per event. The chain fields slot in between
    top-level keys in sorted order (``event_id`` before ``manifest_id``,
    ``prev_hash`` before ``question``, ``seq`` before ``source``). Those keys
    follow ``detail``, the only nested value, so their last occurrence is the
    top-level one; inside a JSON string a quote is always escaped, so the
    pattern cannot come from a value.
    """
    m = content_json.rindex(',"manifest_id":')
    q = content_json.rindex(',"question":')
    s = content_json.rindex(',"source":')
    return (f'{content_json[:m]},"event_id":"{eid}"{content_json[m:q]},"prev_hash":"{prev_hash}"'
            f'{content_json[q:s]},"seq":{seq}{content_json[s:]}')


def is_missing(value: Any) -> bool:
    """None, NaN, pandas NA or NaT."""
    if value is None or type(value).__name__ in ("NAType", "NaTType"):
        return True
    try:
        return bool(value != value)
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
