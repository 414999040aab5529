"""A content-hash cache of embeddings on disk: a SQLite index over .npy shards.

Layout of the cache folder::

    index.sqlite        vectors(key, shard, row, crc) and shards(id, name, rows, dim)
    index.sqlite-wal    SQLite's write-ahead log (and -shm, its index)
    shards/<name>.npy   float32 array, one row per vector; written once, never changed
    .lock               held only while the index is created, migrated or rebuilt

A key is the sha256 of the model id, model checksum, precision (and runtime)
and text, so a changed answer, model, precision or runtime never reuses a
stale vector. ``crc`` is a 32-bit checksum of the vector's float32 words
(:func:`checksums`), checked on every read.

Why this shape: adding N vectors writes one new shard of N rows and inserts N
index rows in one transaction, O(N) and never O(cache) as rewriting a JSON
index was. Looking up N keys is N index searches and one gather per shard
from a memory map. SQLite's write-ahead log lets two processes read and add
at once: each writes its own shard, and writers take turns on the index.
What can go wrong is caught:

* a vector that fails its checksum is forgotten and reported (its text is encoded again);
* a shard that is missing or unreadable (truncated, bad header) is dropped with
  its index rows;
* an index SQLite cannot read ("file is not a database", "database disk image
  is malformed") is deleted with every shard and started afresh.

Each is reported in :attr:`EmbeddingCache.rebuilt` or ``n_dropped``. A vector
added again under a key it already had leaves its old row unused in an old
shard. The cache must live on a local disk: SQLite's write-ahead log needs
shared memory, which network file systems do not give.

The layout before this one (format 1: ``index.json`` and ``shard-*.npy`` in
the folder itself) is migrated on first use (:mod:`themeloop.embed.legacy_cache`).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import sqlite3
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

import themeloop.embed.legacy_cache as legacy_cache
from themeloop._io import write_with

DB_NAME = "index.sqlite"
SHARDS = "shards"
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


def _stored_key(key: str) -> bytes:
    """The 32 bytes of a hex sha256 key; any other string as UTF-8 behind a 0xFF byte.

    0xFF never occurs in UTF-8, and such a key is padded past 32 bytes when it
    would be 32 long, so two different strings never share a stored key.
    """
    if len(key) == 64:
        try:
            return bytes.fromhex(key)
        except ValueError:
            pass
    raw = b"\xff" + key.encode("utf-8", "surrogatepass")
    return raw + b"\xff" if len(raw) == 32 else raw


def _weights(dim: int) -> np.ndarray:
    """Odd 32-bit weights, one per float, from a fixed formula (never from a random stream)."""
    return np.array([(0x9E3779B9 * (i + 1)) % 2**32 | 1 for i in range(dim)], dtype=np.uint32)


def checksums(vectors: np.ndarray) -> np.ndarray:
    """A 32-bit checksum per row: the float32 words times odd weights, summed mod 2**32.

    One integer matrix-vector product for a whole block (a CRC-32 per row in
    Python cost more than the rest of a 100,000-key lookup). Any change to one
    word of a row changes its checksum, because an odd weight times a nonzero
    difference smaller than 2**32 is never 0 mod 2**32; other damage goes
    unseen with chance about 2**-32. Returned as int64, the type SQLite stores.

    Examples
    --------
    >>> v = np.ones((2, 3), dtype=np.float32)
    >>> w = v.copy(); w[1, 2] = np.nextafter(np.float32(1), np.float32(2))
    >>> bool(checksums(v)[0] == checksums(w)[0]), bool(checksums(v)[1] == checksums(w)[1])
    (True, False)
    """
    words = np.ascontiguousarray(vectors, dtype=np.float32).view(np.uint32)
    return (words @ _weights(words.shape[1])).astype(np.int64)


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



@contextlib.contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """``BEGIN IMMEDIATE`` (take the write lock now), then COMMIT, or ROLLBACK on any error."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise

class EmbeddingCache:
    """Read and extend the vector store in ``folder``.

    Nothing is created until something is added. Use it as a context manager,
    or call :meth:`close`, to release the index.

    Attributes
    ----------
    rebuilt : what was found unreadable and dropped (the index, or a shard), one entry each.
    n_dropped : vectors that failed their checksum and were forgotten by :meth:`lookup`.

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
        self.shard_dir = self.folder / SHARDS
        self.rebuilt: list[str] = []
        self.n_dropped = 0
        self._conn: sqlite3.Connection | None = None

    # -- the index --------------------------------------------------------

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
            if not self.path.exists():
                # Shards without an index cannot be found again: they are litter.
                shutil.rmtree(self.shard_dir, ignore_errors=True)
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
        # A crash loses at most the last add; it never corrupts the index.
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA cache_size = -65536")  # 64 MB of index pages per connection
        conn.execute("PRAGMA mmap_size = 1073741824")  # read the index through a memory map
        with _transaction(conn):
            conn.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT)")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS shards (id INTEGER PRIMARY KEY, "
                "name TEXT NOT NULL UNIQUE, rows INTEGER NOT NULL, dim INTEGER NOT NULL)"
            )
            conn.execute(
                "CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, shard INTEGER NOT NULL, "
                "row INTEGER NOT NULL, crc INTEGER NOT NULL) WITHOUT ROWID"
            )
            row = conn.execute("SELECT value FROM meta WHERE name = 'format'").fetchone()
            if row is None:
                conn.execute("INSERT INTO meta VALUES ('format', ?)", (str(FORMAT),))
            elif row[0] != str(FORMAT):
                raise sqlite3.DatabaseError(f"cache format {row[0]}, expected {FORMAT}")
            if legacy_cache.has_legacy(self.folder):
                for keys, vectors in legacy_cache.read_legacy(self.folder):
                    self._insert(conn, keys, vectors)
        legacy_cache.remove_legacy(self.folder)

    def _rebuild(self, exc: BaseException) -> None:
        """Delete an unreadable index, and the shards only it could find, and start afresh."""
        self.close()
        with _locked(self.folder / ".lock"):
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            shutil.rmtree(self.shard_dir, ignore_errors=True)
        self.rebuilt.append(f"{self.path.name}: {exc}")
        self._conn = self._open()

    def close(self) -> None:
        """Release the index; the cache reopens it on next use."""
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

    # -- reads ------------------------------------------------------------

    def lookup(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        """Vectors (float32 rows) for those of ``keys`` that the cache holds intact."""
        try:
            return self._lookup(keys)
        except sqlite3.DatabaseError as exc:
            self._rebuild(exc)
            return {}

    def _lookup(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        conn = self._connect(create=False)
        if conn is None or not len(keys):
            return {}
        stored = {_stored_key(k): k for k in keys}
        wanted = sorted(stored)  # sorted: neighbouring index pages, fewer page reads
        hits: list[tuple[bytes, int, int, int]] = []
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start:start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            hits.extend(conn.execute(
                f"SELECT key, shard, row, crc FROM vectors WHERE key IN ({marks})", chunk
            ).fetchall())
        if not hits:
            return {}
        hit_keys, shard_ids, rows, crcs = zip(*hits)
        shard_of = np.array(shard_ids, dtype=np.int64)
        row_of = np.array(rows, dtype=np.int64)
        crc_of = np.array(crcs, dtype=np.int64)
        shards = {sid: (name, n, dim) for sid, name, n, dim in
                  conn.execute("SELECT id, name, rows, dim FROM shards")}
        found: dict[str, np.ndarray] = {}
        bad_keys: list[bytes] = []
        bad_shards: list[tuple[int, str]] = []
        order = np.argsort(shard_of, kind="stable")
        bounds = np.flatnonzero(np.diff(shard_of[order])) + 1
        for group in np.split(order, bounds):
            sid = int(shard_of[group[0]])
            entry = shards.get(sid)
            array = self._shard(entry)
            group = group[np.argsort(row_of[group], kind="stable")]  # read the shard in order
            want_rows = row_of[group]
            if array is None or want_rows.min() < 0 or want_rows.max() >= len(array):
                bad_shards.append((sid, entry[0] if entry else f"#{sid}"))
                continue
            # Fancy indexing copies the rows out: no memory map outlives the call.
            gathered = array[want_rows].view(np.ndarray)
            intact = checksums(gathered) == crc_of[group]
            for j, i in enumerate(group.tolist()):
                if intact[j]:
                    found[stored[hit_keys[i]]] = gathered[j]
                else:
                    bad_keys.append(hit_keys[i])
        if bad_keys or bad_shards:
            self._forget(conn, bad_keys, bad_shards)
        return found

    def _shard(self, entry: tuple[str, int, int] | None) -> np.ndarray | None:
        """The shard's rows, memory-mapped, or ``None`` when missing or not what the index says."""
        if entry is None:
            return None
        name, n, dim = entry
        try:
            array = np.load(self.shard_dir / name, mmap_mode="r", allow_pickle=False)
        except (OSError, ValueError, EOFError):
            return None
        if array.dtype != np.float32 or array.shape != (n, dim):
            return None
        return array

    def _forget(
        self, conn: sqlite3.Connection, keys: list[bytes], shards: list[tuple[int, str]]
    ) -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.executemany("DELETE FROM vectors WHERE key = ?", [(k,) for k in keys])
            for sid, _ in shards:
                conn.execute("DELETE FROM vectors WHERE shard = ?", (sid,))
                conn.execute("DELETE FROM shards WHERE id = ?", (sid,))
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        for _, name in shards:
            if "/" not in name:
                (self.shard_dir / name).unlink(missing_ok=True)
            self.rebuilt.append(f"{SHARDS}/{name}: missing or unreadable")
        self.n_dropped += len(keys)

    # -- writes -----------------------------------------------------------

    def add(self, keys: Sequence[str], vectors: np.ndarray) -> None:
        """Store ``vectors`` (one row per key) as a new shard; a key added again takes the new one."""
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
        with _transaction(conn):
            self._insert(conn, keys, vectors)

    def _insert(self, conn: sqlite3.Connection, keys: Sequence[str], vectors: np.ndarray) -> None:
        """Write a new shard, then index it (inside the caller's transaction)."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        name = f"{uuid.uuid4().hex}.npy"

        def save(tmp: Path) -> None:
            with open(tmp, "wb") as fh:
                np.save(fh, vectors, allow_pickle=False)

        write_with(self.shard_dir / name, save)
        sid = conn.execute(
            "INSERT INTO shards (name, rows, dim) VALUES (?, ?, ?)",
            (name, int(vectors.shape[0]), int(vectors.shape[1])),
        ).lastrowid
        sums = checksums(vectors).tolist()
        rows = sorted((_stored_key(k), sid, i, sums[i]) for i, k in enumerate(keys))
        conn.executemany(
            "INSERT OR REPLACE INTO vectors (key, shard, row, crc) VALUES (?, ?, ?, ?)", rows
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
