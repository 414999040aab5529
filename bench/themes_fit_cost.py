"""What the large strategy's fit costs: the new mid clustering against the old, on 10,000 answers.

``themes_scale.py`` needs 100,000 answers embedded (about 7 minutes of
encoding on a quiet 2-core machine). The part issue 14 changed is the fit on
the large strategy's 10,000-answer sample, so this times exactly that on real
vectors: the four shared labelled sets of ``themes_quality.py`` pooled (their
vectors come from the embedder's cache), 10,000 sampled. In one process, after
a UMAP warm-up: ``cluster_mid`` (UMAP + KMeans over the k grid, silhouette)
and ``cluster_mid_hdbscan`` (UMAP + HDBSCAN, the strategy before). Prints one
JSON object last.

    python bench/themes_fit_cost.py --data-dir /work/shared/data
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

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from themes_quality import SETS, load_set


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True, type=Path)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--cache-dir", default=os.path.join(tempfile.gettempdir(),
                                                            "themeloop-bench-cache"))
    args = parser.parse_args(argv)

    from themeloop.embed import Embedder
    from themeloop.themes import cluster

    embedder = Embedder(cache_dir=args.cache_dir)
    vectors = np.concatenate([embedder.encode(load_set(args.data_dir, s, args.seed)[0])
                              for s in SETS])
    emb = vectors[cluster.sample_indices(len(vectors), args.n, args.seed)]
    cluster.umap_reduce(emb[:300], random_state=args.seed)  # numba's one-off compile
    out: dict = {"bench": "themes_fit_cost", "n": len(emb), "cpus": os.cpu_count(),
                 "load_avg_1m": round(os.getloadavg()[0], 2)}
    start = time.perf_counter()
    reduced = cluster.umap_reduce(emb, random_state=args.seed)
    out["umap_seconds"] = round(time.perf_counter() - start, 1)
    from sklearn.cluster import KMeans

    start = time.perf_counter()
    # What cluster_mid does above 5,000 answers: one start per k, the chosen k refitted.
    scored = cluster.silhouette_kmeans(reduced, cluster.k_grid(len(emb)), random_state=args.seed,
                                       n_init=1)
    out["chosen_k"] = max(scored, key=lambda k: (scored[k][0], -k))
    KMeans(n_clusters=out["chosen_k"], n_init=3, random_state=args.seed).fit(reduced)
    out["kmeans_grid_seconds"] = round(time.perf_counter() - start, 1)
    out["k_grid"] = sorted(scored)
    import hdbscan

    size = cluster.min_cluster_size_for(len(emb))
    start = time.perf_counter()
    labels = hdbscan.HDBSCAN(min_cluster_size=size, min_samples=max(1, size // 3),
                             core_dist_n_jobs=1).fit_predict(reduced)
    out["hdbscan_seconds"] = round(time.perf_counter() - start, 1)
    out["hdbscan_k"] = len(set(labels.tolist()) - {-1})
    out["load_avg_1m_end"] = round(os.getloadavg()[0], 2)
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    main()
