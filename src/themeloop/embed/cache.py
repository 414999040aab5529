"""A content-hash cache of embeddings on disk: one SQLite file of float32 vectors.

Layout of the cache folder::

    vectors.sqlite      table vectors(key TEXT UNIQUE, vector BLOB, crc INTEGER)
    vectors.sqlite-wal  SQLite's write-ahead log (and -shm, its index)
    .lock               held only while the file is created, migrated or rebuilt

A key is the sha256 of the model id, model checksum, precision (and runtime)
and text, so a changed answer, model, precision or runtime never reuses a
stale vector. A vector is its float32 bytes; ``crc`` is the CRC-32 of key and
bytes, checked on every read.

Why this shape: adding N vectors is one transaction of N inserts (O(N), not
O(cache) as rewriting an index was), and looking up N keys is N index
searches. SQLite's write-ahead log lets two processes read and write at once
(writers take turns; readers never wait). What can go wrong is caught:

* a vector that fails its CRC is deleted and reported (its text is encoded again);
* a file SQLite cannot read ("file is not a database", "database disk image is
  malformed") is deleted and started afresh, and reported in :attr:`rebuilt`.

The cache must live on a local disk: SQLite's write-ahead log needs shared
memory, which network file systems do not give.

The layout before this one (format 1: ``index.json`` and ``.npy`` shards) is
migrated on first use (:mod:`themeloop.embed.legacy_cache`).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from themeloop.embed import legacy_cache

DB_NAME = "vectors.sqlite"
FORMAT = 2
# Keys per SELECT ... IN (...): under SQLite's oldest default limit of 999 variables.
_CHUNK = 900
_BUSY_MS = 120_000


def cache_key(model_id: str, checksum: str, precision: str, text: str) -> str:
    """The cache key of one text under one model and precision.

    Examples
    --------
    >>> cache_key("m", "c", "fp32", "hello")[:12]
    'd06276d50c75'
    """
    payload = f"{model_id}\0{checksum}\0{precision}\0{text}".encode("utf-8", "surrogatepass")
    return hashlib.sha256(payload).hexdigest()


def _crc(key: str, vector: bytes) -> int:
    return zlib.crc32(vector, zlib.crc32(key.encode("utf-8", "surrogatepass")))


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path``, across processes."""
    import fcntl

    with open(path, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


class EmbeddingCache:
    """Read and extend the vector store in ``folder``.

    Nothing is created until something is added. Use it as a context manager,
    or call :meth:`close`, to release the file.

    Attributes
    ----------
    rebuilt : why the store was deleted and started afresh, one entry per time.
    n_dropped : vectors that failed their checksum and were deleted by :meth:`lookup`.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp, EmbeddingCache(tmp) as cache:
    ...     cache.add(["k1", "k2"], np.eye(2, 3, dtype=np.float32))
    ...     found = cache.lookup(["k2", "k3"])
    ...     sorted(found), found["k2"].tolist(), len(cache)
    (['k2'], [0.0, 1.0, 0.0], 2)
    """

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)
        self.path = self.folder / DB_NAME
        self.rebuilt: list[str] = []
        self.n_dropped = 0
        self._conn: sqlite3.Connection | None = None

    # -- connection -------------------------------------------------------

    def _connect(self, create: bool) -> sqlite3.Connection | None:
        if self._conn is not None:
            return self._conn
        if not create and not self.path.exists() and not legacy_cache.has_legacy(self.folder):
            return None
        self.folder.mkdir(parents=True, exist_ok=True)
        try:
            self._conn = self._open()
        except sqlite3.DatabaseError as exc:
            self._rebuild(exc)
        return self._conn

    def _open(self) -> sqlite3.Connection:
        with _locked(self.folder / ".lock"):
            conn = sqlite3.connect(self.path, timeout=_BUSY_MS / 1000, isolation_level=None)
            try:
                self._set_up(conn)
            except BaseException:
                conn.close()
                raise
        return conn

    def _set_up(self, conn: sqlite3.Connection) -> None:
        conn.execute(f"PRAGMA busy_timeout = {_BUSY_MS}")
        conn.execute("PRAGMA journal_mode = WAL")
        # A crash loses at most the last add; it never corrupts the file.
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA cache_size = -65536")  # 64 MB of pages per connection
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT)")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS vectors (id INTEGER PRIMARY KEY, "
                "key TEXT NOT NULL UNIQUE, vector BLOB NOT NULL, crc INTEGER NOT NULL)"
            )
            row = conn.execute("SELECT value FROM meta WHERE name = 'format'").fetchone()
            if row is None:
                conn.execute("INSERT INTO meta VALUES ('format', ?)", (str(FORMAT),))
            elif row[0] != str(FORMAT):
                raise sqlite3.DatabaseError(f"cache format {row[0]}, expected {FORMAT}")
            if legacy_cache.has_legacy(self.folder):
                for keys, vectors in legacy_cache.read_legacy(self.folder):
                    self._insert(conn, keys, vectors)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        legacy_cache.remove_legacy(self.folder)

    def _rebuild(self, exc: BaseException) -> None:
        """Delete an unreadable store and start a fresh one."""
        self.close()
        with _locked(self.folder / ".lock"):
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        self.rebuilt.append(f"{self.path.name}: {exc}")
        self._conn = self._open()

    def close(self) -> None:
        """Release the file; the cache reopens it on next use."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> EmbeddingCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        if getattr(self, "_conn", None) is not None:
            self.close()

    # -- reads and writes -------------------------------------------------

    def lookup(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        """Vectors (read-only float32 rows) for those of ``keys`` that the cache holds intact."""
        try:
            return self._lookup(keys)
        except sqlite3.DatabaseError as exc:
            self._rebuild(exc)
            return {}

    def _lookup(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        conn = self._connect(create=False)
        if conn is None or not keys:
            return {}
        wanted = sorted(set(keys))  # sorted: neighbouring index pages, fewer page reads
        found: dict[str, np.ndarray] = {}
        bad: list[str] = []
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start:start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = conn.execute(
                f"SELECT key, vector, crc FROM vectors WHERE key IN ({marks})", chunk
            )
            for key, vector, crc in rows:
                if len(vector) % 4 or not vector or _crc(key, vector) != crc:
                    bad.append(key)
                    continue
                found[key] = np.frombuffer(vector, dtype=np.float32)
        if bad:
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany("DELETE FROM vectors WHERE key = ?", [(k,) for k in bad])
            conn.execute("COMMIT")
            self.n_dropped += len(bad)
        return found

    def add(self, keys: Sequence[str], vectors: np.ndarray) -> None:
        """Store ``vectors`` (one row per key), replacing any vector already under a key."""
        if len(keys) == 0:
            return
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[0] != len(keys):
            raise ValueError(f"got {len(keys)} keys and vectors of shape {vectors.shape}")
        try:
            self._add(keys, vectors)
        except sqlite3.DatabaseError as exc:
            self._rebuild(exc)
            self._add(keys, vectors)

    def _add(self, keys: Sequence[str], vectors: np.ndarray) -> None:
        conn = self._connect(create=True)
        assert conn is not None
        conn.execute("BEGIN IMMEDIATE")
        try:
            self._insert(conn, keys, vectors)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    @staticmethod
    def _insert(conn: sqlite3.Connection, keys: Sequence[str], vectors: np.ndarray) -> None:
        order = sorted(range(len(keys)), key=keys.__getitem__)
        rows = []
        for i in order:
            blob = vectors[i].tobytes()
            rows.append((keys[i], blob, _crc(keys[i], blob)))
        conn.executemany(
            "INSERT OR REPLACE INTO vectors (key, vector, crc) VALUES (?, ?, ?)", rows
        )

    def __len__(self) -> int:
        try:
            conn = self._connect(create=False)
            if conn is None:
                return 0
            return int(conn.execute("SELECT count(*) FROM vectors").fetchone()[0])
        except sqlite3.DatabaseError as exc:
            self._rebuild(exc)
            return 0
