"""Contrastive fine-tuning of the packaged model (SetFit's recipe) against frozen embeddings.

Issue 13 asks to try fine-tuning the embedding model contrastively on CPU and
keep it only where it beats frozen embeddings within a stated time budget.
This bench does SetFit's first stage with sentence-transformers alone (no
``setfit`` package): pairs of labelled answers, similar when their code sets
share a code (or both have none) and dissimilar otherwise, ``pairs_per`` pairs
per answer, one epoch of cosine-similarity loss (SetFit's default), AdamW at
2e-5, batch 16, fp32 on CPU. Then the same ``AutoCoder`` is fitted on the
fine-tuned vectors (its prototypes re-encoded too) and scored on the same test
set as the frozen model fitted on the same draw.

Data: NLU++ at 100 and 250 labelled utterances (pool folds 0-9, test folds
10-19, as ``autocode_nlupp.py``) and GoEmotions at 500 (thresholds on dev, as
``autocode_goemotions.py``); one draw each. ``--budget-s`` is the time budget a
fine-tune must fit in to count. Prints one JSON object last.

    PYTHONPATH=src:bench python bench/autocode_finetune.py [--budget-s 300]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from _autocode_bench import scores
from _autocode_data import embed, load_goemotions, load_nlupp


def make_pairs(y: np.ndarray, pairs_per: int, rng: np.random.Generator) -> list[tuple[int, int, float]]:
    """Per answer, half similar and half dissimilar partners (where there are any)."""
    sets = [frozenset(np.flatnonzero(row)) for row in y]
    n = len(sets)
    out = []
    for i in range(n):
        same = [j for j in range(n) if j != i and ((sets[i] & sets[j]) or (not sets[i] and not sets[j]))]
        other = [j for j in range(n) if j != i and j not in set(same)]
        for group, label in ((same, 1.0), (other, 0.0)):
            if group:
                for j in rng.choice(group, size=min(pairs_per // 2, len(group)), replace=False):
                    out.append((i, int(j), label))
    order = rng.permutation(len(out))
    return [out[k] for k in order]


def finetune(texts: list[str], y: np.ndarray, seed: int, pairs_per: int = 20,
             batch: int = 16, lr: float = 2e-5):
    """A fresh copy of the packaged model, fine-tuned for one epoch; and its seconds."""
    import torch
    from sentence_transformers import SentenceTransformer

    from themeloop.embed.base import model_folder

    torch.manual_seed(seed)
    path, _ = model_folder(None, None)
    model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
    pairs = make_pairs(y, pairs_per, np.random.default_rng(seed))
    opt = torch.optim.AdamW(model.parameters(), lr=lr)
    prep = getattr(model, "preprocess", None) or model.tokenize  # tokenize is deprecated in 6.x
    model.train()
    start = time.perf_counter()
    for b in range(0, len(pairs), batch):
        chunk = pairs[b:b + batch]
        a = model(prep([texts[i] for i, _, _ in chunk]))["sentence_embedding"]
        c = model(prep([texts[j] for _, j, _ in chunk]))["sentence_embedding"]
        target = torch.tensor([lab for _, _, lab in chunk])
        loss = torch.nn.functional.mse_loss(torch.cosine_similarity(a, c), target)
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    return model, time.perf_counter() - start, len(pairs)


def encoder(model):
    def encode(texts: list[str]) -> np.ndarray:
        return model.encode(list(texts), batch_size=64, normalize_embeddings=True,
                            convert_to_numpy=True, show_progress_bar=False).astype(np.float32)
    return encode


def nlupp_rows(budgets: list[int], seed: int) -> list[dict]:
    from themeloop.autocode import AutoCoder, build_prototypes
    from themeloop.codebook.model import Code

    texts, y, intents, desc, folds = load_nlupp()
    codes = [Code(id=i, label=i.replace("_", " "), description=desc[i]) for i in intents]
    pool, test = np.flatnonzero(folds < 10), np.flatnonzero(folds >= 10)
    x = embed(texts)
    tt, ty = [texts[i] for i in test], y[test]
    frozen_protos = build_prototypes(codes, embed)
    rows = []
    for budget in budgets:
        train = np.random.default_rng(seed).choice(pool, budget, replace=False)
        trt, try_ = [texts[i] for i in train], y[train].astype(float)
        frozen = AutoCoder(random_state=seed).fit(x[train], try_, codes=intents,
                                                  prototypes=frozen_protos, texts=trt)
        row = {"dataset": "nlupp", "n_train": budget,
               "frozen": scores(frozen.predict(x[test], tt), ty)}
        model, seconds, n_pairs = finetune(trt, y[train], seed)
        enc = encoder(model)
        start = time.perf_counter()
        fx_train, fx_test = enc(trt), enc(tt)
        tuned = AutoCoder(random_state=seed).fit(fx_train, try_, codes=intents,
                                                 prototypes=build_prototypes(codes, enc), texts=trt)
        row["finetuned"] = scores(tuned.predict(fx_test, tt), ty)
        row.update(pairs=n_pairs, finetune_s=round(seconds, 1),
                   encode_s=round(time.perf_counter() - start, 1))
        print(json.dumps(row), file=sys.stderr, flush=True)
        rows.append(row)
    return rows


def goemotions_rows(budgets: list[int], seed: int) -> list[dict]:
    from themeloop.autocode import AutoCoder, build_prototypes
    from themeloop.codebook.model import Code

    tr_t, tr_y, labels = load_goemotions("train")
    dv_t, dv_y, _ = load_goemotions("dev")
    te_t, te_y, _ = load_goemotions("test")
    codes = [Code(id=lab, label=lab) for lab in labels]
    dv_x, te_x = embed(dv_t), embed(te_t)
    rows = []
    for budget in budgets:
        train = np.random.default_rng(seed).choice(len(tr_t), budget, replace=False)
        t, y = [tr_t[i] for i in train], tr_y[train]
        frozen = AutoCoder(cv=None).fit(embed(t), y.astype(float), codes=labels,
                                        prototypes=build_prototypes(codes, embed), texts=t)
        frozen.calibrate(dv_x, dv_y, dv_t)
        row = {"dataset": "goemotions", "n_train": budget,
               "frozen": scores(frozen.predict(te_x, te_t), te_y)}
        model, seconds, n_pairs = finetune(t, y, seed)
        enc = encoder(model)
        start = time.perf_counter()
        tuned = AutoCoder(cv=None).fit(enc(t), y.astype(float), codes=labels,
                                       prototypes=build_prototypes(codes, enc), texts=t)
        tuned.calibrate(enc(dv_t), dv_y, dv_t)
        row["finetuned"] = scores(tuned.predict(enc(te_t), te_t), te_y)
        row.update(pairs=n_pairs, finetune_s=round(seconds, 1),
                   encode_s=round(time.perf_counter() - start, 1))
        print(json.dumps(row), file=sys.stderr, flush=True)
        rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget-s", type=float, default=300.0)
    parser.add_argument("--nlupp", default="100,250")
    parser.add_argument("--goemotions", default="500")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    import torch

    start = time.time()
    rows = []
    if args.nlupp:
        rows += nlupp_rows([int(b) for b in args.nlupp.split(",")], args.seed)
    if args.goemotions:
        rows += goemotions_rows([int(b) for b in args.goemotions.split(",")], args.seed)
    for row in rows:
        gain = {m: round(row["finetuned"][m] - row["frozen"][m], 4) for m in row["frozen"]}
        row["gain"] = gain
        row["within_budget"] = row["finetune_s"] + row["encode_s"] <= args.budget_s
        row["keeps"] = row["within_budget"] and gain["sample_f1"] > 0.005 and gain["macro_f1"] > 0
    out = {"bench": "autocode_finetune", "cpus": os.cpu_count(), "torch_threads": torch.get_num_threads(),
           "recipe": "SetFit stage 1: 20 pairs per answer, cosine loss, 1 epoch, AdamW 2e-5, batch 16, fp32",
           "budget_s": args.budget_s, "rows": rows,
           "keep_finetuning": bool(rows) and all(r["keeps"] for r in rows),
           "load_avg_1m": round(os.getloadavg()[0], 2), "seconds": round(time.time() - start, 1)}
    return out


if __name__ == "__main__":
    print(json.dumps(main()))
