"""Private files of the privacy stage, kept in ``.themeloop/privacy/`` with mode 0600.

The key (pseudonym -> original), the review file (detections with their
context) and the detection cache never leave this folder: no export, push,
log or report reads them.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

KEY_NAME = "key.json"
REVIEW_NAME = "review.csv"
CACHE_NAME = "detections.json"


def privacy_dir(state_dir: Path) -> Path:
    """``<project>/.themeloop/privacy``."""
    return Path(state_dir) / "privacy"


def text_hash(text: str) -> str:
    """A short sha256 of a text: the cache key, so the cache holds no text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def write_private(path: Path, data: str) -> Path:
    """Write ``data`` to ``path`` atomically with mode 0600 (its folder 0700)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def read_json(path: Path, default: Any) -> Any:
    path = Path(path)
    if not path.is_file():
        return default
    return json.loads(path.read_text(encoding="utf-8"))


def write_json_private(path: Path, data: Any) -> Path:
    return write_private(path, json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n")
