"""Autocoder on GoEmotions (28 labels, Reddit comments, multi-label).

Train on random subsets of train (1,000, 5,000, 20,000) and on all of it,
choose each label's threshold on dev (AutoCoder.calibrate), report macro-F1
(and sample-/micro-F1) on test, beside TF-IDF + one-vs-rest LR and
frozen-embedding one-vs-rest LR at the fixed 0.5 threshold. Zero-shot from
the label names alone is shown too. Anchor: fine-tuned BERT-base, test
macro-F1 0.46 (Demszky et al. 2020). ``--max-train N`` caps "all" (the
machine is slow); the JSON says what ran. Prints one JSON object last.

    PYTHONPATH=src:bench python bench/autocode_goemotions.py [--max-train N]
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np
from _autocode_bench import FIRST_VERSION, baselines, scores, supervised
from _autocode_data import embed, load_goemotions


def main(max_train: int | None) -> dict:
    from themeloop.autocode import AutoCoder, build_prototypes
    from themeloop.codebook.model import Code

    t0 = time.time()
    tr_texts, tr_y, labels = load_goemotions("train")
    dv_texts, dv_y, _ = load_goemotions("dev")
    te_texts, te_y, _ = load_goemotions("test")
    tr_x, dv_x, te_x = embed(tr_texts), embed(dv_texts), embed(te_texts)
    protos = build_prototypes([Code(id=lab, label=lab) for lab in labels], embed)
    n_all = len(tr_texts) if max_train is None else min(max_train, len(tr_texts))
    out: dict = {"dataset": "goemotions", "n_train_all": len(tr_texts), "n_dev": len(dv_texts),
                 "n_test": len(te_texts), "n_codes": len(labels),
                 "anchor_bert_base_macro_f1": 0.46, "all_capped_at": n_all}
    zs = AutoCoder().fit(te_x, None, codes=labels, prototypes=protos)
    out["zero_shot_label_names"] = scores(zs.predict(te_x), te_y)
    curve = []
    for budget in sorted({1000, 5000, 20000, n_all}):
        if budget > n_all:
            continue
        rng = np.random.default_rng(0)
        train = np.arange(len(tr_texts)) if budget == len(tr_texts) else rng.choice(
            len(tr_texts), budget, replace=False)
        x, y, t = tr_x[train], tr_y[train].astype(float), [tr_texts[i] for i in train]
        start = time.time()
        model = AutoCoder(cv=None).fit(x, y, codes=labels, prototypes=protos, texts=t)
        model.calibrate(dv_x, dv_y, dv_texts)
        row = {"autocoder": scores(model.predict(te_x, te_texts), te_y),
               "fit_s": round(time.time() - start, 1)}
        first = AutoCoder(cv=None, **FIRST_VERSION).fit(x, y, codes=labels, prototypes=protos,
                                                         texts=t)
        first.calibrate(dv_x, dv_y, dv_texts)
        row["autocoder_first_version"] = scores(first.predict(te_x, te_texts), te_y)
        if budget == n_all:
            from themeloop.autocode.segments import segment_proba

            proba = segment_proba(model, te_x, te_texts, embed)
            segmented = scores(model.decide(proba, te_x), te_y)
        row.update(baselines(x, y >= 0.5, t, te_x, te_texts, te_y))
        curve.append({"n_train": budget, **supervised([row])})
        if budget == n_all:
            curve[-1]["autocoder_segments"] = segmented
        print(json.dumps(curve[-1]), file=sys.stderr, flush=True)
    out["supervised"] = curve
    out["beats_both_baselines_everywhere"] = all(
        c["autocoder"][m] > max(c["tfidf_ovr_lr"][m], c["embedding_lr_0.5"][m])
        for c in curve for m in ("sample_f1", "micro_f1", "macro_f1"))
    out["seconds"] = round(time.time() - t0, 1)
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--max-train", type=int, default=None)
    print(json.dumps(main(parser.parse_args().max_train)))
