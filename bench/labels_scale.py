"""What the label step costs at 100,000 answers, against the keyword step it sits beside.

The answers are ``bench/themes_scale.py``'s (BANKING77 + NLU++ texts and seeded
variations, CC BY 4.0), split into ``--themes`` groups at random: only the
time matters here, and it depends on how many answers are parsed and how many
phrases are embedded, not on what the groups mean. Timed in one run:
- ``keywords_s``: the existing c-TF-IDF keyword step (spaCy lemmas of at most
  10,000 answers + c-TF-IDF), which every theme run already pays;
- ``labels_s``: :func:`themeloop.themes.labels.label_themes` (noun phrases of
  at most 150 answers per theme, about 25 phrases per theme embedded with the
  packaged model, MMR), as the proposer calls it;
- ``checks_s``: label+description embeddings for the similar-labels check.
Prints one JSON object as the last line.

    python bench/labels_scale.py --data-dir /work/shared/data [--n 100000 --themes 12]
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

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("/work/shared/data"))
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--themes", type=int, default=12)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    sys.path.insert(0, str(ROOT / "bench"))
    from themes_scale import base_texts, make_answers

    from themeloop.embed import Embedder
    from themeloop.themes import checks, keywords
    from themeloop.themes import labels as theme_labels

    texts = make_answers(base_texts(args.data_dir), args.n, seed=args.seed)
    rng = np.random.default_rng(args.seed)
    labels = rng.integers(args.themes, size=len(texts))
    embedder = Embedder(cache_dir=Path(tempfile.mkdtemp()))
    dim = embedder.encode(["warm up"]).shape[1]
    cents = rng.normal(size=(args.themes, dim)).astype(np.float32)
    cents /= np.linalg.norm(cents, axis=1, keepdims=True)
    quotes = {v: [texts[i] for i in np.flatnonzero(labels == v)[:5]] for v in range(args.themes)}

    t0 = time.perf_counter()
    use = np.sort(rng.choice(len(texts), size=min(10_000, len(texts)), replace=False))
    lemmas = keywords.analyse([texts[i] for i in use])
    keywords.ctfidf_keywords(lemmas.docs, labels[use])
    keywords_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    named = theme_labels.label_themes(texts, labels, dict(enumerate(cents)), quotes,
                                      encoder=embedder.encode, random_state=args.seed)
    labels_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    vectors = checks.label_vectors([named[v].label for v in range(args.themes)],
                                   [named[v].description for v in range(args.themes)],
                                   embedder.encode)
    checks.merge_pairs(vectors, [set(np.flatnonzero(labels == v).tolist())
                                 for v in range(args.themes)])
    checks_s = time.perf_counter() - t0
    print(json.dumps({
        "bench": "labels_scale", "n": len(texts), "themes": args.themes,
        "keywords_s": round(keywords_s, 1), "labels_s": round(labels_s, 1),
        "checks_s": round(checks_s, 1), "labels": [named[v].label for v in range(args.themes)],
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "load_avg_1m": round(os.getloadavg()[0], 2), "cpus": os.cpu_count(),
    }))


if __name__ == "__main__":
    main()
