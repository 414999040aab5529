"""Do proposed themes match human codes? themeloop vs BERTopic vs KMeans(true k).

Runs on BANKING77 test (3,080 queries, 77 human intents; Casanueva et al. 2020,
CC BY 4.0): all three methods cluster the SAME all-MiniLM-L6-v2 embeddings.

* themeloop: ThemeProposer with no cap on the number of themes; it picks k itself.
* BERTopic as a user runs it: BERTopic(embedding_model=<the local model>) with
  its default UMAP made reproducible (random_state=42), default HDBSCAN.
* KMeans with the true k=77 (an upper-bound-ish reference that is told k).

Unassigned answers / outliers are counted wrong for accuracy (Hungarian
matching of clusters to intents) and form their own cluster for NMI/ARI.
Prints one JSON object as the last line.

    python bench/themes_quality.py --data /work/shared/data/banking77/test.csv
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np
import pandas as pd


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
    proposer = ThemeProposer(random_state=seed, max_themes=None).fit(
        texts, emb, [str(i) for i in range(len(texts))]
    )
    return proposer.labels_, time.perf_counter() - start, proposer.strategy_


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


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="banking77 test.csv (text, category)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--cache-dir", default=os.path.join(tempfile.gettempdir(), "themeloop-bench-cache"))
    parser.add_argument("--skip-bertopic", action="store_true")
    args = parser.parse_args(argv)

    from themeloop.embed import Embedder

    frame = pd.read_csv(args.data)
    texts = frame["text"].astype(str).tolist()
    truth = frame["category"].astype("category").cat.codes.to_numpy()
    embedder = Embedder(cache_dir=args.cache_dir)
    start = time.perf_counter()
    emb = embedder.encode(texts)
    embed_s = time.perf_counter() - start

    result: dict = {
        "bench": "themes_quality", "data": os.path.basename(os.path.dirname(args.data)) + "/"
        + os.path.basename(args.data), "n": len(texts), "true_k": len(set(truth)),
        "model": embedder.model_info["id"], "precision": embedder.model_info["precision"],
        "runtime": embedder.model_info["runtime"], "embed_seconds": round(embed_s, 1), "load_avg_1m": round(os.getloadavg()[0], 2),
    }
    warm_up_umap(emb, args.seed)
    labels, secs, strategy = run_themeloop(texts, emb, args.seed)
    result["themeloop"] = {"strategy": strategy, **scores(truth, labels, secs)}
    print("themeloop", result["themeloop"], file=sys.stderr)
    if not args.skip_bertopic:
        # BERTopic gets the same vectors; its model object is only used for labels' embeddings.
        from themeloop.embed import SentenceTransformerModel

        st = SentenceTransformerModel(precision=embedder.model_info["precision"])
        labels, secs = run_bertopic(texts, emb, st.sentence_transformer, args.seed)
        result["bertopic"] = scores(truth, labels, secs)
        print("bertopic", result["bertopic"], file=sys.stderr)
    labels, secs = run_kmeans(emb, result["true_k"], args.seed)
    result["kmeans_true_k"] = scores(truth, labels, secs)
    if "bertopic" in result:
        ours, theirs = result["themeloop"], result["bertopic"]
        result["margin_vs_bertopic"] = {
            "nmi": round(ours["nmi"] - theirs["nmi"], 4),
            "accuracy": round(ours["accuracy"] - theirs["accuracy"], 4),
        }
        result["themeloop_beats_bertopic"] = bool(
            ours["nmi"] > theirs["nmi"] and ours["accuracy"] > theirs["accuracy"]
        )
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
