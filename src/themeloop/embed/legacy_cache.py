"""The cache layout before SQLite (format 1), read once to migrate it.

Format 1 kept ``index.json`` (``{"format": 1, "shards": {"<name>.npy":
{"sha256": ..., "keys": [...]}}}``) next to one ``.npy`` shard per ``add``.
Its keys are the same as today's, so intact shards are moved into the SQLite
store as they are; a shard that fails its sha256 and an unreadable index are
dropped (their texts are simply encoded again).
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np

INDEX_NAME = "index.json"
FORMAT = 1


def has_legacy(folder: Path) -> bool:
    """True when ``folder`` holds a format-1 index or shards."""
    return (folder / INDEX_NAME).exists() or any(folder.glob("shard-*.npy"))


def read_legacy(folder: Path) -> Iterator[tuple[list[str], np.ndarray]]:
    """(keys, vectors) of each intact format-1 shard in ``folder``."""
    try:
        data = json.loads((folder / INDEX_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    shards = data.get("shards") if isinstance(data, dict) and data.get("format") == FORMAT else None
    if not isinstance(shards, dict):
        return
    for name, entry in sorted(shards.items()):
        if not isinstance(entry, dict) or "/" in str(name):
            continue
        array = _load_shard(folder / str(name), entry)
        if array is not None:
            yield [str(k) for k in entry["keys"]], array


def _load_shard(path: Path, entry: dict) -> np.ndarray | None:
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if hashlib.sha256(data).hexdigest() != entry.get("sha256"):
        return None
    try:
        array = np.load(io.BytesIO(data), allow_pickle=False)
    except ValueError:
        return None
    keys = entry.get("keys")
    if not isinstance(keys, list) or array.ndim != 2 or array.shape[0] != len(keys):
        return None
    return np.ascontiguousarray(array, dtype=np.float32)


def remove_legacy(folder: Path) -> None:
    """Delete the format-1 index and shards (after they were migrated)."""
    (folder / INDEX_NAME).unlink(missing_ok=True)
    for shard in folder.glob("shard-*.npy"):
        shard.unlink(missing_ok=True)
