"""How should the mid strategy choose k? UMAP + HDBSCAN against UMAP + KMeans over a k grid.

For each shared labelled set (the same sets and samples as
``themes_quality.py``), the answers are embedded (cache) and reduced with
UMAP ONCE (themeloop's seeded ``umap_reduce``), then clustered by:

* ``hdbscan_today``: HDBSCAN as the mid strategy ran it before issue 14
  (``min_cluster_size`` ~ sqrt(n)/4, ``min_samples`` a third of it);
* ``hdbscan_bertopic``: HDBSCAN with BERTopic's defaults (``min_cluster_size`` 10);
* ``kmeans_silhouette``: KMeans at every k of ``k_grid(n)`` (3 .. n/10,
  geometric), k chosen by silhouette in the UMAP space (the new mid strategy);
* ``kmeans_silhouette_k2``: the same grid from k = 2 (why the grid starts at 3);
* ``kmeans_true_k_umap``: KMeans on the UMAP space told the true k (a reference).

Scores are on the raw cluster labels (HDBSCAN outliers count wrong for
accuracy), before themeloop's merge / floor / min-size rules, so this compares
the clusterers only; ``themes_quality.py`` scores the whole proposer. The
silhouette curve per set is in ``curve``. Prints one JSON object last.

    python bench/themes_methods.py --data-dir /work/shared/data
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


sys.path.insert(0, str(Path(__file__).parent))
from themes_quality import SETS, load_set, scores


def hdbscan_labels(reduced, size, samples):
    import hdbscan

    return hdbscan.HDBSCAN(min_cluster_size=size, min_samples=samples, metric="euclidean",
                           cluster_selection_method="eom", core_dist_n_jobs=1
                           ).fit_predict(reduced).astype(int)


def run_set(texts, truth, emb, seed) -> dict:
    from themeloop.themes import cluster

    n, true_k = len(texts), len(set(truth.tolist()))
    start = time.perf_counter()
    reduced = cluster.umap_reduce(emb, random_state=seed)
    out: dict = {"n": n, "true_k": true_k, "umap_seconds": round(time.perf_counter() - start, 1)}
    size = cluster.min_cluster_size_for(n)
    for name, (s, m) in {"hdbscan_today": (size, max(1, size // 3)),
                         "hdbscan_bertopic": (10, 10)}.items():
        start = time.perf_counter()
        labels = hdbscan_labels(reduced, s, m)
        out[name] = scores(truth, labels, time.perf_counter() - start)
    start = time.perf_counter()
    scored = cluster.silhouette_kmeans(reduced, [2, *cluster.k_grid(n)], random_state=seed)
    secs = time.perf_counter() - start
    out["curve"] = {k: round(v[0], 4) for k, v in sorted(scored.items())}
    for name, ks in {"kmeans_silhouette": [k for k in scored if k >= 3],
                     "kmeans_silhouette_k2": list(scored)}.items():
        best = max(ks, key=lambda k: (scored[k][0], -k))
        out[name] = {"k": best, **scores(truth, scored[best][1], secs)}
    from sklearn.cluster import KMeans

    start = time.perf_counter()
    labels = KMeans(n_clusters=true_k, n_init=3, random_state=seed).fit_predict(reduced)
    out["kmeans_true_k_umap"] = scores(truth, labels, time.perf_counter() - start)
    return out


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True, type=Path)
    parser.add_argument("--sets", default=",".join(SETS))
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--cache-dir", default=os.path.join(tempfile.gettempdir(),
                                                            "themeloop-bench-cache"))
    args = parser.parse_args(argv)

    from themeloop.embed import Embedder

    embedder = Embedder(cache_dir=args.cache_dir)
    result: dict = {"bench": "themes_methods", "model": embedder.model_info["id"],
                    "runtime": embedder.model_info["runtime"], "seed": args.seed,
                    "load_avg_1m": round(os.getloadavg()[0], 2), "sets": {}}
    for name in (s for s in args.sets.split(",") if s):
        texts, truth = load_set(args.data_dir, name, args.seed)
        result["sets"][name] = run_set(texts, truth, embedder.encode(texts), args.seed)
        print(name, json.dumps(result["sets"][name]), file=sys.stderr)
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
