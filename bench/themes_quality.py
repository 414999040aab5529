"""Do proposed themes match human groupings? themeloop vs BERTopic vs KMeans(true k), on every set.

ONE run covers every shared set of short texts with human labels, so all
methods meet the same vectors under the same machine load:

* ``banking77``: BANKING77 test, 3,080 queries, 77 intents (Casanueva et al.
  2020, CC BY 4.0; ``banking77/test.csv``).
* ``googlenews_t``, ``agnews``, ``tweet``: three of SCCL's short-text clustering
  sets (Zhang et al. 2021; research use; ``short_text_clusters/*.tsv``), 3,000
  sampled from each with a fixed seed. Tweet has only 2,472 texts, so its
  "sample" is all of Tweet.

Methods, all on the SAME all-MiniLM-L6-v2 embeddings (the packaged model,
through the embedder's cache, so texts are embedded once):

* themeloop: :class:`ThemeProposer` with its defaults; it picks k itself
  (``max_themes`` left at its size-aware default; a binding cap is reported).
* BERTopic as a user runs it: ``BERTopic(embedding_model=<the local model>)``
  with its defaults, UMAP made reproducible (``random_state``).
* KMeans with the true k (a reference that is told k).

Unassigned answers / outliers count wrong for accuracy (Hungarian matching of
clusters to labels) and form their own cluster for NMI/ARI. ``peak_rss_mb`` is
the process's peak so far (it only grows through the run). Prints one JSON
object as the last line.

    python bench/themes_quality.py --data-dir /work/shared/data [--sets banking77,tweet]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np
import pandas as pd

SAMPLE = 3000
SETS = {
    "banking77": ("banking77/test.csv", None),
    "googlenews_t": ("short_text_clusters/googlenews_t.tsv", SAMPLE),
    "agnews": ("short_text_clusters/agnews_8000.tsv", SAMPLE),
    "tweet": ("short_text_clusters/tweet.tsv", SAMPLE),
}


def load_set(data_dir: Path, name: str, seed: int) -> tuple[list[str], np.ndarray]:
    """(texts, integer labels) of one set, sampled to at most its size with ``seed``."""
    rel, size = SETS[name]
    path = data_dir / rel
    if path.suffix == ".csv":
        frame = pd.read_csv(path).rename(columns={"category": "label"})
    else:  # SCCL's files: "label<TAB>text", no header, no quoting
        frame = pd.read_csv(path, sep="\t", header=None, names=["label", "text"], quoting=3,
                            dtype=str, keep_default_na=False)
    if size is not None and len(frame) > size:
        rows = np.sort(np.random.default_rng(seed).choice(len(frame), size=size, replace=False))
        frame = frame.iloc[rows]
    truth = frame["label"].astype(str).astype("category").cat.codes.to_numpy()
    return frame["text"].astype(str).tolist(), truth


def accuracy(truth: np.ndarray, pred: np.ndarray) -> float:
    """Best one-to-one matching of clusters to classes; label -1 is always wrong."""
    from scipy.optimize import linear_sum_assignment

    classes, t = np.unique(truth, return_inverse=True)
    keep = pred >= 0
    clusters, p = np.unique(pred[keep], return_inverse=True)
    table = np.zeros((len(clusters), len(classes)), dtype=np.int64)
    np.add.at(table, (p, t[keep]), 1)
    rows, cols = linear_sum_assignment(-table)
    return float(table[rows, cols].sum() / len(truth))


def scores(truth: np.ndarray, pred: np.ndarray, seconds: float) -> dict:
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    return {
        "n_clusters": len(set(pred[pred >= 0].tolist())),
        "n_unassigned": int((pred < 0).sum()),
        "nmi": round(float(normalized_mutual_info_score(truth, pred)), 4),
        "ari": round(float(adjusted_rand_score(truth, pred)), 4),
        "accuracy": round(accuracy(truth, pred), 4),
        "seconds": round(seconds, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def warm_up_umap(emb, seed):
    """Pay UMAP's one-off numba compilation before timing, so neither method is charged it."""
    from umap import UMAP

    UMAP(n_neighbors=10, n_components=5, metric="cosine", random_state=seed,
         n_epochs=20).fit_transform(emb[:300])


def run_themeloop(texts, emb, seed):
    from themeloop.themes import ThemeProposer

    start = time.perf_counter()
    proposer = ThemeProposer(random_state=seed).fit(
        texts, emb, [str(i) for i in range(len(texts))]
    )
    return proposer, time.perf_counter() - start


def run_bertopic(texts, emb, model, seed):
    from bertopic import BERTopic
    from umap import UMAP

    start = time.perf_counter()
    umap_model = UMAP(n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine",
                      random_state=seed)
    topics, _ = BERTopic(embedding_model=model, umap_model=umap_model).fit_transform(texts, emb)
    return np.asarray(topics), time.perf_counter() - start


def run_kmeans(emb, k, seed):
    from sklearn.cluster import KMeans

    start = time.perf_counter()
    labels = KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(emb)
    return labels, time.perf_counter() - start


def run_set(name, texts, truth, emb, st_model, args) -> dict:
    out: dict = {"n": len(texts), "true_k": len(set(truth.tolist())),
                 "load_avg_1m": round(os.getloadavg()[0], 2)}
    proposer, secs = run_themeloop(texts, emb, args.seed)
    out["themeloop"] = {"strategy": proposer.strategy_, **scores(truth, proposer.labels_, secs)}
    if proposer.note_:
        out["themeloop"]["note"] = proposer.note_
    print(name, "themeloop", out["themeloop"], file=sys.stderr)
    if st_model is not None:
        labels, secs = run_bertopic(texts, emb, st_model, args.seed)
        out["bertopic"] = scores(truth, labels, secs)
        print(name, "bertopic", out["bertopic"], file=sys.stderr)
    labels, secs = run_kmeans(emb, out["true_k"], args.seed)
    out["kmeans_true_k"] = scores(truth, labels, secs)
    print(name, "kmeans_true_k", out["kmeans_true_k"], file=sys.stderr)
    ours, km = out["themeloop"], out["kmeans_true_k"]
    out["nmi_gap_to_kmeans_true_k"] = round(km["nmi"] - ours["nmi"], 4)
    if "bertopic" in out:
        theirs = out["bertopic"]
        out["margin_vs_bertopic"] = {"nmi": round(ours["nmi"] - theirs["nmi"], 4),
                                     "accuracy": round(ours["accuracy"] - theirs["accuracy"], 4)}
        out["beats_bertopic"] = bool(ours["nmi"] > theirs["nmi"]
                                     and ours["accuracy"] > theirs["accuracy"])
    return out


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True, type=Path, help="the shared data folder")
    parser.add_argument("--sets", default=",".join(SETS), help="comma-separated, of: "
                        + ", ".join(SETS))
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--cache-dir", default=os.path.join(tempfile.gettempdir(),
                                                            "themeloop-bench-cache"))
    parser.add_argument("--skip-bertopic", action="store_true")
    parser.add_argument("--jobs", type=int, default=1,
                        help="run the sets in this many child processes at once (each then "
                        "reports its own peak RSS)")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # child mode: one set, its JSON
    args = parser.parse_args(argv)
    if args.jobs > 1 and not args.one:
        return _in_children(args, argv or sys.argv[1:])

    from themeloop.embed import Embedder

    names = [args.one] if args.one else [s for s in args.sets.split(",") if s]
    unknown = [s for s in names if s not in SETS]
    if unknown:
        parser.error(f"unknown set(s) {', '.join(unknown)}; known: {', '.join(SETS)}")
    embedder = Embedder(cache_dir=args.cache_dir)
    result: dict = {"bench": "themes_quality", "model": embedder.model_info["id"],
                    "precision": embedder.model_info["precision"],
                    "runtime": embedder.model_info["runtime"], "seed": args.seed, "sets": {}}
    st_model = None
    if not args.skip_bertopic:
        # BERTopic gets the same vectors; its model object is only used for labels' embeddings.
        from themeloop.embed import SentenceTransformerModel

        st_model = SentenceTransformerModel(
            precision=embedder.model_info["precision"]).sentence_transformer
    warmed = False
    for name in names:
        texts, truth = load_set(args.data_dir, name, args.seed)
        start = time.perf_counter()
        emb = embedder.encode(texts)
        embed_s = time.perf_counter() - start
        if not warmed:
            warm_up_umap(emb, args.seed)
            warmed = True
        result["sets"][name] = {"embed_seconds": round(embed_s, 1),
                                **run_set(name, texts, truth, emb, st_model, args)}
    if args.one:
        print(json.dumps(result["sets"][args.one]))
        return result
    _summarise(result, args)
    print(json.dumps(result))
    return result


def _in_children(args, argv: list[str]) -> dict:
    """Each set in its own process, ``args.jobs`` at a time; one JSON for the run."""
    import subprocess
    from concurrent.futures import ThreadPoolExecutor

    names = [s for s in args.sets.split(",") if s]

    def child(name: str) -> dict:
        cmd = [sys.executable, __file__, *argv, "--one", name]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        sys.stderr.write(proc.stderr)
        if proc.returncode != 0:
            raise SystemExit(f"set {name} failed: {proc.stderr.strip().splitlines()[-1:]}")
        return json.loads(proc.stdout.strip().splitlines()[-1])

    with ThreadPoolExecutor(args.jobs) as pool:
        runs = dict(zip(names, pool.map(child, names)))
    from themeloop.embed import Embedder

    info = Embedder(cache_dir=args.cache_dir).model_info
    result: dict = {"bench": "themes_quality", "model": info["id"], "precision": info["precision"],
                    "runtime": info["runtime"], "seed": args.seed, "jobs": args.jobs,
                    "sets": runs}
    _summarise(result, args)
    print(json.dumps(result))
    return result


def _summarise(result: dict, args) -> None:
    sets = result["sets"].values()
    result["summary"] = {
        "max_nmi_gap_to_kmeans_true_k": max(s["nmi_gap_to_kmeans_true_k"] for s in sets),
        "within_0.03_nmi_of_kmeans_true_k_everywhere": all(
            s["nmi_gap_to_kmeans_true_k"] <= 0.03 for s in sets),
    }
    if not args.skip_bertopic:
        result["summary"]["beats_bertopic_everywhere"] = all(s["beats_bertopic"] for s in sets)


if __name__ == "__main__":
    main()
