"""What the autocode stage costs beyond embedding, as the coded share grows.

A synthetic project (``--answers`` answers, ``--coded`` of them coded by two
coders who agree 90% of the time, ``--codes`` codes, two respondent attributes)
goes through :func:`themeloop.autocode.stage.autocode_project` with a cheap
hashed bag-of-words embedder, so the time is the stage's own: cross-fitting,
the learning curve, the bootstrap intervals, the bias tests, the final fit,
coding the rest and writing the files. Prints one JSON object last.

    PYTHONPATH=src python bench/run_autocode_scale.py --answers 5000 --coded 1000
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd


class HashWords:
    model_id, precision = "hashed-words", "fp32"

    def encode(self, texts):
        out = np.zeros((len(texts), 128), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in text.split():
                out[i, int(hashlib.md5(word.encode()).hexdigest()[:8], 16) % 128] += 1.0
        out += 1e-3
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def write_project(root: Path, n: int, coded: int, k: int, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    topics = [[f"t{c}w{j}" for j in range(6)] for c in range(k)]
    filler = [f"f{j}" for j in range(200)]
    truth = rng.random((n, k)) < 1.5 / k
    rows, coding = [], []
    for i in range(n):
        words = [w for c in np.flatnonzero(truth[i]) for w in rng.choice(topics[c], 3)]
        words += list(rng.choice(filler, 4))
        rows.append({"id": f"R{i}", "region": f"r{i % 4}", "size": "big" if i % 3 else "small",
                     "q_text": " ".join(rng.permutation(words))})
        if i < coded:
            for coder in ("a@x.org", "b@x.org"):
                noisy = truth[i] ^ (rng.random(k) < 0.01)
                codes = [f"c{c}" for c in np.flatnonzero(noisy)] or [""]
                coding += [{"response_id": f"R{i}:q", "question": "q", "coder": coder,
                            "code": c, "source": "human"} for c in codes]
    pd.DataFrame(rows).to_csv(root / "survey.csv", index=False)
    (root / "annotations").mkdir()
    pd.DataFrame(coding).to_csv(root / "annotations" / "coding_table.csv", index=False)
    codes = "".join(f"      - {{id: c{c}, label: Topic {c}, description: {' '.join(topics[c])}}}\n"
                    for c in range(k))
    (root / "codebook.yaml").write_text(f"version: '1'\nquestions:\n  q:\n    codes:\n{codes}")
    (root / "themeloop.toml").write_text(
        '[survey]\npath = "survey.csv"\nid = "id"\nattributes = ["region", "size"]\n\n'
        '[[questions]]\nid = "q"\ncolumn = "q_text"\n')
    return root


def main(n: int, coded: int, k: int) -> dict:
    from themeloop.autocode.stage import autocode_project
    from themeloop.config import find_project
    from themeloop.embed import Embedder
    from themeloop.pipeline.context import RunContext

    with tempfile.TemporaryDirectory() as tmp:
        root = write_project(Path(tmp), n, coded, k)
        ctx = RunContext.for_project(find_project(root))
        embedder = Embedder(HashWords())
        t0 = time.perf_counter()
        embedder.encode(ctx.responses["text"].tolist())  # warm: the stage time is its own
        t1 = time.perf_counter()
        run = autocode_project(ctx, embedder=embedder)
        t2 = time.perf_counter()
    q = run.agreement["questions"]["q"]
    return {"bench": "run_autocode_scale", "n_answers": n, "n_coded": coded, "n_codes": k,
            "embed_s": round(t1 - t0, 1), "stage_s": round(t2 - t1, 1),
            "model_human_masi_alpha": q["model_human"]["masi_alpha"],
            "human_human_masi_alpha": q["human_human"]["masi_alpha"],
            "n_model_coded": q["n_model_coded"], "n_review": q["n_review"],
            "human_only": len(q["human_only"]), "curve": [p["n"] for p in q["learning_curve"]],
            "bias_tests": len(run.bias["questions"]["q"]["tests"]),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--answers", type=int, default=5000)
    parser.add_argument("--coded", type=int, default=1000)
    parser.add_argument("--codes", type=int, default=10)
    args = parser.parse_args()
    print(json.dumps(main(args.answers, args.coded, args.codes)))
