"""Embed + themes at 1k, 10k and 100k answers: seconds, peak RSS, and encoder speed
(sentence-transformers fp32 and bf16 against ONNX Runtime fp32, on the same texts).

Answers are real short texts (BANKING77 train+test, Casanueva et al. 2020, and
NLU++ banking+hotels, Casanueva et al. 2022; both CC BY 4.0), about 16k
distinct sentences. Larger sizes add light, seeded variations (a greeting
before, a sign-off after) so every answer is a distinct string and none is
served by deduplication. Each size runs in its own process (fresh model,
empty cache) so its peak RSS is its own. Prints one JSON object as the last line.

    python bench/themes_scale.py --data-dir /work/shared/data [--sizes 1000,10000,100000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

PREFIXES = ["", "Hi, ", "Hello, ", "Quick question: ", "Please help: ", "Hey, ", "Good morning, ",
            "Sorry to bother you, ", "Question: ", "Urgent: "]
SUFFIXES = ["", " Thanks.", " Thank you!", " Cheers.", " Please advise.", " Thanks in advance.",
            " Any help appreciated.", " Regards.", " Many thanks.", " Asap please."]


def base_texts(data_dir: Path) -> list[str]:
    import pandas as pd

    texts: list[str] = []
    for name in ("train.csv", "test.csv"):
        texts += pd.read_csv(data_dir / "banking77" / name)["text"].astype(str).tolist()
    for domain in ("banking", "hotels"):
        for fold in sorted((data_dir / "nlupp" / domain).glob("fold*.json")):
            texts += [item["text"] for item in json.loads(fold.read_text(encoding="utf-8"))]
    return list(dict.fromkeys(t.strip() for t in texts if t and t.strip()))


def make_answers(base: list[str], n: int, seed: int = 42) -> list[str]:
    """``n`` distinct answers: the base texts first, then seeded variations of them."""
    import numpy as np

    rng = np.random.default_rng(seed)
    out = list(dict.fromkeys(base))[:n]
    seen = set(out)
    while len(out) < n:
        text = base[rng.integers(len(base))]
        p, s = PREFIXES[rng.integers(len(PREFIXES))], SUFFIXES[rng.integers(len(SUFFIXES))]
        body = text[0].lower() + text[1:] if p and text[:1].isupper() else text
        candidate = f"{p}{body}{s}"
        if candidate not in seen:
            seen.add(candidate)
            out.append(candidate)
    rng.shuffle(out)
    return out


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_one(data_dir: Path, n: int, seed: int, multi_label: bool = True) -> dict:
    """Embed and theme ``n`` answers in this process (called in a child).

    Multi-label themes cluster the answers' segments, so the embed step splits
    the answers (the rule splitter from 10,000 answers on) and embeds the
    segments; ``propose_themes`` then splits them again (counted twice, so
    the total is conservative) and finds every vector in the cache.
    """
    import pandas as pd

    from themeloop.embed import Embedder
    from themeloop.segments import split_many
    from themeloop.themes import propose_themes
    from themeloop.themes.multilabel import segment_answers

    answers = make_answers(base_texts(data_dir), n, seed)
    responses = pd.DataFrame({
        "response_id": [f"R{i:06d}:q" for i in range(n)], "respondent_id": range(n),
        "question": "q", "text": answers, "substantive": True,
    })
    with tempfile.TemporaryDirectory() as cache:
        embedder = Embedder(cache_dir=cache)
        start = time.perf_counter()
        units = answers
        if multi_label:
            parts = split_many(answers)
            units = segment_answers(answers, [[p.text for p in ps] for ps in parts]).texts
        embedder.encode(units)
        embed_s = time.perf_counter() - start
        start = time.perf_counter()
        result = propose_themes(responses, embedder, seed=seed, multi_label=multi_label)
        themes_s = time.perf_counter() - start
    q = result.questions["q"]
    return {
        "n": n, "multi_label": multi_label, "n_segments": len(units),
        "n_multi_theme": sum(1 for extra in q.secondary if extra), "note": q.note,
        "strategy": q.strategy, "n_themes": len(q.themes), "n_unassigned": q.n_unassigned,
        "precision": embedder.model_info["precision"], "runtime": embedder.model_info["runtime"],
        "embed_seconds": round(embed_s, 1),
        "embed_per_s": round(n / embed_s, 1), "themes_seconds": round(themes_s, 1),
        "total_seconds": round(embed_s + themes_s, 1), "peak_rss_mb": round(peak_rss_mb(), 1),
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }


def runtime_speed(data_dir: Path, n: int) -> dict:
    """Sentences per second on the same ``n`` real texts: sentence-transformers in
    fp32 (the baseline) and bf16, and ONNX Runtime in fp32, with each one's
    lowest cosine to the fp32 baseline's vectors."""
    import numpy as np

    from themeloop.embed import SentenceTransformerModel, bf16_supported
    from themeloop.embed.onnx import OnnxModel

    texts = base_texts(data_dir)[:n]
    out: dict = {"n": n, "bf16_native": bf16_supported()}
    models = {"fp32": SentenceTransformerModel(precision="fp32"),
              "bf16": SentenceTransformerModel(precision="bf16"), "onnx_fp32": OnnxModel()}
    vectors = {}
    for name, model in models.items():
        model.encode(texts[:32])  # load and warm up
        start = time.perf_counter()
        vectors[name] = model.encode(texts)
        out[f"{name}_per_s"] = round(n / (time.perf_counter() - start), 1)
    for name in ("bf16", "onnx_fp32"):
        cosine = (vectors["fp32"] * vectors[name]).sum(1)
        out[f"min_cosine_{name}_vs_fp32"] = round(float(np.min(cosine)), 5)
        out[f"{name}_speed_ratio_vs_fp32"] = round(out[f"{name}_per_s"] / out["fp32_per_s"], 2)
    return out


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True, type=Path)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--speed-n", type=int, default=2000)
    parser.add_argument("--single-label", action="store_true",
                        help="one theme per answer (the behaviour before multi-label themes)")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # child mode
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(run_one(args.data_dir, args.one, args.seed, not args.single_label)))
        return {}
    result: dict = {"bench": "themes_scale", "cpus": os.cpu_count(), "runs": []}
    for n in (int(s) for s in args.sizes.split(",") if s):
        cmd = [sys.executable, __file__, "--data-dir", str(args.data_dir), "--one", str(n),
               "--seed", str(args.seed), *(["--single-label"] if args.single_label else [])]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            result["runs"].append({"n": n, "error": proc.stderr.strip().splitlines()[-1:]})
            continue
        run = json.loads(proc.stdout.strip().splitlines()[-1])
        print(json.dumps(run), file=sys.stderr)
        result["runs"].append(run)
    if args.speed_n:
        result["runtime_speed"] = runtime_speed(args.data_dir, args.speed_n)
    big = [r for r in result["runs"] if r.get("n") == 100_000 and "error" not in r]
    if big:
        result["target_100k"] = {
            "seconds_le_600": big[0]["total_seconds"] <= 600,
            "peak_rss_le_6gb": big[0]["peak_rss_mb"] <= 6 * 1024,
        }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
