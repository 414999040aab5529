"""Active vs random selection of answers to code, simulated on NLU++ and GoEmotions.

Each run starts from a cold-start batch (diverse for active, random for
random), then adds batches of ``--batch`` answers chosen by
:func:`themeloop.autocode.active.select_next` (uncertainty + diversity;
``active_rare`` weighs each code's uncertainty by its rarity) or at random, refitting the AutoCoder after each batch, and scores sample-F1 and
macro-F1 on a fixed test set at every budget; 3 seeds. The pools are the
NLU++ folds 0-9 (~1540) and a 10,000-answer sample of GoEmotions' train
(test: NLU++ folds 10-19, GoEmotions' test). "Full" is the model fitted on
the whole pool; each strategy's budget to reach 90% of its sample-F1 is
given where reached. Prints one JSON object last.

    PYTHONPATH=src:bench python bench/autocode_active.py [--budget 500 --batch 100]
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np
from _autocode_bench import scores
from _autocode_data import embed, load_goemotions, load_nlupp


def _data(name: str):
    from themeloop.autocode import build_prototypes
    from themeloop.codebook.model import Code

    if name == "nlupp":
        texts, y, intents, desc, folds = load_nlupp()
        x = embed(texts)
        codes = [Code(id=i, label=i.replace("_", " "), description=desc[i]) for i in intents]
        pool, test = np.flatnonzero(folds < 10), np.flatnonzero(folds >= 10)
        return x[pool], y[pool], [texts[i] for i in pool], x[test], y[test], \
            [texts[i] for i in test], intents, build_prototypes(codes, embed)
    tr, ty, labels = load_goemotions("train")
    te, tey, _ = load_goemotions("test")
    pick = np.random.default_rng(0).choice(len(tr), 10_000, replace=False)
    tr, ty = [tr[i] for i in pick], ty[pick]
    codes = [Code(id=lab, label=lab) for lab in labels]
    return embed(tr), ty, tr, embed(te), tey, te, labels, build_prototypes(codes, embed)


def _run(data, strategy: str, seed: int, budget: int, batch: int) -> list[dict]:
    from themeloop.autocode import AutoCoder
    from themeloop.autocode.active import rarity_weights, select_next

    px, py, pt, tx, ty, tt, codes, protos = data
    rng = np.random.default_rng(seed)
    coded = np.zeros(len(px), dtype=bool)
    if strategy.startswith("active"):
        start = rng.choice(len(px), min(len(px), 20 * batch), replace=False)  # a seed-varied pool
        first = start[select_next(px[start], batch)]
    else:
        first = rng.choice(len(px), batch, replace=False)
    coded[first] = True
    curve = []
    while True:
        idx = np.flatnonzero(coded)
        model = AutoCoder(random_state=seed).fit(px[idx], py[idx].astype(float), codes=codes,
                                                 prototypes=protos, texts=[pt[i] for i in idx])
        curve.append({"n": int(coded.sum()), **scores(model.predict(tx, tt), ty)})
        if coded.sum() >= budget:
            return curve
        rest = np.flatnonzero(~coded)
        if strategy.startswith("active"):
            weights = rarity_weights(model.n_positive_) if strategy == "active_rare" else None
            sub = rest if len(rest) <= 20 * batch else rng.choice(rest, 20 * batch, replace=False)
            proba = model.predict_proba(px[sub], [pt[i] for i in sub])
            coded[sub[select_next(px[sub], batch, proba=proba, thresholds=model.thresholds_,
                                  weights=weights)]] = True
        else:
            coded[rng.choice(rest, batch, replace=False)] = True


def main(budget: int, batch: int, seeds: int, datasets: list[str], strategies: list[str]) -> dict:
    from themeloop.autocode import AutoCoder

    t0 = time.time()
    out: dict = {"budget": budget, "batch": batch, "seeds": seeds, "datasets": {}}
    for name in datasets:
        data = _data(name)
        px, py, pt, tx, ty, tt, codes, protos = data
        full = AutoCoder().fit(px, py.astype(float), codes=codes, prototypes=protos, texts=pt)
        full_scores = scores(full.predict(tx, tt), ty)
        block: dict = {"n_pool": len(px), "full": full_scores}
        for strategy in strategies:
            runs = [_run(data, strategy, s, budget, batch) for s in range(seeds)]
            mean = [{"n": pts[0]["n"], **{m: round(float(np.mean([p[m] for p in pts])), 4)
                                          for m in ("sample_f1", "micro_f1", "macro_f1")}}
                    for pts in zip(*runs)]
            target = 0.9 * full_scores["sample_f1"]
            reach = [p["n"] for p in mean if p["sample_f1"] >= target]
            block[strategy] = {"curve": mean, "budget_to_90pct_full": reach[0] if reach else None}
            print(json.dumps({name: {strategy: block[strategy]}}), file=sys.stderr, flush=True)
        for strategy in (s for s in strategies if s.startswith("active") and "random" in strategies):
            block[f"{strategy}_beats_random_at_every_budget"] = all(
                a["sample_f1"] > r["sample_f1"]
                for a, r in zip(block[strategy]["curve"], block["random"]["curve"]))
        out["datasets"][name] = block
    out["seconds"] = round(time.time() - t0, 1)
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--budget", type=int, default=500)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--datasets", default="nlupp,goemotions")
    parser.add_argument("--strategies", default="active,random",
                        help="comma-separated: active, active_rare (rarity-weighted), random")
    args = parser.parse_args()
    print(json.dumps(main(args.budget, args.batch, args.seeds, args.datasets.split(","),
                          args.strategies.split(","))))
