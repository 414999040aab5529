"""How does the embedding cache scale? (targets: add 10k to a 1M cache <= 2 s, look up 100k <= 2 s)

Builds a cache holding N vectors (default 1,000,000 x 384 float32) in bulk,
outside the timed part. Then, in a fresh process (so its peak RSS is the timed
work's own, not the build's), opens the cache, adds 10,000 new vectors and
looks up 100,000 keys the cache holds, checking that every one comes back with
the bits it was stored with.

The baseline, measured in the same run on the same vectors, is the previous
cache (one ``index.json`` of every key, rewritten on each add, plus one
``.npy`` shard per add, each checked by sha256 when a lookup touches it),
copied here so that the comparison survives the old code's removal. Both are
built in chunks of 50,000 (20 shards for 1M).

Both caches sit on the same local disk and are read back warm (the build has
just written them, so the OS page cache holds them): the timings are of the
cache's own work, not of the disk. Prints one JSON object as its last line.

    python bench/embed_cache.py [--existing 1000000] [--add 10000] [--lookup 100000]
                                [--dim 384] [--no-baseline] [--dir PATH]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

BUILD_CHUNK = 50_000


def key_of(prefix: str, i: int) -> str:
    return hashlib.sha256(f"{prefix} {i}".encode()).hexdigest()


def vectors_for(seed: int, n: int, dim: int) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal((n, dim), dtype=np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def peak_rss_mb() -> float:
    """This process's peak RSS (VmHWM: unlike ru_maxrss it does not carry over an exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def folder_mb(folder: Path) -> float:
    return round(sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20, 1)


class LegacyJsonCache:
    """The cache before SQLite (format 1), condensed from its last version."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        try:
            self.index = json.loads((folder / "index.json").read_text(encoding="utf-8"))
        except OSError:
            self.index = {"format": 1, "shards": {}}

    def lookup(self, keys: list[str]) -> dict[str, np.ndarray]:
        wanted, found = set(keys), {}
        for name, entry in sorted(self.index["shards"].items()):
            shard_keys = entry["keys"]
            rows = [i for i, k in enumerate(shard_keys) if k in wanted and k not in found]
            if not rows:
                continue
            data = (self.folder / name).read_bytes()
            if hashlib.sha256(data).hexdigest() != entry["sha256"]:
                continue
            array = np.load(io.BytesIO(data), allow_pickle=False)
            for i in rows:
                found[shard_keys[i]] = array[i]
        return found

    def add(self, keys: list[str], vectors: np.ndarray) -> None:
        buffer = io.BytesIO()
        np.save(buffer, np.ascontiguousarray(vectors, dtype=np.float32), allow_pickle=False)
        data = buffer.getvalue()
        digest = hashlib.sha256(data).hexdigest()
        name = f"shard-{digest[:16]}.npy"
        _write_atomic(self.folder / name, data)
        self.index["shards"][name] = {"sha256": digest, "keys": list(keys)}
        _write_atomic(self.folder / "index.json",
                      json.dumps(self.index, sort_keys=True).encode("utf-8"))


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def open_cache(kind: str, folder: Path):
    if kind == "json":
        return LegacyJsonCache(folder)
    from themeloop.embed.cache import EmbeddingCache

    return EmbeddingCache(folder)


def build(kind: str, folder: Path, n: int, dim: int) -> float:
    """Fill ``folder`` with n vectors in chunks; keys in sorted order, as a bulk load would."""
    folder.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    keys = sorted(key_of("existing", i) for i in range(n))
    cache = open_cache(kind, folder)
    for c, at in enumerate(range(0, n, BUILD_CHUNK)):
        chunk = keys[at:at + BUILD_CHUNK]
        cache.add(chunk, vectors_for(c, len(chunk), dim))
    if hasattr(cache, "close"):
        cache.close()
    return round(time.perf_counter() - start, 2)


def timed_phase(kind: str, folder: Path, n: int, n_add: int, n_lookup: int, dim: int) -> dict:
    """Runs in a fresh process: open, add n_add new vectors, look up n_lookup held keys."""
    rng = np.random.default_rng(7)
    new_keys = [key_of("new", i) for i in range(n_add)]
    new_vectors = vectors_for(10**6, n_add, dim)
    picks = rng.choice(n, size=min(n_lookup, n), replace=False)
    lookup_keys = [key_of("existing", int(i)) for i in picks]
    rss_before = peak_rss_mb()

    start = time.perf_counter()
    cache = open_cache(kind, folder)
    open_s = time.perf_counter() - start
    start = time.perf_counter()
    cache.add(new_keys, new_vectors)
    add_s = time.perf_counter() - start

    cache = open_cache(kind, folder)  # the embedder opens the cache once per encode
    start = time.perf_counter()
    found = cache.lookup(lookup_keys)
    lookup_s = time.perf_counter() - start
    back = cache.lookup(new_keys[:1000])
    ok = len(found) == len(lookup_keys) and all(
        np.array_equal(back[k], v) for k, v in zip(new_keys[:1000], new_vectors[:1000])
    )
    if hasattr(cache, "close"):
        cache.close()
    return {"open_s": round(open_s, 3), "add_s": round(add_s, 3), "lookup_s": round(lookup_s, 3),
            "found": len(found), "intact": bool(ok), "rss_before_mb": rss_before,
            "peak_rss_mb": peak_rss_mb()}


def run_child(kind: str, folder: Path, args: argparse.Namespace) -> dict:
    cmd = [sys.executable, __file__, "--child", kind, "--dir", str(folder),
           "--existing", str(args.existing), "--add", str(args.add),
           "--lookup", str(args.lookup), "--dim", str(args.dim)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--existing", type=int, default=1_000_000)
    parser.add_argument("--add", type=int, default=10_000)
    parser.add_argument("--lookup", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--dir", type=Path, default=None, help="where to build (default: a temp dir)")
    parser.add_argument("--child", choices=["sqlite", "json"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(timed_phase(args.child, args.dir, args.existing, args.add,
                                     args.lookup, args.dim)))
        return

    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        result: dict = {"existing": args.existing, "added": args.add, "looked_up": args.lookup,
                        "dim": args.dim, "cpus": len(os.sched_getaffinity(0)),
                        "load_avg_start": round(os.getloadavg()[0], 2)}
        for kind in ("sqlite",) if args.no_baseline else ("sqlite", "json"):
            folder = Path(tmp) / kind
            build_s = build(kind, folder, args.existing, args.dim)
            timed = run_child(kind, folder, args)
            result[kind] = {"build_s": build_s, **timed, "disk_mb": folder_mb(folder)}
            print(f"{kind}: {result[kind]}", file=sys.stderr)
            shutil.rmtree(folder)
        result["load_avg_end"] = round(os.getloadavg()[0], 2)
        sq = result["sqlite"]
        result["targets"] = {"add_s": 2.0, "lookup_s": 2.0}
        result["meets_targets"] = bool(sq["add_s"] <= 2.0 and sq["lookup_s"] <= 2.0 and sq["intact"])
        if "json" in result:
            result["speedup_vs_json"] = {
                k: round(result["json"][k] / max(sq[k], 1e-9), 1) for k in ("add_s", "lookup_s")
            }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
