"""A content-hash cache of embeddings on disk.

Layout of the cache folder::

    index.json          {"format": 1, "shards": {"<name>.npy": {"sha256": ..., "keys": [...]}}}
    <name>.npy          float32 array, one row per key, in the order of "keys"

A key is the sha256 of the model id, model checksum, precision and text, so a
changed answer, model or precision never reuses a stale vector. Every shard's
sha256 is checked before it is used: a corrupted or truncated shard is dropped
(and its texts are encoded again), never trusted.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from pathlib import Path

import numpy as np

from themeloop._io import write_bytes_atomic, write_text_atomic

INDEX_NAME = "index.json"
FORMAT = 1


def cache_key(model_id: str, checksum: str, precision: str, text: str) -> str:
    """The cache key of one text under one model and precision."""
    payload = f"{model_id}\0{checksum}\0{precision}\0{text}".encode("utf-8", "surrogatepass")
    return hashlib.sha256(payload).hexdigest()


class EmbeddingCache:
    """Read and extend the shards in ``folder``.

    Attributes
    ----------
    rebuilt_shards : names of shards found corrupt and dropped by :meth:`lookup`.
    """

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)
        self.rebuilt_shards: list[str] = []
        self._index = self._read_index()

    def _read_index(self) -> dict:
        path = self.folder / INDEX_NAME
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {"format": FORMAT, "shards": {}}
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            return {"format": FORMAT, "shards": {}}
        shards = data.get("shards")
        return {"format": FORMAT, "shards": shards if isinstance(shards, dict) else {}}

    def _write_index(self) -> None:
        write_text_atomic(self.folder / INDEX_NAME, json.dumps(self._index, sort_keys=True))

    def _load_shard(self, name: str, entry: dict) -> np.ndarray | None:
        """The shard's array, or ``None`` when it is missing or fails its checksum."""
        path = self.folder / name
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
        keys = entry.get("keys", [])
        if array.ndim != 2 or array.shape[0] != len(keys):
            return None
        return array

    def lookup(self, keys: list[str]) -> dict[str, np.ndarray]:
        """Vectors for those of ``keys`` that the cache holds intact."""
        wanted = set(keys)
        found: dict[str, np.ndarray] = {}
        dropped = []
        for name, entry in sorted(self._index["shards"].items()):
            shard_keys = entry.get("keys", [])
            rows = [i for i, k in enumerate(shard_keys) if k in wanted and k not in found]
            if not rows:
                continue
            array = self._load_shard(name, entry)
            if array is None:
                dropped.append(name)
                continue
            for i in rows:
                found[shard_keys[i]] = array[i]
        if dropped:
            for name in dropped:
                del self._index["shards"][name]
                (self.folder / name).unlink(missing_ok=True)
            self.rebuilt_shards.extend(dropped)
            self._write_index()
        return found

    def add(self, keys: list[str], vectors: np.ndarray) -> None:
        """Store ``vectors`` (one row per key) as a new shard."""
        if not keys:
            return
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        buffer = io.BytesIO()
        np.save(buffer, vectors, allow_pickle=False)
        data = buffer.getvalue()
        digest = hashlib.sha256(data).hexdigest()
        name = f"shard-{digest[:16]}.npy"
        write_bytes_atomic(self.folder / name, data)
        self._index["shards"][name] = {"sha256": digest, "keys": list(keys)}
        self._write_index()

    def __len__(self) -> int:
        return sum(len(e.get("keys", [])) for e in self._index["shards"].values())
