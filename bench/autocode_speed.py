"""Autocoder speed: fit on 10,000 labelled answers x 30 codes, predict 100,000 answers.

Embeddings are synthetic (the cost of embedding is the embedder's, benched
elsewhere): 384-d unit vectors around 30 code directions, and short texts of
topic words so the TF-IDF block is realistic. Targets (issue 13): fit <= 60 s,
predict 100,000 in <= 30 s beyond embedding. Prints one JSON object last.

    PYTHONPATH=src python bench/autocode_speed.py
"""

from __future__ import annotations

import json
import resource
import time

import numpy as np


def world(n: int, k: int, rng: np.random.Generator):
    centres = rng.normal(size=(k, 384))
    y = rng.random((n, k)) < 0.06
    y[np.arange(n), rng.integers(0, k, n)] = True
    x = y @ centres + rng.normal(scale=2.0, size=(n, 384))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    vocab = [f"w{i}" for i in range(3000)]
    texts = [" ".join([vocab[(c * 97 + j) % 3000] for c in np.flatnonzero(row) for j in range(3)]
                      + list(rng.choice(vocab, 6))) for row in y]
    return x.astype(np.float32), y, texts, centres


def main() -> dict:
    from themeloop.autocode import AutoCoder, Prototypes

    rng = np.random.default_rng(0)
    k = 30
    x, y, texts, centres = world(10_000, k, rng)
    protos = Prototypes((centres / np.linalg.norm(centres, axis=1, keepdims=True)).astype(np.float32),
                        np.arange(k), np.zeros((0, 384), np.float32), np.zeros(0, np.int64))
    out: dict = {"n_train": len(x), "n_codes": k}
    for word_weight in (0.0, 1.0):
        t = time.time()
        model = AutoCoder(word_weight=word_weight).fit(x, y.astype(float), codes=[f"c{i}" for i in range(k)],
                                                       prototypes=protos, texts=texts)
        out[f"fit_s_words_{word_weight:g}"] = round(time.time() - t, 1)
    xp, _, tp, _ = world(100_000, k, np.random.default_rng(1))
    t = time.time()
    proba = model.predict_proba(xp, tp)
    model.decide(proba, xp)
    out["predict_100k_s"] = round(time.time() - t, 1)
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    out["fit_target_met"] = out["fit_s_words_1"] <= 60
    out["predict_target_met"] = out["predict_100k_s"] <= 30
    return out


if __name__ == "__main__":
    print(json.dumps(main()))
